"""An external integrator's first day with the tickets API: the answers match the OpenAPI
schema that client generators read, and bad parameters are refused with a 400 naming
them instead of being ignored."""

import jsonschema
import pytest
from rest_framework.test import APIClient

from gridgov.tickets.models import Ticket

from .factories import make_ticket, make_world, ticket_data

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.fixture
def world():
    return make_world()


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _json_schema(node):
    """OpenAPI 3.0 → JSON Schema: `nullable` becomes a null alternative, refs point home."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = "#/definitions/" + value.rsplit("/", 1)[-1]
        else:
            out[key] = _json_schema(value)
    if out.pop("nullable", False):
        out = {"anyOf": [{"type": "null"}, out]}
    return out


@pytest.fixture
def conforms(client):
    """conforms(path_template, method, status, body): the body against the schema."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    definitions = _json_schema(schema["components"]["schemas"])

    def check(path, method, status, body):
        response = schema["paths"][path][method]["responses"][str(status)]
        wanted = _json_schema(response["content"]["application/json"]["schema"])
        errors = jsonschema.Draft7Validator({**wanted, "definitions": definitions}).iter_errors(
            body
        )
        return [f"{list(e.absolute_path)}: {e.message}" for e in errors]

    return check


def test_ticket_answers_match_the_openapi_schema(world, conforms):
    """merged_into is null on every ticket not merged: the schema said string, so a
    generated client (openapi-generator, NSwag) failed on the very first intake."""
    hotline = client_for(world.hotline)
    created = hotline.post(TICKETS, ticket_data(category=world.corridor.code), format="json")
    assert created.status_code == 201
    assert created.json()["merged_into"] is None
    assert conforms("/api/v1/tickets/", "post", 201, created.json()) == []

    ticket_id = created.json()["id"]
    detail = client_for(world.gridworker_a).get(f"{TICKETS}{ticket_id}/")
    assert conforms("/api/v1/tickets/{id}/", "get", 200, detail.json()) == []
    accepted = client_for(world.gridworker_a).post(
        f"{TICKETS}{ticket_id}/accept/", {}, format="json"
    )
    assert accepted.status_code == 200
    assert conforms("/api/v1/tickets/{id}/accept/", "post", 200, accepted.json()) == []

    listed = hotline.get(TICKETS)
    assert conforms("/api/v1/tickets/", "get", 200, listed.json()) == []


def test_merged_into_is_the_surviving_tickets_code(world):
    survivor = make_ticket(world)
    duplicate = make_ticket(world)
    answer = client_for(world.hotline).post(
        f"{TICKETS}{duplicate.pk}/merge/", {"into": survivor.code}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["ticket"]["merged_into"] == survivor.code
    assert Ticket.objects.get(pk=duplicate.pk).merged_into_id == survivor.pk


@pytest.mark.parametrize(
    "params, field",
    [
        ({"overdue": "yes"}, "overdue"),
        ({"overdue": "maybe"}, "overdue"),
        ({"category": "NOPE"}, "category"),
        ({"unit": "NOPE"}, "unit"),
        ({"place": "NOPE"}, "place"),
        ({"status": "dispatched", "overdue": "yes"}, "overdue"),
    ],
)
def test_a_list_filter_with_a_bad_value_is_a_400_naming_it(world, params, field):
    """overdue=yes used to be read as "not given" (every ticket listed, as if all were
    overdue), and a mistyped code answered an empty page; both now say what is wrong."""
    make_ticket(world)
    for url in (TICKETS, f"{TICKETS}export.xlsx"):
        response = client_for(world.street_staff).get(url, params)
        assert response.status_code == 400, (url, params)
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert list(error["detail"]) == [field]


def test_list_filters_read_true_false_one_zero_and_known_codes(world):
    ticket = make_ticket(world)
    staff = client_for(world.street_staff)
    for value in ("true", "True", "1"):
        assert staff.get(TICKETS, {"overdue": value}).json()["count"] == 0
    for value in ("false", "FALSE", "0"):
        assert staff.get(TICKETS, {"overdue": value}).json()["count"] == 1
    for params in (
        {"category": "GE"},
        {"unit": world.grid_a.code},
        {"place": world.street.code},
    ):
        found = staff.get(TICKETS, params).json()["results"]
        assert [row["id"] for row in found] == [ticket.pk], params


def test_a_bad_filter_message_is_in_the_request_language(world):
    response = client_for(world.street_staff).get(TICKETS, {"overdue": "yes"})
    assert response.json()["error"]["detail"]["overdue"] == ["请填写 true 或 false，而不是 yes。"]
    response = client_for(world.street_staff).get(
        TICKETS, {"unit": "NOPE"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json()["error"]["detail"]["unit"] == ["Unknown unit NOPE."]


@pytest.mark.parametrize("half, missing", [({"lat": 28.1835}, "lng"), ({"lng": 112.96}, "lat")])
def test_half_a_point_is_a_400_on_the_missing_half(world, half, missing):
    """lat without lng was a 400 on "location" in English ("coordinates must be numbers:
    28.1835, None"); a mini-program that lost one half of its point could not tell which."""
    data = ticket_data(**half)
    del data["address"]
    before = Ticket.objects.count()
    response = client_for(world.hotline).post(TICKETS, data, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["detail"] == {missing: ["lat 和 lng 须同时提供。"]}
    assert Ticket.objects.count() == before


@pytest.mark.parametrize("action", ["dispatch", "designate"])
def test_dispatch_to_a_unit_and_a_department_at_once_is_a_400(world, action):
    """Both given, the department won without a word."""
    ticket = make_ticket(world)
    version = Ticket.objects.get(pk=ticket.pk).version
    response = client_for(world.street_staff).post(
        f"{TICKETS}{ticket.pk}/{action}/",
        {"unit": world.grid_a.code, "department": "CG"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["detail"]) == ["department"]
    assert Ticket.objects.get(pk=ticket.pk).version == version


def test_a_reused_idempotency_key_names_the_ticket_it_filed_in_detail(world):
    """The 422 named the ticket only inside its message; a 12345 bridge retrying with a key
    it had reused needs the id to follow up, not a sentence to parse."""
    hotline = client_for(world.hotline)
    first = hotline.post(
        TICKETS, ticket_data(), format="json", HTTP_IDEMPOTENCY_KEY="call-0042"
    ).json()
    response = hotline.post(
        TICKETS, ticket_data(title="另一件事"), format="json", HTTP_IDEMPOTENCY_KEY="call-0042"
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert error["detail"] == {"ticket": {"id": first["id"], "code": first["code"]}}


def test_updated_after_lists_what_changed_since_the_last_pull(world):
    """A 12345 bridge pulls status changes; updated_after (as Open311 has it) was ignored,
    so the whole area came back on every pull."""
    import datetime as dt

    from django.utils import timezone

    from gridgov.tickets.lifecycle import perform

    quiet, busy = make_ticket(world), make_ticket(world)
    later = timezone.now() + dt.timedelta(hours=2)
    perform(busy, "accept", world.gridworker_a, now=later)
    staff = client_for(world.street_staff)
    cut = (later - dt.timedelta(minutes=1)).isoformat()
    found = staff.get(TICKETS, {"updated_after": cut}).json()["results"]
    assert [row["id"] for row in found] == [busy.pk]
    found = staff.get(TICKETS, {"updated_before": cut}).json()["results"]
    assert [row["id"] for row in found] == [quiet.pk]
    found = staff.get(TICKETS, {"ordering": "-updated_at"}).json()["results"]
    assert [row["id"] for row in found] == [busy.pk, quiet.pk]
    assert staff.get(TICKETS, {"updated_after": "yesterday"}).status_code == 400


def test_a_date_offset_whose_plus_came_as_a_space_is_read(world):
    """…T00:00:00+08:00 typed into a URL unencoded arrives as "…T00:00:00 08:00": Open311
    read it, the tickets API refused it with only "enter a valid date/time"."""
    import datetime as dt

    from django.utils import timezone

    ticket = make_ticket(world)
    staff = client_for(world.street_staff)
    start = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    for raw in (f"{start} 08:00", f"{start}+08:00", f"{start} 0800"):
        response = staff.get(f"{TICKETS}?created_after={raw}")
        assert response.status_code == 200, (raw, response.json())
        assert [row["id"] for row in response.json()["results"]] == [ticket.pk]
    refused = staff.get(TICKETS, {"updated_after": "29/11/2026"})
    assert refused.status_code == 400
    assert "ISO 8601" in refused.json()["error"]["detail"]["updated_after"][0]
    assert "%2B" in refused.json()["error"]["detail"]["updated_after"][0]


def test_a_requester_rating_too_early_is_told_why_not_the_staff_actions(world):
    """The 409 of 评价 on a demand not yet resolved listed `allowed`: accept, return,
    supervise, escalate, whistle, merge — the internal acts 我的诉求 keeps to itself."""
    from tests.people.factories import PersonFactory

    from .factories import reported_by_resident

    world.person = PersonFactory(user=world.resident, place=world.buildings[0], name="刘居民")
    ticket = reported_by_resident(world)
    api = client_for(world.resident)
    response = api.post(
        f"{TICKETS}mine/{ticket.code}/rate/",
        {"resolved": True, "satisfaction": "satisfied"},
        format="json",
    )
    assert response.status_code == 409
    detail = response.json()["error"]["detail"]
    assert set(detail) == {"reason", "status"}
    assert detail["status"] == Ticket.objects.get(pk=ticket.pk).status


def test_the_schema_groups_the_tickets_operations_and_says_how_to_sign_in(client):
    """/api/docs/ listed every operation of every module under one "v1" heading, and its
    description spoke of places, people and permissions only."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    tags = {
        (path, method): operation["tags"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "tags" in operation
    }
    assert tags[("/api/v1/tickets/", "post")] == ["tickets"]
    assert tags[("/api/v1/tickets/{id}/dispatch/", "post")] == ["tickets"]
    assert tags[("/api/v1/tickets/mine/{code}/rate/", "post")] == ["tickets"]
    assert tags[("/api/v1/kpis/", "get")] == ["kpis"]
    assert "/api/v1/auth/token/" in schema["info"]["description"]
    assert "/open311/v2/" in schema["info"]["description"]
