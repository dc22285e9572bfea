"""A ticket that reaches its unit late (it waited at the street's dispatch desk, no rule
covering it; or it was returned, designated, sent down from escalated): the unit gets its
签收 window (accept_by) from the dispatch, and the requester's 响应时限 never falls before
it. Before, respond_by stayed counted from intake: the unit got a 响应时限 earlier than its
签收时限, often already past, and was scored late (响应率) for a contact it had no time for.
resolve_by stays the requester's (the desk's time ran on it, and a resolve_by that passed
at the desk is the desk's miss, kpis), unless it would fall inside the unit's 签收 window
while still ahead: then it is the accept_by too. What moved is kept in the event's
`data.deadlines` (before/after), and a return to the desk brings the requester's back."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.timezone import localtime

from gridgov.tickets import intake, kpis, sla, sweep
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Category, HomeLevel, Status, TicketEvent, Urgency
from gridgov.tickets.workdays import WorkCalendar

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)
T0 = dt.datetime(2026, 3, 2, 9, tzinfo=TZ)  # Monday; March 2026 has no public holiday
H = dt.timedelta(hours=1)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
END = dt.datetime(2026, 4, 20, 12, tzinfo=TZ)


def end_of(day):
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=TZ)


@pytest.fixture
def world():
    return make_world()


def no_rule_category(world):
    """A department matter no routing rule covers: its tickets wait at the street's desk."""
    return (
        Category.objects.filter(home_level=HomeLevel.DEPARTMENT, active=True)
        .exclude(pk__in=[c.pk for c in world.unlicensed.lineage()])
        .exclude(parent=world.unlicensed)
        .first()
    )


def filed(world, now=T0, **overrides):
    data = ticket_data(**overrides)
    data.setdefault("category", world.corridor.code)
    return intake.create_ticket(data, actor=world.hotline, now=now).ticket


def at_the_desk(world, now=T0, urgency=Urgency.GENERAL):
    ticket = filed(world, now, category=no_rule_category(world).code, urgency=urgency)
    assert ticket.status == Status.RECEIVED and ticket.owner_place == world.street
    return ticket


def accept_window(ticket, now):
    return sla.compute_deadlines(ticket.urgency, ticket.category, now, place=ticket.place).accept_by


def dispatch_event(ticket):
    return TicketEvent.objects.filter(ticket=ticket, action__in=("dispatch", "designate")).last()


def test_a_ticket_dispatched_days_late_gets_a_respond_by_no_earlier_than_its_accept_by(world):
    ticket = at_the_desk(world)
    # Filed Monday: 签收 by Tuesday, 响应 by Wednesday, 办结 by 7 working days (03-11).
    assert (ticket.respond_by, ticket.resolve_by) == (
        end_of(dt.date(2026, 3, 4)),
        end_of(dt.date(2026, 3, 11)),
    )
    late = dt.datetime(2026, 3, 5, 10, tzinfo=TZ)  # Thursday: three days at the desk
    event = perform(ticket, "dispatch", world.street_staff, now=late, department="ZJ")
    ticket.refresh_from_db()
    assert ticket.accept_by == end_of(dt.date(2026, 3, 6))  # 1 working day from dispatch
    # Before: respond_by 03-04 23:59:59, a day before the unit got the ticket.
    assert ticket.respond_by == ticket.accept_by
    assert ticket.resolve_by == end_of(dt.date(2026, 3, 11))  # the requester's: unchanged
    assert event.data["deadlines"] == {
        "before": {
            "accept_by": localtime(end_of(dt.date(2026, 3, 3))).isoformat(),
            "respond_by": localtime(end_of(dt.date(2026, 3, 4))).isoformat(),
        },
        "after": {
            "accept_by": localtime(ticket.accept_by).isoformat(),
            "respond_by": localtime(ticket.accept_by).isoformat(),
        },
    }


def test_the_unit_that_calls_within_its_window_is_not_scored_late(world):
    ticket = at_the_desk(world)
    eve = dt.datetime(2026, 3, 4, 17, tzinfo=TZ)  # hours before the requester's respond_by
    perform(ticket, "dispatch", world.street_staff, now=eve, department="ZJ")
    perform(ticket, "accept", world.housing_handler, now=eve + 16 * H)  # Thursday 09:00
    contact = perform(ticket, "contact", world.housing_handler, now=eve + 17 * H)
    assert contact.data["on_time"] is True  # before: False, 响应率 0 for the housing bureau
    (housing,) = kpis.compute([world.housing], *MARCH, now=END)
    assert housing.counts["response_due"] == housing.counts["responded"] == 1
    # And the sweep supervises the unit's own respond_by, not one that passed before.
    ticket.refresh_from_db()
    assert sweep.missed_stages(ticket, eve + 18 * H) == []


def test_a_dispatch_in_time_changes_no_deadline(world):
    ticket = at_the_desk(world)
    owed = (ticket.respond_by, ticket.resolve_by)
    event = perform(ticket, "dispatch", world.street_staff, now=T0 + H, department="ZJ")
    ticket.refresh_from_db()
    assert (ticket.respond_by, ticket.resolve_by) == owed
    assert "deadlines" not in event.data


def test_across_a_holiday_the_working_days_decide(world):
    """Filed Monday 09-28 before National Day; dispatched on the eve, Wednesday 09-30: the
    unit signs for it by the first working day after the holiday (10-08), and owes the
    requester's call no sooner. Resolve_by, 7 working days from intake (10-13), stays."""
    filed = dt.datetime(2026, 9, 28, 9, tzinfo=TZ)
    ticket = at_the_desk(world, now=filed)
    assert ticket.respond_by == end_of(dt.date(2026, 9, 30))
    eve = dt.datetime(2026, 9, 30, 16, tzinfo=TZ)
    perform(ticket, "dispatch", world.street_staff, now=eve, department="ZJ")
    ticket.refresh_from_db()
    assert ticket.accept_by == end_of(dt.date(2026, 10, 8))
    assert ticket.respond_by == end_of(dt.date(2026, 10, 8))  # before: 09-30, ahead of it
    assert ticket.resolve_by == end_of(dt.date(2026, 10, 13))
    assert ticket.resolve_by == WorkCalendar.load().add_workdays(filed, 7)


def test_a_resolve_by_inside_the_signing_window_moves_to_its_end(world):
    """An emergency (签收 15 min, 响应 1 h, 办结 2 h) held at the desk 1 h 50: the unit is
    not to resolve it before it even has to sign for it."""
    ticket = at_the_desk(world, urgency=Urgency.EMERGENCY)
    assert ticket.resolve_by == T0 + 2 * H
    late = T0 + 110 * dt.timedelta(minutes=1)
    event = perform(ticket, "dispatch", world.street_staff, now=late, department="ZJ")
    ticket.refresh_from_db()
    assert ticket.accept_by == late + dt.timedelta(minutes=15)
    assert ticket.respond_by == ticket.resolve_by == ticket.accept_by  # before: T0+1h, T0+2h
    assert event.data["deadlines"]["before"]["resolve_by"] == localtime(T0 + 2 * H).isoformat()


def test_a_resolve_by_passed_at_the_desk_stays_the_desks_miss(world):
    ticket = at_the_desk(world, urgency=Urgency.EMERGENCY)
    late = T0 + 3 * H
    perform(ticket, "dispatch", world.street_staff, now=late, department="ZJ")
    ticket.refresh_from_db()
    assert ticket.resolve_by == T0 + 2 * H  # passed while the desk held it: not moved
    assert ticket.respond_by == ticket.accept_by == late + dt.timedelta(minutes=15)
    perform(ticket, "accept", world.housing_handler, now=late + 5 * dt.timedelta(minutes=1))
    perform(ticket, "resolve", world.housing_handler, now=late + H, reply="已处理")
    street, housing = kpis.compute([world.street, world.housing], *MARCH, now=END)
    assert (street.counts["due"], street.counts["resolved_on_time"]) == (1, 0)
    assert housing.counts["due"] == 0


def test_a_return_brings_the_requesters_deadlines_back_and_a_redispatch_moves_them_again(world):
    ticket = at_the_desk(world)
    owed = (ticket.respond_by, ticket.resolve_by)
    late = dt.datetime(2026, 3, 5, 10, tzinfo=TZ)
    perform(ticket, "dispatch", world.street_staff, now=late, department="ZJ")
    event = perform(
        ticket, "return", world.housing_handler, now=late + H, reason_code="unclear_ownership"
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RETURNED and ticket.owner_place == world.street
    assert (ticket.respond_by, ticket.resolve_by) == owed
    assert event.data["deadlines"]["after"] == {"respond_by": localtime(owed[0]).isoformat()}
    again = late + 2 * H
    perform(ticket, "dispatch", world.street_staff, now=again, department="CG")
    ticket.refresh_from_db()
    assert ticket.respond_by == ticket.accept_by == accept_window(ticket, again)


def test_a_designation_after_three_returns_gives_the_same_floor(world):
    ticket = at_the_desk(world)
    now = T0 + H
    perform(ticket, "dispatch", world.street_staff, now=now, department="ZJ")
    for n in range(3):
        now += H
        perform(ticket, "return", world.housing_handler, now=now, reason_code="unclear_ownership")
        if n < 2:
            now += H
            perform(ticket, "dispatch", world.street_staff, now=now, department="ZJ")
    late = dt.datetime(2026, 3, 6, 10, tzinfo=TZ)  # Friday: the requester's respond_by passed
    perform(ticket, "designate", world.street_staff, now=late, department="ZJ", reason="权属清楚")
    ticket.refresh_from_db()
    assert ticket.designated
    assert ticket.respond_by == ticket.accept_by == end_of(dt.date(2026, 3, 9))  # Monday
    assert "respond_by" in dispatch_event(ticket).data["deadlines"]["after"]


def test_sent_down_again_from_escalated_the_floor_holds_too(world):
    """A grid ticket escalated to the community, which sends it back down to the grid on
    the day the requester's respond_by runs out."""
    ticket = filed(world)
    perform(ticket, "escalate", world.gridworker_a, now=T0 + H, reason="需社区协调")
    down = dt.datetime(2026, 3, 4, 15, tzinfo=TZ)
    perform(ticket, "dispatch", world.community_staff, now=down, unit=world.grid_a.code)
    ticket.refresh_from_db()
    assert ticket.accept_by == end_of(dt.date(2026, 3, 5))
    assert ticket.respond_by == ticket.accept_by  # before: 03-04 23:59:59


def test_an_escalation_keeps_the_requesters_deadlines(world):
    """Passing a ticket up buys no time (test_escalation_deadlines): the floor is a
    dispatch's and a designation's, not an escalation's."""
    ticket = filed(world)
    owed = (ticket.respond_by, ticket.resolve_by)
    late = dt.datetime(2026, 3, 4, 15, tzinfo=TZ)
    perform(ticket, "escalate", world.gridworker_a, now=late, reason="需社区协调")
    ticket.refresh_from_db()
    assert (ticket.respond_by, ticket.resolve_by) == owed
    assert ticket.accept_by > ticket.respond_by


def test_a_resolve_by_that_passed_while_the_unit_held_it_is_not_brought_back_on_return(world):
    """An emergency held at the desk 1 h 50: the dispatch raised its resolve_by (T0+2h) to
    the unit's accept_by (T0+2h05); the unit returns it at T0+2h02, in its window. Brought
    back, T0+2h would have passed while the unit held it: kpis charged the unit a late
    resolution (due 1, on time 0) for a deadline before its accept_by. It stays raised,
    the desk's to meet."""
    ticket = at_the_desk(world, urgency=Urgency.EMERGENCY)
    minute = dt.timedelta(minutes=1)
    perform(ticket, "dispatch", world.street_staff, now=T0 + 110 * minute, department="ZJ")
    ticket.refresh_from_db()
    raised = ticket.accept_by
    assert ticket.resolve_by == raised == T0 + 125 * minute
    event = perform(
        ticket,
        "return",
        world.housing_handler,
        now=T0 + 122 * minute,
        reason_code="unclear_ownership",
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RETURNED and ticket.owner_place == world.street
    assert ticket.resolve_by == raised  # before: T0+2h, passed two minutes earlier
    assert ticket.respond_by == T0 + H  # the requester's, as for any return
    assert "resolve_by" not in event.data["deadlines"]["after"]
    street, housing = kpis.compute([world.street, world.housing], *MARCH, now=END)
    assert housing.counts["due"] == 0  # before: 1, and 0 resolved on time
    assert (street.counts["due"], street.counts["resolved_on_time"]) == (1, 0)


def test_a_respond_by_passed_before_an_escalated_ticket_is_sent_down_stays(world):
    """The grid lets the requester's respond_by (Wednesday) pass, passes the ticket up on
    Thursday, and the community sends it straight back down. Raised to the grid's new
    accept_by, the grid's call on Thursday was on time (响应率 1/1: its miss erased) and the
    community, which got the ticket after the deadline had passed, was charged it (0/1)."""
    ticket = filed(world)
    owed = ticket.respond_by
    thu = dt.datetime(2026, 3, 5, 10, tzinfo=TZ)
    perform(ticket, "escalate", world.gridworker_a, now=thu, reason="需社区协调")
    event = perform(ticket, "dispatch", world.community_staff, now=thu + H, unit=world.grid_a.code)
    ticket.refresh_from_db()
    assert ticket.respond_by == owed  # before: Friday's end, the grid's accept_by
    assert "raised" not in event.data
    perform(ticket, "accept", world.gridworker_a, now=thu + 2 * H)
    contact = perform(ticket, "contact", world.gridworker_a, now=thu + 3 * H)
    assert contact.data["on_time"] is False
    grid, community = kpis.compute([world.grid_a, world.community], *MARCH, now=END)
    assert (grid.counts["response_due"], grid.counts["responded"]) == (1, 0)
    assert community.counts["response_due"] == 0
