"""The deadline sweep under random histories (hypothesis; sweep.py's docstring, DESIGN §4).

Each example files a few tickets (a grid's, a community's, a street's, a department's) at
moments drawn around the 2026 Spring Festival and National Day holidays and weekends, has
their holders and the hotline act on them at later moments (accept, contact, ask for an
extension and decide it, resolve, reopen, escalate by hand, return and dispatch again,
whistle, merge), then sweeps at increasing moments. Around every run:

- what the run writes on a ticket is what `sweep.due` says of the ticket as it stood: one
  supervise event per stage it names, then an escalation to `routing.next_level_up` when
  it says so and there is a rung above (one rung, never above the street: a department's
  ticket goes to its street); nothing on a ticket neither open nor escalatable;
- every event it writes is the system's (actor None), at the run's moment, from the status
  the ticket's previous event left it in, and bumps the version once;
- reminders: a Notice per (ticket, kind, deadline) for each deadline due within the lead
  whose holder has somebody to tell, none twice;
- a second run at the same moment writes nothing, sends nothing.

And the runs together against the last alone (the design escalates one rung per run, so
they differ there): a ticket the runs escalated no further than the last run alone would,
ends with the same holder, status and supervisions; where either escalated, the runs took
it at least as far as the last alone did, at most one rung per run.

Each example runs in a savepoint rolled back at its end (the world is made once per test).
SWEEP_EXAMPLES raises the examples for a long run.
"""

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st

from gridgov.places.models import Level
from gridgov.tickets import intake, lifecycle, notify, routing, sweep
from gridgov.tickets.lifecycle import LifecycleError
from gridgov.tickets.models import (
    HANDLING_STATUSES,
    OPEN_STATUSES,
    Category,
    Extension,
    HomeLevel,
    Notice,
    Status,
    Ticket,
    TicketEvent,
)

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Days next to the 2026 holidays (Spring Festival 15–23 Feb, National Day 1–8 Oct, with
# their make-up Saturdays and Sundays) and an ordinary week.
DAYS = [dt.date(2026, 2, 13) + dt.timedelta(days=n) for n in range(12)]
DAYS += [dt.date(2026, 9, 27) + dt.timedelta(days=n) for n in range(14)]
DAYS += [dt.date(2026, 3, 2) + dt.timedelta(days=n) for n in range(7)]
OPS = ("accept", "contact", "extend", "approve-extension", "resolve", "reopen")
OPS += ("escalate", "return", "dispatch", "whistle", "merge")
HOLDERS = {
    "grid_a": "gridworker_a",
    "grid_b": "gridworker_b",
    "community": "community_staff",
    "street": "street_staff",
    "city_mgmt": "city_handler",
    "housing": "housing_handler",
}
ACTORS = ("hotline", "community_staff", "street_staff", "district_staff", "gridworker_a")
ACTORS += ("city_handler",)
UNIT_RANK = {"grid": 0, "community": 1, "street": 2}

props = settings(
    max_examples=int(os.environ.get("SWEEP_EXAMPLES", "25")),
    deadline=None,
    database=None,  # nothing written to the shared working tree
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture
def world(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GRIDGOV_WEBHOOK_URL = ""
    w = make_world()
    # Grid workers, the community and 城管 have addresses (reminders go out); the street has
    # none (its reminders are not sent).
    for user, address in [
        (w.gridworker_a, "gw_a@example.org"),
        (w.gridworker_b, "gw_b@example.org"),
        (w.community_staff, "community@example.org"),
        (w.city_handler, "cg@example.org"),
    ]:
        user.email = address
        user.save(update_fields=["email"])
    w.street_matter = Category.objects.get(depth=1, home_level=HomeLevel.STREET, name="环境保护")
    w.categories = [w.corridor, w.community_matter, w.street_matter, w.unlicensed]
    w.units = {p.pk: name for name, p in [("grid_a", w.grid_a), ("grid_b", w.grid_b)]} | {
        w.community.pk: "community",
        w.street.pk: "street",
    }
    return w


def fresh(pk):
    return Ticket.objects.select_related(
        "category", "place", "owner_place", "owner_department"
    ).get(pk=pk)


def holder_name(world, ticket):
    if ticket.owner_department_id:
        return (
            "city_handler"
            if ticket.owner_department_id == world.city_mgmt.pk
            else "housing_handler"
        )
    unit = world.units.get(ticket.owner_place_id)
    return HOLDERS.get(unit, "hotline")


def params_for(world, op, ticket, others, draw):
    if op == "contact":
        return {"method": "phone", "note": "已联系诉求人"}
    if op == "extend":
        base = ticket.resolve_by or ticket.created_at
        days = draw(st.integers(1, 15), label="extension days")
        return {"until": (base + dt.timedelta(days=days)).isoformat(), "reason": "需协调物业"}
    if op == "approve-extension":
        approve = draw(st.booleans(), label="approve")
        return {"approve": approve, "reason": "" if approve else "理由不充分"}
    if op == "resolve":
        return {"reply": "已清理完毕"}
    if op in ("reopen", "escalate"):
        return {"reason": "需上级协调"}
    if op == "return":
        return {"reason_code": "other", "reason": "不属于本网格"}
    if op == "dispatch":
        unit = draw(st.sampled_from([world.grid_a, world.grid_b, world.community]), label="unit")
        return {"unit": unit.code}
    if op == "whistle":
        return {"departments": [world.city_mgmt.code], "reason": "需部门协同"}
    if op == "merge":
        return (
            {"into": draw(st.sampled_from(others), label="into"), "reason": "同一事项"}
            if others
            else None
        )
    return {}


def attempt(world, op, pk, others, at, draw):
    """The op by the ticket's holder, else by the first of the others it is allowed to;
    refusals write nothing, so a history is whatever of the drawn ops could be done."""
    ticket = fresh(pk)
    params = params_for(world, op, ticket, others, draw)
    if params is None:
        return
    names = [holder_name(world, ticket), *ACTORS]
    for name in dict.fromkeys(names):
        try:
            lifecycle.perform(fresh(pk), op, getattr(world, name), now=at, **params)
            note(f"done: {op}")
            return
        except LifecycleError:
            continue


# A ticket's way through its holder's hands, of which each example takes a beginning; other
# acts (by hand: escalate, return and dispatch, whistle, merge) fall in between.
MAIN = ("accept", "contact", "extend", "approve-extension", "resolve", "reopen")
EXTRAS = ("escalate", "return", "dispatch", "whistle", "merge", "accept", "contact", "extend")


@st.composite
def ticket_ops(draw, index):
    ops = list(MAIN[: draw(st.integers(0, len(MAIN)), label="progress")])
    for extra in draw(st.lists(st.sampled_from(EXTRAS), max_size=3), label="extras"):
        ops.insert(draw(st.integers(0, len(ops)), label="at"), extra)
    return [(index, op, draw(st.integers(0, 3 * 60), label="minutes later")) for op in ops]


# A sweep moment: some minutes after the one before, or next to a ticket's deadline (inside
# the reminder lead, or at the end of the grace period after it, give or take a few minutes).
before_deadline = st.tuples(
    st.just("before"),
    st.integers(0, 2),
    st.sampled_from(["accept_by", "resolve_by"]),
    st.integers(0, 150),
)
moments = st.one_of(
    st.tuples(st.just("gap"), st.integers(1, 8 * 24 * 60)),
    before_deadline,
    before_deadline,  # twice as often: a reminder needs a run inside a two-hour window
    st.tuples(
        st.just("grace"),
        st.integers(0, 2),
        st.sampled_from(["accept_by", "respond_by", "resolve_by"]),
        st.integers(-5, 5),
    ),
)


@st.composite
def histories(draw):
    base_day = draw(st.sampled_from(DAYS), label="day")
    base = dt.datetime.combine(base_day, dt.time(draw(st.integers(0, 23))), tzinfo=SHANGHAI)
    tickets = draw(
        st.lists(st.tuples(st.integers(0, 3), st.integers(0, 72 * 60)), min_size=1, max_size=3),
        label="tickets (category, filed minutes after)",
    )
    ops = []
    for index in range(len(tickets)):
        ops += draw(ticket_ops(index))
    ops = draw(st.permutations(ops), label="ops") if len(tickets) > 1 else ops
    # Keep each ticket's own order (a permutation of the lists, merged in order).
    order = {}
    for index, op, minutes in ops:
        order.setdefault(index, []).append((op, minutes))
    mine = {i: iter([o for o in ops if o[0] == i]) for i in order}
    merged = [next(mine[index]) for index, _op, _m in ops]
    sweeps = draw(st.lists(moments, min_size=1, max_size=4), label="sweeps")
    return base, tickets, merged, sweeps


def sweep_moments(pks, clock, specs):
    """The sweep moments the specs give, each later than the last act and the run before."""
    out = []
    for spec in specs:
        if spec[0] == "gap":
            at = clock + dt.timedelta(minutes=spec[1])
        else:
            _kind, index, field, minutes = spec
            deadline = getattr(Ticket.objects.get(pk=pks[index % len(pks)]), field)
            if deadline is None:
                at = clock + dt.timedelta(hours=1)
            elif spec[0] == "before":
                at = deadline - dt.timedelta(minutes=minutes)
            else:
                at = deadline + sweep.grace() + dt.timedelta(minutes=minutes)
        clock = max(at, clock + dt.timedelta(minutes=1))
        out.append(clock)
    return out


def make_history(world, data, history):
    base, tickets, ops, _sweeps = history
    pks = []
    clock = base
    for category, minutes in sorted(tickets, key=lambda t: t[1]):
        clock = base + dt.timedelta(minutes=minutes)
        phone = f"139{len(pks):08d}"
        values = ticket_data(category=world.categories[category].code, requester_phone=phone)
        pks.append(intake.create_ticket(values, actor=world.hotline, now=clock).ticket.pk)
    for index, op, minutes in ops:
        clock += dt.timedelta(minutes=minutes)
        pk = pks[index]
        attempt(world, op, pk, [p for p in pks if p != pk], clock, data.draw)
    return pks, clock


def last_event(pk):
    return TicketEvent.objects.filter(ticket_id=pk).order_by("-at", "-id").first()


def rung(world, ticket):
    """The ticket's holder on the ladder: grid 0, community 1, street 2 (a department, -1)."""
    if ticket.owner_department_id:
        return -1
    unit = world.units.get(ticket.owner_place_id, "")
    return UNIT_RANK.get(unit.split("_")[0], 3)


def state(pk):
    t = Ticket.objects.get(pk=pk)
    supervised = set(
        TicketEvent.objects.filter(ticket_id=pk, action="supervise").values_list(
            "owner_place_id", "owner_department_id", "data__stage"
        )
    )
    return {"status": t.status, "owner": (t.owner_place_id, t.owner_department_id)}, supervised


def expected_reminders(now):
    """{(ticket id, kind, key)} a run at `now` owes, from the tickets as they stand after
    its acts (it reminds last)."""
    soon = now + sweep.reminder_lead()
    owed = set()
    for t in Ticket.objects.all():
        if not notify.has_audience(t.owner_place_id, t.owner_department_id):
            continue
        if t.status in (Status.DISPATCHED, Status.ESCALATED) and t.accept_by:
            if now < t.accept_by <= soon:
                owed.add((t.pk, "accept_due", t.accept_by.isoformat()))
        if t.status in sweep.HELD and t.resolve_by and now < t.resolve_by <= soon:
            owed.add((t.pk, "resolve_due", t.resolve_by.isoformat()))
    return owed


def notices():
    return set(Notice.objects.values_list("ticket_id", "kind", "key"))


def documented(ticket, now):
    """What sweep.py's docstring says a run at `now` does to the ticket, read from the
    database afresh: ([stages to supervise], escalate?)."""
    if ticket.status not in OPEN_STATUSES:
        return [], False
    deadlines = [
        (
            "accept",
            ticket.accept_by if ticket.status in (Status.DISPATCHED, Status.ESCALATED) else None,
        ),
        ("respond", ticket.respond_by if ticket.contacted_at is None else None),
        ("resolve", ticket.resolve_by),
    ]
    missed = [(stage, d) for stage, d in deadlines if d is not None and now > d]
    if not missed:
        return [], False
    received = ticket.dispatched_at or ticket.created_at
    holder = TicketEvent.objects.filter(
        ticket=ticket,
        action="supervise",
        owner_place_id=ticket.owner_place_id,
        owner_department_id=ticket.owner_department_id,
    )
    stages = [
        stage
        for stage, d in missed
        # Missed while this holder had it, and not supervised for this holder since.
        if d >= received and not holder.filter(data__stage=stage, at__gt=d).exists()
    ]
    pending = Extension.objects.filter(ticket=ticket, state=Extension.State.PENDING).first()
    grace = sweep.grace()
    starts = []
    for stage, d in missed:
        if stage == "resolve" and pending is not None:
            # Counted from the requested deadline, one grace period after resolve_by at most.
            d = max(d, min(pending.requested_until, d + grace))
        starts.append(d)
    # Nothing above the street (a desk's ticket with no holder: the run finds no rung).
    top = ticket.owner_place is not None and ticket.owner_place.level in (
        Level.STREET,
        Level.DISTRICT,
    )
    escalate = (
        ticket.status in (Status.DISPATCHED, *HANDLING_STATUSES, Status.ESCALATED)
        and not top
        and now >= max(min(starts), received) + grace
    )
    return stages, escalate


def checked_run(world, pks, now):
    """sweep.run(now) with its writes checked against what `due` said before it."""
    before = {}
    for pk in pks:
        ticket = fresh(pk)
        supervisions = sweep.supervisions_of([pk])[pk]
        pending = sweep.pending_extensions([pk]).get(pk)
        stages, escalate = sweep.due(ticket, now, supervisions, pending)
        assert (stages, escalate) == documented(ticket, now), (ticket.code, now)
        escalate = escalate and routing.next_level_up(ticket) is not None
        before[pk] = {
            "ticket": ticket,
            "stages": stages,
            "escalate": escalate,
            "up": routing.next_level_up(ticket) if escalate else None,
            "last": last_event(pk),
            "max_id": TicketEvent.objects.filter(ticket_id=pk).order_by("-id").first().id,
        }
    sent_before = notices()
    outbox = len(mail.outbox)

    report = sweep.run(now=now)

    assert report.errors == []
    for kind in ("supervised", "escalated", "reminded"):
        if getattr(report, kind):
            note(f"a run {kind}")
    expected_supervised, expected_escalated = [], []
    for pk, b in before.items():
        old = b["ticket"]
        new = fresh(pk)
        written = list(TicketEvent.objects.filter(ticket_id=pk, id__gt=b["max_id"]).order_by("id"))
        want = [("supervise", s) for s in b["stages"]] + [("escalate", None)] * b["escalate"]
        got = [
            (e.action, e.data.get("stage") if e.action == "supervise" else None) for e in written
        ]
        assert got == want, (old.code, old.status, now)
        expected_supervised += [(old.code, s) for s in b["stages"]]
        if b["escalate"]:
            assert old.status in sweep.ESCALATABLE
            expected_escalated.append((old.code, old.owner.code, b["up"].code))
            # One rung: grid → community → street, a department → its street.
            assert new.owner_place == b["up"] and new.owner_department_id is None
            assert b["up"].level in (sweep.Level.COMMUNITY, sweep.Level.STREET)
            assert old.owner_department_id or rung(world, new) == rung(world, old) + 1
            assert new.status == Status.ESCALATED
        else:
            assert (new.owner_place_id, new.owner_department_id, new.status) == (
                old.owner_place_id,
                old.owner_department_id,
                old.status,
            )
        if old.status not in OPEN_STATUSES:
            assert written == []
        # The system's, at the run's moment, each from the status the one before left.
        previous = b["last"].to_status
        for event in written:
            assert event.actor_id is None and event.at == now, event
            assert event.from_status == previous, (event.action, event.from_status, previous)
            previous = event.to_status
        assert new.status == previous
        assert new.version == old.version + len(written)
    assert sorted(report.supervised) == sorted(expected_supervised)
    assert sorted(report.escalated) == sorted(expected_escalated)

    # Reminders: those owed and not sent before, each once.
    sent = notices() - sent_before
    assert sent == expected_reminders(now) - sent_before
    assert Notice.objects.count() == len(notices())
    assert sorted(report.reminded) == sorted(
        (Ticket.objects.get(pk=pk).code, kind) for pk, kind, _key in sent
    )
    assert len(mail.outbox) - outbox == len(sent)

    # A second run at the same moment writes and sends nothing.
    events = TicketEvent.objects.count()
    versions = list(Ticket.objects.order_by("id").values_list("version", flat=True))
    again = sweep.run(now=now)
    assert (again.supervised, again.escalated, again.reminded) == ([], [], [])
    assert TicketEvent.objects.count() == events
    assert list(Ticket.objects.order_by("id").values_list("version", flat=True)) == versions
    assert notices() == sent_before | sent
    return report


@props
@given(data=st.data(), history=histories())
def test_sweeps_do_what_due_says_once_and_one_rung_per_run(world, data, history):
    with transaction.atomic():
        pks, clock = make_history(world, data, history)
        moments = sweep_moments(pks, clock, history[3])
        start = {pk: state(pk) for pk in pks}

        # The last run alone, rolled back.
        with transaction.atomic():
            checked_run(world, pks, moments[-1])
            alone = {pk: state(pk) for pk in pks}
            alone_rung = {pk: rung(world, fresh(pk)) for pk in pks}
            transaction.set_rollback(True)
        assert {pk: state(pk) for pk in pks} == start

        runs = [checked_run(world, pks, now) for now in moments]
        for pk in pks:
            (end, supervised) = state(pk)
            (single, single_supervised) = alone[pk]
            escalations = sum(code == fresh(pk).code for r in runs for code, *_ in r.escalated)
            single_escalated = single["owner"] != start[pk][0]["owner"]
            if escalations == 0:
                # Nothing escalated: the runs add up to the last alone.
                assert not single_escalated
                assert (end, supervised) == (single, single_supervised)
            else:
                # The runs took it at least as far as the last alone, one rung a run at most.
                assert escalations <= len(moments)
                assert rung(world, fresh(pk)) >= alone_rung[pk]
        transaction.set_rollback(True)
