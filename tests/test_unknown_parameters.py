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
