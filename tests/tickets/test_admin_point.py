"""A superuser's correction of a ticket's lat/lng in the admin keeps the point in the grid the
ticket is counted in (intake.correct_point_refusal, the rule intake.points_off_grid applies
at intake): the building, grid and route stay, so a point outside our area, in another grid
or out of range is refused with a form error naming where it lies, and nothing is written.
A point in or next to the grid is written as before (one edit event)."""

import pytest
from django.urls import reverse

from gridgov.places.models import Place
from gridgov.tickets import intake
from gridgov.tickets.models import Ticket, TicketEvent

from .factories import make_ticket, make_world
from .test_api_admin import _change_form_data

pytestmark = pytest.mark.django_db

# make_tree: grid G1a (魏家坡小区) is lng 116.30–116.31, lat 39.90–39.91; G1b (幸福里小区)
# is east of it, lng 116.31–116.32; the district reaches 116.2–116.6, 39.8–40.1.
IN_GRID_A = (39.905, 116.305)
NEXT_TO_GRID_A = (39.8995, 116.305)  # ~55 m south of it, in no grid
IN_GRID_B = (39.905, 116.315)
OUTSIDE = (39.95, 116.50)


@pytest.fixture
def world():
    return make_world()


def _building_ticket(world):
    ticket = make_ticket(world, address="魏家坡小区3栋")
    assert (ticket.building, ticket.grid) == (world.buildings[0], world.grid_a)
    return ticket


def _save(admin_client, ticket, lat, lng):
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    data = _change_form_data(admin_client.get(url))
    data["lat"], data["lng"] = lat, lng
    return admin_client.post(url, data)


def _form_errors(response):
    assert response.status_code == 200, response.status_code  # the form again, not a redirect
    return response.context["adminform"].form.non_field_errors()


def _unchanged(ticket):
    before = (ticket.lat, ticket.lng, ticket.version)
    ticket.refresh_from_db()
    assert (ticket.lat, ticket.lng, ticket.version) == before
    assert not TicketEvent.objects.filter(ticket=ticket, action="edit").exists()


def test_a_point_outside_our_area_is_refused(admin_client, world):
    ticket = _building_ticket(world)
    response = _save(admin_client, ticket, *OUTSIDE)
    assert list(_form_errors(response)) == [
        "位置 (39.950000, 116.500000) 不在本辖区内；"
        "工单计入魏家坡小区（魏家坡小区3栋所在网格），位置须在其内或紧邻处。"
    ]
    _unchanged(ticket)


def test_a_point_in_another_grid_is_refused_naming_it(admin_client, world):
    ticket = _building_ticket(world)
    response = _save(admin_client, ticket, *IN_GRID_B)
    assert list(_form_errors(response)) == [
        "位置 (39.905000, 116.315000) 在幸福里小区，"
        "不在工单计入的魏家坡小区（魏家坡小区3栋所在网格）；位置须在其内或紧邻处。"
    ]
    _unchanged(ticket)


@pytest.mark.parametrize("point", [(95, 116.3), (39.9, 181), (-91, -181)])
def test_coordinates_out_of_range_are_refused(admin_client, world, point):
    ticket = _building_ticket(world)
    [error] = _form_errors(_save(admin_client, ticket, *point))
    assert error.startswith("纬度须在 -90 至 90 之间、经度须在 -180 至 180 之间")
    _unchanged(ticket)


def test_half_a_point_is_refused(admin_client, world):
    ticket = _building_ticket(world)
    [error] = _form_errors(_save(admin_client, ticket, IN_GRID_A[0], ""))
    assert error == "纬度和经度须同时填写，或同时留空。"
    _unchanged(ticket)


@pytest.mark.parametrize("point", [IN_GRID_A, NEXT_TO_GRID_A])
def test_a_point_in_or_next_to_the_grid_is_written_as_before(admin_client, world, point):
    ticket = _building_ticket(world)
    response = _save(admin_client, ticket, *point)
    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert (ticket.lat, ticket.lng) == point
    edit = TicketEvent.objects.get(ticket=ticket, action="edit")
    assert edit.data["changes"]["lat"][1] == point[0]


def test_other_fields_save_when_the_point_is_not_touched(admin_client, world):
    """A ticket whose point was off before (written by an older version) can still have its
    title corrected: only a changed point is checked."""
    ticket = _building_ticket(world)
    Ticket.objects.filter(pk=ticket.pk).update(lat=OUTSIDE[0], lng=OUTSIDE[1])
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    data = _change_form_data(admin_client.get(url))
    data["title"] = "楼道堆物（已更正）"
    assert admin_client.post(url, data).status_code == 302
    ticket.refresh_from_db()
    assert ticket.title == "楼道堆物（已更正）"


def test_a_point_alone_must_stay_in_its_grid(admin_client, world):
    ticket = make_ticket(world, address="", lat=IN_GRID_A[0], lng=IN_GRID_A[1])
    assert ticket.building is None and ticket.grid == world.grid_a
    [error] = _form_errors(_save(admin_client, ticket, *IN_GRID_B))
    assert error == (
        "位置 (39.905000, 116.315000) 在幸福里小区，不在工单计入的魏家坡小区；位置须在其内或紧邻处。"
    )
    _unchanged(ticket)
    assert _save(admin_client, ticket, 39.901, 116.301).status_code == 302


def test_the_rule_in_english_and_for_a_ticket_in_no_grid(world):
    """correct_point_refusal itself: messages follow the language; a ticket placed above the
    grid level takes a point under its place, one in no place any point of our area."""
    from django.utils import translation

    ticket = _building_ticket(world)
    with translation.override("en"):
        assert intake.correct_point_refusal(ticket, *IN_GRID_B) == (
            "The position (39.905000, 116.315000) is in 幸福里小区, not in 魏家坡小区 (the grid "
            "of 魏家坡小区3栋), where the ticket is counted; its position must lie in or next "
            "to it."
        )
    assert intake.correct_point_refusal(ticket, None, None) == ""
    assert intake.correct_point_refusal(ticket, *IN_GRID_A) == ""

    ticket.grid, ticket.building = None, None
    ticket.place = world.grid_a.parent  # the community holds both grids
    assert intake.correct_point_refusal(ticket, *IN_GRID_B) == ""
    assert "不在本辖区内" in intake.correct_point_refusal(ticket, *OUTSIDE)
    other = Place.objects.create(
        code="C9",
        name="别的社区",
        level=world.grid_a.parent.level,
        parent=world.grid_a.parent.parent,
    )
    ticket.place = other
    assert intake.correct_point_refusal(ticket, *IN_GRID_B) == (
        "位置 (39.905000, 116.315000) 在幸福里小区，不在工单计入的别的社区；位置须在其内或紧邻处。"
    )
    ticket.place = None
    assert intake.correct_point_refusal(ticket, *IN_GRID_B) == ""
    assert intake.correct_point_refusal(ticket, *OUTSIDE) == (
        "位置 (39.950000, 116.500000) 不在本辖区内。"
    )
