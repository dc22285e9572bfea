"""The knowledge base's list at a desktop's width (1366 px): an answer to review offers
仍然有效 on one line beside 修改, not 仍然/有效 over two; a short category name (楼道堆物)
keeps to one line, not 楼道/堆物, and on a phone (390 px) the list still fits the screen."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.tickets.models import Category, KnowledgeAnswer
from tests.tickets.factories import make_world

from .session import signed_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    return make_world()


def test_the_confirm_button_of_an_answer_to_review_keeps_to_one_line(
    chromium, live_server, world, artifacts
):
    KnowledgeAnswer.objects.create(
        question="发现私家车长期占用小区消防通道、物业劝阻无效，应该向哪个部门反映？",
        answer="可拨打12345或通过随手拍上报，写明位置和车牌；紧急情况请直接拨打119。" * 2,
        keywords=["消防通道"],
        category=world.corridor,
        reviewed_at=timezone.now() - dt.timedelta(days=400),
    )
    with signed_in(chromium, live_server.url, world.district_staff.username) as (page, errors):
        page.goto(f"{live_server.url}/tickets/knowledge/")
        button = page.locator("#knowledge-table button[name=confirm]")
        assert button.inner_text().strip() == "仍然有效"
        page.screenshot(path=str(artifacts / "knowledge-list-desktop.png"), full_page=True)
        # The lines its text takes: one rectangle per line.
        lines = button.evaluate(
            """b => { const r = document.createRange(); r.selectNodeContents(b);
                      return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"""
        )
        assert lines == 1
        assert not errors


# The lines an element's text takes: one rectangle top per line.
LINES = """e => { const r = document.createRange(); r.selectNodeContents(e);
                  return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"""


def _answer(category):
    KnowledgeAnswer.objects.create(
        question="楼道里堆放杂物、电动车违规充电，多次劝说无效，居民可以向哪里反映并"
        "要求限期清理？" * 2,
        answer="先由网格员上门劝导并拍照留存；仍不清理的，转社区和消防部门联合处置。" * 2,
        keywords=["楼道"],
        category=category,
        reviewed_at=timezone.now() - dt.timedelta(days=400),
    )


def _fits(page, width):
    """Nothing wider than the screen, nor the table wider than its panel."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    table = page.locator("#knowledge-table")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_short_category_name_keeps_to_one_line(chromium, live_server, world, artifacts, phone):
    _answer(world.corridor)
    _answer(None)
    width = 390 if phone else 1366
    with signed_in(chromium, live_server.url, world.district_staff.username, phone=phone) as (
        page,
        errors,
    ):
        page.goto(f"{live_server.url}/tickets/knowledge/")
        cells = page.locator("#knowledge-table td[data-label=分类]")
        short = cells.filter(has_text="楼道堆物")
        assert short.inner_text().strip() == "楼道堆物"
        page.screenshot(path=str(artifacts / f"knowledge-category-{width}.png"), full_page=True)
        assert short.evaluate(LINES) == 1  # not 楼道/堆物
        _fits(page, width)
        # A long name may wrap in its column, rather than narrow the question's.
        _answer(Category.objects.get(name="集体土地上房屋拆迁与补偿"))
        page.reload()
        long = cells.filter(has_text="集体土地上房屋拆迁与补偿")
        if not phone:
            assert long.evaluate(LINES) > 1
        assert short.first.evaluate(LINES) == 1
        _fits(page, width)
        assert not errors
