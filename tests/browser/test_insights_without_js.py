"""热点问题 pages and the classifier page on a phone (390 px) with JavaScript off: the map and
the charts are drawn by insights.js, and their boxes stood as a screen's height of blank
(found walking the demo). Without the script the boxes are left out for a note and the
charts' numbers; with it the map and charts are drawn and the numbers folded (查看数据)."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.insights.models import HotIssue, ModelVersion
from tests.browser.session import PASSWORD, PHONE
from tests.tickets.factories import make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABELS = ["交通运输", "劳动和社会保障", "卫生计生", "城乡建设", "环境保护"]

BOXES = """() => Array.from(document.querySelectorAll("#hot-map, #hot-trend, #confusion"))
  .map((el) => [el.id, Math.round(el.getBoundingClientRect().height)])"""
SHOWN = """(id) => { const el = document.getElementById(id);
  return el ? [el.open, Math.round(el.getBoundingClientRect().height)] : null; }"""


def _world():
    world = make_world()
    now = timezone.now()
    today = timezone.localdate()
    issue = HotIssue.objects.create(
        key="t-nojs",
        title="魏家坡小区搅拌站噪音扰民",
        place=world.grid_a,
        place_label=world.grid_a.name,
        first_at=now - dt.timedelta(days=6),
        last_at=now,
        ticket_count=5,
        requester_count=4,
        heat=8.0,
        trend=[[(today - dt.timedelta(days=6)).isoformat(), 3], [today.isoformat(), 2]],
        refreshed_at=now,
    )
    HotIssue.objects.create(
        key="t-nojs-lamp",
        title="滨江路路灯不亮",
        place=world.grid_a,
        place_label=world.grid_a.name,
        first_at=now - dt.timedelta(days=3),
        last_at=now,
        ticket_count=2,
        requester_count=2,
        heat=4.0,
        trend=[[(today - dt.timedelta(days=3)).isoformat(), 2]],
        refreshed_at=now,
    )
    confusion = [[30 if i == j else 2 for j in range(len(LABELS))] for i in range(len(LABELS))]
    ModelVersion.objects.create(
        version=1,
        path="/nonexistent",
        fingerprint="t",
        active=True,
        metrics={
            "accuracy": 0.9,
            "macro_f1": 0.9,
            "n": 190,
            "method": "3-fold cross-validation",
            "labels": LABELS,
            "per_class": {
                label: {"precision": 0.9, "recall": 0.9, "f1": 0.9, "support": 38}
                for label in LABELS
            },
            "confusion": confusion,
        },
    )
    return world, issue


def _walk(chromium, base, username, pages, artifacts, *, script):
    """{path: (boxes, table)} of each page at 390 px, a screenshot of each kept."""
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", java_script_enabled=script, **PHONE
    )
    seen, errors = {}, []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(base + "/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.wait_for_url(base + "/")
        for name, (path, table) in pages.items():
            page.goto(base + path)
            if script:
                page.wait_for_function(
                    "() => Array.from(document.querySelectorAll('#hot-trend, #confusion'))"
                    ".every((el) => el.querySelector('canvas'))"
                )
            page.screenshot(
                path=artifacts / f"insights-{name}-{'js' if script else 'nojs'}-390.png",
                full_page=True,
            )
            note = page.locator("p.insights-noscript")
            seen[name] = {
                "boxes": dict(page.evaluate(BOXES)),
                "table": page.evaluate(SHOWN, table),
                "note": note.is_visible() if note.count() else False,
                "wide": page.evaluate("() => document.documentElement.scrollWidth"),
            }
    finally:
        context.close()
    assert not errors
    return seen


def test_the_insights_pages_leave_no_blank_box_without_javascript(chromium, live_server, artifacts):
    world, issue = _world()
    pages = {
        "hot-list": ("/insights/hot/", "hot-trend-table"),
        "hot-issue": (f"/insights/hot/{issue.pk}/", "hot-trend-table"),
        "classifier": ("/insights/classifier/", "confusion-table"),
    }
    user = world.street_staff.username
    off = _walk(chromium, live_server.url, user, pages, artifacts, script=False)
    on = _walk(chromium, live_server.url, user, pages, artifacts, script=True)
    for name in pages:
        # Without the script: no blank box where the map or a chart was, the note says why,
        # and the chart's numbers are there, open.
        assert off[name]["boxes"] and all(h <= 100 for h in off[name]["boxes"].values()), off
        assert off[name]["note"], (name, off[name])
        open_, height = off[name]["table"]
        assert open_ and height > 100, (name, off[name])
        assert off[name]["wide"] <= 390, (name, off[name])
        # With it: drawn at full size, the numbers folded under 查看数据, no note.
        assert all(h >= 250 for h in on[name]["boxes"].values()), on
        assert on[name]["table"][0] is False and on[name]["table"][1] < 60, (name, on[name])
        assert not on[name]["note"], (name, on[name])
        assert on[name]["wide"] <= 390, (name, on[name])
    assert set(off["hot-list"]["boxes"]) == {"hot-map", "hot-trend"}
