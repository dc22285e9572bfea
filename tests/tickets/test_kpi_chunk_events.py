"""A KPI chunk reads its tickets' events without the callbacks that closed a ticket (no
counting reads them: they change neither the owner nor a deadline) and puts each ticket's
in (at, id) order itself: PostgreSQL sorted a chunk's 30,000 rows (kpis._chunk_events).
The figures stay those of every event in order (test_kpis, test_kpi_properties)."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.tickets import intake, kpis
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Satisfaction, TicketEvent

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(8 * 60)
R0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
HOUR = dt.timedelta(hours=1)


def _events(ids):
    on_postgresql = connection.vendor == "postgresql"

    def stamp(name):
        return kpis._EpochMicros(name) if on_postgresql else name

    return kpis._chunk_events(ids, stamp, on_postgresql)


def _called_back(w, satisfaction):
    ticket = intake.create_ticket(ticket_data(category=w.corridor.code), actor=w.hotline, now=R0)
    ticket = ticket.ticket
    perform(ticket, "accept", w.gridworker_a, now=R0 + HOUR)
    perform(ticket, "contact", w.gridworker_a, now=R0 + 2 * HOUR)
    perform(ticket, "resolve", w.gridworker_a, now=R0 + 3 * HOUR, reply="已清理")
    resolved = satisfaction != Satisfaction.DISSATISFIED
    perform(
        ticket,
        "callback",
        w.hotline,
        now=R0 + 4 * HOUR,
        resolved=resolved,
        satisfaction=satisfaction,
    )
    return ticket


def test_a_closing_callback_is_not_read_a_reopening_one_is():
    w = make_world()
    closed = _called_back(w, Satisfaction.SATISFIED)
    reopened = _called_back(w, Satisfaction.DISSATISFIED)
    events = _events(sorted([closed.pk, reopened.pk]))
    assert [e.action for e in events[closed.pk]] == [
        "create",
        "dispatch",
        "accept",
        "contact",
        "resolve",
    ]
    assert [e.action for e in events[reopened.pk]][-1] == "callback"
    reopening = events[reopened.pk][-1]
    assert reopening.data["satisfaction"] == Satisfaction.DISSATISFIED  # its data is read
    assert TicketEvent.objects.filter(ticket=closed, action="callback").exists()


def test_a_tickets_events_come_in_time_order_whatever_the_ids():
    w = make_world()
    ticket = _called_back(w, Satisfaction.SATISFIED)
    # An event written later (a higher id) for an earlier moment, and two at one moment:
    # (at, id) order, as the counting reads them.
    first = TicketEvent.objects.filter(ticket=ticket).order_by("id").first()
    note = TicketEvent.objects.create(
        ticket=ticket,
        action="supervise",
        at=first.at + dt.timedelta(minutes=30),
        owner_place=first.owner_place,
    )
    same = TicketEvent.objects.create(
        ticket=ticket, action="supervise", at=note.at, owner_place=first.owner_place
    )
    expected = list(
        TicketEvent.objects.filter(ticket=ticket)
        .exclude(action="callback")
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert expected.index("supervise") == 2  # after create and dispatch, before accept
    got = _events([ticket.pk])[ticket.pk]
    assert [e.action for e in got] == expected
    assert [e.at for e in got] == sorted(e.at for e in got)
    assert same.pk > note.pk
