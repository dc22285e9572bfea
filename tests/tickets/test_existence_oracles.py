"""An object outside the caller's area is answered as one that does not exist (the same
status, code and message), so a caller cannot learn that a ticket, household or another
area's case exists (docs/permissions.md). Each test here failed before its fix."""

import pytest

from gridgov.people.models import Role
from gridgov.tickets import lifecycle
from gridgov.tickets.models import Ticket, Visit
from tests.people.factories import user_with_role
from tests.places.factories import make_tree

from .factories import add_households, make_ticket, make_world, ticket_data
from .test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db

MISSING = 987654321  # no ticket or household has this id


@pytest.fixture
def world():
    w = make_world()
    # A second street beside the first, with its own staff and a ticket of theirs.
    w.other = make_tree(key="2", district=w.district, origin=(116.5, 39.9))
    w.other_street_staff = user_with_role(Role.STREET_STAFF, w.other.street, username="s2")
    return w


def _same_answer(outside, missing, typed_outside, typed_missing):
    """Both answers alike but for the value the caller typed, which each echoes."""
    assert outside.status_code == missing.status_code, (outside.json(), missing.json())
    text = outside.content.decode().replace(str(typed_outside), "<typed>")
    assert text == missing.content.decode().replace(str(typed_missing), "<typed>")


def test_merge_into_another_areas_ticket_reads_as_an_unknown_ticket(world):
    survivor = make_ticket(world)  # in the first street, which s2 does not see
    mine = make_ticket(world, place=world.other.buildings[0].code, title="路灯不亮")
    staff = world.other_street_staff
    assert staff.has_perm("tickets.view_ticket", mine)
    assert not staff.has_perm("tickets.view_ticket", survivor)

    # By id or by code (a code one digit longer is no ticket's).
    for into, unknown in ((survivor.pk, MISSING), (survivor.code, f"{survivor.code}0")):
        with pytest.raises(lifecycle.LifecycleError) as outside:
            lifecycle.perform(mine, "merge", staff, into=into)
        with pytest.raises(lifecycle.LifecycleError) as missing:
            lifecycle.perform(mine, "merge", staff, into=unknown)
        assert type(outside.value) is type(missing.value)
        assert outside.value.message.replace(str(into), "<typed>") == (
            missing.value.message.replace(str(unknown), "<typed>")
        )

    client = client_for(staff)
    url = f"{TICKETS}{mine.pk}/merge/"
    outside = client.post(url, {"into": survivor.pk, "version": mine.version}, format="json")
    missing = client.post(url, {"into": MISSING, "version": mine.version}, format="json")
    _same_answer(outside, missing, survivor.pk, MISSING)
    mine.refresh_from_db()
    assert mine.merged_into_id is None


def test_a_visit_to_another_areas_household_reads_as_an_unknown_household(world):
    add_households(world)
    visits = "/api/v1/visits/"
    # Grid worker B visits grid B's households, not grid A's.
    client = client_for(world.gridworker_b)
    outside = client.post(visits, {"household": world.home_a.pk, "heard": "x"}, format="json")
    missing = client.post(visits, {"household": MISSING, "heard": "x"}, format="json")
    _same_answer(outside, missing, world.home_a.pk, MISSING)
    assert outside.status_code == 400
    # Those who visit no household are refused whatever the id, before it is looked up.
    for login in (world.resident, world.city_handler):
        client = client_for(login)
        outside = client.post(visits, {"household": world.home_a.pk}, format="json")
        missing = client.post(visits, {"household": MISSING}, format="json")
        _same_answer(outside, missing, world.home_a.pk, MISSING)
        assert outside.status_code == 403
    assert not Visit.objects.exists()
    # Their own grid's household still takes the visit.
    response = client_for(world.gridworker_b).post(
        visits, {"household": world.home_b.pk, "heard": "x"}, format="json"
    )
    assert response.status_code == 201


def test_a_case_sent_again_names_its_ticket_only_to_those_who_may_view_it(world):
    """The 409 stays (a second push must not file a second ticket), but another area's
    staff or a resident's app learned from it the id and code of a ticket they cannot
    see, for any case number they tried."""
    data = ticket_data(
        external_id="WX-90001", channel="wechat", nature="report", place=world.buildings[0].code
    )
    first = client_for(world.hotline).post(TICKETS, data, format="json")
    assert first.status_code == 201, first.content
    ticket = Ticket.objects.get(pk=first.json()["id"])
    count = Ticket.objects.count()
    for sender in (world.other_street_staff, world.resident):
        assert not sender.has_perm("tickets.view_ticket", ticket)
        again = client_for(sender).post(TICKETS, data, format="json")
        assert again.status_code == 409, again.content
        error = again.json()["error"]
        assert error["code"] == "external_id_exists"
        assert error["detail"] == {"external_id": "WX-90001"}
        assert ticket.code not in again.content.decode()
        assert error["message"] == "该渠道已受理过外部编号为 WX-90001 的诉求，本次未重复登记。"
        assert "WX-90001" in error["message_en"]
    # Who sees it is still told which ticket the case became.
    again = client_for(world.street_staff).post(TICKETS, data, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["detail"]["ticket"] == {"id": ticket.pk, "code": ticket.code}
    assert Ticket.objects.count() == count


def test_a_household_that_is_no_number_is_a_400_not_a_500(world):
    add_households(world)
    client = client_for(world.gridworker_b)
    for value in ("abc", "1.5", {"id": 1}):
        response = client.post("/api/v1/visits/", {"household": value}, format="json")
        assert response.status_code == 400, (value, response.status_code)
        assert response.json()["error"]["detail"]["household"], response.json()
    response = client.get("/api/v1/visits/", {"household": "abc"})
    assert response.status_code == 400 and response.json()["error"]["detail"]["household"]
    assert not Visit.objects.exists()
