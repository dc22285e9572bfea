"""Bad input: the spec's error document with a useful description, and nothing written."""

import pytest
from django.utils import timezone

from gridgov.open311 import keys
from gridgov.open311.models import Jurisdiction, Submission
from gridgov.tickets.models import Channel, Ticket
from tests.places.factories import make_tree

from .helpers import BASE, errors, open311_world, post_data

pytestmark = pytest.mark.django_db
FORMATS = ["xml", "json"]


@pytest.fixture
def w():
    return open311_world()


def refused(client, w, fmt, status, **overrides):
    before = (Ticket.objects.count(), Submission.objects.count())
    response = client.post(f"{BASE}requests.{fmt}", post_data(w, **overrides))
    messages = errors(response, fmt, status)
    assert (Ticket.objects.count(), Submission.objects.count()) == before
    return " ".join(messages)


@pytest.mark.parametrize("fmt", FORMATS)
def test_keys(client, w, fmt):
    assert "required" in refused(client, w, fmt, 403, api_key=None)
    assert "Invalid api_key" in refused(client, w, fmt, 403, api_key="guess")
    keys.revoke(w.key)
    assert "revoked" in refused(client, w, fmt, 403)


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_code(client, w, fmt):
    assert "service_code is required" in refused(client, w, fmt, 400, service_code=None)
    assert "NOPE" in refused(client, w, fmt, 400, service_code="NOPE")
    # A category staff did not mark public cannot be filed through Open311.
    assert w.unlicensed.code in refused(client, w, fmt, 400, service_code=w.unlicensed.code)


@pytest.mark.parametrize("fmt", FORMATS)
def test_location(client, w, fmt):
    message = refused(client, w, fmt, 400, address_string=None)
    assert "lat and long, address_string or address_id" in message
    assert "go together" in refused(client, w, fmt, 400, address_string=None, lat="39.9")
    message = refused(client, w, fmt, 400, address_string=None, lat="91", long="116.3")
    assert "lat must be a number from -90 to 90, not 91" in message
    message = refused(client, w, fmt, 400, address_string=None, lat="39.9", long="-181")
    assert "long must be a number from -180 to 180" in message
    assert "lat must be" in refused(client, w, fmt, 400, lat="north", long="1")
    assert "lat must be" in refused(client, w, fmt, 400, lat="nan", long="1")
    # A point outside every grid: intake's own check, named by the parameter.
    message = refused(client, w, fmt, 400, address_string=None, lat="10", long="10")
    assert message.startswith("lat/long: ")
    # An address naming a district that is not ours: intake's own check too.
    message = refused(client, w, fmt, 400, address_string="北京市朝阳区建国路88号")
    assert message.startswith("address_string: ") and "北京市朝阳区" in message
    assert "NOPE" in refused(client, w, fmt, 400, address_string=None, address_id="NOPE")
    # address_id is a building code, not any place.
    refused(client, w, fmt, 400, address_string=None, address_id=w.grid_a.code)


@pytest.mark.parametrize("fmt", FORMATS)
def test_description_and_attributes(client, w, fmt):
    message = refused(client, w, fmt, 400, description="长" * 4001)
    assert "at most 4,000 characters; it has 4,001" in message
    message = refused(client, w, fmt, 400, **{"attribute[urgency]": "soon"})
    assert "attribute[urgency] must be one of emergency, utility, general, complex" in message
    message = refused(client, w, fmt, 400, **{"attribute[colour]": "red"})
    assert "Unknown attribute[colour]" in message
    assert "media_url" in refused(client, w, fmt, 400, media_url="ftp://x/y.jpg")


@pytest.mark.parametrize("fmt", FORMATS)
def test_help_needs_a_phone_says_which_parameter(client, w, fmt):
    message = refused(client, w, fmt, 400, phone=None)
    assert message.startswith("phone: ")
    message = refused(client, w, fmt, 400, phone="call me")
    assert message.startswith("phone: ")


def test_several_errors_are_listed_one_by_one(client, w):
    response = client.post(
        f"{BASE}requests.xml",
        post_data(w, service_code=None, address_string=None, description="x" * 4001),
    )
    assert len(errors(response, "xml", 400)) == 3


def test_a_description_of_exactly_4000_characters_is_taken(client, w):
    response = client.post(f"{BASE}requests.json", post_data(w, description="长" * 4000))
    assert response.status_code == 201


def _second_street(w):
    other = make_tree(key="2", district=w.district, origin=(116.40, 39.90))
    return other


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdictions(client, w, fmt):
    other = _second_street(w)
    assert "Unknown jurisdiction_id NOPE" in refused(client, w, fmt, 404, jurisdiction_id="NOPE")
    # A street's code is its jurisdiction_id by default; the location must lie inside it.
    s1_point = {"address_string": None, "lat": "39.905", "long": "116.303"}
    message = refused(client, w, fmt, 400, jurisdiction_id=other.street.code, **s1_point)
    assert "outside jurisdiction S2" in message
    bound, raw = keys.issue_key(
        name="街道应用", channel=Channel.WECHAT, jurisdiction=keys.find_jurisdiction("S2")
    )
    message = refused(client, w, fmt, 403, api_key=raw, jurisdiction_id=w.street.code, **s1_point)
    assert "only submit requests in jurisdiction S2" in message
    # Bound to S2, a key cannot file in S1 even without naming a jurisdiction.
    message = refused(client, w, fmt, 400, api_key=raw, **s1_point)
    assert "outside jurisdiction S2" in message
    ok = client.post(
        f"{BASE}requests.{fmt}",
        post_data(w, api_key=raw, address_string=None, address_id=other.buildings[0].code),
    )
    assert ok.status_code == 201
    assert Submission.objects.get().jurisdiction.identifier == "S2"
    # An address that names no single building in the jurisdiction goes to its dispatch desk.
    desk = client.post(f"{BASE}requests.{fmt}", post_data(w, api_key=raw, address_string="某处"))
    assert desk.status_code == 201
    ticket = Submission.objects.get(ticket__address="某处").ticket
    assert ticket.place == other.street and ticket.owner_place == other.street


def test_an_inactive_jurisdiction_is_unknown(client, w):
    Jurisdiction.objects.create(identifier="heping", name="和平", place=w.street, active=False)
    errors(client.get(f"{BASE}services.json?jurisdiction_id=heping"), "json", 404)
    # Once the street has a jurisdiction of its own, its code no longer names one.
    errors(client.get(f"{BASE}services.json?jurisdiction_id={w.street.code}"), "json", 404)


def test_oversized_idempotency_key(client, w):
    response = client.post(f"{BASE}requests.json", post_data(w), HTTP_IDEMPOTENCY_KEY="k" * 101)
    errors(response, "json", 400)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_parameters(client, w, fmt):
    def bad(query, status=400):
        return " ".join(errors(client.get(f"{BASE}requests.{fmt}?{query}"), fmt, status))

    assert "may span at most 90 days" in bad("start_date=2026-01-01&end_date=2026-06-01")
    assert "end_date is before start_date" in bad("start_date=2026-06-01&end_date=2026-01-01")
    assert "start_date must be a date and time in ISO 8601" in bad("start_date=yesterday")
    assert "status must be open or closed, not pending" in bad("status=pending")
    assert "service_code NOPE" in bad("service_code=NOPE")
    assert "page_size must be a whole number from 1 to 1000" in bad("page_size=1001")
    assert "page must be" in bad("page=0")
    assert "updated_before is before updated_after" in bad(
        "updated_after=2026-06-01T00:00:00Z&updated_before=2026-01-01T00:00:00Z"
    )
    assert "Unknown jurisdiction_id" in bad("jurisdiction_id=NOPE", 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_method_and_get_with_a_bad_key(client, w, fmt):
    response = client.post(f"{BASE}services.{fmt}", {"api_key": w.raw_key})
    errors(response, fmt, 405)
    assert response["Allow"] == "GET, HEAD"
    errors(client.get(f"{BASE}services.{fmt}?api_key=guess"), fmt, 403)


def test_error_descriptions_follow_accept_language(client, w):
    [zh] = errors(
        client.get(f"{BASE}requests.json?status=x", HTTP_ACCEPT_LANGUAGE="zh-hans"), "json", 400
    )
    [en] = errors(
        client.get(f"{BASE}requests.json?status=x", HTTP_ACCEPT_LANGUAGE="en"), "json", 400
    )
    assert en.startswith("status must be open or closed")
    assert zh != en and "status" in zh


def test_times_in_the_request_are_read_in_china_time(client, w):
    # A naive datetime is China time: a ticket created now is inside today's window.
    client.post(f"{BASE}requests.json", post_data(w))
    today = timezone.localdate().isoformat()
    response = client.get(f"{BASE}requests.json?start_date={today}T00:00:00")
    assert len(response.json()) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_json_body_is_refused_as_such_not_as_a_missing_key(client, w, fmt):
    """GeoReport v2 POSTs form fields; a JSON body (wx.request's default) was not read, so
    the caller was told the api_key it had sent was missing."""
    before = (Ticket.objects.count(), Submission.objects.count())
    data = {k: v for k, v in post_data(w).items() if v is not None}
    response = client.post(
        f"{BASE}requests.{fmt}",
        data,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    (message,) = errors(response, fmt, 415)
    assert "form fields" in message and "application/json" in message
    assert (Ticket.objects.count(), Submission.objects.count()) == before
    # Form fields, and a POST whose parameters are all in the URL, are read as before.
    assert client.post(f"{BASE}requests.{fmt}", data).status_code == 201
    bare = client.post(f"{BASE}requests.{fmt}?api_key={w.raw_key}", HTTP_ACCEPT_LANGUAGE="en")
    assert "service_code is required" in " ".join(errors(bare, fmt, 400))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["discovery", "services", "requests"])
def test_head_is_answered_wherever_get_is(client, w, fmt, path):
    """HTTP servers must support HEAD where they support GET (RFC 9110 §9.1); it was a 405."""
    got = client.get(f"{BASE}{path}.{fmt}")
    head = client.head(f"{BASE}{path}.{fmt}")
    assert head.status_code == got.status_code == 200
    assert head["Content-Type"] == got["Content-Type"]
    assert head.content == b""  # the test client drops the body, as a server does
    response = client.options(f"{BASE}{path}.{fmt}")
    errors(response, fmt, 405)
    allowed = "GET, POST, HEAD" if path == "requests" else "GET, HEAD"
    assert response["Allow"] == allowed
