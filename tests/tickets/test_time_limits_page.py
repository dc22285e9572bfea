"""The time-limit page (办理时限): district staff set a limit for a category in their
district and the next ticket's deadlines there follow it; a second limit for the same
urgency, category and district is refused; a date the calendar library gets wrong is set as
a day off and working-day deadlines skip it. Other staff read the page."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from gridgov.tickets import intake
from gridgov.tickets.models import CalendarDay, TimeLimit

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world():
    return make_world()


def filed_at(world, now):
    data = ticket_data(category=world.corridor.code)
    return intake.create_ticket(data, actor=world.hotline, now=now).ticket


def limit_data(world, **overrides):
    data = {
        "urgency": "general",
        "category": world.corridor.code,
        "place": world.district.code,
        "accept_value": "2",
        "accept_unit": "hours",
        "respond_value": "4",
        "respond_unit": "hours",
        "resolve_value": "1",
        "resolve_unit": "workdays",
    }
    return {**data, **overrides}


def test_a_limit_for_a_category_and_the_next_ticket_follows_it(client, world):
    client.force_login(world.district_staff)
    page = client.get(reverse("tickets:time-limits")).content.decode()
    assert "办理时限" in page and 'id="calendar-form"' in page
    assert client.post(reverse("tickets:time-limits"), limit_data(world)).status_code == 302
    limit = TimeLimit.objects.get(category=world.corridor)
    assert (limit.accept_value, limit.accept_unit, limit.place) == (2, "hours", world.district)
    now = dt.datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday
    ticket = filed_at(world, now)
    assert ticket.accept_by == now + dt.timedelta(hours=2)
    assert ticket.respond_by == now + dt.timedelta(hours=4)
    # The same urgency and category again: refused, nothing added.
    response = client.post(reverse("tickets:time-limits"), limit_data(world, accept_value="9"))
    assert response.status_code == 400 and "已存在" in response.content.decode()
    assert TimeLimit.objects.filter(category=world.corridor).count() == 1
    # Changed on its own page.
    url = reverse("tickets:time-limit", args=[limit.pk])
    assert client.post(url, limit_data(world, accept_value="3")).status_code == 302
    limit.refresh_from_db()
    assert limit.accept_value == 3


# The page lists the days set from January of this year on: in 2027 the 2026 day was not
# there. The test runs in 2026, the year of its day.
@time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))))
def test_a_day_off_the_calendar_lacks_moves_working_day_deadlines(client, world):
    client.force_login(world.district_staff)
    client.post(reverse("tickets:time-limits"), limit_data(world))
    thursday = dt.date(2026, 3, 5)
    data = {"form": "calendar", "date": thursday.isoformat(), "is_workday": "False", "note": "停电"}
    assert client.post(reverse("tickets:time-limits"), data).status_code == 302
    day = CalendarDay.objects.get(date=thursday)
    assert not day.is_workday and day.note == "停电"
    page = client.get(reverse("tickets:time-limits")).content.decode()
    assert 'data-date="2026-03-05"' in page
    # Filed on Wednesday, one working day: Thursday is off, so the end of Friday.
    ticket = filed_at(world, dt.datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI))
    assert ticket.resolve_by.astimezone(SHANGHAI).date() == dt.date(2026, 3, 6)
    # Set again, it replaces the day rather than adding one.
    client.post(reverse("tickets:time-limits"), {**data, "is_workday": "True", "note": ""})
    assert CalendarDay.objects.get(date=thursday).is_workday


def test_staff_read_the_page_district_staff_write_it(client, world):
    """Every street's deadlines and KPIs run on the table: street, community and grid staff
    (and the hotline) read it, without a form; residents do not see it."""
    data = {"form": "calendar", "date": "2026-03-05", "is_workday": "False"}
    for user in (world.street_staff, world.gridworker_a, world.community_staff, world.hotline):
        client.force_login(user)
        page = client.get(reverse("tickets:time-limits"))
        assert page.status_code == 200, user.username
        html = page.content.decode()
        assert 'id="time-limit-table"' in html and 'id="time-limit-form"' not in html
        assert client.post(reverse("tickets:time-limits"), data).status_code == 403
        assert client.post(reverse("tickets:time-limits"), limit_data(world)).status_code == 403
    assert not CalendarDay.objects.exists() and not TimeLimit.objects.filter(place__isnull=False)
    client.force_login(world.resident)
    assert client.get(reverse("tickets:time-limits")).status_code == 403
