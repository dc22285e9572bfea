"""按时办结率 of a dispatch desk (派单台): what a street's desk holds is due there.

A demand no routing rule covers waits, received, at the street's desk until the desk
dispatches it. Its resolve_by runs all the same: when it passes at the desk, the street
misses it (DESIGN §5: tickets resolved by resolve_by ÷ tickets due). Until 2026-11-29 such a
ticket counted for no unit at all, and one returned to the desk was the street's only when
the street had also once been handed it.

Every ticket here is a general one filed Mon 2026-03-02 09:00 (resolve_by Wed 03-11
23:59:59: 7 working days; March has no public holiday) unless it says otherwise.
"""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.places.models import Level
from gridgov.tickets import intake, kpis, routing
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Category, HomeLevel, Status

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(8 * 60)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
R0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
END = dt.datetime(2026, 3, 31, 12, 0, tzinfo=TZ)  # every deadline of these tickets passed
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def world():
    w = make_world()
    # A department's category that no rule routes: it waits at the desk of its street.
    w.orphan = Category.objects.filter(home_level=HomeLevel.DEPARTMENT).exclude(
        pk__in=[c.pk for c in Category.objects.all() if routing.has_rules(c)]
    )[0]
    return w


def _at_desk(world, now=R0, actor=None, **overrides):
    data = ticket_data(category=world.orphan.code, **overrides)
    ticket = intake.create_ticket(data, actor=actor or world.hotline, now=now).ticket
    assert ticket.status == Status.RECEIVED and ticket.owner_place == world.street
    return ticket


def _kpis(world, now=END, units=None):
    units = units or [world.district, world.street, world.community, world.grid_a]
    return {k.unit.code: k for k in kpis.compute(units, *MARCH, now=now)}


def _due(kpi):
    return kpi.counts["due"], kpi.counts["resolved_on_time"]


def test_a_ticket_left_at_the_desk_past_its_deadline_is_the_streets_miss(world):
    """The street's desk sent one ticket to the street's own office, which resolved it in
    time (1 of 1 on time), and sat on another until its deadline passed: 1 of 2."""
    handled = _at_desk(world)
    perform(handled, "dispatch", world.street_staff, now=R0 + HOUR, unit=world.street.code)
    perform(handled, "accept", world.street_staff, now=R0 + 2 * HOUR)
    perform(handled, "resolve", world.street_staff, now=R0 + 3 * HOUR, reply="已协调处理")
    left = _at_desk(world, now=R0 + 24 * HOUR)  # due a day after the first
    before = _kpis(world, now=left.resolve_by - HOUR)[world.street.code]
    assert _due(before) == (1, 1)  # not yet due: no miss until resolve_by passes
    figures = _kpis(world)
    street = figures[world.street.code]
    assert _due(street) == (2, 1)  # on HEAD (1, 1): the desk's ticket counted nowhere
    assert street.rates["on_time"] == 0.5
    # Nobody else held it: not the district above, nor a grid or community below.
    for code in (world.district.code, world.community.code, world.grid_a.code):
        assert _due(figures[code]) == (0, 0), code
    # It was handed to nobody, so it is no dispatch and no response due for the street.
    assert (street.counts["dispatched"], street.counts["response_due"]) == (1, 1)
    # The street's ranking among the district's streets says the same.
    (ranked,) = kpis.ranking(Level.STREET, world.district, *MARCH, now=END)
    assert _due(ranked) == (2, 1) and ranked.rates["on_time"] == 0.5


def test_a_ticket_at_the_desk_alone_gives_the_street_an_on_time_rate(world):
    _at_desk(world)
    street = _kpis(world, units=[world.street])[world.street.code]
    assert _due(street) == (1, 0) and street.rates["on_time"] == 0.0  # on HEAD: None


def test_a_ticket_the_desk_dispatched_in_time_is_the_units_not_the_desks(world):
    ticket = _at_desk(world)
    perform(ticket, "dispatch", world.street_staff, now=R0 + HOUR, unit=world.grid_a.code)
    figures = _kpis(world)
    assert _due(figures[world.grid_a.code]) == (1, 0)
    assert _due(figures[world.street.code]) == (0, 0)


def test_a_ticket_returned_to_the_desk_and_left_there_is_the_streets_miss(world):
    """Routed to grid A by its home level (the street never handed it), returned to the
    street's desk, and left there past its deadline: the street's, not the grid's."""
    data = ticket_data(category=world.corridor.code)
    ticket = intake.create_ticket(data, actor=world.hotline, now=R0).ticket
    assert ticket.owner_place == world.grid_a
    perform(ticket, "return", world.gridworker_a, now=R0 + HOUR, reason_code="wrong_place")
    ticket.refresh_from_db()
    assert ticket.status == Status.RETURNED and ticket.owner_place == world.street
    # Ranked among streets (the grid not reckoned with it, which brought the ticket in
    # before): on HEAD (0, 0), as the street was never handed it.
    street = _kpis(world, units=[world.street])[world.street.code]
    assert _due(street) == (1, 0)
    figures = _kpis(world, units=[world.street, world.grid_a])
    assert _due(figures[world.street.code]) == (1, 0)
    assert _due(figures[world.grid_a.code]) == (0, 0)


def test_a_consultation_answered_on_intake_is_no_units_work(world):
    """Answered as it was filed, and closed with it (answered → closed): left out of every
    unit's on-time rate, as of the response rate, though it is the desk's that took it in
    (the street's window, the hotline's district) and its resolve_by has passed."""
    for actor, desk in ((world.street_staff, world.street), (world.hotline, world.district)):
        data = ticket_data(
            category=world.orphan.code,
            channel="window",
            nature="consult",
            title="咨询办事时间",
            answer="工作日上午九点至下午五点。",
        )
        ticket = intake.create_ticket(data, actor=actor, now=R0).ticket
        assert ticket.status == Status.CLOSED and ticket.owner_place == desk
        assert ticket.resolve_by < END
    for kpi in _kpis(world).values():
        assert _due(kpi) == (0, 0), kpi.unit.code
        assert kpi.counts["response_due"] == 0, kpi.unit.code


def test_a_consultation_answered_at_the_desk_counts_by_when_it_was_answered(world):
    """A question that waited at the desk: answered in time it is on time, answered after
    its resolve_by it is late (answering late does not erase the miss)."""
    in_time, late = (_at_desk(world, nature="consult", title="咨询") for _ in range(2))
    perform(in_time, "answer", world.hotline, now=R0 + 2 * HOUR, answer="可到街道办理。")
    perform(late, "answer", world.hotline, now=late.resolve_by + HOUR, answer="可到街道办理。")
    perform(late, "close", world.hotline, now=late.resolve_by + 2 * HOUR)
    in_time.refresh_from_db()
    assert in_time.status == Status.ANSWERED  # answered, not closed yet
    street = _kpis(world)[world.street.code]
    assert _due(street) == (2, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="how PostgreSQL plans it")
def test_a_desks_tickets_are_read_from_the_index_alone(world):
    """Receiving and having back (create, return) join the hand-overs in the one index-only
    scan of the owner index (a bitmap over the table read every event of the units' tickets
    in a 500,000-ticket city, see test_kpis)."""
    _at_desk(world)
    units = [kpis.Unit.of(u) for u in kpis.units_at(Level.STREET, world.district)]
    sql, params = kpis._held(units).values("ticket_id").query.sql_with_params()
    assert "create" in params and "return" in params  # a desk's receiving and having back
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using tickets_event_owner_place_idx" in plan, plan


def test_a_case_imported_as_handled_at_the_desk_counts_there_by_its_closing_time(world):
    """A 12345 case no rule routed, imported as handled on the platform: it was the desk's
    when it was resolved (its callbacks already count there), so its 办结时间 is judged
    against resolve_by for the street: 03-03 in time, 03-20 late."""
    from gridgov.tickets import imports

    headers = ["工单编号", "受理时间", "诉求内容", "诉求地址", "联系电话", "诉求类型"]
    headers += ["诉求性质", "办理状态", "办结时间", "答复内容", "满意度"]
    rows = [
        (
            number,
            [external, "2026-03-02 09:00", "咨询党员组织关系转接。", "魏家坡小区3号楼2单元"]
            + ["13800001111", world.orphan.name, "求助", "已办结", closed, "已答复。", "满意"],
        )
        for number, external, closed in (
            (2, "K-1", "2026-03-03 15:00"),
            (3, "K-2", "2026-03-20 15:00"),
        )
    ]
    report = imports.import_rows(headers, rows, actor=world.hotline)
    assert report.ok and report.dispatched == 0, report.errors
    street = _kpis(world, units=[world.street])[world.street.code]
    assert _due(street) == (2, 1)  # on HEAD (0, 0)
    assert street.counts["callbacks"] == 2  # as before
