"""The hot-issue table on a phone (390 px, in Chromium): the titles shrank to 3-4 characters
a line while the period (kept on one line) and the state were pushed out of sight.

Here with the browser tests: they share one Chromium (tests/browser/conftest.py), and a
second Playwright in the same process fails."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.insights.models import HotIssue
from tests.tickets.factories import make_world

TITLES = [
    "反应A市暮云街道丽发新城小区环境污染问题",
    "A1区远大一路辉煌国际城二期物业公司提供虚假场地证明",
    "希望提高A市至F市白天普快列车的频次",
]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_hot_issue_table_is_readable_on_a_phone(chromium, live_server, artifacts):
    world = make_world()
    now = timezone.now()
    for n, title in enumerate(TITLES):
        HotIssue.objects.create(
            key=f"t-phone-{n}",
            title=title,
            place=world.grid_a,
            place_label=world.grid_a.name,
            first_at=now - dt.timedelta(days=10 + n),
            last_at=now - dt.timedelta(days=n),
            ticket_count=3,
            requester_count=3,
            heat=9.0 - n,
            refreshed_at=now,
        )
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844}
    )
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(live_server.url + "/login/")
        page.fill("input[name=username]", world.community_staff.username)
        page.fill("input[name=password]", "pw-for-tests")
        page.press("input[name=password]", "Enter")
        page.wait_for_url(live_server.url + "/")
        page.goto(live_server.url + "/insights/hot/?state=all")
        sizes = page.evaluate(
            """() => {
              const em = (el) => parseFloat(getComputedStyle(el).fontSize);
              const heads = Array.from(document.querySelectorAll(".table-scroll th"));
              const title = heads[1], period = heads[3];
              const cell = document.querySelector(".table-scroll tbody tr td:nth-child(4)");
              const range = document.createRange();
              range.selectNodeContents(cell);
              const lines = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
              return {
                title: title.getBoundingClientRect().width / em(title),
                period: period.getBoundingClientRect().width / em(period),
                periodLines: lines.size,
                page: document.documentElement.scrollWidth,
              };
            }"""
        )
        page.screenshot(path=artifacts / "insights-hot-issues-390.png", full_page=True)
        assert not errors
    finally:
        context.close()
    # Titles keep about ten characters a line; the period goes to a second line between its
    # dates; the page itself does not scroll sideways (the table scrolls inside its panel).
    assert sizes["title"] >= 9.5, sizes
    assert sizes["periodLines"] == 2 and sizes["period"] < 9, sizes
    assert sizes["page"] <= 390, sizes
