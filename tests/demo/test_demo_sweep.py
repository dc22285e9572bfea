"""The demo's past as the deadline sweep would have left it: supervisions (督办) and
escalations (上报) at the runs that would have made them, not a wall of escalations
stamped with the demo's start by its first sweep."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from gridgov.demo.seed import seed_logins, seed_people, seed_places
from gridgov.demo.tickets import EXTERNAL_PREFIX, seed_tickets
from gridgov.tickets import sweep
from gridgov.tickets.models import OPEN_STATUSES, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

SWEEP_ACTS = ("supervise", "escalate")
# The acts that hand a ticket to a holder (sweep: `received`, when its deadlines became theirs).
HAND_OVERS = ("dispatch", "designate", "escalate")


@pytest.fixture
def demo_now():
    """The demo's places, people and tickets, built at a known hour; → that hour."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    seed_places()
    seed_people()
    seed_logins()
    seed_tickets(now=now)
    return now


def _timelines():
    events = TicketEvent.objects.filter(ticket__external_id__startswith=EXTERNAL_PREFIX)
    timelines = {}
    for event in events.order_by("ticket_id", "id"):
        timelines.setdefault(event.ticket_id, []).append(event)
    return timelines


def test_every_demo_timeline_runs_in_time_order_and_records_each_state_change(demo_now):
    tickets = {t.pk: t for t in Ticket.objects.filter(external_id__startswith=EXTERNAL_PREFIX)}
    timelines = _timelines()
    assert set(timelines) == set(tickets)
    escalated = 0
    for pk, events in timelines.items():
        assert events[0].action == "create"
        for before, after in zip(events, events[1:], strict=False):
            assert before.at <= after.at, (tickets[pk].code, before.action, after.action)
            assert after.from_status == before.to_status, (tickets[pk].code, after.action)
        assert events[-1].to_status == tickets[pk].status
        assert events[-1].at <= demo_now
        # The sweep passes a ticket up only after the last act of a person on it: no unit
        # acts on a ticket the sweep has taken from it.
        ups = [i for i, event in enumerate(events) if event.action == "escalate"]
        if ups:
            escalated += 1
            assert all(e.action in SWEEP_ACTS and e.actor_id is None for e in events[ups[0] :])
    assert escalated > 0


def test_a_sweep_at_the_demos_time_finds_nothing_left_to_do(demo_now):
    before = TicketEvent.objects.count()
    report = sweep.run(now=demo_now, remind=False)
    assert report.overdue > 0  # the demo has overdue tickets, supervised and passed up already
    assert (report.supervised, report.escalated, report.errors) == ([], [], [])
    assert TicketEvent.objects.count() == before


def test_a_sweep_an_hour_later_escalates_only_what_came_due_in_that_hour(demo_now):
    later = demo_now + dt.timedelta(hours=1)
    came_due = set()
    for ticket in Ticket.objects.filter(
        status__in=OPEN_STATUSES, external_id__startswith=EXTERNAL_PREFIX
    ).select_related("owner_place"):
        missed = sweep.missed_stages(ticket, later)
        received = ticket.dispatched_at or ticket.created_at
        if missed and max(sweep.escalation_clock(missed), received) + sweep.grace() > demo_now:
            came_due.add(ticket.code)
    report = sweep.run(now=later, remind=False)
    assert {code for code, _from, _to in report.escalated} <= came_due
    assert len(report.escalated) <= len(came_due) < Ticket.objects.count() // 20


def test_the_demos_escalations_came_at_the_sweep_run_after_deadline_and_grace(demo_now):
    every = dt.timedelta(minutes=settings.GRIDGOV_SWEEP_MINUTES)
    checked = 0
    for events in _timelines().values():
        received = events[0].at if events[0].to_status == Status.DISPATCHED else None
        for i, event in enumerate(events):
            if event.action != "escalate":
                if event.action in HAND_OVERS:
                    received = event.at
                continue
            assert event.actor_id is None and event.data["by_sweep"]
            # The deadlines the holder had, as the escalation's data keeps them.
            had = {k: v for k, v in event.data["deadlines"]["before"].items() if v}
            if event.from_status not in (Status.DISPATCHED, Status.ESCALATED):
                had.pop("accept_by", None)  # signed for: no accept deadline to miss
            missed = [dt.datetime.fromisoformat(v) for v in had.values()]
            missed = [deadline for deadline in missed if deadline < event.at]
            assert missed, event.ticket.code
            due = max(min(missed), received) + sweep.grace()
            # The first run after the grace period, or after a person's last act if later.
            acted = max(e.at for e in events[:i] if e.action not in SWEEP_ACTS)
            start = max(due, acted)
            assert start < event.at <= start + every, (event.ticket.code, due, event.at)
            assert event.at < demo_now - dt.timedelta(minutes=1) or event.at == demo_now
            received = event.at
            checked += 1
    assert checked > 0
    # Escalated in the past, over the demo's weeks: not all at its start.
    times = TicketEvent.objects.filter(action="escalate").values_list("at", flat=True)
    assert min(times) < demo_now - dt.timedelta(days=3)
