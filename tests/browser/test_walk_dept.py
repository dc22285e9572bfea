"""A department handler's and a community office's day in Chromium, as walked on the demo
(区城管执法局, 魏家坡社区), on a phone: a whistle the department is late to answer, from its
queue to its report; an extension the community refuses, saying why."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Summons
from tests.tickets.factories import make_ticket, make_world

from .session import signed_in

pytestmark = pytest.mark.browser


def test_a_department_late_to_a_whistle_sees_it_on_the_ticket_and_reports(
    chromium, live_server, transactional_db, artifacts
):
    world = make_world()
    t0 = timezone.now()
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a, now=t0 - dt.timedelta(hours=6))
    perform(
        ticket,
        "whistle",
        world.street_staff,
        now=t0 - dt.timedelta(hours=5),
        departments=["CG"],
        report_within_hours=2,
        reason="占道经营反复出现，需城管联合执法",
    )
    # Due three hours ago, whatever the clock: 2 office hours from 5 hours ago may not have
    # ended yet at night or on a weekend (sla.whistle_report_by).
    Summons.objects.filter(whistle__ticket=ticket).update(report_by=t0 - dt.timedelta(hours=3))
    with signed_in(chromium, live_server.url, world.city_handler.username, phone=True) as (
        page,
        errors,
    ):
        page.goto(live_server.url + "/tickets/")
        # The queue opens on 吹哨待报到; a department calls nobody back, so no 待回访 tab.
        expect(page.locator(".wb-tab[aria-current=page]")).to_have_attribute("data-tab", "report")
        expect(page.locator(".wb-tab[data-tab=callback]")).to_have_count(0)
        row = page.locator(f"tr[data-code='{ticket.code}']")
        expect(row).to_have_class("wb-row is-overdue")
        expect(row).to_contain_text("报到超时")
        row.locator("a").first.click()
        page.wait_for_url(f"**/tickets/{ticket.code}/")
        # Its own deadline first, red: not the owner's deadlines, all on time.
        first = page.locator(".deadlines .deadline").first
        expect(first).to_have_attribute("data-deadline", "report")
        expect(first).to_have_class("deadline is-overdue")
        expect(first).to_contain_text("报到时限")
        expect(first).to_contain_text("已超时")
        page.screenshot(path=artifacts / "dept-late-report-phone-zh.png", full_page=True)
        page.fill("#id_whistle-report-note", "已派执法队员到场，商贩已劝离")
        page.click("#action-whistle-report button[type=submit]")
        expect(page.locator(".wb-done")).to_contain_text("已完成：部门报到")
        expect(page.locator(".deadlines [data-deadline=report]")).to_have_count(0)
        assert not errors, errors


def test_a_community_refuses_an_extension_saying_why_and_the_grid_reads_it(
    chromium, live_server, transactional_db, artifacts
):
    world = make_world()
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    until = ticket.resolve_by + dt.timedelta(days=7)
    perform(ticket, "extend", world.gridworker_a, until=until, reason="需等物业和业主协商")
    base = live_server.url
    with signed_in(chromium, base, world.community_staff.username, phone=True) as (page, errors):
        page.goto(base + "/tickets/")
        expect(page.locator(".wb-tab[aria-current=page]")).to_have_attribute("data-tab", "approve")
        page.locator(f"tr[data-code='{ticket.code}'] a").first.click()
        form = page.locator("#action-approve-extension")
        expect(form.locator("textarea")).to_have_attribute(
            "placeholder", re.compile("不批准时必填")
        )
        form.locator("input[value=no]").check()
        form.locator("button[type=submit]").click()
        expect(page.locator("#action-approve-extension .action-refusal")).to_contain_text(
            "不批准延期须说明原因"
        )
        page.fill("#action-approve-extension textarea", "先约谈商户，整改不到位再申请")
        page.locator("#action-approve-extension button[type=submit]").click()
        expect(page.locator(".wb-done")).to_contain_text(f"已不批准延期：{ticket.code}")
        assert not errors, errors
    with signed_in(chromium, base, world.gridworker_a.username, phone=True) as (page, errors):
        page.goto(f"{base}/tickets/{ticket.code}/")
        expect(page.locator("[data-decision]")).to_have_text(
            "审批意见：先约谈商户，整改不到位再申请"
        )
        page.screenshot(path=artifacts / "extension-refused-grid-phone-zh.png", full_page=True)
        assert not errors, errors
