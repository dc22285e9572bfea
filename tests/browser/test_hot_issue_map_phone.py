"""A hot issue's own page maps its tickets, at a desk (1366 px) and on a phone (390 px): one
circle per point (the tickets of one building share it, their number on it), over the
issue's grid; a tap opens the codes, days and statuses, each code a link to its ticket, and
nothing of the requester. Without JavaScript the map gives way to a note, and the list of
tickets says where each is."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.tickets.models import Ticket
from tests.insights.test_hot_issue_review import _issue
from tests.tickets.factories import make_ticket, make_world

from .session import PASSWORD, PHONE, signed_in
from .test_accessibility import NO_TRANSITIONS, audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAP = "#hot-issue-map"
DRAWN = """(sel) => { const el = document.querySelector(sel); return el && {
  state: el.dataset.state || "",
  paths: el.querySelectorAll("path.leaflet-interactive").length,
  grid: el.querySelectorAll("path:not(.leaflet-interactive)").length,
  counts: Array.from(el.querySelectorAll(".map-count")).map((c) => c.textContent),
  label: Array.from(el.querySelectorAll(".grid-label")).map((c) => c.textContent),
  height: Math.round(el.getBoundingClientRect().height) }; }"""


def _world():
    world = make_world()
    b3, _b5, other = world.buildings
    at_b3 = [
        make_ticket(world, requester_name="张三", requester_phone="13812341234"),
        make_ticket(world, requester_name="李四", requester_phone="13900001111"),
    ]
    at_point = make_ticket(world, requester_name="王五", requester_phone="13700002222")
    in_b = make_ticket(world, requester_name="钱七", requester_phone="13500004444")
    Ticket.objects.filter(pk__in=[t.pk for t in at_b3]).update(building=b3, place=b3)
    Ticket.objects.filter(pk=at_point.pk).update(
        building=None, place=world.grid_a, lat=b3.lat - 0.003, lng=b3.lng + 0.004
    )
    Ticket.objects.filter(pk=in_b.pk).update(building=other, place=other, grid=world.grid_b)
    issue = _issue(world.grid_a, [*at_b3, at_point, in_b], key="t-map-walk")
    today = timezone.localdate()
    issue.trend = [[(today - dt.timedelta(days=2)).isoformat(), 2], [today.isoformat(), 2]]
    issue.save(update_fields=["trend"])
    return world, issue, at_b3


@pytest.mark.parametrize("phone", [False, True], ids=["desk-1366", "phone-390"])
def test_a_hot_issues_page_maps_its_tickets(chromium, live_server, artifacts, phone):
    world, issue, at_b3 = _world()
    width = 390 if phone else 1366
    base = live_server.url
    with signed_in(chromium, base, world.community_staff.username, phone=phone) as (page, errors):
        page.goto(f"{base}/insights/hot/{issue.pk}/")
        page.wait_for_selector(f"{MAP}[data-state=ready]")
        page.add_style_tag(content=NO_TRANSITIONS)
        drawn = page.evaluate(DRAWN, MAP)
        # Three points (3栋 with two tickets, a reported point, grid B's building) and the grid.
        assert drawn["paths"] == 3, drawn
        assert drawn["grid"] == 1, drawn
        assert drawn["counts"] == ["2"], drawn
        assert drawn["label"] == [world.grid_a.name], drawn
        assert drawn["height"] >= 250, drawn
        page.screenshot(path=artifacts / f"hot-issue-map-{width}.png", full_page=True)

        # The shared circle's popup: both codes, linked, with day and status; no requester.
        page.locator(f"{MAP} .leaflet-marker-pane .map-count").first.wait_for()
        shared = page.evaluate(
            """(sel) => { const map = document.querySelector(sel);
              const count = map.querySelector(".map-count").getBoundingClientRect();
              return [count.x + count.width / 2, count.y + count.height / 2]; }""",
            MAP,
        )
        page.mouse.click(*shared)
        popup = page.locator(f"{MAP} .leaflet-popup .map-tickets")
        popup.wait_for()
        text = popup.inner_text()
        day = timezone.localdate().isoformat()
        for ticket in at_b3:
            assert f"{ticket.code} {day} · 已派单" in text, text
            link = popup.get_by_role("link", name=ticket.code)
            assert link.get_attribute("href") == f"/tickets/{ticket.code}/"
        assert "张三" not in text and "1381234" not in text
        page.screenshot(path=artifacts / f"hot-issue-map-popup-{width}.png")
        problems = audit(page, phone=phone, tabs=0)
        problems.pop("lang")
        assert not problems, problems
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        assert not errors, errors


def test_without_javascript_the_list_says_where_each_ticket_is(chromium, live_server, artifacts):
    world, issue, at_b3 = _world()
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", java_script_enabled=False, **PHONE
    )
    try:
        page = context.new_page()
        base = live_server.url
        page.goto(base + "/login/")
        page.fill("input[name=username]", world.community_staff.username)
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.wait_for_url(base + "/")
        page.goto(f"{base}/insights/hot/{issue.pk}/")
        page.screenshot(path=artifacts / "hot-issue-map-nojs-390.png", full_page=True)
        assert page.locator(MAP).bounding_box() is None  # left out, not a blank box
        note = page.locator("p.insights-noscript")
        assert note.is_visible()
        assert "各工单的所在地见下方工单列表" in note.inner_text()
        items = page.locator("ul.ticket-list li")
        assert items.count() == 4
        for n in (0, 1):
            assert f"位于{world.buildings[0].address}" in items.nth(n).inner_text()
        assert f"位于{world.grid_a.name}" in items.nth(2).inner_text()
        assert f"位于{world.buildings[2].address}" in items.nth(3).inner_text()
    finally:
        context.close()
