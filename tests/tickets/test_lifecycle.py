import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.tickets import lifecycle
from gridgov.tickets.lifecycle import InvalidTransition, NotAllowed, perform
from gridgov.tickets.models import Callback, Status, Ticket, TicketEvent

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def test_closed_loop_from_hotline_to_callback(world):
    ticket = make_ticket(world)
    assert ticket.building.code == "B1a3"
    assert ticket.grid == world.grid_a
    assert ticket.owner_place == world.grid_a
    assert ticket.status == Status.DISPATCHED
    for action, actor, params in [
        ("accept", world.gridworker_a, {}),
        ("contact", world.gridworker_a, {"note": "已电话联系"}),
        ("resolve", world.gridworker_a, {"reply": "已清理楼道杂物"}),
        ("callback", world.hotline, {"resolved": True, "satisfaction": "satisfied"}),
    ]:
        perform(ticket, action, actor, **params)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    events = list(
        ticket.events.values_list("action", "from_status", "to_status", "actor__username")
    )
    assert events == [
        ("create", "", "received", "hotline"),
        ("dispatch", "received", "dispatched", None),
        ("accept", "dispatched", "accepted", "gw_a"),
        ("contact", "accepted", "in_progress", "gw_a"),
        ("resolve", "in_progress", "resolved", "gw_a"),
        ("callback", "resolved", "closed", "hotline"),
    ]
    assert Callback.objects.get(ticket=ticket).satisfaction == "satisfied"


def test_other_grid_worker_may_not_accept(world):
    ticket = make_ticket(world)
    with pytest.raises(NotAllowed):
        perform(ticket, "accept", world.gridworker_b)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.DISPATCHED
    assert not TicketEvent.objects.filter(ticket=ticket, action="accept").exists()


def test_invalid_transition_lists_allowed_actions_and_changes_nothing(world):
    ticket = make_ticket(world)
    with pytest.raises(InvalidTransition) as raised:
        perform(ticket, "callback", world.hotline, resolved=True, satisfaction="satisfied")
    assert "accept" in raised.value.detail["allowed"]
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


def test_three_returns_lead_to_designation(world):
    ticket = make_ticket(world)
    for _ in range(3):
        perform(ticket, "return", world.gridworker_a, reason_code="wrong_place")
        assert ticket.status == Status.RETURNED
        assert ticket.owner_place == world.street
        if ticket.return_count < 3:
            perform(ticket, "dispatch", world.street_staff, unit=world.grid_a.code)
    with pytest.raises(InvalidTransition):
        perform(ticket, "dispatch", world.street_staff, unit=world.grid_a.code)
    perform(ticket, "designate", world.street_staff, unit=world.grid_a.code, reason="属地网格负责")
    assert ticket.designated and ticket.status == Status.DISPATCHED
    with pytest.raises(InvalidTransition):
        perform(ticket, "return", world.gridworker_a, reason_code="other", reason="不是我们的")


def test_return_needs_a_reason_and_the_one_day_window(world):
    ticket = make_ticket(world)
    with pytest.raises(lifecycle.BadParameters):
        perform(ticket, "return", world.gridworker_a)
    later = ticket.dispatched_at + dt.timedelta(days=10)
    with pytest.raises(InvalidTransition):
        perform(ticket, "return", world.gridworker_a, now=later, reason_code="wrong_place")


def test_extension_request_and_approval(world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    until = ticket.resolve_by + dt.timedelta(days=5)
    perform(ticket, "extend", world.gridworker_a, until=until.isoformat(), reason="需协调物业")
    with pytest.raises(NotAllowed):  # the grid cannot approve its own request
        perform(ticket, "approve-extension", world.gridworker_a)
    perform(ticket, "approve-extension", world.community_staff)
    ticket.refresh_from_db()
    assert ticket.resolve_by == until


def test_dissatisfied_callback_reopens_against_same_unit(world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    perform(ticket, "resolve", world.gridworker_a, reply="已处理")
    perform(ticket, "callback", world.hotline, resolved=True, satisfaction="dissatisfied")
    assert ticket.status == Status.REOPENED
    assert ticket.owner_place == world.grid_a
    assert ticket.reopen_count == 1
    perform(ticket, "contact", world.gridworker_a)
    assert ticket.status == Status.IN_PROGRESS


def test_merge_keeps_the_duplicate_pointing_at_the_survivor(world):
    first = make_ticket(world)
    second = make_ticket(world, requester_phone="13900001111")
    perform(second, "merge", world.hotline, into=first.pk)
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.merged_into == first
    assert second.requester_phone == "13900001111"


def merged_pair(world, now):
    """A ticket and a duplicate merged into it (another requester), the first resolved."""
    first = make_ticket(world)
    second = make_ticket(world, requester_phone="13900001111", requester_name="李四")
    perform(second, "merge", world.hotline, into=first.pk, now=now)
    with pytest.raises(InvalidTransition, match="尚未办结"):
        perform(second, "callback", world.hotline, resolved=True, satisfaction="satisfied")
    perform(first, "accept", world.gridworker_a, now=now)
    perform(first, "resolve", world.gridworker_a, reply="已清理", now=now + dt.timedelta(hours=1))
    for ticket in (first, second):
        ticket.refresh_from_db()
    return first, second


def test_every_requester_of_a_merged_matter_is_called_back(world):
    from gridgov.tickets import kpis, sweep
    from gridgov.tickets.queues import mine

    now = timezone.now() - dt.timedelta(days=7)
    first, second = merged_pair(world, now)
    later = now + dt.timedelta(days=5)
    assert set(sweep.callbacks_due(later)) == {first, second}
    assert second in mine(world.hotline)  # the dispatch desk's queue
    assert "callback" in lifecycle.allowed_actions(second, world.hotline)

    perform(second, "callback", world.hotline, resolved=True, satisfaction="basic", now=later)
    second.refresh_from_db()
    assert second.status == Status.MERGED  # it stays merged
    callback = Callback.objects.get(ticket=second)
    assert callback.owner_place == first.owner_place  # the unit that resolved the matter
    assert list(sweep.callbacks_due(later)) == [first]
    with pytest.raises(InvalidTransition, match="已就本次办结结果回访过"):
        perform(second, "callback", world.hotline, resolved=True, satisfaction="satisfied")
    perform(first, "callback", world.hotline, resolved=True, satisfaction="satisfied", now=later)
    period = timezone.localdate(now), timezone.localdate(later)  # KPI periods are local days
    row = kpis.compute([world.grid_a], *period, now=later)[0]
    assert row.counts["callbacks"] == 2 and row.rates["satisfaction"] == 1.0


def test_a_merge_of_a_merge_is_called_back_too(world):
    from gridgov.tickets import sweep

    now = timezone.now() - dt.timedelta(days=7)
    first = make_ticket(world)
    second = make_ticket(world, requester_phone="13900001111")
    third = make_ticket(world, requester_phone="13900002222")
    perform(second, "merge", world.hotline, into=first.pk, now=now)  # second → first
    perform(first, "merge", world.hotline, into=third.pk, now=now)  # first → third
    perform(third, "accept", world.gridworker_a, now=now)
    perform(third, "resolve", world.gridworker_a, reply="已清理", now=now + dt.timedelta(hours=1))
    later = now + dt.timedelta(days=5)
    assert set(sweep.callbacks_due(later)) == {first, second, third}
    perform(second, "callback", world.hotline, resolved=True, satisfaction="satisfied", now=later)
    assert Callback.objects.get(ticket=second).owner_place == third.owner_place
    assert set(sweep.callbacks_due(later)) == {first, third}


def test_an_unhappy_merged_requester_reopens_the_matter_for_its_unit(world):
    now = timezone.now() - dt.timedelta(days=7)
    first, second = merged_pair(world, now)
    perform(first, "callback", world.hotline, resolved=True, satisfaction="satisfied")
    first.refresh_from_db()
    assert first.status == Status.CLOSED
    event = perform(
        second, "callback", world.hotline, resolved=False, satisfaction="dissatisfied", note="还在"
    )
    assert event.data["survivor"] == first.code
    first.refresh_from_db()
    assert first.status == Status.REOPENED and first.owner_place == world.grid_a
    reopen = first.events.get(action="reopen")
    assert reopen.actor is None and reopen.data == {"after_callback_on": second.code}
    second.refresh_from_db()
    assert second.status == Status.MERGED
    # Resolved again: the merged requester is due for a callback again.
    perform(first, "resolve", world.gridworker_a, reply="再次清理")
    assert "callback" in lifecycle.allowed_actions(second, world.hotline)


def test_department_routing_and_whistle_with_late_department(world):
    ticket = make_ticket(world, category=world.unlicensed.code, title="无证摊贩")
    assert ticket.owner_department == world.city_mgmt
    now = timezone.now()
    perform(ticket, "accept", world.city_handler, now=now)
    perform(
        ticket,
        "whistle",
        world.street_staff,
        now=now,
        departments=["CG", "ZJ"],
        report_within_hours=2,
        reason="多部门联合整治",
    )
    whistle = ticket.whistles.get()
    perform(
        ticket,
        "whistle-report",
        world.city_handler,
        now=now + dt.timedelta(hours=1),
        department="CG",
        note="已到场",
    )
    with pytest.raises(NotAllowed):  # 城管 cannot report for 住建
        perform(ticket, "whistle-report", world.city_handler, department="ZJ", note="到场")
    report_by = whistle.summonses.first().report_by  # 2 hours of office time
    perform(
        ticket,
        "whistle-report",
        world.housing_handler,
        now=report_by + dt.timedelta(hours=1),
        department="ZJ",
        note="已到场",
    )
    whistle.refresh_from_db()
    assert whistle.closed_at is not None
    late = {s.department.code: s.reported_at > s.report_by for s in whistle.summonses.all()}
    assert late == {"CG": False, "ZJ": True}
    perform(ticket, "whistle-rate", world.street_staff, department="ZJ", rating=2)
    assert whistle.summonses.get(department__code="ZJ").rating == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_accepts_exactly_one_wins():
    world = make_world()
    ticket = make_ticket(world)
    second = user_with_same_grid(world)
    barrier = threading.Barrier(2)
    outcomes = []

    def accept(user):
        try:
            barrier.wait(timeout=5)
            perform(Ticket.objects.get(pk=ticket.pk), "accept", user)
            outcomes.append("ok")
        except InvalidTransition:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (world.gridworker_a, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert TicketEvent.objects.filter(ticket=ticket, action="accept").count() == 1


def user_with_same_grid(world):
    from gridgov.people.models import Role
    from tests.people.factories import user_with_role

    return user_with_role(Role.GRID_WORKER, world.grid_a, username="gw_a2")


@pytest.mark.django_db(transaction=True)
def test_two_desks_merging_a_pair_both_ways_leave_one_open(monkeypatch):
    """Desk 1 merges A into B while desk 2 merges B into A. Each locked only its own
    ticket and saw the other open, so both were merged and neither was left to handle."""
    import time

    world = make_world()
    a, b = make_ticket(world), make_ticket(world)
    real = lifecycle.HANDLERS["merge"]

    def slow(t, actor, now, **params):  # both have read the other ticket before either writes
        change = real(t, actor, now, **params)
        time.sleep(0.5)
        return change

    monkeypatch.setitem(lifecycle.HANDLERS, "merge", slow)
    barrier = threading.Barrier(2)
    outcomes = []

    def merge(ticket, into):
        try:
            barrier.wait(timeout=5)
            perform(Ticket.objects.get(pk=ticket.pk), "merge", world.hotline, into=into.code)
            outcomes.append("ok")
        except InvalidTransition:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=merge, args=pair) for pair in ((a, b), (b, a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    statuses = sorted(Ticket.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True))
    assert statuses == ["dispatched", "merged"]


def test_a_department_summoned_by_two_whistles_answers_and_is_rated_on_both(world):
    """Its report always went to the newest whistle, so once it had reported there the
    first whistle could never close ("already reported")."""
    from gridgov.tickets.models import Whistle

    now = timezone.now()
    ticket = make_ticket(world)
    hour = dt.timedelta(hours=1)
    for i, departments in enumerate((["CG"], ["CG", "ZJ"]), start=1):
        perform(
            ticket,
            "whistle",
            world.street_staff,
            now=now + i * hour,
            departments=departments,
            report_within_hours=4,
            reason="联合整治",
        )
    first, second = Whistle.objects.filter(ticket=ticket).order_by("blown_at")
    perform(
        ticket,
        "whistle-report",
        world.city_handler,
        now=now + 3 * hour,
        department="CG",
        note="到场",
    )
    perform(
        ticket,
        "whistle-report",
        world.housing_handler,
        now=now + 3 * hour,
        department="ZJ",
        note="到场",
    )
    perform(
        ticket,
        "whistle-report",
        world.city_handler,
        now=now + 4 * hour,
        department="CG",
        note="再次到场",
    )
    assert not Whistle.objects.filter(ticket=ticket, closed_at__isnull=True).exists()
    assert first.summonses.get().reported_at == now + 3 * hour  # the oldest answered first
    for _ in range(2):
        perform(
            ticket,
            "whistle-rate",
            world.street_staff,
            now=now + 5 * hour,
            department="CG",
            rating=3,
        )
    assert not lifecycle.rateable_summonses(ticket, now + 5 * hour).filter(department__code="CG")
    assert second.summonses.get(department__code="CG").rating == 3


def test_a_handler_cannot_rate_a_report_of_their_own(world):
    """A grid worker's own 随手拍 in their grid is routed to them: resolving it and then
    rating it "satisfied" themselves counted in their grid's 解决率 and 满意率."""
    from gridgov.tickets import intake

    from .factories import ticket_data

    data = ticket_data(channel="photo", category=world.corridor.code)
    ticket = intake.create_ticket(data, actor=world.gridworker_a).ticket
    assert ticket.owner_place == world.grid_a
    perform(ticket, "accept", world.gridworker_a)
    perform(ticket, "resolve", world.gridworker_a, reply="已处理")
    with pytest.raises(NotAllowed):
        perform(ticket, "callback", world.gridworker_a, resolved=True, satisfaction="satisfied")
    # The desk calls back; a resident's own report is still theirs to rate (test_mine).
    perform(ticket, "callback", world.hotline, resolved=True, satisfaction="satisfied")
