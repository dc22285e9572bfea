"""The deadline sweep: supervision once per stage, escalation along 网格 → 社区 → 街道
after the grace period, nothing above the street, callbacks due, a real Celery worker."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from gridgov.places.models import Level
from gridgov.tickets import intake, sweep
from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Category, HomeLevel, Status, Ticket, TicketEvent

from .factories import make_world, ticket_data

TZ = timezone.get_fixed_timezone(8 * 60)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
H = dt.timedelta(hours=1)


@pytest.fixture
def world(db):
    return make_world()


def make_ticket(world, now=T0, category=None, **overrides):
    data = ticket_data(**overrides)
    data["category"] = (category or world.corridor).code
    return intake.create_ticket(data, actor=world.hotline, now=now).ticket


def in_hand(world):
    """A grid ticket accepted and contacted in time: only resolve_by is left to miss."""
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a, now=T0 + H)
    perform(ticket, "contact", world.gridworker_a, now=T0 + 2 * H)
    return ticket


def events(ticket, action=None):
    rows = TicketEvent.objects.filter(ticket=ticket).order_by("at", "id")
    if action:
        rows = rows.filter(action=action)
    return list(rows)


def test_grid_ticket_is_supervised_then_escalated_to_the_community(world):
    ticket = make_ticket(world)
    assert ticket.owner_place == world.grid_a
    accept_by = ticket.accept_by  # end of Tuesday

    report = sweep.run(now=accept_by + H)
    assert report.supervised == [(ticket.code, "accept")]
    assert report.escalated == []  # within the grace period
    (supervise,) = events(ticket, "supervise")
    assert supervise.actor is None and supervise.data["stage"] == "accept"
    assert supervise.owner_place == world.grid_a

    report = sweep.run(now=accept_by + 25 * H)
    # The accept stage was supervised already; the respond deadline passed since.
    assert [e.data["stage"] for e in events(ticket, "supervise")] == ["accept", "respond"]
    assert report.escalated == [(ticket.code, world.grid_a.code, world.community.code)]
    ticket.refresh_from_db()
    assert ticket.status == Status.ESCALATED
    assert ticket.owner_place == world.community
    escalate = events(ticket, "escalate")[-1]
    assert escalate.actor is None and escalate.data["by_sweep"] is True
    assert escalate.owner_place == world.community


def test_grace_period_is_a_setting(world, settings):
    settings.GRIDGOV_ESCALATION_GRACE_HOURS = 2
    ticket = make_ticket(world)
    report = sweep.run(now=ticket.accept_by + 3 * H)
    assert [code for code, *_ in report.escalated] == [ticket.code]


def test_community_ticket_goes_to_the_street_and_no_higher(world):
    ticket = make_ticket(world, category=world.community_matter, title="小区道路破损")
    assert ticket.owner_place == world.community
    perform(ticket, "accept", world.community_staff, now=T0 + H)
    late = ticket.respond_by + 25 * H  # never contacted

    report = sweep.run(now=late)
    assert report.supervised == [(ticket.code, "respond")]
    assert report.escalated == [(ticket.code, world.community.code, world.street.code)]
    ticket.refresh_from_db()
    assert ticket.owner_place == world.street and ticket.status == Status.ESCALATED

    # The street signs for it and then sits on it far past every deadline.
    perform(ticket, "accept", world.street_staff, now=late + H)
    much_later = ticket.resolve_by + dt.timedelta(days=30)
    report = sweep.run(now=much_later)
    assert report.escalated == []  # nothing above the street: it whistles instead
    ticket.refresh_from_db()
    assert ticket.owner_place == world.street and ticket.status == Status.ACCEPTED
    # The community missed its respond deadline; the street got the requester's deadlines
    # as they were (an escalation buys no time), so is not supervised for the community's
    # missed response, only for the resolve_by that ran out on its watch, once.
    stages = [(e.data["stage"], e.owner_place) for e in events(ticket, "supervise")]
    assert stages == [("respond", world.community), ("resolve", world.street)]
    assert events(ticket, "supervise")[-1].owner_place == world.street
    assert sweep.run(now=much_later + H).supervised == []


def test_street_home_ticket_is_supervised_but_never_escalated(world):
    street_matter = Category.objects.get(depth=1, home_level=HomeLevel.STREET, name="环境保护")
    ticket = make_ticket(world, category=street_matter, title="工地噪声扰民")
    assert ticket.owner_place == world.street
    report = sweep.run(now=ticket.resolve_by + dt.timedelta(days=3))
    assert report.supervised == [(ticket.code, s) for s in ("accept", "respond", "resolve")]
    assert report.escalated == []
    stages = [e.data["stage"] for e in events(ticket, "supervise")]
    assert stages == ["accept", "respond", "resolve"]


def test_sweep_is_idempotent(world):
    tickets = [make_ticket(world) for _ in range(3)]
    perform(tickets[1], "accept", world.gridworker_a, now=T0 + H)
    perform(tickets[2], "accept", world.gridworker_a, now=T0 + H)
    perform(tickets[2], "contact", world.gridworker_a, now=T0 + 2 * H)
    community_one = make_ticket(world, category=world.community_matter, title="小区道路破损")
    for now in (T0 + dt.timedelta(days=2), T0 + dt.timedelta(days=4), T0 + dt.timedelta(days=12)):
        first = sweep.run(now=now)
        count = TicketEvent.objects.count()
        states = list(Ticket.objects.order_by("id").values_list("status", "owner_place_id"))
        second = sweep.run(now=now)
        assert second.supervised == [] and second.escalated == [], now
        assert TicketEvent.objects.count() == count
        assert list(Ticket.objects.order_by("id").values_list("status", "owner_place_id")) == states
        assert first.overdue >= 1
    # Every supervision names a stage, and no (ticket, holder, stage) repeats.
    keys = [
        (e.ticket_id, e.owner_place_id, e.owner_department_id, e.data["stage"])
        for e in TicketEvent.objects.filter(action="supervise")
    ]
    assert len(keys) == len(set(keys))
    assert community_one.pk in {k[0] for k in keys}


def test_department_ticket_escalates_to_its_street(world):
    ticket = make_ticket(world, category=world.unlicensed, title="无证摊贩")
    assert ticket.owner_department == world.city_mgmt
    report = sweep.run(now=ticket.accept_by + 25 * H)
    assert report.escalated == [(ticket.code, "CG", world.street.code)]


def test_a_department_ticket_in_no_street_is_never_escalated_to_the_district(world):
    """A hotline demand with no address that a rule sends to 城管: the sweep escalated it
    to the district (past 街道, DESIGN §4), where it could not even be whistled."""
    from gridgov.tickets.lifecycle import allowed_actions

    data = ticket_data(address="", category=world.unlicensed.code)
    ticket = intake.create_ticket(data, actor=world.hotline, now=T0).ticket
    assert ticket.owner_department == world.city_mgmt and ticket.place is None
    report = sweep.run(now=ticket.accept_by + 25 * H)
    ticket.refresh_from_db()
    assert report.escalated == [] and ticket.owner_department == world.city_mgmt
    assert ticket.events.filter(action="supervise").exists()  # still supervised
    assert "whistle" not in allowed_actions(ticket)  # nor offered what is refused
    assert "escalate" not in allowed_actions(ticket)


def test_callbacks_are_due_the_working_day_after_resolution(world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a, now=T0 + H)
    friday = dt.datetime(2026, 3, 6, 15, 0, tzinfo=TZ)
    perform(ticket, "resolve", world.gridworker_a, now=friday, reply="已清理")
    saturday = friday + dt.timedelta(hours=19)
    monday = dt.datetime(2026, 3, 9, 8, 0, tzinfo=TZ)
    assert list(sweep.callbacks_due(friday + 2 * H)) == []
    assert list(sweep.callbacks_due(saturday)) == []
    assert list(sweep.callbacks_due(monday)) == [ticket]
    assert sweep.run(now=monday).callbacks_due == [ticket.code]
    assert sweep.last_workday(dt.date(2026, 3, 8)) == dt.date(2026, 3, 6)


def test_sweep_command_prints_a_summary(world):
    ticket = make_ticket(world)
    out = io.StringIO()
    call_command("sweep", "--json", f"--now={(ticket.accept_by + 25 * H).isoformat()}", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["supervised"] == 2 and summary["escalated"] == 1  # accept, respond
    assert summary["escalations"] == [[ticket.code, "G1a", "C1"]]
    out = io.StringIO()
    call_command("sweep", stdout=out)
    assert "escalated" in out.getvalue()


def test_beat_schedules_the_sweep(settings):
    from gridgov.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["tickets-sweep"]
    assert entry["task"] == "gridgov.tickets.sweep"
    app.loader.import_default_modules()
    assert "gridgov.tickets.sweep" in app.tasks


@pytest.mark.django_db(transaction=True)
def test_real_celery_worker_runs_the_sweep():
    """The beat task through a real Redis broker to a real worker thread."""
    import redis  # a dependency of celery[redis]: failing, not skipping, when absent

    broker = "redis://127.0.0.1:6379/14"
    redis.Redis.from_url(broker).ping()
    from celery.contrib.testing.worker import start_worker

    from gridgov.celery import app
    from gridgov.tickets.tasks import sweep_task
    from tests.celery_broker import real_broker

    load_taxonomy()  # an earlier transactional test may have flushed the migration's rows
    world = make_world()
    long_ago = timezone.now() - dt.timedelta(days=20)
    ticket = make_ticket(world, now=long_ago)
    assert ticket.owner_place.level == Level.GRID

    with real_broker(app, broker):
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            summary = sweep_task.delay(remind=False).get(timeout=60)
    assert summary["escalated"] == 1
    assert summary["escalations"] == [[ticket.code, "G1a", "C1"]]
    ticket.refresh_from_db()
    assert ticket.owner_place == world.community and ticket.status == Status.ESCALATED


def test_callbacks_due_endpoint_is_scoped_to_dispatchers(world):
    from rest_framework.test import APIClient

    ticket = make_ticket(world, now=timezone.now() - dt.timedelta(days=10))
    perform(ticket, "accept", world.gridworker_a)
    perform(
        ticket, "resolve", world.gridworker_a, now=timezone.now() - dt.timedelta(days=5), reply="好"
    )
    client = APIClient()
    client.force_authenticate(world.hotline)
    body = client.get("/api/v1/callbacks/due/").json()
    assert [r["code"] for r in body["results"]] == [ticket.code] and body["count"] == 1
    client.force_authenticate(world.gridworker_a)
    assert client.get("/api/v1/callbacks/due/").json()["count"] == 0


def test_a_steady_state_sweep_costs_a_few_queries_not_some_per_ticket(
    world, django_assert_max_num_queries
):
    tickets = [make_ticket(world) for _ in range(12)]
    now = tickets[0].accept_by + H  # all overdue at the accept stage, within the grace period
    assert len(sweep.run(now=now, remind=False).supervised) == 12
    with django_assert_max_num_queries(8):
        report = sweep.run(now=now + H, remind=False)
    assert report.overdue == 12 and report.supervised == [] and report.escalated == []


def test_a_first_sweep_acts_on_its_tickets_a_group_at_a_time(world, monkeypatch):
    """What a sweep costs per ticket it acts on, when it has to act on thousands (the first
    sweep of a city's backlog took minutes): the reference data's versions are read once
    for the whole run, not on every cached lookup of every act, and the tickets to act on
    are locked, and their supervisions read again, a group at a time (one transaction),
    not each in a transaction of its own with a query per missed stage."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(sweep, "ACT_GROUP", 3)
    tickets = [make_ticket(world) for _ in range(4)]
    now = tickets[0].accept_by + 25 * H  # accept and respond missed, past the grace period
    with CaptureQueriesContext(connection) as ctx:
        report = sweep.run(now=now, remind=False)
    assert sorted(report.supervised) == sorted(
        (t.code, stage) for t in tickets for stage in ("accept", "respond")
    )
    assert sorted(report.escalated) == sorted(
        (t.code, world.grid_a.code, world.community.code) for t in tickets
    )
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum("core_dataversion" in q for q in sql) == 1
    # Reads of the supervise events themselves (the candidates' query only tests for some).
    supervisions = [
        q for q in sql if q.startswith('SELECT "tickets_ticketevent"') and "'supervise'" in q
    ]
    assert len(supervisions) == 1 + 2  # the chunk's screening, then each group's, locked
    # Each group's tickets locked (FOR UPDATE on PostgreSQL) with their pending requests.
    groups = [
        q
        for q in sql
        if q.startswith('SELECT "tickets_ticket"')
        and '"tickets_ticket"."id" IN (' in q
        and "tickets_extension" in q
    ]
    assert len(groups) == 2  # 3 + 1 tickets


def test_a_ticket_changed_meanwhile_is_skipped_and_the_rest_of_its_group_acted_on(
    world, monkeypatch
):
    """Each ticket's acts stand or fall together inside its group: a refusal rolls back that
    ticket's supervisions only, and the others of the group are supervised and escalated."""
    tickets = [make_ticket(world) for _ in range(3)]
    now = tickets[0].accept_by + 25 * H
    perform_ = sweep.lifecycle.Acts.perform

    def refuse_the_second(acts, action, *args, **kwargs):
        if acts.ticket.pk == tickets[1].pk and action == "escalate":
            raise sweep.lifecycle.InvalidTransition("changed meanwhile")
        return perform_(acts, action, *args, **kwargs)

    monkeypatch.setattr(sweep.lifecycle.Acts, "perform", refuse_the_second)
    report = sweep.run(now=now, remind=False)
    assert report.errors == [(tickets[1].code, "changed meanwhile")]
    assert sorted(code for code, *_ in report.escalated) == sorted(
        t.code for t in (tickets[0], tickets[2])
    )
    assert {code for code, _stage in report.supervised} == {tickets[0].code, tickets[2].code}
    assert events(tickets[1], "supervise") == []  # rolled back with the refused escalation
    assert len(events(tickets[2], "supervise")) == 2


def test_a_ticket_whose_row_changed_under_the_lock_is_skipped_with_its_acts(world, monkeypatch):
    """A ticket's acts write its row once, after its events: when that write finds another
    version than the one the acts were judged on (a race the row lock could not prevent),
    the ticket's events written before are rolled back with it; its group goes ahead."""
    from django.db.models import F

    tickets = [make_ticket(world) for _ in range(3)]
    now = tickets[0].accept_by + 25 * H
    save = sweep.lifecycle.Acts.save

    def changed_meanwhile(acts):
        if acts.ticket.pk == tickets[1].pk:
            Ticket.objects.filter(pk=acts.ticket.pk).update(version=F("version") + 1)
        return save(acts)

    monkeypatch.setattr(sweep.lifecycle.Acts, "save", changed_meanwhile)
    report = sweep.run(now=now, remind=False)
    assert [code for code, _message in report.errors] == [tickets[1].code]
    assert {code for code, _stage in report.supervised} == {tickets[0].code, tickets[2].code}
    assert events(tickets[1], "supervise") == [] and events(tickets[1], "escalate") == []
    tickets[1].refresh_from_db()
    assert tickets[1].status == Status.DISPATCHED and tickets[1].owner_place == world.grid_a
    assert len(events(tickets[2], "supervise")) == 2


def test_an_extension_asked_before_an_escalation_is_what_moves_the_deadline(world):
    """The grid asked in time for a day more; nobody decided; the sweep escalated it. The
    escalation keeps the requester's resolve_by; approving the request is what moves it
    (once, it gave fresh deadlines the old request would have moved back)."""
    from gridgov.tickets.models import Extension

    ticket = in_hand(world)
    old = ticket.resolve_by
    until = old + 24 * H
    perform(
        ticket,
        "extend",
        world.gridworker_a,
        now=old - 5 * H,
        until=until.isoformat(),
        reason="等物业",
    )
    # The undecided request holds escalation up to the day it asked for, not longer.
    sweep.run(now=old + 49 * H)
    ticket.refresh_from_db()
    assert ticket.status == Status.ESCALATED and ticket.resolve_by == old
    event = perform(ticket, "approve-extension", world.street_staff, now=old + 50 * H, approve=True)
    ticket.refresh_from_db()
    previous = dt.datetime.fromisoformat(event.data["previous"])
    assert ticket.resolve_by == until and previous == old
    assert Extension.objects.get(ticket=ticket).state == Extension.State.APPROVED


def test_a_pending_extension_request_holds_escalation_for_one_grace_period_more(world):
    """The grid asked in time; while the approver has not decided, the missed resolve_by is
    supervised, and the ticket is not taken from the grid before the requested day + grace,
    nor kept from escalation longer than two grace periods after resolve_by."""
    ticket = in_hand(world)
    old = ticket.resolve_by
    until = old + 72 * H
    perform(
        ticket, "extend", world.gridworker_a, now=old - H, until=until.isoformat(), reason="等配件"
    )

    report = sweep.run(now=old + 30 * H)  # past resolve_by + grace: would have escalated
    assert report.supervised == [(ticket.code, "resolve")]
    assert report.escalated == []
    ticket.refresh_from_db()
    assert ticket.owner_place == world.grid_a and ticket.status == Status.IN_PROGRESS

    assert sweep.run(now=old + 47 * H).escalated == []
    report = sweep.run(now=old + 49 * H)  # the approver never decided; asked for 72 h
    assert report.escalated == [(ticket.code, world.grid_a.code, world.community.code)]


def test_a_short_pending_extension_request_holds_escalation_until_the_day_it_asked_for(world):
    ticket = in_hand(world)
    old = ticket.resolve_by
    until = (old + 6 * H).isoformat()
    perform(ticket, "extend", world.gridworker_a, now=old - H, until=until, reason="等配件")
    assert sweep.run(now=old + 29 * H).escalated == []
    assert [c for c, *_ in sweep.run(now=old + 31 * H).escalated] == [ticket.code]


def test_a_decided_extension_request_no_longer_holds_escalation(world):
    ticket = in_hand(world)
    old = ticket.resolve_by
    until = (old + 72 * H).isoformat()
    perform(ticket, "extend", world.gridworker_a, now=old - H, until=until, reason="等配件")
    perform(
        ticket,
        "approve-extension",
        world.community_staff,
        now=old + H,
        approve=False,
        reason="不必等",
    )
    report = sweep.run(now=old + 25 * H)
    assert report.escalated == [(ticket.code, world.grid_a.code, world.community.code)]


def test_next_due_names_the_run_that_acts_next_as_run_does_for_a_replayed_past(world, settings):
    """sweep.next_due (the demo replays its past with it): the run it names acts on the
    ticket, the run before does nothing, up the ladder 网格 → 社区 → 街道 and no higher."""
    settings.GRIDGOV_SWEEP_MINUTES = 10
    every = dt.timedelta(minutes=10)
    ticket = make_ticket(world)
    after, steps = T0, []
    while at := sweep.next_due(ticket, after, sweep.supervisions_of([ticket.pk])[ticket.pk]):
        assert at > after and at.minute % 10 == 0 and len(steps) < 12
        before = sweep.run(now=at - every, remind=False)
        assert (before.supervised, before.escalated) == ([], [])
        report = sweep.run(now=at, remind=False)
        assert report.supervised or report.escalated
        steps.append(bool(report.escalated))
        ticket.refresh_from_db()
        after = at
    assert steps.count(True) == 2  # to the community, then to the street
    assert ticket.owner_place == world.street and ticket.status == Status.ESCALATED
    # Supervisions only: the grid's missed deadline supervised, its escalation left alone.
    other = make_ticket(world)
    at = sweep.next_due(other, T0, set(), escalate=False)
    report = sweep.sweep_ticket(other, at, set(), escalate=False)
    assert report.supervised and report.escalated == []
    grace_later = at + sweep.grace() + every
    done = sweep.supervisions_of([other.pk])[other.pk]
    report = sweep.sweep_ticket(other, grace_later, done, escalate=False)
    assert report.escalated == [] and other.owner_place == world.grid_a
