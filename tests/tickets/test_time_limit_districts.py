"""Time limits per district: the city-wide rows (no place) hold everywhere, a district may
override them for its own tickets, and only that district's staff (or a superuser) may;
city-wide rows are the superusers'. Street, community and grid staff read the table."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from gridgov.people.models import Role
from gridgov.places.models import Level
from gridgov.tickets import imports, intake, lifecycle, sla, sweep
from gridgov.tickets.models import Ticket, TimeLimit, Urgency

from ..people.factories import user_with_role
from ..places.factories import PlaceFactory, rectangle
from .factories import make_world, ticket_data
from .test_api import client_for
from .test_api_settings import limit_body
from .test_import import HEADERS

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY = dt.datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)
URL = "/api/v1/time-limits/"


@pytest.fixture
def world():
    """make_world's district D1 (海淀区) and a second one, D2 (朝阳区), with a street."""
    w = make_world()
    w.district2 = PlaceFactory(
        code="D2", name="朝阳区", level=Level.DISTRICT, boundary=rectangle(117.0, 40.0, 0.2, 0.2)
    )
    w.street2 = PlaceFactory(
        code="S9",
        name="建国门街道",
        level=Level.STREET,
        parent=w.district2,
        boundary=rectangle(117.0, 40.0, 0.1, 0.1),
    )
    w.district2_staff = user_with_role(Role.DISTRICT_STAFF, w.district2, username="district2")
    w.root = get_user_model().objects.create(username="root", is_superuser=True)
    return w


def limit(accept_hours, category=None, place=None, urgency=Urgency.GENERAL):
    """A limit whose accept time (in clock hours) tells which row a ticket ran on."""
    return TimeLimit.objects.create(
        urgency=urgency,
        category=category,
        place=place,
        accept_value=accept_hours,
        accept_unit=TimeLimit.Unit.HOURS,
        respond_value=1,
        respond_unit=TimeLimit.Unit.WORKDAYS,
        resolve_value=5,
        resolve_unit=TimeLimit.Unit.WORKDAYS,
    )


def time_to_accept(world, place, now=WEDNESDAY):
    """How long a general corridor ticket filed at `place` (through intake) has to be
    accepted."""
    data = ticket_data(category=world.corridor.code, place=place.code, address="")
    ticket = intake.create_ticket({**data, "urgency": "general"}, actor=world.root, now=now)
    return ticket.ticket.accept_by - now


def hours(n):
    return dt.timedelta(hours=n)


# The city's general limit, one working day: to the end of Thursday.
ONE_WORKDAY = dt.timedelta(hours=38, seconds=-1)


# --- which row a ticket runs on ---------------------------------------------------------------


def test_a_district_override_applies_to_its_tickets_and_not_anothers(world):
    limit(3, place=world.district)
    assert time_to_accept(world, world.grid_a) == hours(3)
    assert time_to_accept(world, world.street) == hours(3)
    # D2 has no row of its own: the city's general limit.
    assert time_to_accept(world, world.street2) == ONE_WORKDAY
    # No place, no district: the city's row too.
    assert sla.limits_for(Urgency.GENERAL, world.corridor)[0] == (1, TimeLimit.Unit.WORKDAYS)


def test_a_city_category_row_beats_a_district_general_row(world):
    limit(3, place=world.district)
    limit(5, category=world.corridor)
    assert time_to_accept(world, world.grid_a) == hours(5)
    # The parent's city-wide row beats the district's general row as well.
    TimeLimit.objects.get(category=world.corridor).delete()
    limit(6, category=world.corridor.parent)
    assert time_to_accept(world, world.grid_a) == hours(6)


def test_a_district_category_row_beats_the_city_category_row(world):
    limit(5, category=world.corridor)
    limit(2, category=world.corridor, place=world.district)
    assert time_to_accept(world, world.grid_a) == hours(2)
    assert time_to_accept(world, world.street2) == hours(5)
    # ... and a district row for the parent loses to the city's row for the category.
    limit(7, category=world.corridor.parent, place=world.district2)
    assert time_to_accept(world, world.street2) == hours(5)


def test_an_escalated_ticket_gets_its_districts_limits_again(world):
    limit(3, place=world.district)
    ticket = intake.create_ticket(
        ticket_data(category=world.corridor.code), actor=world.hotline
    ).ticket
    assert ticket.owner_place == world.grid_a
    lifecycle.perform(ticket, "escalate", None, reason=sweep.ESCALATE_REASON)
    ticket.refresh_from_db()
    assert ticket.owner_place == world.community
    assert ticket.accept_by - ticket.dispatched_at == hours(3)


def test_an_import_uses_each_rows_district_override(world):
    """The import looks limits up once per (urgency, category, district): a row of D1 and a
    row of D2 of the same urgency and category run on different rows."""
    limit(3, place=world.district)
    limit(4, place=world.district2)
    cells = ["标题", "内容"]
    tail = ["李四", "13900000000", "网格事件/楼道堆物", "投诉"]
    data = [
        (2, ["A1", "2026-03-04 10:00", *cells, "魏家坡小区5栋", *tail]),
        (3, ["A2", "2026-03-04 10:00", *cells, "朝阳区建国门街道某处", *tail]),
    ]
    report = imports.import_rows(HEADERS, data)
    assert report.ok, report.errors
    for code, district, n in (("A1", world.district, 3), ("A2", world.district2, 4)):
        ticket = Ticket.objects.get(external_id=code)
        assert ticket.place.path.startswith(district.path) and ticket.urgency == "general"
        assert ticket.accept_by - ticket.created_at == dt.timedelta(hours=n)


def test_one_row_per_urgency_category_and_district_also_with_nulls(world):
    limit(3, place=world.district)
    limit(3, category=world.corridor, place=world.district2)
    for category, place in ((None, None), (None, world.district), (world.corridor, None)):
        if category is not None:
            limit(5, category=category)
        with pytest.raises(IntegrityError), transaction.atomic():
            limit(9, category=category, place=place)
    limit(9, category=world.corridor, place=world.district)  # another district: fine


def test_a_limit_is_set_for_a_district_not_a_street(world):
    with pytest.raises(ValidationError, match="不能按街镇"):
        TimeLimit(urgency="general", place=world.street, accept_value=1).clean()
    response = client_for(world.root).post(
        URL, limit_body(world, place=world.street.code), format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["detail"]["place"] == [
        "时限只能按全市或按区设置，不能按街镇（学院路街道）设置。"
    ]


# --- who reads and who writes -----------------------------------------------------------------


def test_street_staff_read_the_table_and_may_not_write_it(world):
    own = limit(3, place=world.district)
    other = limit(4, place=world.district2)
    city = TimeLimit.objects.get(urgency="general", category=None, place=None)
    street = client_for(world.street_staff)
    listed = {r["id"]: r for r in street.get(URL).json()["results"]}
    assert own.pk in listed and city.pk in listed and other.pk not in listed
    assert listed[own.pk]["place"] == "D1" and listed[own.pk]["place_name"] == "海淀区"
    response = street.post(URL, limit_body(world), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["message"].startswith("时限由区级工作人员为本区设置")
    for row in (own, city):
        response = street.patch(f"{URL}{row.pk}/", {"accept_value": 1}, format="json")
        assert response.status_code == 403
    own.refresh_from_db()
    assert own.accept_value == 3 and TimeLimit.objects.count() == 6


def test_district_staff_write_their_districts_rows_only(world):
    city = TimeLimit.objects.get(urgency="general", category=None, place=None)
    other = limit(4, place=world.district2)
    staff = client_for(world.district_staff)
    created = staff.post(URL, limit_body(world), format="json")
    assert created.status_code == 201, created.json()
    row = created.json()["id"]
    response = staff.patch(f"{URL}{row}/", {"accept_value": 6}, format="json")
    assert response.status_code == 200 and TimeLimit.objects.get(pk=row).accept_value == 6
    # The city's row: 403, and why.
    response = staff.patch(f"{URL}{city.pk}/", {"accept_value": 1}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["message"].startswith("全市时限只有超级管理员可以修改")
    # Moving their row to the city, or creating one for the city or another district: 403.
    moved = staff.patch(f"{URL}{row}/", {"place": None}, format="json")
    assert moved.status_code == 403
    response = staff.post(URL, limit_body(world, place=None), format="json")
    assert response.status_code == 403
    response = staff.post(URL, limit_body(world, place="D2"), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "只有朝阳区的区级工作人员可以设置该区的时限。"
    # Another district's row is not theirs to see: 404.
    assert staff.patch(f"{URL}{other.pk}/", {"accept_value": 1}, format="json").status_code == 404
    city.refresh_from_db()
    other.refresh_from_db()
    assert (city.accept_value, other.accept_value) == (1, 4)
    assert TimeLimit.objects.get(pk=row).place == world.district
    # A superuser changes the city's rows.
    response = client_for(world.root).patch(f"{URL}{city.pk}/", {"accept_value": 2}, format="json")
    assert response.status_code == 200


def test_street_staff_get_the_page_read_only(client, world):
    limit(3, place=world.district)
    client.force_login(world.street_staff)
    page = client.get(reverse("tickets:time-limits"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="time-limit-form"' not in html and 'id="calendar-form"' not in html
    assert 'id="time-limits-read-only"' in html and "全市" in html and "海淀区" in html
    assert "/tickets/time-limits/" in html  # the nav link
    assert ">修改<" not in html
    response = client.post(reverse("tickets:time-limits"), limit_body(world, accept_value="1"))
    assert response.status_code == 403
    data = {"form": "calendar", "date": "2027-10-01", "is_workday": "False"}
    assert client.post(reverse("tickets:time-limits"), data).status_code == 403


def test_district_staff_change_their_rows_on_the_page_not_the_citys(client, world):
    city = TimeLimit.objects.get(urgency="general", category=None, place=None)
    other = limit(4, place=world.district2)
    client.force_login(world.district_staff)
    html = client.get(reverse("tickets:time-limits")).content.decode()
    assert 'id="time-limit-form"' in html and 'value="D1"' in html
    assert 'value="D2"' not in html and ">全市</option>" not in html
    assert f'href="{reverse("tickets:time-limit", args=[city.pk])}"' not in html
    response = client.get(reverse("tickets:time-limit", args=[city.pk]))
    assert (
        response.status_code == 403
        and "全市时限只有超级管理员可以修改" in response.content.decode()
    )
    assert client.get(reverse("tickets:time-limit", args=[other.pk])).status_code == 404
    assert client.post(reverse("tickets:time-limits"), limit_body(world)).status_code == 302
    row = TimeLimit.objects.get(category=world.corridor, place=world.district)
    assert row.accept_value == 2
    # A row for the city or another district is not among the choices.
    for place in ("", "D2"):
        response = client.post(reverse("tickets:time-limits"), limit_body(world, place=place))
        assert response.status_code == 400
    assert TimeLimit.objects.filter(category=world.corridor).count() == 1
