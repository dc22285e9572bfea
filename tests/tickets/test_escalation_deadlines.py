"""Passing a ticket up buys no time (DESIGN §4, issue #3): the requester's respond_by and
resolve_by move only by an approved extension; the office a ticket is escalated to gets its
own 签收 window, nothing more. Before, an escalation gave the unit above fresh deadlines
from the time-limit table, so a community could hand a ticket down (交办) on the eve of its
resolve_by and have it escalated straight back, by its grid or by the sweep, with a week
more, while the grid's record carried the miss."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localtime
from rest_framework.test import APIClient

from gridgov.tickets import intake, kpis, sla, sweep
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Extension, Status, TicketEvent

from .factories import make_ticket, make_world, ticket_data

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)
T0 = dt.datetime(2026, 3, 2, 9, tzinfo=TZ)  # Monday; March 2026 has no public holiday
H = dt.timedelta(hours=1)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
END = dt.datetime(2026, 4, 20, 12, tzinfo=TZ)
# The eve of the community's resolve_by (Wed 03-11 23:59:59: 7 working days from T0).
EVE = dt.datetime(2026, 3, 10, 10, tzinfo=TZ)


@pytest.fixture
def world():
    return make_world()


def community_ticket(world, now=T0):
    """A community matter at 魏家坡小区3号楼 (grid A): signed for and the requester called
    by the community within the hour."""
    data = ticket_data(category=world.community_matter.code)
    ticket = intake.create_ticket(data, actor=world.hotline, now=now).ticket
    assert ticket.owner_place == world.community
    perform(ticket, "accept", world.community_staff, now=now + H)
    perform(ticket, "contact", world.community_staff, now=now + 2 * H)
    return ticket


def owed(ticket):
    ticket.refresh_from_db()
    return ticket.respond_by, ticket.resolve_by


def accept_window(ticket, now):
    return sla.compute_deadlines(ticket.urgency, ticket.category, now, place=ticket.place).accept_by


def test_handing_down_and_escalating_back_buys_the_community_no_time(world):
    ticket = community_ticket(world)
    promised = owed(ticket)
    eve = EVE
    perform(ticket, "dispatch", world.community_staff, now=eve, unit=world.grid_a.code)
    perform(ticket, "accept", world.gridworker_a, now=eve + H)
    back = eve + 2 * H
    event = perform(ticket, "escalate", world.gridworker_a, now=back, reason="不是网格能办的")
    ticket.refresh_from_db()
    assert ticket.status == Status.ESCALATED and ticket.owner_place == world.community
    assert owed(ticket) == promised  # a fresh resolve_by a week later, before
    assert ticket.accept_by == accept_window(ticket, back)  # its own 签收 window only
    assert set((event.data.get("deadlines") or {}).get("after", {})) <= {"accept_by"}
    assert dt.datetime.fromisoformat(event.data["accept_by"]) == ticket.accept_by
    assert event.data["kept"]["resolve_by"] == localtime(promised[1]).isoformat()
    assert "respond_by" not in event.data["kept"]  # the requester was called already


def test_the_sweep_passing_it_back_from_a_grid_that_never_signs_buys_no_time_either(world):
    ticket = community_ticket(world)
    promised = owed(ticket)
    eve = EVE
    perform(ticket, "dispatch", world.community_staff, now=eve, unit=world.grid_a.code)
    ticket.refresh_from_db()
    later = ticket.accept_by + sweep.grace() + H
    report = sweep.run(now=later, remind=False)
    assert [code for code, _from, _to in report.escalated] == [ticket.code]
    ticket.refresh_from_db()
    assert ticket.owner_place == world.community and owed(ticket) == promised
    assert ticket.accept_by == accept_window(ticket, later)


def test_an_escalation_gives_the_unit_above_its_accept_window_and_keeps_the_rest(world):
    ticket = make_ticket(world)  # the grid's, nobody has called the requester yet
    perform(ticket, "accept", world.gridworker_a)
    promised = owed(ticket)
    now = timezone.now() + H
    event = perform(ticket, "escalate", world.gridworker_a, now=now, reason="需社区协调")
    ticket.refresh_from_db()
    assert ticket.owner_place == world.community and owed(ticket) == promised
    assert ticket.accept_by == accept_window(ticket, now)
    assert event.data["kept"] == {
        "respond_by": localtime(promised[0]).isoformat(),
        "resolve_by": localtime(promised[1]).isoformat(),
    }


def test_an_overdue_ticket_escalated_stays_overdue_and_goes_on_up_after_the_grace(world):
    """The community is not supervised for the grid's miss, and is passed over only one
    grace period after it got the ticket (小事不出网格、大事不出社区、难事不出街道)."""
    data = ticket_data(category=world.corridor.code)
    ticket = intake.create_ticket(data, actor=world.hotline, now=T0).ticket
    perform(ticket, "accept", world.gridworker_a, now=T0 + H)
    perform(ticket, "contact", world.gridworker_a, now=T0 + 2 * H)
    missed = ticket.resolve_by
    first = missed + sweep.grace() + H
    sweep.run(now=first, remind=False)
    ticket.refresh_from_db()
    assert ticket.owner_place == world.community and ticket.resolve_by == missed
    assert sla.overdue_stage(ticket, first) == "resolve"  # overdue is overdue
    perform(ticket, "accept", world.community_staff, now=first + H)
    report = sweep.run(now=first + 2 * H, remind=False)
    assert (report.supervised, report.escalated) == ([], [])
    report = sweep.run(now=first + sweep.grace() + H, remind=False)
    assert [to for _code, _from, to in report.escalated] == [world.street.code]


def test_only_an_approved_extension_moves_the_resolve_by(world):
    ticket = community_ticket(world)
    until = ticket.resolve_by + dt.timedelta(days=5)
    perform(ticket, "extend", world.community_staff, now=T0 + 3 * H, until=until, reason="需施工")
    perform(ticket, "approve-extension", world.street_staff, now=T0 + 4 * H, approve=True)
    assert owed(ticket)[1] == until
    perform(ticket, "dispatch", world.community_staff, now=T0 + 5 * H, unit=world.grid_a.code)
    perform(ticket, "escalate", world.gridworker_a, now=T0 + 6 * H, reason="退回社区")
    assert owed(ticket)[1] == until
    assert Extension.objects.get(ticket=ticket).state == Extension.State.APPROVED


def test_the_timeline_says_the_requesters_deadlines_stay(client, world):
    ticket = make_ticket(world)
    perform(ticket, "escalate", world.gridworker_a, reason="需社区协调")
    client.force_login(world.community_staff)
    html = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert "魏家坡社区的签收时限自上报时起计算；诉求人的办理时限不变：" in html
    ticket.refresh_from_db()
    resolve_by = timezone.localtime(ticket.resolve_by).strftime("%Y-%m-%d %H:%M")
    assert f"办结时限：{resolve_by}（不变）" in html
    accept_by = timezone.localtime(ticket.accept_by).strftime("%Y-%m-%d %H:%M")
    assert f"签收时限：{accept_by}" in html or f"→ {accept_by}" in html
    assert "重新计算" not in html
    api = APIClient()
    api.force_authenticate(world.community_staff)
    events = api.get(f"/api/v1/tickets/{ticket.pk}/events/").json()
    up = next(e for e in events if e["action"] == "escalate")
    assert up["data"]["kept"]["resolve_by"] == localtime(ticket.resolve_by).isoformat()


# --- who is charged (按时办结率) ----------------------------------------------------------------


def test_a_miss_while_handed_down_is_charged_to_the_grid_and_the_community_that_handed_it(world):
    """The community signed for it and owed its resolve_by; it handed it down the day before
    (交办), the deadline ran out with the grid, the sweep passed it back up. Both answer for
    the miss: the grid held it, the community handed it down and still answers for it, as
    for the response (kpis._team). Before, the grid alone was charged and the community
    resolved by a fresh deadline, on time."""
    ticket = community_ticket(world)
    eve = EVE
    perform(ticket, "dispatch", world.community_staff, now=eve, unit=world.grid_a.code)
    perform(ticket, "accept", world.gridworker_a, now=eve + H)
    ticket.refresh_from_db()
    back = ticket.resolve_by + sweep.grace() + H
    sweep.run(now=back, remind=False)
    ticket.refresh_from_db()
    assert ticket.owner_place == world.community
    perform(ticket, "accept", world.community_staff, now=back + H)
    perform(ticket, "resolve", world.community_staff, now=back + 2 * H, reply="已协调处理")
    grid, community = kpis.compute([world.grid_a, world.community], *MARCH, now=END)
    assert (grid.counts["due"], grid.counts["resolved_on_time"]) == (1, 0)
    assert (community.counts["due"], community.counts["resolved_on_time"]) == (1, 0)
    assert community.counts["response_due"] == community.counts["responded"] == 1


def test_escalated_back_in_time_the_miss_is_the_communitys_alone(world):
    ticket = community_ticket(world)
    promised = owed(ticket)
    eve = EVE
    perform(ticket, "dispatch", world.community_staff, now=eve, unit=world.grid_a.code)
    perform(ticket, "escalate", world.gridworker_a, now=eve + H, reason="不是网格能办的")
    perform(ticket, "accept", world.community_staff, now=eve + 2 * H)
    late = promised[1] + H  # (before: on time, by the fresh resolve_by it had got)
    perform(ticket, "resolve", world.community_staff, now=late, reply="已处理")
    grid, community = kpis.compute([world.grid_a, world.community], *MARCH, now=END)
    assert grid.counts["due"] == 0  # passed back before the deadline: no miss of the grid's
    assert (community.counts["due"], community.counts["resolved_on_time"]) == (1, 0)


def test_a_hand_down_resolved_in_time_counts_on_time_for_both(world):
    ticket = community_ticket(world)
    perform(ticket, "dispatch", world.community_staff, now=T0 + 3 * H, unit=world.grid_a.code)
    perform(ticket, "accept", world.gridworker_a, now=T0 + 4 * H)
    perform(ticket, "resolve", world.gridworker_a, now=T0 + 5 * H, reply="已清理")
    grid, community = kpis.compute([world.grid_a, world.community], *MARCH, now=END)
    assert (grid.counts["due"], grid.counts["resolved_on_time"]) == (1, 1)
    assert (community.counts["due"], community.counts["resolved_on_time"]) == (1, 1)


def test_a_ticket_returned_to_the_community_is_its_alone_again(world):
    ticket = community_ticket(world)
    eve = EVE
    perform(ticket, "dispatch", world.community_staff, now=eve, unit=world.grid_a.code)
    perform(ticket, "return", world.gridworker_a, now=eve + H, reason_code="wrong_place")
    ticket.refresh_from_db()
    assert ticket.owner_place == world.community and ticket.status == Status.IN_PROGRESS
    perform(ticket, "resolve", world.community_staff, now=ticket.resolve_by + H, reply="已处理")
    grid, community = kpis.compute([world.grid_a, world.community], *MARCH, now=END)
    assert grid.counts["due"] == 0
    assert (community.counts["due"], community.counts["resolved_on_time"]) == (1, 0)
    assert TicketEvent.objects.filter(ticket=ticket, action="return").count() == 1
