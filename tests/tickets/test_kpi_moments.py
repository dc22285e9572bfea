"""The KPI counting compares moments as whole microseconds since the epoch (kpis._micros),
which PostgreSQL computes for the tickets and events it sends (kpis._EpochMicros): decoding
~714,000 timestamps into datetimes took a third of a district's year ranking. A deadline met
to the microsecond stays met, and one missed by a microsecond stays missed."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.tickets import intake, kpis
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Ticket

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(8 * 60)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
R0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
MICROSECOND = dt.timedelta(microseconds=1)


def _resolved(w, resolved_at):
    data = ticket_data(category=w.corridor.code)
    ticket = intake.create_ticket(data, actor=w.hotline, now=R0).ticket
    perform(ticket, "accept", w.gridworker_a, now=R0 + dt.timedelta(hours=1))
    perform(ticket, "contact", w.gridworker_a, now=R0 + dt.timedelta(hours=2))
    perform(ticket, "resolve", w.gridworker_a, now=resolved_at(ticket), reply="已清理")
    ticket.refresh_from_db()
    return ticket


def test_a_deadline_is_judged_to_the_microsecond():
    w = make_world()
    in_time = _resolved(w, lambda t: t.resolve_by)
    late = _resolved(w, lambda t: t.resolve_by + MICROSECOND)
    assert in_time.resolved_at == in_time.resolve_by
    assert late.resolved_at - late.resolve_by == MICROSECOND
    (kpi,) = kpis.compute([w.grid_a], *MARCH, now=dt.datetime(2026, 3, 31, tzinfo=TZ))
    assert (kpi.counts["due"], kpi.counts["resolved_on_time"]) == (2, 1)


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=TZ),
        dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(1901, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=TZ),
    ],
)
def test_postgresql_counts_microseconds_as_python_does(moment):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's datetimes are turned into microseconds by kpis._micros")
    w = make_world()
    ticket = intake.create_ticket(ticket_data(category=w.corridor.code), actor=w.hotline).ticket
    Ticket.objects.filter(pk=ticket.pk).update(resolve_by=moment)
    (micros,) = Ticket.objects.filter(pk=ticket.pk).values_list(
        kpis._EpochMicros("resolve_by"), flat=True
    )
    assert micros == kpis._micros(moment)
    assert type(micros) is int


def test_hours_are_those_of_the_timedelta():
    for micros in (1, 999_999, 3_600_000_001, 123_456_789_123, 7 * 86_400_000_000 + 17):
        assert kpis._hours(micros) == dt.timedelta(microseconds=micros).total_seconds() / 3600
