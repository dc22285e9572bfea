"""Deadlines on the working-day calendar: properties that hold for any start and any limit
(hypothesis).

Starts run over 2020–2027 at any time of day, in Beijing time or UTC (timezone.now() is
UTC), drawn half the time next to a public holiday or a make-up working day of the
chinese-calendar library, and with random staff overrides (CalendarDay). 2027 is a year
the library lacks: its weekdays count as working days until staff set its days
(workdays module docstring).

add_workdays(start, n) is "the end of the n-th working day after start's date, start's
date not counted"; workdays_between(start, end) counts "working days strictly after
start's date up to and including end's date", so the one undoes the other.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from chinese_calendar.constants import holidays as library_holidays
from chinese_calendar.constants import workdays as library_make_up_days
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gridgov.places.models import Level
from gridgov.tickets import sla, workdays
from gridgov.tickets.models import TimeLimit, Urgency
from gridgov.tickets.workdays import WorkCalendar
from tests.places.factories import PlaceFactory

from .factories import make_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
FIRST, LAST = dt.date(2020, 1, 1), dt.date(2027, 12, 31)
END_OF_DAY = dt.time(23, 59, 59)

# Days where the calendar is not simply Monday–Friday: every holiday and make-up working
# day the library knows from 2020 on, and the edges of the year it lacks.
SPECIAL_DAYS = sorted(
    {d for d in (*library_holidays, *library_make_up_days) if FIRST <= d}
    | {dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2027, 2, 6)}
)

pure = settings(max_examples=150, deadline=None)
with_db = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def days(draw):
    if draw(st.booleans()):
        special = draw(st.sampled_from(SPECIAL_DAYS))
        day = special + dt.timedelta(days=draw(st.integers(-3, 3)))
        return min(max(day, FIRST), LAST)
    return draw(st.dates(FIRST, LAST))


@st.composite
def starts(draw):
    """An aware datetime in 2020–2027 at any time of day, in Beijing time or in UTC."""
    day = draw(days())
    moment = draw(st.times())
    local = dt.datetime.combine(day, moment, tzinfo=SHANGHAI)
    return local.astimezone(draw(st.sampled_from([SHANGHAI, UTC])))


# Staff overrides: a few days around the special ones, set either way.
overrides = st.dictionaries(days(), st.booleans(), max_size=12)

# Limits as staff enter them: small ones, and (fewer examples: each scans years) up to the
# form's largest, 10 000.
counts = st.integers(1, 60)
long_counts = st.integers(200, 10_000)


def local_date(moment):
    return timezone.localtime(moment).date()


def library_says(day):
    """The library's own answer, or Monday–Friday for a year it lacks."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def check_n_working_days_later(start, n, days_off):
    calendar = WorkCalendar(days_off)
    due = calendar.add_workdays(start, n)
    local_due = timezone.localtime(due)
    assert local_due.time() == END_OF_DAY
    assert local_due.date() > local_date(start)
    assert calendar.is_workday(local_due.date())
    # Counted back: exactly n working days, and the day before holds one fewer.
    assert calendar.workdays_between(start, due) == n
    assert calendar.workdays_between(start, due - dt.timedelta(days=1)) == n - 1


@pure
@given(start=starts(), n=counts, days_off=overrides)
def test_n_working_days_later_is_the_end_of_a_working_day_n_working_days_away(start, n, days_off):
    check_n_working_days_later(start, n, days_off)


@settings(max_examples=15, deadline=None)
@given(start=starts(), n=long_counts, days_off=overrides)
@example(start=dt.datetime(2026, 1, 5, 9, tzinfo=SHANGHAI), n=600, days_off={})
def test_long_limits_are_counted_in_full(start, n, days_off):
    check_n_working_days_later(start, n, days_off)


def test_a_limit_of_hundreds_of_working_days_is_counted_in_full():
    """The form takes limits up to 10 000; the scan stopped after 800 calendar days and
    gave the day it reached: 600 working days from 5 January 2026 came out as
    Wednesday 15 March 2028, 560 working days later."""
    calendar = WorkCalendar({})
    start = dt.datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)
    due = calendar.add_workdays(start, 600)
    assert calendar.is_workday(local_date(due))
    assert calendar.workdays_between(start, due) == 600


@pure
@given(start=starts(), n=st.integers(0, 60), more=st.integers(1, 60), days_off=overrides)
def test_more_working_days_end_later(start, n, more, days_off):
    calendar = WorkCalendar(days_off)
    assert calendar.add_workdays(start, n) < calendar.add_workdays(start, n + more)


@pure
@given(
    start=starts(),
    later=st.timedeltas(dt.timedelta(0), dt.timedelta(days=30)),
    n=st.integers(0, 60),
    days_off=overrides,
)
def test_a_later_start_never_ends_earlier(start, later, n, days_off):
    calendar = WorkCalendar(days_off)
    assert calendar.add_workdays(start, n) <= calendar.add_workdays(start + later, n)


@pure
@given(start=starts(), days_off=overrides)
def test_zero_working_days_is_the_end_of_the_start_day(start, days_off):
    """A limit of 0 (the model allows it; the form and the API do not) is due at the end of
    the day it starts, working day or not."""
    due = WorkCalendar(days_off).add_workdays(start, 0)
    assert timezone.localtime(due) == dt.datetime.combine(
        local_date(start), END_OF_DAY, tzinfo=SHANGHAI
    )


@pure
@given(day=days(), days_off=overrides)
def test_without_an_override_the_library_decides_and_weekdays_count_where_it_has_no_data(
    day, days_off
):
    days_off.pop(day, None)
    calendar = WorkCalendar(days_off)
    assert calendar.is_workday(day) == library_says(day)
    if not workdays.library_knows(day):
        assert day.year == 2027
        assert calendar.is_workday(day) == (day.weekday() < 5)


def test_the_library_lacks_2027_and_counts_its_new_years_day_as_a_working_day():
    assert workdays.library_years()[1] == 2026
    assert not workdays.library_knows(dt.date(2027, 1, 1))
    # Friday 1 January 2027: a working day until staff set it off.
    assert WorkCalendar({}).is_workday(dt.date(2027, 1, 1))
    assert not WorkCalendar({dt.date(2027, 1, 1): False}).is_workday(dt.date(2027, 1, 1))


@pure
@given(day=days(), is_workday=st.booleans(), others=overrides)
def test_an_override_wins_over_the_library(day, is_workday, others):
    calendar = WorkCalendar({**others, day: is_workday})
    assert calendar.is_workday(day) is is_workday
    # The day before, one working day on ends on `day` exactly when it is a working day.
    eve = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), tzinfo=SHANGHAI)
    lands = local_date(calendar.add_workdays(eve, 1)) == day
    assert lands is is_workday


@with_db
@pytest.mark.django_db
@given(day=days(), is_workday=st.booleans())
def test_a_calendar_day_staff_set_wins_in_the_loaded_calendar(day, is_workday):
    with transaction.atomic():
        workdays.set_override(day, is_workday, note="调休")
        assert WorkCalendar.load().is_workday(day) is is_workday
        assert workdays.is_workday(day) is is_workday
        transaction.set_rollback(True)
    assert WorkCalendar.load().is_workday(day) == library_says(day)


CLOCK = {Urgency.EMERGENCY: ("15m", "1h", "2h"), Urgency.UTILITY: ("30m", "4h", "24h")}


def span(text):
    value, unit = int(text[:-1]), text[-1]
    return dt.timedelta(minutes=value) if unit == "m" else dt.timedelta(hours=value)


@with_db
@pytest.mark.django_db
@given(start=starts(), urgency=st.sampled_from(sorted(CLOCK)), days_off=overrides)
def test_emergency_and_utility_deadlines_are_exact_clock_time(start, urgency, days_off):
    """Without a row of the time-limit table, the defaults (DEFAULT_LIMITS), to the
    second: nights, weekends and holidays count."""
    deadlines = sla.compute_deadlines(urgency, None, start, calendar=WorkCalendar(days_off))
    accept, respond, resolve = (span(t) for t in CLOCK[urgency])
    assert deadlines.accept_by == start + accept
    assert deadlines.respond_by == start + respond
    assert deadlines.resolve_by == start + resolve


@pure
@given(
    start=starts(),
    value=st.integers(1, 10_000),
    unit=st.sampled_from([TimeLimit.Unit.MINUTES, TimeLimit.Unit.HOURS]),
    urgency=st.sampled_from(sorted(CLOCK)),
)
def test_clock_limits_and_clock_whistles_ignore_the_calendar(start, value, unit, urgency):
    every_day_off = WorkCalendar({start.date() + dt.timedelta(days=d): False for d in range(-1, 9)})
    delta = (
        dt.timedelta(minutes=value) if unit == TimeLimit.Unit.MINUTES else dt.timedelta(hours=value)
    )
    assert sla.add_limit(start, value, unit, every_day_off) == start + delta
    hours = value % 720 + 1
    assert sla.whistle_report_by(urgency, start, hours, every_day_off) == start + dt.timedelta(
        hours=hours
    )


@pure
@given(start=starts(), hours=st.integers(1, 720), days_off=overrides)
def test_office_hours_end_inside_office_hours_of_a_working_day(start, hours, days_off):
    """A general ticket's whistle: the report-by falls in a span of a working day (its end
    included), after the start, and no sooner than the hours themselves."""
    calendar = WorkCalendar(days_off)
    due = timezone.localtime(sla.whistle_report_by(Urgency.GENERAL, start, hours, calendar))
    assert due >= start + dt.timedelta(hours=hours)
    assert calendar.is_workday(due.date())
    spans = workdays.office_hours()
    assert any(opens < due.time() <= closes for opens, closes in spans)


@st.composite
def office_spans(draw):
    """GRIDGOV_OFFICE_HOURS as staff might set it: 1–3 separate spans, on quarter hours."""
    marks = draw(
        st.lists(st.integers(1, 95), min_size=2, max_size=6, unique=True)
        .filter(lambda m: len(m) % 2 == 0)
        .map(sorted)
    )
    quarter = [dt.time(m * 15 // 60, m * 15 % 60) for m in marks]
    return list(zip(quarter[::2], quarter[1::2], strict=True))


def office_time_between(calendar, spans, start, end):
    """Office time in [start, end] on working days, counted day by day."""
    total, day = dt.timedelta(0), local_date(start)
    while day <= local_date(end):
        if calendar.is_workday(day):
            for opens, closes in spans:
                begin = max(dt.datetime.combine(day, opens, tzinfo=SHANGHAI), start)
                finish = min(dt.datetime.combine(day, closes, tzinfo=SHANGHAI), end)
                total += max(finish - begin, dt.timedelta(0))
        day += dt.timedelta(days=1)
    return total


@settings(max_examples=60, deadline=None)
@given(start=starts(), hours=st.integers(1, 200), spans=office_spans(), days_off=overrides)
def test_office_hours_count_exactly_the_hours_given(start, hours, spans, days_off):
    calendar = WorkCalendar(days_off)
    due = calendar.add_office_hours(start, hours, spans)
    assert office_time_between(calendar, spans, start, due) == dt.timedelta(hours=hours)


def test_720_office_hours_of_an_office_open_an_hour_a_day_end():
    """The whistle form takes up to 720 hours; at one office hour a working day that is
    720 working days, past the 800 days the scan stopped at ("no working day found")."""
    calendar = WorkCalendar({})
    spans = [(dt.time(8, 30), dt.time(9, 30))]
    start = dt.datetime(2024, 1, 2, 8, 0, tzinfo=SHANGHAI)
    due = calendar.add_office_hours(start, 720, spans)
    assert timezone.localtime(due).time() == dt.time(9, 30)
    assert calendar.workdays_between(start, due) == 719  # the start day is the first


@pytest.fixture
def limit_world():
    world = make_world()
    world.other_district = PlaceFactory(code="D2", name="朝阳区", level=Level.DISTRICT)
    lineage = world.unlicensed.lineage()
    world.limit_categories = [None, *lineage, world.corridor, world.fire_lane]
    world.limit_places = [None, world.buildings[0], world.street, world.other_district]
    return world


limit_values = st.tuples(st.integers(1, 30), st.sampled_from(TimeLimit.Unit.values))


@with_db
@pytest.mark.django_db
@given(data=st.data())
def test_the_most_specific_time_limit_applies(limit_world, data):
    """limits_for's rule: the category's row, then its parents', then the urgency's alone;
    at each, the row of the ticket's district before the city's. Stated here as: of the
    rows for the urgency whose category is the ticket's, a parent or none, and whose
    district is the ticket's or none, the nearest category wins, then the district."""
    world = limit_world
    urgency = data.draw(st.sampled_from(Urgency.values), label="urgency")
    category = data.draw(
        st.sampled_from(world.limit_categories) | st.just(world.unlicensed), label="category"
    )
    place = data.draw(st.sampled_from(world.limit_places), label="place")
    districts = [None, world.district, world.other_district]
    own_district = place.ancestor_at(Level.DISTRICT) if place is not None else None
    # Rows that compete (the ticket's lineage, its district) more often than not.
    near = [None, *(category.lineage() if category else [])]
    rows = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from([urgency, *Urgency.values]),
                st.sampled_from(near) | st.sampled_from(world.limit_categories),
                st.sampled_from([None, own_district]) | st.sampled_from(districts),
                limit_values,
                limit_values,
                limit_values,
            ),
            max_size=8,
            unique_by=lambda r: (r[0], r[1].pk if r[1] else 0, r[2].pk if r[2] else 0),
        ),
        label="rows",
    )
    lineage = [c.pk for c in category.lineage()] if category else []
    district = sla.district_id(place)
    with transaction.atomic():
        TimeLimit.objects.all().delete()  # any the data migration wrote: the drawn ones only
        applying = []
        for row_urgency, row_category, row_district, accept, respond, resolve in rows:
            TimeLimit.objects.create(
                urgency=row_urgency,
                category=row_category,
                place=row_district,
                accept_value=accept[0],
                accept_unit=accept[1],
                respond_value=respond[0],
                respond_unit=respond[1],
                resolve_value=resolve[0],
                resolve_unit=resolve[1],
            )
            category_id = row_category.pk if row_category else None
            district_id = row_district.pk if row_district else None
            if row_urgency != urgency or district_id not in (None, district):
                continue
            if category_id is not None and category_id not in lineage:
                continue
            nearness = lineage.index(category_id) if category_id else len(lineage)
            applying.append(((-nearness, district_id is not None), (accept, respond, resolve)))
        expected = max(applying, key=lambda a: a[0])[1] if applying else sla.DEFAULT_LIMITS[urgency]
        assert sla.limits_for(urgency, category, place) == tuple(expected)
        start = dt.datetime(2026, 9, 30, 10, tzinfo=SHANGHAI)
        calendar = WorkCalendar({})
        deadlines = sla.compute_deadlines(urgency, category, start, calendar, place=place)
        # In order (sla.in_order): a drawn row may cross, as one written before the check.
        ends = [sla.add_limit(start, *limit, calendar) for limit in expected]
        assert deadlines == sla.Deadlines(ends[0], max(ends[:2]), max(ends))
        transaction.set_rollback(True)
