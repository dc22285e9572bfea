"""The beat schedule run in-process (core.beat): without a broker, `gridgov demo` and
`gridgov beat` are what supervise and escalate overdue tickets."""

import datetime as dt
import io
import subprocess
import sys
import threading
import time

from django.core.management import call_command
from django.utils import timezone

from gridgov.core.beat import MAX_SLEEP_S, EmbeddedBeat
from gridgov.demo.management.commands import demo
from gridgov.tickets import intake
from gridgov.tickets.models import Status, TicketEvent

from ..tickets.factories import make_world, ticket_data

SWEEP = "gridgov.tickets.sweep"
# Celery's own task returning its arguments: for the tests of a thread, which must not
# touch the test's database (its transaction is not theirs).
ECHO = {"task": "celery.accumulate", "args": (1,)}


def overdue_ticket():
    """A grid ticket filed ten days ago and never accepted: due for escalation."""
    world = make_world()
    data = {**ticket_data(), "category": world.corridor.code}
    ticket = intake.create_ticket(
        data, actor=world.hotline, now=timezone.now() - dt.timedelta(days=10)
    ).ticket
    assert ticket.owner_place == world.grid_a
    return world, ticket


def test_nothing_runs_before_its_interval(db):
    _world, ticket = overdue_ticket()
    beat = EmbeddedBeat({"tickets-sweep": {"task": SWEEP, "schedule": 600}})
    wait = beat.tick()
    assert beat.runs == []
    assert 0 < wait <= MAX_SLEEP_S
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED


def test_an_entry_runs_when_its_interval_has_passed(db):
    beat = EmbeddedBeat({"health": {"task": "gridgov.healthcheck", "schedule": 0.01}})
    time.sleep(0.05)
    beat.tick()
    assert beat.runs == [("health", True)]


def test_catch_up_runs_the_real_sweep_on_start_then_on_schedule(db):
    world, ticket = overdue_ticket()
    beat = EmbeddedBeat({"tickets-sweep": {"task": SWEEP, "schedule": 600}}, catch_up=True)
    assert 0 < beat.tick() <= MAX_SLEEP_S
    assert beat.runs == [("tickets-sweep", True)]
    ticket.refresh_from_db()
    assert ticket.status == Status.ESCALATED
    assert ticket.owner_place == world.community
    assert TicketEvent.objects.filter(ticket=ticket, action="escalate", actor=None).count() == 1
    beat.tick()  # the next run is counted from this one: not due again at once
    assert beat.runs == [("tickets-sweep", True)]


def test_a_failing_task_does_not_stop_the_others(db):
    beat = EmbeddedBeat(
        {
            "broken": {"task": "gridgov.healthcheck", "schedule": 0.01, "kwargs": {"x": 1}},
            "health": {"task": "gridgov.healthcheck", "schedule": 0.01},
        }
    )
    time.sleep(0.05)
    beat.tick()
    assert beat.runs == [("broken", False), ("health", True)]


def test_the_settings_schedule_is_the_one_run(db):
    names = {entry.name: entry.task for entry in EmbeddedBeat().entries}
    assert names["tickets-sweep"] == SWEEP
    assert names["insights-hot-issues"] == "gridgov.insights.refresh_hot_issues"


def test_a_fresh_process_finds_the_tasks():
    # Here the tests imported every tasks module already; a server process has not.
    code = (
        "import django; django.setup(); from gridgov.core.beat import EmbeddedBeat; "
        "beat = EmbeddedBeat(); print(sorted(e.task for e in beat.entries if e.task in beat.app.tasks))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert SWEEP in out and "gridgov.insights.refresh_hot_issues" in out


def test_the_thread_keeps_running_the_schedule(db):
    beat = EmbeddedBeat({"echo": ECHO | {"schedule": 0.05}}).start()
    try:
        deadline = time.monotonic() + 20
        while len(beat.runs) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        beat.stop()
    assert beat.runs[:2] == [("echo", True), ("echo", True)]
    assert not any(t.name == "gridgov-beat" and t.is_alive() for t in threading.enumerate())


def test_demo_runs_the_schedule_without_a_broker(db, settings, monkeypatch):
    settings.GRIDGOV_DEMO_TICKET_LIMIT = 5
    settings.CELERY_BROKER_URL = None
    settings.CELERY_BEAT_SCHEDULE = {"echo": ECHO | {"schedule": 3600}}
    served = []
    monkeypatch.setattr("waitress.serve", lambda app, **kw: served.append(kw))  # not ours
    command = demo.Command(stdout=io.StringIO())
    call_command(command, port=8999)
    try:
        assert served and served[0]["port"] == 8999
        assert command.beat is not None and command.beat._thread.is_alive()
        deadline = time.monotonic() + 20
        while not command.beat.runs and time.monotonic() < deadline:
            time.sleep(0.05)
        assert command.beat.runs == [("echo", True)]  # caught up on start, then hourly
    finally:
        command.beat.stop()

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"  # celery beat's job then
    command = demo.Command(stdout=io.StringIO())
    call_command(command, port=8999)
    assert command.beat is None


def test_beat_command_once_runs_every_entry(db, settings):
    _world, ticket = overdue_ticket()
    settings.CELERY_BEAT_SCHEDULE = {"tickets-sweep": {"task": SWEEP, "schedule": 600}}
    out = io.StringIO()
    call_command("beat", "--once", stdout=out)
    assert "tickets-sweep" in out.getvalue()
    ticket.refresh_from_db()
    assert ticket.status == Status.ESCALATED
