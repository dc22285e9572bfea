"""The OpenAPI schema declares every query parameter a GET of /api/v1/ reads.

Since b0d18da a GET refuses any query parameter it does not read (400 unknown_parameter,
its detail.allowed naming those it does), so a parameter missing from /api/schema/ is one
a client generated from the schema can never send (insights/hot-issues/?state= was).
The allowed list is read from the view itself, as tests/test_unknown_parameters.py does:
a superuser's GET with a made-up parameter. DRF's `format` override is left out: every
view accepts it and no operation declares it; page and page_size are declared by the
paginator's schema and are checked like any other.

A viewset's detail route (retrieve) no longer accepts its list's filters (get_object runs
them, api.params.KnownParamsFilterBackend refuses them there): the schema declares them on
the list only, and a detail's allowed list is checked like any other.
"""

import pytest

from tests.test_endpoint_access import _call, _describe, _path, world  # noqa: F401
from tests.test_unknown_parameters import GETS, UNKNOWN

# Accepted everywhere (DRF's URL_FORMAT_OVERRIDE), declared nowhere.
UNDECLARED = {"format"}


def _template(endpoint):
    """The schema's path for an endpoint: /api/v1/places/{code}/; drf-spectacular names a
    viewset's <pk> {id} (SCHEMA_COERCE_PATH_PK)."""
    return endpoint.label.replace("<pk>", "<id>").replace("<", "{").replace(">", "}")


@pytest.fixture(scope="module")
def schema_paths():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)["paths"]


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", GETS)
def test_every_accepted_parameter_is_in_the_schema(client, world, schema_paths, endpoint):  # noqa: F811
    from django.contrib.auth import get_user_model

    operation = schema_paths.get(_template(endpoint), {}).get("get")
    assert operation is not None, f"GET {_template(endpoint)} is not in the schema"
    root = get_user_model().objects.create_superuser("zz-root", password="x")
    client.force_login(root)
    path, _dummy = _path(endpoint, world)
    query = {**world.query.get(endpoint.name, {}), UNKNOWN: "1"}
    response = _call(client, "GET", path, query)
    assert response.status_code == 400, _describe(response)
    allowed = set(response.json()["error"]["detail"]["allowed"]) - UNDECLARED
    declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    assert allowed <= declared, f"GET {endpoint.label}: not in the schema: {allowed - declared}"
    # Nor the other way: a list's filters declared on a detail route would be refused there.
    refused = declared - allowed - UNDECLARED
    assert not refused, f"GET {endpoint.label}: refused, yet declared: {refused}"


def test_every_get_of_the_schema_is_swept(schema_paths):
    templates = {_template(param.values[0]) for param in GETS}
    in_schema = {p for p, ops in schema_paths.items() if p.startswith("/api/v1/") and "get" in ops}
    assert in_schema <= templates, in_schema - templates
    for path in ("/api/v1/insights/hot-issues/", "/api/v1/insights/monthly-topic/"):
        assert path in templates and "get" in schema_paths[path], path
