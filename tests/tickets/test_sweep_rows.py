"""What a sweep writes, row for row: each act's event (action, from and to status, holder,
reason, data, time, in order) and each ticket's row as its acts leave it, the version
counted once an act. The acts of a ticket share one UPDATE of its row (lifecycle.Acts):
the values must be those the acts written one by one would leave. The expectations are
worked out here from the rules (sweep.py's docstring, lifecycle._supervise and _escalate,
the time limits), for tickets a run acts on once, twice, three and four times."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.tickets import intake, sla, sweep
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Category, HomeLevel, Status, Ticket, TicketEvent
from gridgov.tickets.workdays import WorkCalendar

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
H = dt.timedelta(hours=1)
# A general ticket filed at T0 is to be signed for by Tuesday 23:59:59 and the requester
# contacted by Wednesday's end; the sweep runs in the first hour of Thursday: both missed,
# the signing more than the grace period (24 h) ago.
NOW = dt.datetime(2026, 3, 5, 1, 0, tzinfo=TZ)


def make_ticket(world, category, **overrides):
    data = ticket_data(**overrides)
    data["category"] = category.code
    return intake.create_ticket(data, actor=world.hotline, now=T0).ticket


def iso(moment):
    return timezone.localtime(moment).isoformat()


def row(ticket):
    return Ticket.objects.filter(pk=ticket.pk).values().get()


def supervision(ticket, stage, now):
    """The event of the sweep's supervision of `stage`, on the ticket as it stands."""
    return {
        "action": "supervise",
        "from_status": ticket.status,
        "to_status": ticket.status,
        "actor_id": None,
        "owner_place_id": ticket.owner_place_id,
        "owner_department_id": ticket.owner_department_id,
        "reason": sweep.SUPERVISE_REASON,
        "data": {"stage": stage},
        "at": now,
    }


def escalation(ticket, to, now):
    """(the event, the row's new values) of the sweep's escalation of the ticket as it
    stands to the place `to`: the unit above gets its own accept_by from now and the
    requester's deadlines as they are."""
    (value, unit), _respond, _resolve = sla.limits_for(
        ticket.urgency, ticket.category, ticket.place
    )
    accept_by = sla.add_limit(now, value, unit, WorkCalendar.load())
    kept = {"respond_by": iso(ticket.respond_by)} if ticket.contacted_at is None else {}
    kept["resolve_by"] = iso(ticket.resolve_by)
    event = {
        "action": "escalate",
        "from_status": ticket.status,
        "to_status": Status.ESCALATED,
        "actor_id": None,
        "owner_place_id": to.pk,
        "owner_department_id": None,
        "reason": sweep.ESCALATE_REASON,
        "data": {
            "from": (ticket.owner_department or ticket.owner_place).name,
            "place": to.code,
            "unit": to.name,
            "by_sweep": True,
            "deadlines": {
                "before": {"accept_by": iso(ticket.accept_by)},
                "after": {"accept_by": iso(accept_by)},
            },
            "accept_by": iso(accept_by),
            "kept": kept,
        },
        "at": now,
    }
    changed = {
        "status": Status.ESCALATED,
        "owner_place_id": to.pk,
        "owner_department_id": None,
        "accepted_at": None,
        "dispatched_at": now,
        "accept_by": accept_by,
    }
    return event, changed


def expect(ticket, stages, now, escalate_to=None):
    """(events, row) a run at `now` should write on the ticket as it stands: a supervision
    of each stage, then the escalation to `escalate_to`; its row with the last act's values,
    updated at `now`, the version once more an act."""
    ticket.refresh_from_db()
    events = [supervision(ticket, stage, now) for stage in stages]
    expected = {**row(ticket), "updated_at": now}
    if escalate_to is not None:
        event, changed = escalation(ticket, escalate_to, now)
        events.append(event)
        expected.update(changed)
    expected["version"] += len(events)
    return events, expected


def written(now):
    fields = ("action", "from_status", "to_status", "actor_id", "owner_place_id")
    fields += ("owner_department_id", "reason", "data", "at")
    return list(TicketEvent.objects.filter(at=now).order_by("id").values("ticket_id", *fields))


def test_a_sweep_writes_each_acts_event_and_the_row_its_acts_leave(world):
    # Supervised for its missed signing by an earlier run; now its response is missed too,
    # and the grace period after its signing deadline is over: two acts.
    two = make_ticket(world, world.corridor, title="楼道堆物")
    early = two.accept_by + H
    events, expected = expect(two, ["accept"], early)
    report = sweep.run(now=early, remind=False)
    assert report.supervised == [(two.code, "accept")] and report.escalated == []
    assert [{k: v for k, v in e.items() if k != "ticket_id"} for e in written(early)] == events
    assert row(two) == expected

    # Signed for in time, never contacted: one act (its grace period runs until Thursday's end).
    one = make_ticket(world, world.corridor, title="楼道堆满纸箱")
    perform(one, "accept", world.gridworker_a, now=T0 + H)
    three = make_ticket(world, world.corridor, title="楼道堆放旧家具")  # untouched
    department = make_ticket(world, world.unlicensed, title="无证摊贩")  # to its street
    four = make_ticket(world, world.fire_lane, title="消防通道被堵")  # emergency: all three
    street_matter = Category.objects.get(depth=1, home_level=HomeLevel.STREET, name="环境保护")
    top = make_ticket(world, street_matter, title="工地噪声扰民")  # nothing above the street
    assert three.owner_place == world.grid_a and department.owner_department == world.city_mgmt
    assert four.resolve_by < NOW and top.owner_place == world.street

    plan = [
        (one, ["respond"], None),
        (two, ["respond"], world.community),
        (three, ["accept", "respond"], world.community),
        (department, ["accept", "respond"], world.street),
        (four, ["accept", "respond", "resolve"], world.community),
        (top, ["accept", "respond"], None),
    ]
    expected_events, expected_rows = [], {}
    for ticket, stages, escalate_to in sorted(plan, key=lambda p: p[0].pk):
        events, expected_rows[ticket.pk] = expect(ticket, stages, NOW, escalate_to)
        expected_events += [{"ticket_id": ticket.pk, **event} for event in events]
    assert {len(stages) + (to is not None) for _t, stages, to in plan} == {1, 2, 3, 4}

    report = sweep.run(now=NOW, remind=False)
    assert report.errors == []
    assert len(report.supervised) + len(report.escalated) == len(expected_events) == 15
    assert written(NOW) == expected_events
    for ticket, _stages, _to in plan:
        assert row(ticket) == expected_rows[ticket.pk], ticket.title


@pytest.fixture
def world(db):
    return make_world()
