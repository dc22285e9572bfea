"""POST requests says when the point sent was not taken: with an address (or address_id)
naming a building of ours, a lat/long outside our area or in another grid leaves the
request at the building's point (intake.points_off_grid). GeoReport v2's POST answer has
`service_notice` for what will be done about what was reported; the note the API and the
随手拍 page give (intake.reported_point_note) follows the deadline there, in the
request's language. A point that is taken changes nothing."""

import pytest
from django.test import Client

from gridgov.open311 import documents
from gridgov.tickets.models import Ticket
from tests.tickets.test_point_and_address import ADDRESS, OTHER_GRID, OUTSIDE, SAME_GRID

from .helpers import BASE, open311_world, parse_json, parse_xml, post_data, tags

pytestmark = pytest.mark.django_db

NOTE_ZH = {
    "outside": "上报的位置（39.950, 116.500）不在本辖区内：工单按地址定位到魏家坡小区3栋，"
    "位置取该楼栋的坐标；上报的位置已记入工单受理记录。",
    "other_grid": "上报的位置（39.905, 116.315）在幸福里小区，不在地址所指的魏家坡小区3栋所在网格："
    "工单按地址定位，位置取该楼栋的坐标；上报的位置已记入工单受理记录。",
}
NOTE_EN = {
    "outside": "The position sent (39.950, 116.500) is outside our area: the ticket is "
    "located by the address, at 魏家坡小区3栋, and takes that building's position; the "
    "position sent is kept in the ticket's record.",
    "other_grid": "The position sent (39.905, 116.315) is in 幸福里小区, not in the grid of "
    "魏家坡小区3栋 named by the address: the ticket is located by the address and takes "
    "that building's position; the position sent is kept in the ticket's record.",
}
POINTS = {"outside": OUTSIDE, "other_grid": OTHER_GRID}


@pytest.fixture
def w():
    return open311_world()


def _post(w, fmt, point, language="zh-hans", **extra):
    data = post_data(w, address_string=ADDRESS, lat=str(point[0]), long=str(point[1]))
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    return client.post(f"{BASE}requests.{fmt}", data, **extra)


def _created(response, fmt):
    """The POST answer's one request as {tag: text}, checking the spec's element names."""
    if fmt == "json":
        [created] = parse_json(response)
        return created
    root = parse_xml(response)
    assert root.tag == "service_requests" and tags(root) == ["request"]
    return {child.tag: child.text for child in root[0]}


def _deadline_notice(code, language):
    from django.utils import translation

    with translation.override(language):
        return documents.service_notice(Ticket.objects.get(code=code))


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("case", POINTS)
def test_the_post_answer_says_the_point_sent_was_not_taken(w, fmt, case):
    response = _post(w, fmt, POINTS[case])
    assert response.status_code == 201, response.content.decode()
    created = _created(response, fmt)
    assert set(created) == {"service_request_id", "token", "service_notice", "account_id"}
    deadline = _deadline_notice(created["service_request_id"], "zh-hans")
    assert deadline.startswith("已受理，办结时限")
    assert created["service_notice"] == deadline + NOTE_ZH[case]
    # The request itself still shows the deadline alone (and the building's point).
    shown = parse_json(Client().get(f"{BASE}requests/{created['service_request_id']}.json"))
    assert shown[0]["service_notice"] == deadline


@pytest.mark.parametrize("case", POINTS)
def test_the_note_follows_the_requests_language(w, case):
    created = _created(_post(w, "json", POINTS[case], language="en"), "json")
    deadline = _deadline_notice(created["service_request_id"], "en")
    assert deadline.startswith("Received; to be resolved by")
    assert created["service_notice"] == f"{deadline} {NOTE_EN[case]}"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_point_in_the_buildings_grid_answers_as_before(w, fmt):
    created = _created(_post(w, fmt, SAME_GRID), fmt)
    deadline = _deadline_notice(created["service_request_id"], "zh-hans")
    assert created["service_notice"] == deadline


def test_an_address_id_with_an_outside_point_says_so_too(w):
    building = w.buildings[2]  # 幸福里小区, grid G1b
    data = post_data(w, address_string=None, address_id=building.code, lat="39.95", long="116.5")
    response = Client().post(f"{BASE}requests.json", data)
    assert response.status_code == 201, response.content.decode()
    notice = parse_json(response)[0]["service_notice"]
    where = building.address or building.name
    assert notice.endswith(
        f"上报的位置（39.950, 116.500）不在本辖区内：工单按地址定位到{where}，"
        "位置取该楼栋的坐标；上报的位置已记入工单受理记录。"
    )


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_idempotent_replay_answers_the_same_notice(w, fmt):
    first = _post(w, fmt, OUTSIDE, HTTP_IDEMPOTENCY_KEY="k-notice")
    again = _post(w, fmt, OUTSIDE, HTTP_IDEMPOTENCY_KEY="k-notice")
    assert (first.status_code, again.status_code) == (201, 200)
    assert _created(again, fmt) == _created(first, fmt)
    assert NOTE_ZH["outside"] in _created(again, fmt)["service_notice"]
    assert Ticket.objects.count() == 1
