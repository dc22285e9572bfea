"""The knowledge base's list at a desktop's width (1366 px): an answer to review offers
仍然有效 on one line beside 修改, not 仍然/有效 over two."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.tickets.models import KnowledgeAnswer
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
