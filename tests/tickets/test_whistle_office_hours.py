"""A whistle's report-by counted 8 clock hours from 19:47 to 03:47, when no department office
is open (found walking 吹哨报到 as a street). On a non-emergency ticket the hours now count in
office hours of working days (weekends and public holidays skipped, make-up working days
counted); an emergency or utility ticket's whistle keeps clock hours. The whistle form says
which applies and where the default ends."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from gridgov.tickets import lifecycle, sla, workdays
from gridgov.tickets.forms import report_hours_help
from gridgov.tickets.models import Summons, Urgency
from gridgov.tickets.workdays import WorkCalendar

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def calendar():
    return WorkCalendar({})  # the library's holidays only, no staff overrides


def test_the_default_office_hours_skip_lunch():
    assert workdays.office_hours() == [
        (dt.time(8, 30), dt.time(12, 0)),
        (dt.time(13, 30), dt.time(17, 30)),
    ]


def test_office_hours_come_from_the_setting(settings):
    settings.GRIDGOV_OFFICE_HOURS = "09:00-17:00"
    assert workdays.office_hours() == [(dt.time(9), dt.time(17))]
    for bad in ("9-17", "17:00-09:00", "08:00-12:00,11:00-17:00"):
        with pytest.raises(ValueError):
            workdays.office_hours(bad)


@pytest.mark.parametrize(
    "start, hours, due",
    [
        # Across a night: Tuesday 19:47 + 8 h is not Wednesday 03:47 but 7.5 h on Wednesday
        # (08:30–12:00, 13:30–17:30) and half an hour on Thursday.
        (at(2025, 3, 11, 19, 47), 8, at(2025, 3, 13, 9, 0)),
        (at(2025, 3, 11, 19, 47), 2, at(2025, 3, 12, 10, 30)),
        # Inside the day, over lunch.
        (at(2025, 3, 12, 11, 0), 2, at(2025, 3, 12, 14, 30)),
        # Ending on a span's end stays there.
        (at(2025, 3, 12, 10, 0), 2, at(2025, 3, 12, 12, 0)),
        # Across a weekend: Friday 16:00 + 4 h is 1.5 h on Friday, 2.5 h on Monday.
        (at(2025, 3, 14, 16, 0), 4, at(2025, 3, 17, 11, 0)),
        # Saturday counts from Monday morning.
        (at(2025, 3, 15, 10, 0), 1, at(2025, 3, 17, 9, 30)),
        # National Day 2025 (1–8 October): Tuesday 30 September 17:00 + 2 h ends on the 9th.
        (at(2025, 9, 30, 17, 0), 2, at(2025, 10, 9, 10, 0)),
        # The make-up working Sunday (28 September) counts; Saturday the 27th does not.
        (at(2025, 9, 26, 17, 0), 2, at(2025, 9, 28, 10, 0)),
    ],
)
def test_office_hours_across_nights_weekends_and_holidays(calendar, start, hours, due):
    assert calendar.add_office_hours(start, hours) == due


def test_a_staff_override_makes_a_day_a_working_day():
    calendar = WorkCalendar({dt.date(2025, 3, 15): True})  # Saturday
    assert calendar.add_office_hours(at(2025, 3, 14, 19, 0), 1) == at(2025, 3, 15, 9, 30)


def test_emergency_and_utility_whistles_keep_clock_hours(calendar):
    night = at(2025, 3, 11, 19, 47)
    for urgency in (Urgency.EMERGENCY, Urgency.UTILITY):
        assert sla.whistle_report_by(urgency, night, 8, calendar) == at(2025, 3, 12, 3, 47)
    for urgency in (Urgency.GENERAL, Urgency.COMPLEX):
        assert sla.whistle_report_by(urgency, night, 8, calendar) == at(2025, 3, 13, 9, 0)


def _whistle(ticket, world, now, hours=8):
    lifecycle.perform(ticket, "accept", world.gridworker_a, now=now)
    lifecycle.perform(
        ticket,
        "whistle",
        world.street_staff,
        now=now,
        departments=["CG"],
        report_within_hours=hours,
        reason="联合整治",
    )
    return Summons.objects.get(whistle__ticket=ticket)


def test_a_whistle_blown_at_night_is_due_the_next_working_day():
    world = make_world()
    ticket = make_ticket(world)
    assert ticket.urgency == Urgency.GENERAL
    summons = _whistle(ticket, world, at(2025, 3, 11, 19, 47))
    assert summons.report_by == at(2025, 3, 13, 9, 0)


def test_an_emergency_tickets_whistle_is_due_in_clock_hours():
    world = make_world()
    ticket = make_ticket(world, urgency=Urgency.EMERGENCY)
    summons = _whistle(ticket, world, at(2025, 3, 11, 19, 47))
    assert summons.report_by == at(2025, 3, 12, 3, 47)


def _whistle_form_help(client, world, ticket):
    client.force_login(world.street_staff)
    page = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    start = page.index('data-help="report_within_hours"')
    return page[start : page.index("</div>", start)]


def test_the_whistle_form_says_how_its_hours_count(client):
    world = make_world()
    ticket = make_ticket(world)
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    assert "08:30–12:00、13:30–17:30" in _whistle_form_help(client, world, ticket)
    night = at(2025, 3, 11, 19, 47)
    assert report_hours_help(ticket, now=night) == (
        "仅计工作日的办公时间（08:30–12:00、13:30–17:30）：夜间、周末和法定节假日不计，"
        "调休上班日计入。现在吹哨，8 小时截至 2025-03-13 09:00。"
    )


def test_the_whistle_form_of_an_emergency_says_clock_hours(client):
    world = make_world()
    ticket = make_ticket(world, urgency=Urgency.EMERGENCY)
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    assert "自然小时" in _whistle_form_help(client, world, ticket)
    assert report_hours_help(ticket, now=at(2025, 3, 11, 19, 47)) == (
        "按自然小时计，含夜间和周末：紧急或水电气热诉求。现在吹哨，24 小时截至 2025-03-12 19:47。"
    )


@pytest.mark.parametrize(
    ("urgency", "due"),
    [
        # 8 office hours: 7.5 on Wednesday, half an hour on Thursday; 24 would be Monday.
        (Urgency.GENERAL, at(2025, 3, 13, 9, 0)),
        (Urgency.EMERGENCY, at(2025, 3, 12, 19, 47)),  # 24 clock hours, as before
    ],
)
def test_a_whistle_without_hours_is_due_about_the_next_working_day(urgency, due):
    world = make_world()
    ticket = make_ticket(world, urgency=urgency)
    summons = _whistle(ticket, world, at(2025, 3, 11, 19, 47), hours=None)
    assert summons.report_by == due
