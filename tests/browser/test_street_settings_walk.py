"""A street office's walk of its settings pages (found walking the demo as 望江街道): the
Open311 key form, in Chromium at a desktop's and a phone's width."""

import pytest
from django.utils import timezone

from gridgov.tickets.models import KnowledgeAnswer, TimeLimit, Urgency
from tests.tickets.factories import make_world

from .session import signed_in

pytestmark = pytest.mark.browser

BOX = """e => { const s = getComputedStyle(e);
  return [s.borderTopWidth, s.borderTopStyle, s.borderRadius, s.paddingLeft, s.fontSize,
          Math.round(e.getBoundingClientRect().height), Math.round(e.getBoundingClientRect().width)]; }"""


@pytest.fixture
def street_staff(transactional_db):
    return make_world().street_staff


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_open311_rate_limit_field_looks_like_the_others(
    chromium, live_server, street_staff, artifacts, phone
):
    # 每分钟请求数 is a number input, styled only on the tickets pages (tickets.css): on
    # the key page it was the browser's own, a thin box a third as tall as 应用 above it.
    with signed_in(chromium, live_server.url, street_staff.username, phone=phone) as (page, errors):
        page.goto(live_server.url + "/open311/v2/keys/")
        name = page.locator("input[name=name]").evaluate(BOX)
        rate = page.locator("input[name=rate_limit]").evaluate(BOX)
        page.screenshot(
            path=str(artifacts / f"open311-keys-{'phone' if phone else 'desktop'}.png"),
            full_page=True,
        )
        assert rate == name
        assert not errors


def test_the_knowledge_base_reads_on_a_phone(chromium, live_server, street_staff, artifacts):
    # At 390 px the table's five columns squeezed each question to two characters a line
    # (发现私/家车占/用消防…) and the dates to 2026-/05-14: each answer is a card now.
    KnowledgeAnswer.objects.create(
        question="发现私家车占用消防通道怎么办？",
        answer="可拨打12345或通过随手拍上报，写明位置和车牌；紧急情况请直接拨打119。",
        keywords=["消防通道", "占用"],
        used_count=22,
        reviewed_at=timezone.now(),
    )
    with signed_in(chromium, live_server.url, street_staff.username, phone=True) as (
        page,
        errors,
    ):
        page.goto(live_server.url + "/tickets/knowledge/")
        row = page.locator("#knowledge-table tbody tr").first
        question = row.locator("td").first
        page.screenshot(path=str(artifacts / "knowledge-phone.png"), full_page=True)
        box = question.bounding_box()
        assert box["width"] > 280, box
        # The question on one or two lines, not one line per two characters.
        assert box["height"] < 4 * 24, box
        # Each figure named beside it, the header row being hidden.
        labels = row.locator("td[data-label]").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        )
        assert labels == ['"分类"', '"使用次数"', '"上次复核"'], labels
        width = page.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]")
        assert width[1] <= width[0], width
        assert not errors
        assert "{#" not in page.inner_text("main")


def test_the_routing_table_reads_on_a_phone(chromium, live_server, street_staff, artifacts):
    # At 390 px 派单规则's four columns wrapped 城乡建设 / 城市建设和市政管理 / 城管执法 four
    # characters a line and 全区（所有地点） over three: each rule is a card now.
    with signed_in(chromium, live_server.url, street_staff.username, phone=True) as (
        page,
        errors,
    ):
        page.goto(live_server.url + "/tickets/routing/")
        row = page.locator("#routing-table tbody tr").first
        page.screenshot(path=str(artifacts / "routing-phone.png"), full_page=True)
        category = row.locator("td").first.bounding_box()
        assert category["width"] > 280, category
        labels = row.locator("td[data-label]").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        )
        assert labels[:2] == ['"位置"', '"职能部门"'], labels
        width = page.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]")
        assert width[1] <= width[0], width
        assert not errors


def test_the_time_limits_keep_their_words_whole_on_a_phone(
    chromium, live_server, street_staff, artifacts
):
    # At 390 px the table squeezed itself into the screen: 全市 stood 全 over 市 and
    # 15 自然分钟 took two lines. The figures keep one line; the table scrolls in its panel.
    # The data migration's limits (flushed by an earlier transactional test) written here.
    TimeLimit.objects.all().delete()
    M, H, D = TimeLimit.Unit.MINUTES, TimeLimit.Unit.HOURS, TimeLimit.Unit.WORKDAYS
    for urgency, stages in (
        (Urgency.EMERGENCY, ((15, M), (1, H), (2, H))),
        (Urgency.UTILITY, ((30, M), (4, H), (24, H))),
        (Urgency.GENERAL, ((1, D), (2, D), (7, D))),
    ):
        TimeLimit.objects.create(
            urgency=urgency,
            **{
                f"{stage}_{part}": value
                for stage, pair in zip(("accept", "respond", "resolve"), stages, strict=True)
                for part, value in zip(("value", "unit"), pair, strict=True)
            },
        )
    with signed_in(chromium, live_server.url, street_staff.username, phone=True) as (
        page,
        errors,
    ):
        page.goto(live_server.url + "/tickets/time-limits/")
        page.screenshot(path=str(artifacts / "time-limits-phone.png"), full_page=True)
        lines = page.evaluate(
            """() => Array.from(document.querySelectorAll("#time-limit-table tbody tr"), (tr) =>
                 Array.from(tr.cells).slice(2, 6).map((td) => {
                   const range = document.createRange();
                   range.selectNodeContents(td);
                   return range.getClientRects().length > 0
                     ? new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size
                     : 0;
                 }))"""
        )
        assert len(lines) == 3 and all(row and set(row) == {1} for row in lines), lines
        width = page.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]")
        assert width[1] <= width[0], width
        assert not errors
