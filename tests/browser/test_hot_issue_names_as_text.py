"""The hot-issue page shows grid names and residents' titles as text, never as markup.

Leaflet parses a string tooltip as HTML and ECharts puts a tooltip formatter's answer into
the page as HTML; grid names come from imported sheets and titles from residents' words."""

import datetime as dt
from contextlib import contextmanager

import pytest
from django.utils import timezone

from gridgov.insights.models import HotIssue
from tests.tickets.factories import make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GRID = '<img src="x" onerror="window.__ran = (window.__ran || 0) + 1">网格'
TITLE = '<img src="y" onerror="window.__ran = (window.__ran || 0) + 1">楼道堆物'


@contextmanager
def hot_issues_page(chromium, live_server, user):
    """热点诉求 (all states) in a Chinese browser, signed in as `user`."""
    context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", "pw-for-tests")
        page.press("input[name=password]", "Enter")
        page.wait_for_url(live_server.url + "/")
        page.goto(live_server.url + "/insights/hot/?state=all")
        yield page
    finally:
        context.close()


def test_grid_names_and_titles_are_text_on_the_hot_issue_page(chromium, live_server):
    world = make_world()
    grid = world.grid_a
    grid.name = GRID
    grid.lat, grid.lng = 28.18, 112.97
    grid.boundary = {
        "type": "Polygon",
        "coordinates": [
            [[112.968, 28.178], [112.972, 28.178], [112.972, 28.182], [112.968, 28.178]]
        ],
    }
    grid.save()
    now = timezone.now()
    day = now.date()
    HotIssue.objects.create(
        key="t-markup",
        title=TITLE,
        place=grid,
        place_label=GRID,
        first_at=now - dt.timedelta(days=3),
        last_at=now,
        ticket_count=3,
        requester_count=3,
        heat=9.0,
        refreshed_at=now,
        trend=[[str(day - dt.timedelta(days=d)), 1] for d in range(3)],
    )
    with hot_issues_page(chromium, live_server, world.community_staff) as page:
        page.wait_for_selector("#hot-map .hot-grid-label", state="attached")
        page.wait_for_timeout(300)  # the fitted zoom's labels: a name, or a letter and its key
        shown = page.locator("#hot-map .hot-grid-label").all_text_contents()
        shown += page.locator("#hot-map ~ .grid-key").all_text_contents()
        assert any(GRID in text for text in shown), shown
        # The trend's tooltips: the axis tooltip (ECharts' own), then the legend's.
        page.evaluate(
            """() => echarts.getInstanceByDom(document.getElementById('hot-trend'))
                 .dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 0})"""
        )
        legend = page.evaluate(
            """t => echarts.getInstanceByDom(document.getElementById('hot-trend'))
                 .getOption().legend[0].tooltip.formatter({name: t})""",
            TITLE,
        )
        page.wait_for_timeout(300)
        assert "<img" not in legend, legend
        assert page.evaluate("window.__ran") is None
        assert page.locator("img[src=x], img[src=y]").count() == 0


def test_the_trend_lines_follow_the_table_hottest_first(chromium, live_server):
    """The lines were keyed by issue id, which the browser orders by number: the legend of a
    district's list opened on an old, cool issue, not on the hottest."""
    world = make_world()
    now = timezone.now()
    trend = [[str(now.date() - dt.timedelta(days=d)), 1] for d in range(3)]
    for n, (title, heat) in enumerate((("较早的冷门问题", 2.0), ("最热的问题", 9.0))):
        HotIssue.objects.create(
            key=f"t-order-{n}",
            title=title,
            place=world.grid_a,
            place_label=world.grid_a.name,
            first_at=now - dt.timedelta(days=3),
            last_at=now,
            ticket_count=3,
            requester_count=3,
            heat=heat,
            refreshed_at=now,
            trend=trend,
        )
    with hot_issues_page(chromium, live_server, world.community_staff) as page:
        page.wait_for_selector("#hot-trend canvas")
        names = page.evaluate(
            """() => echarts.getInstanceByDom(document.getElementById('hot-trend'))
                 .getOption().series.map(s => s.name)"""
        )
        assert names == ["最热的问题", "较早的冷门问题"]
