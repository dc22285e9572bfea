"""Every URL of the project, called with GET by signed-in staff from outside the fixture's
area: a grid worker of the next grid (grid B looking at grid A's ticket, household, patrol,
hot issue) and a handler of another department. Like tests/test_endpoint_access.py (whose
URL enumeration and world this reuses), but for insiders of the system who are outsiders to
the data: nothing of grid A's ticket, its requester, its people or its staff-only records
may reach them, whatever the URL (DESIGN §8, docs/permissions.md: an object outside scope
is 404, exactly like one that does not exist)."""

import pytest

from gridgov.people.models import Role
from tests.people.factories import user_with_role
from tests.test_endpoint_access import (
    CASES,
    PERSONAL,
    PUBLIC,
    STAFF_ONLY,
    _call,
    _describe,
    _path,
    _text,
    world,  # noqa: F401 (the module's world, reused)
)

# Reference data every ticket role reads (routing rules for everywhere, the knowledge base).
SHARED = {"knowledge-base answer", "routing-rule note"}
# Grid A's ticket, as only those who see it may read it (its description's own words).
TICKET_TEXT = "纸箱和旧家具"

GETS = [
    pytest.param(endpoint, id=f"GET {endpoint.label}")
    for endpoint, method in CASES
    if method == "GET" and not endpoint.name.startswith("admin:")
]


def _assert_nothing_of_grid_a(response, who, public=False):
    text = _text(response)
    for what, value in PERSONAL.items():
        assert value not in text, f"{who} is shown the {what} in full"
    for what, value in STAFF_ONLY.items():
        if what not in SHARED:
            assert value not in text, f"{who} is shown grid A's {what}"
    if not public:  # Open311 publishes a public service's requests to anyone
        assert TICKET_TEXT not in text, f"{who} is shown grid A's ticket"


@pytest.mark.django_db
@pytest.mark.parametrize("caller", ["gridworker_b", "housing_handler"])
@pytest.mark.parametrize("endpoint", GETS)
def test_an_outsider_sees_nothing_of_grid_a(client, world, endpoint, caller):  # noqa: F811
    user = getattr(world, caller)
    path, _dummy = _path(endpoint, world)
    client.force_login(user)
    response = _call(client, "GET", path, world.query.get(endpoint.name))
    assert response.status_code < 500, f"GET {path}: {_describe(response)}"
    public = "GET" in PUBLIC.get(endpoint.name, ())
    _assert_nothing_of_grid_a(response, f"{caller} GET {path}", public)


@pytest.mark.django_db
@pytest.mark.parametrize("caller", ["community_staff", "community_police"])
@pytest.mark.parametrize("endpoint", GETS)
def test_who_sees_the_ticket_but_not_its_requester_never_reads_them_in_full(
    client,
    world,  # noqa: F811
    endpoint,
    caller,
):
    """Community staff above grid A's ticket and a community police officer of grid A see
    the ticket, but neither owns it: its requester stays masked on every page and answer
    (a full view is the logged reveal, which refuses them), as do people's phones and ID
    numbers until someone asks for them with a purpose."""
    if caller == "community_police":
        user = user_with_role(Role.COMMUNITY_POLICE, world.grid_a, username="police_a")
    else:
        user = getattr(world, caller)
    assert user.has_perm("tickets.view_ticket", world.ticket)
    assert not user.has_perm("tickets.view_requester", world.ticket)
    path, _dummy = _path(endpoint, world)
    client.force_login(user)
    response = _call(client, "GET", path, world.query.get(endpoint.name))
    assert response.status_code < 500, f"GET {path}: {_describe(response)}"
    text = _text(response)
    for what, value in PERSONAL.items():
        assert value not in text, f"{caller} GET {path} is shown the {what} in full"
