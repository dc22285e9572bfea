"""小事不出网格、大事不出社区: a community office's escalations walked in Chromium at 1366 px
(社区工作者 of make_world). A grid worker's ticket left overdue past the grace period is
supervised and passed up by the deadline sweep; the community reads on its queue and in the
timeline why it came, signs for it and passes it on to the street, which may whistle; the
late response is charged to the grid, not to the community that got it late (DESIGN §5,
docs/kpis.md §1); and a grid worker's own escalation of a matter beyond the grid asks for a
reason, says it goes to the community, and the community reads it."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gridgov.tickets import intake, sweep
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Status
from tests.tickets.factories import make_ticket, make_world, ticket_data

from .session import signed_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    return make_world()


def _shot(page, artifacts, name):
    page.screenshot(path=str(artifacts / f"escalation-{name}.png"), full_page=True)


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _row(page, code):
    return page.locator(f"tr.wb-row[data-code='{code}']")


def test_swept_up_to_the_community_and_on_to_the_street(chromium, live_server, world, artifacts):
    t0 = timezone.now() - dt.timedelta(days=20)
    data = ticket_data(category=world.corridor.code, title="楼道堆物无人清理")
    ticket = intake.create_ticket(data, actor=world.hotline, now=t0).ticket
    perform(ticket, "accept", world.gridworker_a, now=t0 + dt.timedelta(hours=1))
    report = sweep.run(remind=False)
    assert sorted(stage for _code, stage in report.supervised) == ["resolve", "respond"]
    ticket.refresh_from_db()
    assert ticket.status == Status.ESCALATED and ticket.owner_place == world.community
    base = live_server.url
    # The weeks the grid held it, and today: its deadlines and the escalations fall inside.
    period = f"start={_local(t0)[:10]}&end={timezone.localdate().isoformat()}"
    with signed_in(chromium, base, world.community_staff.username) as (page, errors):
        # 待签收 opens first, the row red (the requester's deadlines stay missed) and saying
        # where it came from and why.
        page.goto(base + "/tickets/")
        expect(page.locator("[data-tab=accept][aria-current=page]")).to_be_visible()
        row = _row(page, ticket.code)
        expect(row).to_have_class("wb-row is-overdue")
        expect(row.locator("[data-escalated-from]")).to_have_text(
            "魏家坡小区超时未办，系统自动上报"
        )
        expect(row).to_contain_text("已上报")
        _shot(page, artifacts, "community-queue")
        row.get_by_role("link", name=ticket.code).click()
        up = page.locator(".timeline__item[data-action=escalate]")
        expect(up.locator(".timeline__actor")).to_have_text("系统")
        expect(up).to_contain_text("由 魏家坡小区 上报至 魏家坡社区")
        expect(up).to_contain_text(f"办结时限：{_local(ticket.resolve_by)}（不变）")
        expect(up).to_contain_text(_local(ticket.accept_by))
        expect(page.locator(".timeline__item[data-action=supervise]")).to_have_count(2)
        _shot(page, artifacts, "community-detail")
        # The community signs for it, then passes it on to the street with a reason.
        page.locator("form[data-action=accept] button[type=submit]").click()
        expect(page.locator(".timeline__item[data-action=accept]").last).to_contain_text(
            "community"
        )
        page.locator("summary", has_text="上报").click()
        form = page.locator("form[data-action=escalate]")
        expect(form.locator("textarea[name$=reason]")).to_have_attribute("required", "")
        form.locator("textarea[name$=reason]").fill("涉及多家物业，需街道协调")
        form.locator("button[type=submit]").click()
        last = page.locator(".timeline__item[data-action=escalate]").last
        expect(last).to_contain_text("涉及多家物业，需街道协调")
        expect(last.locator(".timeline__actor")).to_have_text("community")
        expect(last).to_contain_text("由 魏家坡社区 上报至 学院路街道")
        for item in page.locator(".timeline__item").all():
            assert item.locator(".timeline__when").inner_text().strip()
            assert item.locator(".timeline__actor").inner_text().strip()
        _shot(page, artifacts, "community-escalated")
        page.goto(base + "/tickets/")
        expect(_row(page, ticket.code)).to_have_count(0)  # the street's now
        assert not errors
    with signed_in(chromium, base, world.gridworker_a.username) as (page, errors):
        page.goto(base + "/tickets/")
        expect(_row(page, ticket.code)).to_have_count(0)
        page.goto(base + "/tickets/all/")
        expect(_row(page, ticket.code)).to_contain_text("已上报")  # still in its area's list
        assert not errors
    with signed_in(chromium, base, world.street_staff.username) as (page, errors):
        page.goto(base + "/tickets/")
        row = _row(page, ticket.code)
        expect(row.locator("[data-escalated-from]")).to_have_text(
            "魏家坡社区上报：涉及多家物业，需街道协调"
        )
        _shot(page, artifacts, "street-queue")
        row.get_by_role("link", name=ticket.code).click()
        expect(page.locator("summary", has_text="吹哨")).to_be_visible()  # the street's
        expect(page.locator("form[data-action=escalate]")).to_have_count(0)  # nothing above
        _shot(page, artifacts, "street-detail")
        # The street's ranking of its communities: the community got the ticket after both
        # deadlines had passed with the grid, so neither is charged to it.
        page.goto(f"{base}/tickets/kpis/?level=community&{period}")
        community = page.locator("main table tbody tr", has_text="魏家坡社区")
        expect(community).not_to_contain_text("0/1")
        _shot(page, artifacts, "street-kpis")
        assert not errors
    with signed_in(chromium, base, world.community_staff.username) as (page, errors):
        # The community's ranking of its grids: the grid that held it when the response and
        # resolve deadlines passed is charged with both.
        page.goto(f"{base}/tickets/kpis/?level=grid&{period}")
        grid = page.locator("main table tbody tr", has_text="魏家坡小区")
        expect(grid).to_contain_text("0/1")
        _shot(page, artifacts, "community-kpis")
        assert not errors


def test_a_grid_worker_passes_up_a_matter_beyond_the_grid(chromium, live_server, world, artifacts):
    ticket = make_ticket(world, title="小区围墙倒塌需多方协调")
    perform(ticket, "accept", world.gridworker_a)
    base = live_server.url
    with signed_in(chromium, base, world.gridworker_a.username) as (page, errors):
        page.goto(f"{base}/tickets/{ticket.code}/")
        page.locator("summary", has_text="上报").click()
        form = page.locator("form[data-action=escalate]")
        expect(form.locator("label[for$=reason]")).to_have_text("原因")
        # Where it goes, before it is sent: the grid's community (c347ad3).
        expect(form.locator("[data-escalate-to]")).to_have_text("将上报至魏家坡社区。")
        form.locator("button[type=submit]").click()  # empty: the browser asks for it
        expect(page.locator(".timeline__item[data-action=escalate]")).to_have_count(0)
        form.locator("textarea[name$=reason]").fill("围墙属多个产权单位，超出网格处置能力")
        form.locator("button[type=submit]").click()
        up = page.locator(".timeline__item[data-action=escalate]")
        expect(up).to_contain_text("围墙属多个产权单位，超出网格处置能力")
        expect(up.locator(".timeline__actor")).to_have_text("gw_a")
        _shot(page, artifacts, "grid-escalated")
        page.goto(base + "/tickets/")
        expect(_row(page, ticket.code)).to_have_count(0)
        assert not errors
    with signed_in(chromium, base, world.community_staff.username) as (page, errors):
        page.goto(base + "/tickets/")
        row = _row(page, ticket.code)
        expect(row.locator("[data-escalated-from]")).to_have_text(
            "魏家坡小区上报：围墙属多个产权单位，超出网格处置能力"
        )
        expect(row).not_to_have_class("wb-row is-overdue")  # passed up in time
        _shot(page, artifacts, "community-queue-manual")
        row.get_by_role("link", name=ticket.code).click()
        up = page.locator(".timeline__item[data-action=escalate]")
        expect(up).to_contain_text("围墙属多个产权单位，超出网格处置能力")
        _shot(page, artifacts, "community-detail-manual")
        assert not errors
