"""A ticket's point and its address agree: when the address (or a building's code) names a
building of ours, the building decides the place, and a point sent with it is the ticket's
only where it lies in that building's grid. A point outside our area or in another grid
(the caller's phone at home, the app's last fix) leaves the ticket with the building's
point; the point sent is kept in the create event (reported_point) and the answer, the
ticket's timeline and the 随手拍 page say so. The same through every way in: the API, the
随手拍 page, Open311 and the 12345 import (intake.points_off_grid)."""

import pytest
from django.urls import reverse
from shapely.geometry import Point, shape

from gridgov.tickets import imports
from gridgov.tickets.models import Ticket
from tests.open311.helpers import BASE, RAW_KEY
from tests.open311.helpers import post_data as open311_data

from .factories import make_world, ticket_data
from .test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db

ADDRESS = "魏家坡小区3栋"  # building B1a3, in grid G1a (魏家坡小区)
OUTSIDE = (39.95, 116.50)  # kilometres from every grid of ours
OTHER_GRID = (39.905, 116.315)  # inside grid G1b (幸福里小区), same street
SAME_GRID = (39.902, 116.308)  # inside grid G1a, not at the building
CASES = {
    "outside": (OUTSIDE, None),
    "other_grid": (OTHER_GRID, "G1b"),
    "same_grid": (SAME_GRID, None),
}


@pytest.fixture
def world():
    from gridgov.open311 import keys
    from gridgov.tickets.models import Channel

    w = make_world()
    w.open311_key, _raw = keys.issue_key(RAW_KEY, name="测试应用", channel=Channel.WECHAT)
    w.raw_key = RAW_KEY
    return w


def _file_by_api(world, point):
    data = ticket_data(
        channel="wechat", address=ADDRESS, lat=point[0], lng=point[1], category=world.corridor.code
    )
    response = client_for(world.hotline).post(TICKETS, data, format="json")
    assert response.status_code == 201, response.content.decode()
    return Ticket.objects.get(pk=response.json()["id"]), response.json()


def _file_by_report_page(world, point, client, key="r-point"):
    client.force_login(world.resident)
    response = client.post(
        reverse("tickets:report"),
        {
            "description": "楼道里堆满了纸箱",
            "lat": point[0],
            "lng": point[1],
            "address": ADDRESS,
            "category": world.corridor.code,
            "idempotency_key": key,
        },
    )
    assert response.status_code == 200, response.content.decode()
    return Ticket.objects.latest("id"), response.content.decode()


def _file_by_open311(world, point, client):
    data = open311_data(world, address_string=ADDRESS, lat=str(point[0]), long=str(point[1]))
    response = client.post(f"{BASE}requests.json", data)
    assert response.status_code == 201, response.content.decode()
    return Ticket.objects.get(code=response.json()[0]["service_request_id"]), None


def _file_by_import(world, point):
    headers = ["受理时间", "诉求标题", "诉求内容", "诉求地址", "来电人", "联系电话"]
    headers += ["诉求类型", "诉求性质", "纬度", "经度"]
    cells = ["2026-03-05 10:00", "楼道堆物", "楼道堆满杂物", ADDRESS, "李四", "13900000000"]
    cells += ["网格事件/楼道堆物", "投诉", str(point[0]), str(point[1])]
    report = imports.import_rows(headers, [(2, cells)], actor=world.street_staff)
    assert report.ok and report.created == 1, report.errors
    return Ticket.objects.get(), None


DOORS = ["api", "report_page", "open311", "import"]


def _file(door, world, point, client):
    if door == "api":
        return _file_by_api(world, point)
    if door == "report_page":
        return _file_by_report_page(world, point, client)
    if door == "open311":
        return _file_by_open311(world, point, client)
    return _file_by_import(world, point)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("door", DOORS)
def test_the_building_decides_and_a_point_outside_its_grid_is_not_the_tickets(
    world, client, door, case
):
    point, grid_code = CASES[case]
    building = world.buildings[0]
    ticket, _answer = _file(door, world, point, client)
    # The address decides the place in every case.
    assert (ticket.building, ticket.grid, ticket.place) == (building, world.grid_a, building)
    created = ticket.events.get(action="create").data
    if case == "same_grid":  # unchanged: the point sent is the ticket's
        assert (ticket.lat, ticket.lng) == point
        assert "reported_point" not in created
    else:
        assert (ticket.lat, ticket.lng) == (building.lat, building.lng)
        assert created["reported_point"] == {"lat": point[0], "lng": point[1], "grid": grid_code}
    # Wherever the ticket is drawn by its point, the point lies in the grid it counts in.
    assert shape(ticket.grid.boundary).contains(Point(ticket.lng, ticket.lat))


@pytest.mark.parametrize("case", ["outside", "other_grid"])
def test_the_api_answer_says_the_point_sent_was_not_taken(world, case):
    point, grid_code = CASES[case]
    ticket, answer = _file_by_api(world, point)
    reported = answer["reported_point"]
    assert (reported["lat"], reported["lng"]) == (round(point[0], 3), round(point[1], 3))
    if grid_code is None:
        assert reported["grid"] is None
        assert reported["note"] == (
            "上报的位置（39.950, 116.500）不在本辖区内：工单按地址定位到魏家坡小区3栋，"
            "位置取该楼栋的坐标；上报的位置已记入工单受理记录。"
        )
    else:
        assert reported["grid"] == {"code": "G1b", "name": "幸福里小区", "level": "grid"}
        assert reported["note"] == (
            "上报的位置（39.905, 116.315）在幸福里小区，不在地址所指的魏家坡小区3栋所在网格："
            "工单按地址定位，位置取该楼栋的坐标；上报的位置已记入工单受理记录。"
        )
    # The create event shows it to three decimals, as a masked point.
    events = client_for(world.hotline).get(f"{TICKETS}{ticket.pk}/events/").json()
    shown = events[0]["data"]["reported_point"]
    assert (shown["lat"], shown["lng"]) == (round(point[0], 3), round(point[1], 3))
    # The ticket's page says it in its timeline.
    from django.test import Client

    page = Client()
    page.force_login(world.hotline)
    html = page.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert reported["note"] in html


def test_a_point_in_the_same_grid_is_answered_as_before(world):
    _ticket, answer = _file_by_api(world, SAME_GRID)
    assert answer["reported_point"] is None


def test_an_idempotent_replay_answers_the_same_reported_point(world):
    data = ticket_data(
        channel="wechat",
        address=ADDRESS,
        lat=OUTSIDE[0],
        lng=OUTSIDE[1],
        category=world.corridor.code,
    )
    api = client_for(world.hotline)
    first = api.post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="k-point")
    again = api.post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="k-point")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["reported_point"] == first.json()["reported_point"] is not None


def test_the_report_page_says_the_position_was_not_taken(world, client):
    _ticket, html = _file_by_report_page(world, OUTSIDE, client)
    assert 'id="location-note"' in html and "不在本辖区内" in html
    _ticket, html = _file_by_report_page(world, SAME_GRID, client, key="r-point-2")
    assert 'id="location-note"' not in html


def test_a_buildings_code_decides_as_its_address_does(world, client):
    """Open311's address_id (and the API's place code) of a building with a point outside:
    it was refused as outside our area while the same building by address was taken."""
    building = world.buildings[2]  # in grid G1b
    data = open311_data(
        world, address_string=None, address_id=building.code, lat="39.95", long="116.5"
    )
    response = client.post(f"{BASE}requests.json", data)
    assert response.status_code == 201, response.content.decode()
    ticket = Ticket.objects.get()
    assert (ticket.building, ticket.lat, ticket.lng) == (building, building.lat, building.lng)
    assert ticket.events.get(action="create").data["reported_point"]["grid"] is None


def test_the_map_counts_each_ticket_in_the_grid_its_point_lies_in(world, client):
    """The open-ticket map counts tickets per grid; the point of each (what Open311 and the
    hot-issue map draw) lies in the grid it is counted in."""
    for n, point in enumerate([OUTSIDE, OTHER_GRID, SAME_GRID]):
        data = ticket_data(
            channel="wechat",
            address=ADDRESS,
            lat=point[0],
            lng=point[1],
            category=world.corridor.code,
            requester_phone=f"1381234123{n}",
        )
        assert client_for(world.hotline).post(TICKETS, data, format="json").status_code == 201
    client.force_login(world.district_staff)
    features = client.get(reverse("tickets:map-data")).json()["features"]
    counts = {f["id"]: f["properties"]["open"] for f in features}
    assert counts["G1a"] == 3 and counts["G1b"] == 0
    boundaries = {f["id"]: shape(f["geometry"]) for f in features}
    for ticket in Ticket.objects.all():
        assert boundaries[ticket.grid.code].contains(Point(ticket.lng, ticket.lat)), ticket.code
    # Open311's list (a public map's source) shows the building's point, not the outside one.
    requests = client.get(f"{BASE}requests.json", {"api_key": RAW_KEY}).json()
    for request in requests:
        if request["lat"] is not None:
            assert boundaries["G1a"].contains(Point(request["long"], request["lat"]))
