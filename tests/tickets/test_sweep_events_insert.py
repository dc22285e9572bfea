"""A swept ticket's events are written together, in one INSERT, when lifecycle.Acts saves
its row (test_sweep_statements counts the statements, test_sweep_rows compares the rows):
what each event used to bring about as it was saved one by one must still happen."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction

from gridgov.tickets import lifecycle, sweep
from gridgov.tickets.models import Notice, Ticket, TicketEvent

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture
def world():
    return make_world()


def test_the_sweeps_escalation_still_tells_the_unit_above(
    world, django_capture_on_commit_callbacks
):
    """notify queues a hand-over's notice from the event's post_save: written in bulk, the
    escalate event must send it still (bulk_create sends none)."""
    world.community_staff.email = "community@example.org"
    world.community_staff.save()
    ticket = make_ticket(world)
    now = ticket.accept_by + 25 * H
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep.run(now=now, remind=False)
    assert [code for code, *_ in report.escalated] == [ticket.code]
    assert [m.to for m in mail.outbox] == [["community@example.org"]]
    notice = Notice.objects.get(
        ticket=ticket, kind="dispatch", recipients=["community@example.org"]
    )
    assert notice is not None


def test_the_events_come_in_the_order_of_the_acts_with_their_ids(world):
    ticket = make_ticket(world)
    before = TicketEvent.objects.filter(ticket=ticket).count()
    now = ticket.accept_by + 25 * H
    sweep.run(now=now, remind=False)
    written = list(TicketEvent.objects.filter(ticket=ticket).order_by("id")[before:])
    assert [(e.action, e.data.get("stage")) for e in written] == [
        ("supervise", "accept"),
        ("supervise", "respond"),
        ("escalate", None),
    ]
    assert all(e.at == now for e in written)


@pytest.mark.parametrize("action", ["dispatch", "return", "merge", "callback"])
def test_acts_refuse_what_reads_the_tickets_events_or_locks_other_rows(world, action):
    ticket = make_ticket(world)
    with transaction.atomic():
        acts = lifecycle.Acts(lifecycle.lock_ticket(ticket.pk))
        with pytest.raises(ValueError):
            acts.perform(action, world.street_staff)
        assert acts.events == [] and acts.fields == {}
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


def test_an_act_refused_writes_nothing_of_the_acts_before_it(world):
    """The events wait for save: a refusal between acts (the caller's savepoint rolls back
    in the sweep) leaves nothing written even without one."""
    ticket = make_ticket(world)
    before = TicketEvent.objects.filter(ticket=ticket).count()
    now = ticket.accept_by + 25 * H
    with transaction.atomic():
        acts = lifecycle.Acts(lifecycle.lock_ticket(ticket.pk))
        acts.perform("supervise", None, now=now, stage="accept", reason=sweep.SUPERVISE_REASON)
        with pytest.raises(lifecycle.InvalidTransition):
            acts.perform("resolve", world.gridworker_a, now=now, reply="已处理")
        assert TicketEvent.objects.filter(ticket=ticket).count() == before
        acts.save()
    assert TicketEvent.objects.filter(ticket=ticket).count() == before + 1
