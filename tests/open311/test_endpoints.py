"""Every GeoReport v2 endpoint in XML and JSON: element names as in the spec."""

import re

import pytest

from gridgov.open311.models import Submission
from gridgov.tickets.models import Category, Ticket

from .helpers import (
    ATTRIBUTE,
    BASE,
    CREATED,
    DEFINITION,
    DISCOVERY,
    ENDPOINT,
    NOTE,
    REQUEST,
    SERVICE,
    TOKEN,
    VALUE,
    errors,
    open311_world,
    parse_json,
    parse_xml,
    post_data,
    request_fields,
    tags,
)

pytestmark = pytest.mark.django_db
FORMATS = ["xml", "json"]
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


@pytest.fixture
def w():
    return open311_world()


def post(client, w, fmt="json", **overrides):
    return client.post(f"{BASE}requests.{fmt}", post_data(w, **overrides))


def created_id(response, fmt):
    assert response.status_code in (200, 201), response.content.decode()
    if fmt == "xml":
        root = parse_xml(response)
        return root.find("request").findtext("service_request_id")
    return parse_json(response)[0]["service_request_id"]


# --- discovery -------------------------------------------------------------------------


def test_discovery_xml(client, w):
    root = parse_xml(client.get(f"{BASE}discovery.xml"))
    assert root.tag == "discovery"
    assert set(tags(root)) == DISCOVERY
    endpoints = root.find("endpoints")
    assert tags(endpoints) == ["endpoint"]
    endpoint = endpoints.find("endpoint")
    assert set(tags(endpoint)) == ENDPOINT
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert [f.tag for f in endpoint.find("formats")] == ["format", "format"]
    assert {f.text for f in endpoint.find("formats")} == {"text/xml", "application/json"}
    assert "/open311/v2/keys/" in root.findtext("key_service")


def test_discovery_json(client, w):
    data = parse_json(client.get(f"{BASE}discovery.json"))
    assert set(data) == DISCOVERY
    assert set(data["endpoints"][0]) == ENDPOINT
    assert data["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert OFFSET.match(data["changeset"])


# --- services ------------------------------------------------------------------------


def test_services_xml_lists_public_categories_in_chinese(client, w):
    root = parse_xml(client.get(f"{BASE}services.xml"))
    assert root.tag == "services"
    assert set(tags(root)) == {"service"}
    public = Category.objects.filter(public=True, active=True, private=False)
    assert len(root) == public.count()
    assert "纪检监察" not in {s.findtext("service_name") for s in root}  # a private matter
    by_code = {}
    for service in root:
        assert tags(service) == [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ]
        by_code[service.findtext("service_code")] = service
    corridor = by_code[w.corridor.code]
    assert corridor.findtext("service_name") == "楼道堆物"
    assert corridor.findtext("group") == "网格事件"
    assert corridor.findtext("metadata") == "true"
    assert corridor.findtext("type") == "realtime"
    assert "楼道" in corridor.findtext("keywords")
    assert "+" not in corridor.findtext("keywords")  # its co-occurrences are the classifier's
    top = by_code["C01"]
    assert top.findtext("group") == top.findtext("service_name") == "城乡建设"
    # A category staff did not mark public is not a service.
    assert w.unlicensed.code not in by_code


def test_services_json(client, w):
    data = parse_json(client.get(f"{BASE}services.json"))
    assert all(set(s) == SERVICE for s in data)
    assert {s["service_code"] for s in data} == set(
        Category.objects.filter(public=True, active=True, private=False).values_list(
            "code", flat=True
        )
    )
    assert all(s["metadata"] is True for s in data)


def test_a_category_staff_unmark_disappears(client, w):
    Category.objects.filter(pk=w.corridor.pk).update(public=False)
    data = parse_json(client.get(f"{BASE}services.json"))
    assert w.corridor.code not in {s["service_code"] for s in data}


def test_service_definition_xml(client, w):
    root = parse_xml(client.get(f"{BASE}services/{w.corridor.code}.xml"))
    assert root.tag == "service_definition"
    assert set(tags(root)) == DEFINITION
    assert root.findtext("service_code") == w.corridor.code
    attributes = root.find("attributes")
    assert set(tags(attributes)) == {"attribute"}
    codes = []
    for attribute in attributes:
        assert set(tags(attribute)) == ATTRIBUTE
        assert attribute.findtext("datatype") == "singlevaluelist"
        assert attribute.findtext("variable") == "true"
        assert attribute.findtext("required") == "false"
        values = attribute.find("values")
        assert set(tags(values)) == {"value"}
        assert all(tags(v) == ["key", "name"] for v in values)
        codes.append((attribute.findtext("code"), [v.findtext("key") for v in values]))
    assert codes == [
        ("urgency", ["emergency", "utility", "general", "complex"]),
        ("nature", ["consult", "help", "complaint", "report", "suggest", "praise"]),
    ]


def test_service_definition_json(client, w):
    url = f"{BASE}services/{w.corridor.code}.json"
    data = parse_json(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert set(data) == DEFINITION
    assert [a["order"] for a in data["attributes"]] == [1, 2]
    for attribute in data["attributes"]:
        assert set(attribute) == ATTRIBUTE
        assert all(set(v) == VALUE for v in attribute["values"])
    names = {v["key"]: v["name"] for v in data["attributes"][0]["values"]}
    assert names["emergency"] == "紧急（生命财产安全）"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_or_private_service_is_404(client, w, fmt):
    for code in ("NOPE", w.unlicensed.code):
        [message] = errors(client.get(f"{BASE}services/{code}.{fmt}"), fmt, 404)
        assert code in message


# --- POST requests, tokens --------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_creates_a_ticket_through_intake(client, w, fmt):
    response = post(client, w, fmt)
    assert response.status_code == 201
    if fmt == "xml":
        root = parse_xml(response)
        assert root.tag == "service_requests"
        assert tags(root) == ["request"]
        fields = request_fields(root.find("request"))
    else:
        [fields] = parse_json(response)
    assert set(fields) == CREATED
    assert fields["account_id"] is None
    ticket = Ticket.objects.get(code=fields["service_request_id"])
    # Intake did its work: channel of the key, routing, deadlines, the parameters mapped.
    assert ticket.channel == "wechat"
    assert ticket.category == w.corridor
    assert ticket.nature == "help"
    assert ticket.urgency == w.corridor.default_urgency
    assert ticket.requester_name == "张三" and ticket.requester_phone == "13812341234"
    assert ticket.title == "3栋楼道里堆满了纸箱和旧家具"
    assert ticket.building == w.buildings[0] and ticket.grid == w.grid_a
    assert ticket.owner_place == w.grid_a and ticket.status == "dispatched"
    assert ticket.resolve_by is not None
    assert ticket.events.filter(action="create").exists()
    submission = Submission.objects.get(ticket=ticket)
    assert submission.token == fields["token"]
    assert submission.media_url == "https://img.example.com/1.jpg"
    assert (submission.email, submission.device_id, submission.account_id) == (
        "zhang@example.com",
        "device-1",
        "acct-9",
    )
    assert "2" in fields["service_notice"]  # "to be resolved by 20xx-…"


def test_post_with_lat_long_and_attributes(client, w):
    response = post(
        client,
        w,
        address_string=None,
        lat="39.905",
        long="116.303",
        **{"attribute[urgency]": "emergency", "attribute[nature]": "report"},
        phone=None,
        first_name=None,
        last_name=None,
    )
    ticket = Ticket.objects.get(code=created_id(response, "json"))
    assert ticket.urgency == "emergency" and ticket.nature == "report"
    assert ticket.grid == w.grid_a and ticket.lat == 39.905
    assert ticket.requester_name == "" and ticket.requester_phone == ""


def test_post_with_address_id_and_no_description(client, w):
    response = post(
        client, w, address_string=None, address_id=w.buildings[2].code, description=None
    )
    ticket = Ticket.objects.get(code=created_id(response, "json"))
    assert ticket.building == w.buildings[2]
    assert ticket.title == ticket.description == "楼道堆物"


def test_post_with_a_western_name(client, w):
    response = post(client, w, first_name="Ada", last_name="Lovelace")
    ticket = Ticket.objects.get(code=created_id(response, "json"))
    assert ticket.requester_name == "Ada Lovelace"


def test_idempotency_key_replays_the_first_ticket(client, w):
    first = client.post(f"{BASE}requests.json", post_data(w), HTTP_IDEMPOTENCY_KEY="abc-1")
    again = client.post(f"{BASE}requests.json", post_data(w), HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 201 and again.status_code == 200
    assert parse_json(first) == parse_json(again)
    assert Ticket.objects.count() == 1 and Submission.objects.count() == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(client, w):
    first = client.post(f"{BASE}requests.json", post_data(w), HTTP_IDEMPOTENCY_KEY="abc-2")
    other = {**post_data(w), "description": "另一件事：路灯不亮。"}
    again = client.post(f"{BASE}requests.json", other, HTTP_IDEMPOTENCY_KEY="abc-2")
    [message] = errors(again, "json", 400)
    assert message.startswith("Idempotency-Key:")
    assert parse_json(first)[0]["service_request_id"] in message
    assert Ticket.objects.count() == 1 and Submission.objects.count() == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_token(client, w, fmt):
    created = parse_json(post(client, w))[0]
    response = client.get(f"{BASE}tokens/{created['token']}.{fmt}")
    assert response.status_code == 200
    if fmt == "xml":
        root = parse_xml(response)
        assert root.tag == "service_requests" and tags(root) == ["request"]
        assert set(tags(root.find("request"))) == TOKEN
        assert root.find("request").findtext("service_request_id") == created["service_request_id"]
    else:
        assert parse_json(response) == [
            {"service_request_id": created["service_request_id"], "token": created["token"]}
        ]
    [message] = errors(client.get(f"{BASE}tokens/not-a-token.{fmt}"), fmt, 404)
    assert "not-a-token" in message


# --- GET requests -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_request_by_id(client, w, fmt):
    code = created_id(post(client, w), "json")
    response = client.get(f"{BASE}requests/{code}.{fmt}")
    assert response.status_code == 200
    if fmt == "xml":
        root = parse_xml(response)
        assert root.tag == "service_requests" and tags(root) == ["request"]
        element = root.find("request")
        assert set(tags(element)) == REQUEST | {"notes"}
        notes = element.find("notes")
        assert set(tags(notes)) == {"note"}
        assert all(set(tags(n)) == NOTE for n in notes)
        fields = request_fields(element)
        note_types = [n.findtext("type") for n in notes]
    else:
        [fields] = parse_json(response)
        assert set(fields) == REQUEST | {"notes"}
        assert all(set(n) == NOTE for n in fields["notes"])
        note_types = [n["type"] for n in fields.pop("notes")]
    assert note_types == ["create", "dispatch"]
    assert fields["service_request_id"] == code
    assert fields["status"] == "open"
    assert fields["service_code"] == w.corridor.code and fields["service_name"] == "楼道堆物"
    assert fields["agency_responsible"] == "魏家坡小区网格"
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert OFFSET.match(fields[name]), fields[name]
    assert fields["media_url"] == "https://img.example.com/1.jpg"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_is_404(client, w, fmt):
    [message] = errors(client.get(f"{BASE}requests/GD19990101-000001.{fmt}"), fmt, 404)
    assert "GD19990101-000001" in message


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_list(client, w, fmt):
    codes = [created_id(post(client, w, description=f"第{i}件事"), "json") for i in range(3)]
    response = client.get(f"{BASE}requests.{fmt}")
    assert response.status_code == 200
    if fmt == "xml":
        root = parse_xml(response)
        assert root.tag == "service_requests" and set(tags(root)) == {"request"}
        assert all(set(tags(r)) == REQUEST for r in root)
        listed = [r.findtext("service_request_id") for r in root]
    else:
        data = parse_json(response)
        assert all(set(r) == REQUEST for r in data)
        listed = [r["service_request_id"] for r in data]
    assert listed == list(reversed(codes))  # newest first


def test_a_first_level_service_lists_the_requests_of_the_services_under_it(client, w):
    """docs/open311.md: service_code=GE (网格事件) takes in its event types, which are
    services of their own; it listed none of their requests."""
    code = created_id(post(client, w), "json")
    group = w.corridor.parent
    assert group.public and w.corridor.public  # two services, one under the other
    for service in (group.code, w.corridor.code, f"{group.code},{w.corridor.code}"):
        response = client.get(f"{BASE}requests.json", {"service_code": service})
        assert [r["service_request_id"] for r in parse_json(response)] == [code], service
    other = Category.objects.filter(depth=1, public=True).exclude(pk=group.pk).first()
    assert parse_json(client.get(f"{BASE}requests.json", {"service_code": other.code})) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_format_is_404_in_the_spec_format(client, w, fmt):
    # (The bare root redirects to discovery.xml: test_root.py.)
    for path in ("services.yaml", "requests.csv", "services", "discovery", "nothing.json"):
        response = client.get(f"{BASE}{path}")
        assert response.status_code == 404
        if path.endswith(".json"):
            errors(response, "json", 404)
        else:
            errors(response, "xml", 404)
