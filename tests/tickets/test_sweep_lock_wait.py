"""The sweep acts under its group's row locks (lifecycle.Acts), not through a lock
and read of its own per act: after waiting for a ticket's lock it must see the unit holding
the ticket now, as lifecycle.lock_ticket does. On PostgreSQL the locking query that waited
returns the ticket as the other act left it but its joined rows as they were: a ticket a
grid worker escalated meanwhile came back with the community's id and no owner, and the
sweep found nothing above it to escalate it to."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.tickets import sweep
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Status, Ticket

from .factories import make_ticket, make_world
from .test_concurrency_review import _run_at_once, _slowed


@pytest.mark.django_db(transaction=True)
def test_a_sweep_that_waited_for_a_ticket_sees_the_unit_that_holds_it_now(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: SQLite locks the whole database")
    world = make_world()
    ticket = make_ticket(world)  # the grid's, dispatched now
    later = timezone.now() + dt.timedelta(days=30)  # every deadline and grace period past
    escalating = threading.Event()
    _slowed(monkeypatch, "escalate", escalating)

    def escalate():
        perform(Ticket.objects.get(pk=ticket.pk), "escalate", world.gridworker_a, reason="需协调")

    def run_sweep():
        escalating.wait(5)  # the grid holds the lock: the sweep screens, then waits for it
        assert sweep.run(now=later, remind=False).errors == []

    assert _run_at_once(escalate, run_sweep) == {0: "ok", 1: "ok"}
    ticket.refresh_from_db()
    # The community got it from the grid, then the sweep passed it on from the community.
    assert ticket.owner_place == world.street and ticket.status == Status.ESCALATED
    by_sweep = ticket.events.get(action="escalate", actor=None)
    assert by_sweep.data["from"] == world.community.name
