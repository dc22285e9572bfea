"""Demo tests that build a demo of their own on an empty database: outside the modules
whose tests share one demo built once (test_demo, test_demo_sweep)."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from gridgov.demo import seed
from gridgov.demo.fieldwork import seed_fieldwork
from gridgov.demo.seed import seed_logins, seed_people, seed_places
from gridgov.demo.tickets import seed_tickets
from gridgov.people.models import Department
from gridgov.places.models import Level, Place
from gridgov.tickets import sweep
from gridgov.tickets.models import Category, RoutingRule, Status
from tests.demo.timelines import patrol_hazard, taken_up

pytestmark = pytest.mark.django_db


def test_demo_command_builds_without_serving(capsys):
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert seed.DEMO_PASSWORD in out
    assert "gridworker" in out
    assert Place.objects.filter(level=Level.GRID).count() >= 40


def test_a_field_work_ticket_left_open_is_swept_over_its_past():
    """A hazard the walker's grid does not hold (here a rule sends blocked fire lanes in
    魏家坡小区 to 城管, which never signs for it) is left open: the sweep's replay passes it
    up at the run after its deadline and grace, three days ago, not at the demo's start."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    seed_places()
    seed_people()
    seed_logins()
    grid = Place.objects.get(code="QF-WJ-WJP-G01")
    RoutingRule.objects.create(
        category=Category.objects.get(name="消防通道堵塞", grid_event=True),
        place=grid,
        department=Department.objects.get(code="D-QF-CG"),
    )
    seed_fieldwork(now=now)
    hazard = patrol_hazard()
    assert hazard.owner_department is None and hazard.status == Status.ESCALATED
    ups = hazard.events.filter(action="escalate").order_by("id")
    assert [e.data["unit"] for e in ups] == ["望江街道"]
    missed = dt.datetime.fromisoformat(ups[0].data["deadlines"]["before"]["accept_by"])
    assert missed == hazard.created_at + dt.timedelta(minutes=15)  # an emergency's
    due = missed + sweep.grace()
    every = dt.timedelta(minutes=settings.GRIDGOV_SWEEP_MINUTES)
    assert due < ups[0].at <= due + every
    assert hazard.events.filter(action="supervise").exists()
    report = sweep.run(now=now, remind=False)
    assert (report.supervised, report.escalated) == ([], [])


@pytest.mark.parametrize("moment", ["2026-02-24T10:00:00+08:00", "2026-10-08T10:00:00+08:00"])
def test_after_a_long_holiday_the_unit_above_still_resolves_some_in_time_and_some_late(moment):
    """The first working day after the Spring Festival and National Day: the recent tickets'
    three weeks fell mostly in the holiday, no call was missed in them, and every ticket the
    sweep had passed up was past its resolve_by already, so none could be resolved in time
    (on time 0, late 5). A ticket signed for and never called keeps a working age
    (demo.tickets.MISSED_CALL_WORKDAYS): passed up with its resolve_by ahead."""
    with time_machine.travel(dt.datetime.fromisoformat(moment), tick=False):
        now = timezone.now()
        seed_places()
        seed_people()
        seed_logins()
        seed_tickets(now=now)
    taken, waiting, on_time, late = taken_up()
    assert 0 < waiting < taken, (waiting, taken)
    assert on_time >= 2 and late >= 2, (on_time, late)
