"""Where a demand lands when its address names no known building: the compound (小区),
community or street it names; failing that, the street that took it in; failing that,
the district's dispatch desk. Never out of sight of the office that filed it."""

import pytest
from django.urls import reverse

from gridgov.tickets import imports, intake
from gridgov.tickets.filters import visible_tickets
from gridgov.tickets.models import RoutingRule, Status
from tests.places.factories import make_tree

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db

IMPORT_HEADERS = ["受理时间", "诉求标题", "诉求内容", "诉求地址", "来电人", "联系电话"]
IMPORT_HEADERS += ["诉求类型", "诉求性质"]


@pytest.fixture
def world():
    return make_world()


def _file(world, actor, address, channel="window"):
    data = ticket_data(channel=channel, address=address, category=world.corridor.code)
    return intake.create_ticket(data, actor=actor).ticket


def test_an_address_naming_only_the_compound_goes_to_its_grid(world):
    ticket = _file(world, world.street_staff, "幸福里小区东门口")
    assert ticket.place == world.grid_b and ticket.grid == world.grid_b
    assert ticket.building is None
    # 楼道堆物 is a grid matter: the grid's office has it, dispatched.
    assert ticket.owner_place == world.grid_b and ticket.status == Status.DISPATCHED
    assert ticket.events.get(action="create").data["location"] == "address:area"
    assert visible_tickets(world.gridworker_b).filter(pk=ticket.pk).exists()


def test_an_address_naming_only_the_community_goes_to_the_community(world):
    ticket = _file(world, world.hotline, "魏家坡社区门口", channel="hotline")
    assert ticket.place == world.community and ticket.grid is None
    assert visible_tickets(world.community_staff).filter(pk=ticket.pk).exists()


def test_an_unknown_address_waits_unplaced_at_the_desk_of_the_street_that_took_it_in(world):
    # A street-level rule for the category must not take it: nobody knows it is in the street.
    RoutingRule.objects.create(
        category=world.corridor, place=world.street, department=world.housing
    )
    ticket = _file(world, world.street_staff, "火车站广场")
    assert ticket.place is None and ticket.owner_place == world.street
    assert ticket.owner_department is None
    assert ticket.status == Status.RECEIVED  # at the dispatch desk
    assert ticket.events.get(action="create").data["location"] == "none"
    assert visible_tickets(world.street_staff).filter(pk=ticket.pk).exists()


def test_a_building_in_the_text_refines_an_area_in_the_address(world):
    data = ticket_data(
        channel="window",
        address="学院路街道",
        title="楼道堆物",
        description="魏家坡小区5栋楼道里堆满了纸箱",
        category=world.corridor.code,
    )
    ticket = intake.create_ticket(data, actor=world.street_staff).ticket
    assert ticket.place == world.buildings[1] and ticket.grid == world.grid_a
    assert ticket.status == Status.DISPATCHED and ticket.owner_place == world.grid_a
    # Text naming a place outside the area the address named does not move it there.
    other = make_tree("2", district=world.district, origin=(116.40, 39.90))
    other.community.name = "清河社区"
    other.community.save()
    data = ticket_data(
        channel="window", address="清河社区", description="学院路街道魏家坡小区5栋楼道堆物"
    )
    ticket = intake.create_ticket({**data, "category": world.corridor.code}, world.hotline).ticket
    assert ticket.place == other.community


def test_an_unknown_address_from_the_district_hotline_waits_at_the_district_desk(world):
    ticket = _file(world, world.hotline, "火车站广场", channel="hotline")
    assert ticket.place is None and ticket.owner_place == world.district
    assert not visible_tickets(world.street_staff).filter(pk=ticket.pk).exists()
    assert visible_tickets(world.district_staff).filter(pk=ticket.pk).exists()


def test_an_import_by_street_staff_keeps_every_row_in_the_streets_sight(world):
    rows = [
        (n + 2, ["2026-03-05 10:00", f"诉求{n}", "楼道堆物", address, "李四", "13900000000"])
        for n, address in enumerate(["魏家坡小区门口", "火车站广场", "魏家坡小区3栋"])
    ]
    rows = [(n, [*cells, "网格事件/楼道堆物", "投诉"]) for n, cells in rows]
    report = imports.import_rows(IMPORT_HEADERS, rows, actor=world.street_staff)
    assert report.ok and report.created == 3, report.errors
    seen = visible_tickets(world.street_staff).order_by("id")
    assert [(t.place, t.owner_place) for t in seen] == [
        (world.grid_a, world.grid_a),
        (None, world.street),  # unplaced, at the street's dispatch desk
        (world.buildings[0], world.grid_a),
    ]
    locations = [t.events.get(action="create").data["location"] for t in seen]
    assert locations == ["address:area", "text", "address"]


def test_the_address_check_names_the_compound_when_no_building_matches(world, client):
    client.force_login(world.hotline)
    url = reverse("tickets:address-check")
    page = client.get(url, {"address": "幸福里小区门口"}).content.decode()
    assert 'data-area="G1b"' in page and "找到地点，未匹配到楼栋" in page
    assert "魏家坡社区 › 幸福里小区" in page
    page = client.get(url, {"address": "火车站广场"}).content.decode()
    assert "data-area" not in page and "address-none" in page


def test_an_address_in_a_district_not_ours_is_refused_unless_a_point_places_it(world):
    with pytest.raises(intake.IntakeError) as refused:
        _file(world, world.hotline, "北京市朝阳区建国路88号", channel="hotline")
    assert refused.value.errors == {
        "address": "地址位于“北京市朝阳区”，不在本辖区内：请核对地址；地址无误的，请转当地12345热线办理。"
    }
    building = world.buildings[0]
    data = ticket_data(
        channel="hotline",
        address="北京市朝阳区建国路88号",
        lat=building.lat,
        lng=building.lng,
        category=world.corridor.code,
    )
    ticket = intake.create_ticket(data, actor=world.hotline).ticket
    assert ticket.grid_id == building.parent_id


def test_the_address_check_says_an_address_is_outside_our_area(world, client):
    client.force_login(world.hotline)
    url = reverse("tickets:address-check")
    page = client.get(url, {"address": "北京市朝阳区建国路88号"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = page.content.decode()
    assert "address-foreign" in page and "地址位于“北京市朝阳区”，不在本辖区内。" in page
    page = client.get(url, {"address": "火车站广场"}).content.decode()
    assert "address-foreign" not in page and "address-none" in page
