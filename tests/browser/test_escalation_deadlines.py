"""A community office reads, in Chromium, what an escalation back from its grid left it: its
own 签收 window, and the requester's deadlines as they were (passing a ticket up buys no
time; tests/tickets/test_escalation_deadlines.py)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gridgov.tickets import intake
from gridgov.tickets.lifecycle import perform
from tests.tickets.factories import make_world, ticket_data

from .session import signed_in

pytestmark = pytest.mark.browser


def test_the_community_reads_that_the_requesters_deadlines_stay(
    chromium, live_server, transactional_db, artifacts
):
    world = make_world()
    t0 = timezone.now() - dt.timedelta(days=3)
    data = ticket_data(category=world.community_matter.code)
    ticket = intake.create_ticket(data, actor=world.hotline, now=t0).ticket
    perform(ticket, "accept", world.community_staff, now=t0 + dt.timedelta(hours=1))
    perform(ticket, "contact", world.community_staff, now=t0 + dt.timedelta(hours=2))
    perform(
        ticket,
        "dispatch",
        world.community_staff,
        now=t0 + dt.timedelta(days=1),
        unit=world.grid_a.code,
        reason="请网格员上门",
    )
    perform(ticket, "escalate", world.gridworker_a, reason="需社区协调物业")
    ticket.refresh_from_db()
    resolve_by = timezone.localtime(ticket.resolve_by).strftime("%Y-%m-%d %H:%M")
    accept_by = timezone.localtime(ticket.accept_by).strftime("%Y-%m-%d %H:%M")
    with signed_in(chromium, live_server.url, world.community_staff.username) as (page, errors):
        page.goto(f"{live_server.url}/tickets/{ticket.code}/")
        up = page.locator(".timeline__item[data-action=escalate]")
        expect(up).to_contain_text("魏家坡社区的签收时限自上报时起计算；诉求人的办理时限不变：")
        expect(up).to_contain_text(f"办结时限：{resolve_by}（不变）")
        expect(up).to_contain_text("签收时限：")
        expect(up).to_contain_text(accept_by)  # its own, whether or not later than the grid's
        expect(up).not_to_contain_text("重新计算")
        up.scroll_into_view_if_needed()
        page.screenshot(path=artifacts / "escalated-back-deadlines-zh.png", full_page=True)
        assert errors == []
