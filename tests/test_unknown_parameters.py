"""Every GET of the REST API refuses a query parameter it does not read.

The rule (gridgov.api.params): a parameter an endpoint does not read answers 400
`unknown_parameter`, so a misspelt filter (`/api/v1/visits/?househld=3`) never answers
as if unfiltered. Each GET route under /api/v1/ (enumerated from the resolver as
tests/test_endpoint_access.py does, with its world and path values) is called by a
superuser with a made-up `?zz_unknown=1`. Open311 (/open311/) is left out: its own
specification lets clients send parameters a server does not know.
"""

import pytest

from tests.test_endpoint_access import ENDPOINTS, _call, _describe, _path, world  # noqa: F401

UNKNOWN = "zz_unknown"

# Routes the sweep cannot judge by a GET: URL name -> why.
NOT_SWEPT = {}


def _api_gets():
    out = []
    for endpoint in ENDPOINTS:
        if not endpoint.template.startswith("/api/v1/"):
            continue
        actions = getattr(endpoint.callback, "actions", None)
        cls = getattr(endpoint.callback, "cls", None)
        takes_get = "get" in actions if actions else cls is not None and hasattr(cls, "get")
        if not takes_get or endpoint.name in NOT_SWEPT:
            continue
        out.append(pytest.param(endpoint, id=endpoint.label))
    return out


GETS = _api_gets()


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", GETS)
def test_an_unknown_parameter_is_refused(client, world, endpoint):  # noqa: F811
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("zz-root", password="x")
    client.force_login(root)
    path, _dummy = _path(endpoint, world)
    query = {**world.query.get(endpoint.name, {}), UNKNOWN: "1"}
    response = _call(client, "GET", path, query)
    assert response.status_code == 400, f"GET {path}?{UNKNOWN}=1: {_describe(response)}"
    error = response.json()["error"]
    assert error["code"] == "unknown_parameter", _describe(response)
    assert UNKNOWN in error["detail"]["unknown"]


def _paged(endpoint):
    """A route whose answer is paged: a viewset's list, or 我的诉求."""
    actions = getattr(endpoint.callback, "actions", None) or {}
    cls = getattr(endpoint.callback, "cls", None)
    return actions.get("get") in ("list", "mine") and cls.pagination_class is not None


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", GETS)
def test_page_and_format_stay_allowed(client, world, endpoint):  # noqa: F811
    """DRF's own parameters are no unknown ones: the format override everywhere, the page
    and page size where the answer is paged."""
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("zz-root", password="x")
    client.force_login(root)
    path, _dummy = _path(endpoint, world)
    query = {**world.query.get(endpoint.name, {}), "format": "json"}
    if _paged(endpoint):
        query.update(page="1", page_size="10")
    response = _call(client, "GET", path, query)
    assert response.status_code < 500, _describe(response)
    if response.status_code == 400:
        assert response.json()["error"]["code"] != "unknown_parameter", _describe(response)


def test_paged_routes_are_swept():
    paged = {param.values[0].label for param in GETS if _paged(param.values[0])}
    assert {"/api/v1/tickets/", "/api/v1/tickets/mine/", "/api/v1/people/"} <= paged


def test_the_sweep_reaches_the_api():
    labels = {param.values[0].label for param in GETS}
    assert len(GETS) > 40
    for expected in ("/api/v1/visits/", "/api/v1/tickets/", "/api/v1/places/<code>/"):
        assert expected in labels, expected
    assert not any(label.startswith("/open311/") for label in labels)


# --- one object: the list's filters are refused ---------------------------------------------


def _one_object_gets():
    """GET routes of a viewset that answer one object (a detail route, a `detail=True`
    action), with the list's filters that route does not read itself."""
    out = []
    for param in GETS:
        endpoint = param.values[0]
        initkwargs = getattr(endpoint.callback, "initkwargs", {})
        cls = getattr(endpoint.callback, "cls", None)
        filterset_class = getattr(cls, "filterset_class", None)
        if not initkwargs.get("detail") or filterset_class is None:
            continue
        action = endpoint.callback.actions["get"]
        own = {
            *getattr(cls, "action_params", {}).get(action, ()),
            *getattr(filterset_class, "ACTION_PARAMS", {}).get(action, ()),
        }
        filters = sorted(set(filterset_class.base_filters) - own)
        out.append(pytest.param(endpoint, filters, id=endpoint.label))
    return out


ONE_OBJECT_GETS = _one_object_gets()


def test_the_one_object_sweep_reaches_the_detail_routes():
    labels = {param.values[0].label for param in ONE_OBJECT_GETS}
    for expected in (
        "/api/v1/tickets/<pk>/",
        "/api/v1/tickets/<pk>/events/",
        "/api/v1/tickets/<pk>/requester/",
        "/api/v1/people/<pk>/",
        "/api/v1/people/<pk>/personal-data/",
        "/api/v1/places/<code>/",
        "/api/v1/routing-rules/<pk>/",
    ):
        assert expected in labels, expected
    assert "/api/v1/tickets/" not in labels


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint, filters", ONE_OBJECT_GETS)
def test_one_object_refuses_the_lists_filters(client, world, endpoint, filters):  # noqa: F811
    """/tickets/5/?status=closed answered 404 when ticket 5 was open: the list's filters
    narrowed get_object's lookup, telling a client the ticket did not exist."""
    _root(client)
    path, _dummy = _path(endpoint, world)
    query = {**world.query.get(endpoint.name, {}), **dict.fromkeys(filters, "zz")}
    response = _call(client, "GET", path, query)
    assert response.status_code == 400, f"GET {path}?{filters}: {_describe(response)}"
    error = response.json()["error"]
    assert error["code"] == "unknown_parameter", _describe(response)
    assert error["detail"]["unknown"] == filters
    assert not set(filters) & set(error["detail"]["allowed"])


def _root(client):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("zz-root", password="x")
    client.force_login(root)
    return root


@pytest.mark.django_db
def test_a_ticket_is_not_narrowed_out_by_a_status(client, world):  # noqa: F811
    _root(client)
    ticket = world.ticket
    other = "closed" if ticket.status != "closed" else "accepted"
    response = client.get(f"/api/v1/tickets/{ticket.pk}/", {"status": other})
    assert response.status_code == 400, _describe(response)
    error = response.json()["error"]
    assert error["code"] == "unknown_parameter"
    assert error["detail"] == {"unknown": ["status"], "allowed": ["format"]}
    # Nothing reads it here: not the ticket lists' "no filter reads it, the answer would
    # hold more than asked for", which is a list's.
    assert "nothing here reads it" in error["message_en"], error
    # The list still filters by it, and the ticket itself is there without it.
    listed = client.get("/api/v1/tickets/", {"status": ticket.status})
    assert listed.status_code == 200, _describe(listed)
    assert ticket.pk in {row["id"] for row in listed.json()["results"]}
    assert client.get(f"/api/v1/tickets/{ticket.pk}/", {"format": "json"}).status_code == 200


@pytest.mark.django_db
def test_a_places_detail_refuses_a_level(client, world):  # noqa: F811
    """Public, read without signing in: ?level=district answered 404 for a grid."""
    response = client.get(f"/api/v1/places/{world.grid_a.code}/", {"level": "district"})
    assert response.status_code == 400, _describe(response)
    assert response.json()["error"]["detail"]["unknown"] == ["level"]
    assert client.get("/api/v1/places/", {"level": "district"}).status_code == 200


@pytest.mark.django_db
def test_an_actions_own_parameter_is_still_read(client, world):  # noqa: F811
    from gridgov.people.models import AccessLog

    _root(client)
    response = client.get(f"/api/v1/tickets/{world.ticket.pk}/requester/", {"purpose": "回访核实"})
    assert response.status_code == 200, _describe(response)
    response = client.get(
        f"/api/v1/people/{world.person.pk}/personal-data/", {"purpose": "入户核实"}
    )
    assert response.status_code == 200, _describe(response)
    purposes = set(AccessLog.objects.values_list("purpose", flat=True))
    assert {"回访核实", "入户核实"} <= purposes


@pytest.mark.django_db
def test_a_write_to_one_object_refuses_a_list_filter(client, world):  # noqa: F811
    """Writes pass the same backend (get_object): PATCH routing-rules/5/?category=… wrote
    when the rule had that category and answered 404 when not; now it is a 400 and nothing
    is written either way."""
    _root(client)
    rule = world.rule
    note = rule.note
    response = client.patch(
        f"/api/v1/routing-rules/{rule.pk}/?category={rule.category.code}",
        {"note": "changed"},
        content_type="application/json",
    )
    assert response.status_code == 400, _describe(response)
    assert response.json()["error"]["detail"]["unknown"] == ["category"]
    rule.refresh_from_db()
    assert rule.note == note
