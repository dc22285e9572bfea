"""A hot issue's own page maps its tickets (the list page had a map, the issue's page none):
one circle per point, the tickets of a building sharing it, over the issue's grid. Only the
tickets the viewer may see, at their masked points, with their code, day and status: no
requester, no exact address or point. Without JavaScript, each ticket's place is in the
list of tickets."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets.models import Ticket
from tests.tickets.factories import make_ticket, make_world

from .test_hot_issue_review import _issue

pytestmark = pytest.mark.django_db

EXACT = (39.9051234, 116.3047891)  # a reported point: shown to about 100 m, not the doorstep


def _script(page, element):
    found = re.search(rf'<script id="{element}" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1)) if found else None


def _page(client, issue):
    return client.get(reverse("insights:hot-issue", args=[issue.pk])).content.decode()


@pytest.fixture
def world():
    return make_world()


def _located(world):
    """Tickets of grid A: two at building 3栋, one at a reported point, one nowhere; and
    one of grid B, at its own building, that grid A's worker may not see."""
    b3, _b5, other = world.buildings
    at_b3 = [
        make_ticket(world, requester_name="张三", requester_phone="13812341234"),
        make_ticket(world, requester_name="李四", requester_phone="13900001111"),
    ]
    at_point = make_ticket(world, requester_name="王五", requester_phone="13700002222")
    nowhere = make_ticket(world, requester_name="赵六", requester_phone="13600003333")
    theirs = make_ticket(world, requester_name="钱七", requester_phone="13500004444")
    grid_a = world.grid_a
    Ticket.objects.filter(pk__in=[t.pk for t in at_b3]).update(building=b3, place=b3)
    Ticket.objects.filter(pk=at_point.pk).update(
        building=None, place=grid_a, lat=EXACT[0], lng=EXACT[1]
    )
    Ticket.objects.filter(pk=nowhere.pk).update(building=None, place=grid_a, lat=None, lng=None)
    Ticket.objects.filter(pk=theirs.pk).update(
        building=other, place=other, grid=world.grid_b, owner_place=world.grid_b
    )
    return at_b3, at_point, nowhere, theirs


def test_the_map_shows_only_the_tickets_the_viewer_may_see_at_their_masked_points(world, client):
    at_b3, at_point, nowhere, theirs = _located(world)
    issue = _issue(world.grid_a, [*at_b3, at_point, nowhere, theirs], key="t-map")
    viewer = world.gridworker_a
    assert viewer.has_perm("insights.view_hotissue", issue)
    assert not viewer.has_perm("tickets.view_ticket", Ticket.objects.get(pk=theirs.pk))
    client.force_login(viewer)
    page = _page(client, issue)

    assert 'id="hot-issue-map"' in page
    points = _script(page, "hot-issue-points")
    b3 = world.buildings[0]
    day = timezone.localdate().isoformat()
    # The building's tickets share its circle; the reported point is rounded.
    assert points == [
        {
            "lat": b3.lat,
            "lng": b3.lng,
            "where": b3.address,  # 魏家坡小区3栋: grid B has a 3栋 too
            "tickets": [
                {"code": t.code, "url": f"/tickets/{t.code}/", "day": day, "status": "已派单"}
                for t in at_b3
            ],
        },
        {
            "lat": round(EXACT[0], 3),
            "lng": round(EXACT[1], 3),
            "where": world.grid_a.name,
            "tickets": [
                {
                    "code": at_point.code,
                    "url": f"/tickets/{at_point.code}/",
                    "day": day,
                    "status": "已派单",
                }
            ],
        },
    ]
    # The issue's grid outlined.
    outline = _script(page, "hot-issue-outline")
    assert outline["features"][0]["geometry"] == world.grid_a.boundary
    assert outline["features"][0]["properties"] == {"name": world.grid_a.name}

    # The ticket the worker may not see is nowhere: not on the map, not in the list.
    assert theirs.code not in page
    assert "钱七" not in page and "13500004444" not in page
    # No requester, no exact point or address of those shown.
    for name, phone in (("张三", "13812341234"), ("李四", "13900001111"), ("王五", "13700002222")):
        assert name not in page and phone not in page
    assert str(EXACT[0]) not in page and str(EXACT[1]) not in page
    assert "3号楼2单元" not in page
    # The list says where each ticket is: the map's text alternative.
    listed = re.search(r'<ul class="ticket-list">(.*?)</ul>', page, re.S).group(1)
    items = re.findall(r"<li>(.*?)</li>", listed, re.S)
    assert len(items) == 4
    assert f"· 位于{b3.address} ·" in items[0] and f"· 位于{b3.address} ·" in items[1]
    assert f"· 位于{world.grid_a.name} ·" in items[2]
    assert nowhere.code in items[3]  # no point, its place in words all the same


def test_the_street_sees_the_other_grids_ticket_on_the_map_too(world, client):
    at_b3, at_point, nowhere, theirs = _located(world)
    issue = _issue(world.grid_a, [*at_b3, at_point, nowhere, theirs], key="t-map-street")
    client.force_login(world.street_staff)
    points = _script(_page(client, issue), "hot-issue-points")
    codes = [t["code"] for p in points for t in p["tickets"]]
    assert codes == [*(t.code for t in at_b3), at_point.code, theirs.code]
    assert points[-1]["lat"] == world.buildings[2].lat


def test_an_issue_whose_tickets_have_no_point_has_no_map_and_no_leaflet(world, client):
    """Not even its grid's outline: alone on a map without tiles it tells nothing."""
    ticket = make_ticket(world)
    Ticket.objects.filter(pk=ticket.pk).update(
        building=None, place=world.grid_a, lat=None, lng=None
    )
    issue = _issue(world.grid_a, [ticket], key="t-map-none")
    client.force_login(world.community_staff)
    page = _page(client, issue)
    assert ticket.code in page
    assert 'id="hot-issue-map"' not in page
    assert "leaflet" not in page
    assert _script(page, "hot-issue-points") is None
    # Without JavaScript only the chart is said to need it.
    assert "每日诉求图需要浏览器启用 JavaScript，同样的数字见下表。" in page


def test_a_community_issue_maps_its_tickets_without_an_outline(world, client):
    ticket = make_ticket(world)
    Ticket.objects.filter(pk=ticket.pk).update(building=world.buildings[1])
    issue = _issue(world.community, [ticket], key="t-map-community")
    client.force_login(world.community_staff)
    page = _page(client, issue)
    assert [p["lat"] for p in _script(page, "hot-issue-points")] == [world.buildings[1].lat]
    assert _script(page, "hot-issue-outline") is None
    # Without JavaScript, a note in its place (the box is hidden by noscript.css).
    assert "地图和每日诉求图需要浏览器启用 JavaScript。各工单的所在地见下方工单列表" in page
