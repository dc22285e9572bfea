"""Found in the concurrency review (issues #3, #5): two runs of one task at once, a task
given a ticket that moved on meanwhile, lock order across the tickets of one act."""

import io
import shutil
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from gridgov.tickets import imports
from gridgov.tickets.models import Ticket, TicketEvent
from gridgov.tickets.tasks import import_task

from .factories import make_ticket, make_world
from .test_import import rows, write_csv


@pytest.mark.django_db(transaction=True)
def test_one_file_uploaded_twice_at_once_is_imported_once(tmp_path, monkeypatch):
    """Both uploads checked "already imported" before either had written (the check runs
    before the import's transaction), so a double click on 导入 wrote every row twice."""
    world = make_world()
    first = write_csv(tmp_path / "a.csv", rows(n=6, bad=False))
    second = shutil.copy(first, tmp_path / "b.csv")
    both_checked = threading.Barrier(2)
    real = imports._imported_before

    # Both have checked before either writes: the check for rows imported before is where
    # both paths (Importer.insert after the check, import_streamed as it checks) look.
    def imported_before(ids, channel):
        known = real(ids, channel)
        try:
            both_checked.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass  # the other one waits for this import to end: nothing to wait for
        return known

    monkeypatch.setattr(imports, "_imported_before", imported_before)
    reports = []

    def upload(path):
        try:
            reports.append(import_task.run(str(path), None, "hotline", world.hotline.pk, True))
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(p,)) for p in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Ticket.objects.count() == 6
    assert TicketEvent.objects.filter(action="create").count() == 6
    assert sorted(r["created"] for r in reports) == [0, 6]
    refused = next(r for r in reports if not r["created"])
    assert not refused["ok"] and len(refused["errors"]) == 6


@pytest.mark.django_db(transaction=True)
def test_the_command_line_import_waits_for_an_upload_of_the_same_file(tmp_path, monkeypatch):
    """`gridgov tickets import` and an upload of one file at once: the command went around
    the upload's lock, and both wrote every row."""
    world = make_world()
    first = write_csv(tmp_path / "a.csv", rows(n=6, bad=False))
    second = shutil.copy(first, tmp_path / "b.csv")
    both_checked = threading.Barrier(2)
    real = imports._imported_before

    def imported_before(ids, channel):  # as above
        known = real(ids, channel)
        try:
            both_checked.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        return known

    monkeypatch.setattr(imports, "_imported_before", imported_before)
    outcomes = []

    def upload():
        try:
            outcomes.append(import_task.run(str(first), None, "hotline", world.hotline.pk, True))
        finally:
            connection.close()

    def command():
        try:
            call_command("tickets", "import", str(second), "--no-progress", stdout=io.StringIO())
            outcomes.append({"created": 6})
        except CommandError:
            outcomes.append({"created": 0})
        finally:
            connection.close()

    threads = [threading.Thread(target=upload), threading.Thread(target=command)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Ticket.objects.count() == 6
    assert sorted(o["created"] for o in outcomes) == [0, 6]


@pytest.fixture
def mailed_world(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GRIDGOV_WEBHOOK_URL = ""
    world = make_world()
    for user in (world.gridworker_a, world.community_staff):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    return world


@pytest.mark.django_db
def test_a_reminder_queued_before_the_ticket_was_signed_for_is_not_sent(mailed_world):
    """The sweep queues "sign for it within 2 hours"; the grid signs for it before a worker
    runs the task (a busy or restarted queue): the reminder went out all the same, as it
    did for a ticket merged meanwhile, or about a deadline no longer the ticket's."""
    from django.core import mail

    from gridgov.tickets.lifecycle import perform
    from gridgov.tickets.models import Notice
    from gridgov.tickets.tasks import notify_deadline

    world = mailed_world
    ticket = make_ticket(world)
    key = ticket.accept_by.isoformat()
    perform(ticket, "accept", world.gridworker_a)
    assert notify_deadline.run(ticket.pk, "accept_due", key) is None

    due, merged = make_ticket(world), make_ticket(world)
    key = merged.accept_by.isoformat()
    perform(merged, "merge", world.hotline, into=due.code)
    assert notify_deadline.run(merged.pk, "accept_due", key) is None
    assert notify_deadline.run(due.pk, "accept_due", "2020-01-01T00:00:00+00:00") is None

    assert notify_deadline.run(due.pk, "accept_due", due.accept_by.isoformat()) is not None
    assert [m.to for m in mail.outbox] == [["gw_a@example.org"]]
    assert list(Notice.objects.values_list("ticket", flat=True)) == [due.pk]


@pytest.mark.django_db
def test_a_dispatch_notice_queued_before_the_ticket_was_merged_is_not_sent(mailed_world):
    from django.core import mail

    from gridgov.tickets.lifecycle import perform
    from gridgov.tickets.tasks import notify_dispatch

    world = mailed_world
    survivor, duplicate = make_ticket(world), make_ticket(world)
    args = (duplicate.owner_place_id, None, duplicate.dispatched_at.isoformat())
    perform(duplicate, "merge", world.hotline, into=survivor.code)
    assert notify_dispatch.run(duplicate.pk, *args) is None
    assert notify_dispatch.run(10**9, *args) is None  # deleted meanwhile
    args = (survivor.owner_place_id, None, survivor.dispatched_at.isoformat())
    assert notify_dispatch.run(survivor.pk, *args) is not None
    assert [m.to for m in mail.outbox] == [["gw_a@example.org"]]


def _slowed(monkeypatch, action, locked):
    """Make `action` hold the ticket's lock a moment, telling `locked` once it has it."""
    import time

    from gridgov.tickets import lifecycle

    real = lifecycle.HANDLERS[action]

    def slow(t, actor, now, **params):
        change = real(t, actor, now, **params)
        locked.set()
        time.sleep(1)
        return change

    monkeypatch.setitem(lifecycle.HANDLERS, action, slow)


def _run_at_once(*calls):
    """Run each call in its own thread (own connection); → {index: "ok" or the exception}."""
    outcomes = {}

    def run(index, call):
        try:
            call()
            outcomes[index] = "ok"
        except Exception as exc:  # noqa: BLE001 - compared by the test
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_an_act_waiting_for_the_ticket_sees_the_unit_that_holds_it_now(monkeypatch):
    """On PostgreSQL, an act that waited for the ticket's row lock while another act handed
    the ticket to another unit read the new owner's id but no owner: the join of the
    locking query kept the place row of before, which no longer matched, so the street
    approving an extension while the grid escalated was told it may not ('outside your
    area'), and unit names in the event data came out empty."""
    import datetime as dt

    from django.utils import timezone

    from gridgov.tickets.lifecycle import perform
    from gridgov.tickets.models import Status

    world = make_world()
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    until = (timezone.now() + dt.timedelta(days=90)).isoformat()
    perform(ticket, "extend", world.gridworker_a, until=until, reason="需协调物业")
    escalating = threading.Event()
    _slowed(monkeypatch, "escalate", escalating)

    def escalate():
        perform(
            Ticket.objects.get(pk=ticket.pk), "escalate", world.gridworker_a, reason="需社区协调"
        )

    def approve():
        escalating.wait(5)  # the grid holds the lock: this waits for it
        perform(Ticket.objects.get(pk=ticket.pk), "approve-extension", world.street_staff)

    assert _run_at_once(escalate, approve) == {0: "ok", 1: "ok"}
    ticket.refresh_from_db()
    assert ticket.status == Status.ESCALATED and ticket.owner_place == world.community
    approved = ticket.events.get(action="approve-extension")
    assert approved.owner_place == world.community and approved.data["approved"] is True


@pytest.mark.django_db(transaction=True)
def test_a_merged_tickets_callback_locks_both_tickets_in_the_order_merges_do(monkeypatch):
    """A dissatisfied callback on a merged ticket locked it, then its survivor (to reopen
    it); a merge locks the lower id first. A desk merging the survivor into the merged
    ticket at that moment (a stale page) held the survivor and waited for the merged
    ticket: PostgreSQL broke the deadlock by failing one of them with a database error."""
    from gridgov.tickets.lifecycle import InvalidTransition, perform
    from gridgov.tickets.models import Status

    world = make_world()
    survivor, merged = make_ticket(world), make_ticket(world)  # survivor has the lower id
    perform(merged, "merge", world.hotline, into=survivor.code)
    perform(survivor, "accept", world.gridworker_a)
    perform(survivor, "resolve", world.gridworker_a, reply="已清理")
    calling = threading.Event()
    _slowed(monkeypatch, "callback", calling)

    def callback():
        ticket = Ticket.objects.get(pk=merged.pk)
        perform(ticket, "callback", world.hotline, resolved=False, satisfaction="dissatisfied")

    def stale_merge():
        calling.wait(5)
        perform(Ticket.objects.get(pk=survivor.pk), "merge", world.hotline, into=merged.code)

    outcomes = _run_at_once(callback, stale_merge)
    assert outcomes[0] == "ok" and isinstance(outcomes[1], InvalidTransition), outcomes
    assert Ticket.objects.get(pk=survivor.pk).status == Status.REOPENED
    assert Ticket.objects.get(pk=merged.pk).callbacks.count() == 1
