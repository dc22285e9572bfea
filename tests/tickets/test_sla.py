"""Working-day deadlines on the Chinese calendar, and staff overrides of it.

Uses the real chinese-calendar data: National Day 2026 is 1–7 October, with
Saturday 10 October a make-up working day. The library has no data for 2027,
so staff overrides (CalendarDay, through the API) decide that year.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from gridgov.tickets import intake, sla
from gridgov.tickets.models import CalendarDay, TimeLimit, Urgency
from gridgov.tickets.workdays import WorkCalendar

from .factories import make_world, ticket_data
from .test_api import client_for

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def end_of(year, month, day):
    return at(year, month, day, 23, 59, 59)


@pytest.fixture
def world():
    return make_world()


def workday_limit(category, accept=1, respond=2, resolve=3):
    unit = TimeLimit.Unit.WORKDAYS
    return TimeLimit.objects.create(
        urgency=Urgency.GENERAL,
        category=category,
        accept_value=accept,
        accept_unit=unit,
        respond_value=respond,
        respond_unit=unit,
        resolve_value=resolve,
        resolve_unit=unit,
    )


def test_the_library_knows_national_day_2026():
    calendar = WorkCalendar.load()
    assert calendar.is_workday(dt.date(2026, 9, 30))
    assert not any(calendar.is_workday(dt.date(2026, 10, d)) for d in range(1, 8))
    assert calendar.is_workday(dt.date(2026, 10, 10))  # Saturday, make-up working day
    assert not calendar.is_workday(dt.date(2026, 10, 11))


def test_deadlines_skip_the_holiday_and_count_the_make_up_saturday(world):
    workday_limit(world.corridor, accept=1, respond=2, resolve=3)
    created = at(2026, 9, 30, 10, 0)
    deadlines = sla.compute_deadlines(Urgency.GENERAL, world.corridor, created)
    assert deadlines.accept_by == end_of(2026, 10, 8)
    assert deadlines.respond_by == end_of(2026, 10, 9)
    assert deadlines.resolve_by == end_of(2026, 10, 10)  # a Saturday, but a working day
    four = WorkCalendar.load().add_workdays(created, 4)
    assert four == end_of(2026, 10, 12)  # Sunday 11 October is a day off


def test_ticket_taken_in_before_national_day_gets_working_day_deadlines(world):
    workday_limit(world.corridor, resolve=3)
    ticket = intake.create_ticket(
        ticket_data(category=world.corridor.code),
        actor=world.hotline,
        now=at(2026, 9, 30, 10, 0),
    ).ticket
    assert timezone.localtime(ticket.resolve_by) == end_of(2026, 10, 10)
    assert timezone.localtime(ticket.accept_by) == end_of(2026, 10, 8)
    # Overdue is derived from the stored deadline and the clock.
    assert sla.overdue_stage(ticket, at(2026, 10, 7, 12, 0)) is None
    assert sla.overdue_stage(ticket, at(2026, 10, 9, 9, 0)) == "accept"


def test_clock_hour_limits_ignore_the_calendar(world):
    created = at(2026, 10, 1, 10, 0)  # a public holiday
    deadlines = sla.compute_deadlines(Urgency.EMERGENCY, None, created)
    assert deadlines.accept_by == created + dt.timedelta(minutes=15)
    assert deadlines.resolve_by == created + dt.timedelta(hours=2)


def test_staff_overrides_decide_2027_where_the_library_has_no_data(world):
    friday = at(2027, 2, 5, 10, 0)
    # No data for 2027: weekdays count, so one working day after Friday is Monday.
    assert WorkCalendar.load().add_workdays(friday, 1) == end_of(2027, 2, 8)

    district = client_for(world.district_staff)
    for day, workday, note in [
        ("2027-02-06", True, "春节调休上班"),
        ("2027-02-08", False, "春节"),
        ("2027-02-09", False, "春节"),
    ]:
        response = district.post(
            "/api/v1/calendar-days/",
            {"date": day, "is_workday": workday, "note": note},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["library_is_workday"] is (day != "2027-02-06")

    calendar = WorkCalendar.load()
    assert calendar.add_workdays(friday, 1) == end_of(2027, 2, 6)  # the make-up Saturday
    assert calendar.add_workdays(friday, 2) == end_of(2027, 2, 10)  # 7 Sun, 8–9 off

    workday_limit(world.corridor, resolve=2)
    ticket = intake.create_ticket(
        ticket_data(category=world.corridor.code), actor=world.hotline, now=friday
    ).ticket
    assert timezone.localtime(ticket.resolve_by) == end_of(2027, 2, 10)

    # Posting a date again replaces its override.
    response = district.post(
        "/api/v1/calendar-days/", {"date": "2027-02-09", "is_workday": True}, format="json"
    )
    assert response.status_code == 200
    assert CalendarDay.objects.get(date=dt.date(2027, 2, 9)).is_workday is True
    assert WorkCalendar.load().add_workdays(friday, 2) == end_of(2027, 2, 9)


def test_calendar_is_written_by_district_staff_only(world):
    """A calendar day moves every street's working-day deadlines: not a street's to set."""
    payload = {"date": "2027-10-01", "is_workday": False, "note": "国庆节"}
    for user in (
        world.street_staff,
        world.gridworker_a,
        world.community_staff,
        world.hotline,
        world.city_handler,
    ):
        response = client_for(user).post("/api/v1/calendar-days/", payload, format="json")
        assert response.status_code == 403, user.username
        assert response.json()["error"]["message"] == "工作日历由区级工作人员和超级管理员设置。"
    assert not CalendarDay.objects.exists()
    assert client_for().post("/api/v1/calendar-days/", payload, format="json").status_code == 401
    response = client_for(world.district_staff).post(
        "/api/v1/calendar-days/", payload, format="json"
    )
    assert response.status_code == 201
    listed = client_for(world.gridworker_a).get("/api/v1/calendar-days/", {"year": 2027}).json()
    assert [d["date"] for d in listed["results"]] == ["2027-10-01"]


def test_the_api_sorts_by_the_deadline_the_workbench_shows(world):
    """The queue and the API's ordering=deadline each defined "the deadline a ticket races
    now": a ticket at the desk raced its resolve_by in the API, a resolved one too."""
    from gridgov.tickets import filters
    from gridgov.tickets.lifecycle import perform
    from gridgov.tickets.models import Ticket

    from .factories import make_ticket

    dispatched = make_ticket(world)
    desk = make_ticket(world, address="", place=world.street.code, category=None)
    contacted = make_ticket(world)
    for action, params in (("accept", {}), ("contact", {"note": "已联系"})):
        perform(contacted, action, world.gridworker_a, **params)
    resolved = make_ticket(world)
    for action, params in (("accept", {}), ("resolve", {"reply": "已处理"})):
        perform(resolved, action, world.gridworker_a, **params)
    rows = filters.with_next_deadline(Ticket.objects.all())
    for row in rows:
        assert row.next_deadline == sla.racing(row), row.status
    by_id = {row.pk: row.next_deadline for row in rows}
    assert by_id[dispatched.pk] == dispatched.accept_by
    assert by_id[desk.pk] == Ticket.objects.get(pk=desk.pk).accept_by
    assert by_id[contacted.pk] == contacted.resolve_by
    assert by_id[resolved.pk] == Ticket.objects.get(pk=resolved.pk).resolved_at
    listed = client_for(world.district_staff).get("/api/v1/tickets/?ordering=deadline").json()
    codes = [t["code"] for t in listed["results"]]
    assert codes == [t.code for t in sorted(rows, key=lambda r: (r.next_deadline, r.pk))]


def test_a_categorys_parents_come_from_the_cached_tree(world, django_assert_num_queries):
    """The limits of a category read without its parents (as lifecycle's row lock reads a
    ticket's) are found from the cached category tree: the parents' limits apply, and no
    query per level (two on every escalation of the deepest categories)."""
    from gridgov.core import versions
    from gridgov.tickets import reference
    from gridgov.tickets.models import Category

    deepest = Category.objects.filter(depth=3).select_related("parent__parent").first()
    workday_limit(deepest.parent.parent, resolve=9)
    plain = Category.objects.get(pk=deepest.pk)  # no parent read yet
    with versions.scope():
        reference.categories(), reference.time_limits()  # the cached tree and limits
        with django_assert_num_queries(0):
            limits = sla.limits_for(Urgency.GENERAL, plain)
    assert limits[2] == (9, TimeLimit.Unit.WORKDAYS)
