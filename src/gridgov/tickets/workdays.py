"""The Chinese working-day calendar: weekends, public holidays and make-up workdays.

Holidays come from the maintained `chinese-calendar` package; staff overrides
(`CalendarDay`) win, and cover years the package does not know yet (it is
released once the State Council publishes the next year's schedule). For a
year nobody has entered, weekdays count as working days.
"""

import datetime as dt
from functools import lru_cache

import chinese_calendar
from django.conf import settings
from django.utils import timezone

from . import reference

# Office hours of a working day (settings.GRIDGOV_OFFICE_HOURS), local time: a whistle's
# report-by on a non-emergency ticket counts only these (sla.whistle_report_by).
DEFAULT_OFFICE_HOURS = "08:30-12:00,13:30-17:30"


def office_hours(spec=None):
    """[(start, end), ...] of `spec` ("08:30-12:00,13:30-17:30"; default: the setting),
    sorted; ValueError names a malformed or overlapping span."""
    spec = spec if spec is not None else getattr(settings, "GRIDGOV_OFFICE_HOURS", "")
    spans = []
    for part in (spec or DEFAULT_OFFICE_HOURS).split(","):
        try:
            start, end = (dt.time.fromisoformat(t.strip()) for t in part.split("-"))
        except ValueError:
            raise ValueError(f"GRIDGOV_OFFICE_HOURS: {part.strip()!r} is not HH:MM-HH:MM") from None
        if start >= end:
            raise ValueError(f"GRIDGOV_OFFICE_HOURS: {part.strip()!r} ends before it starts")
        spans.append((start, end))
    spans.sort()
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise ValueError("GRIDGOV_OFFICE_HOURS: spans overlap")
    return spans


def _library_is_workday(day):
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


@lru_cache(maxsize=1)
def library_years():
    """(first, last) year whose holidays and make-up workdays the package knows; a year
    after `last` counts weekdays as working days until staff set its days."""
    from chinese_calendar.constants import holidays

    years = [day.year for day in holidays]
    return min(years), max(years)


def library_knows(day):
    first, last = library_years()
    return first <= day.year <= last


@lru_cache(maxsize=4096)
def _library_cached(day):
    return _library_is_workday(day)


class WorkCalendar:
    """A calendar with the staff overrides of a date range loaded once."""

    def __init__(self, overrides=None):
        self.overrides = overrides if overrides is not None else {}

    @classmethod
    def load(cls):
        """The calendar with every staff override (a few rows a year, cached per process)."""
        return cls(reference.calendar_overrides())

    def is_workday(self, day):
        if day in self.overrides:
            return self.overrides[day]
        return _library_cached(day)

    def add_workdays(self, start, count):
        """End of the `count`-th working day after `start`'s date (start's date not counted).

        A ticket received on Friday with one working day to go is due at the end of
        Monday, or of the first working day after a holiday.
        """
        local = timezone.localtime(start)
        day = local.date()
        remaining = count
        # No cap on the scan: a limit may be thousands of working days (the form takes up
        # to 10 000), and it ends, as past the staff's few overrides every year has
        # working days. A cap of 800 days gave limits past ~560 working days a wrong day.
        while remaining > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=local.tzinfo)
        return end

    def add_office_hours(self, start, hours, spans=None):
        """The moment `hours` of office time (`spans`, default office_hours()) on working
        days have passed since `start`: 8 hours from Friday 19:47 end on Monday, not at
        03:47 when no office is open. A result on a span's end stays there (12:00, not
        13:30)."""
        spans = spans or office_hours()
        if not any(opens < closes for opens, closes in spans):
            raise ValueError("office hours must open for some time")
        tz = timezone.get_current_timezone()
        local = timezone.localtime(start, tz)
        remaining = dt.timedelta(hours=hours)
        day = local.date()
        # No cap on the scan either (add_workdays): 720 hours (the whistle form's most) of
        # an office open one hour a day run past 800 days, which raised "no working day
        # found". Some span is longer than nothing, so it ends.
        while True:
            if self.is_workday(day):
                for opens, closes in spans:
                    begin = max(dt.datetime.combine(day, opens, tzinfo=tz), local)
                    end = dt.datetime.combine(day, closes, tzinfo=tz)
                    if begin >= end:
                        continue
                    if begin + remaining <= end:
                        return begin + remaining
                    remaining -= end - begin
            day += dt.timedelta(days=1)

    def workdays_between(self, start, end):
        """Working days strictly after start's date up to and including end's date."""
        day, last, count = timezone.localtime(start).date(), timezone.localtime(end).date(), 0
        while day < last:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def add_workdays(start, count):
    return WorkCalendar.load().add_workdays(start, count)


def is_workday(day):
    return WorkCalendar.load().is_workday(day)


def set_override(date, is_workday, note=""):
    """Staff say whether `date` is a working day (a year the package does not know yet, or a
    local change); → (CalendarDay, created). The reference cache follows (core.versions)."""
    from .models import CalendarDay

    return CalendarDay.objects.update_or_create(
        date=date, defaults={"is_workday": is_workday, "note": note or ""}
    )
