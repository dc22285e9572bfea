"""An answer's 修改记录 on the knowledge base page, at a desktop's and a phone's width: who
changed what, when, beside the form, and nothing wider than the screen."""

import pytest
from django.utils import timezone

from gridgov.tickets import knowledge
from gridgov.tickets.models import KnowledgeAnswer
from tests.tickets.factories import make_world

from .session import signed_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    return make_world()


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_an_answers_history_reads_beside_its_form(chromium, live_server, world, artifacts, phone):
    answer = KnowledgeAnswer.objects.create(
        question="发现私家车占用消防通道怎么办？",
        answer="可拨打12345或通过随手拍上报。",
        keywords=["消防通道"],
        reviewed_at=timezone.now(),
    )
    staff = world.district_staff
    knowledge.save_answer(
        answer,
        {"answer": "可拨打12345或通过随手拍上报，写明位置和车牌；紧急情况请直接拨打119。"},
        by=staff,
        channel="web",
    )
    knowledge.save_answer(answer, {"active": False}, by=staff, channel="api")
    with signed_in(chromium, live_server.url, staff.username, phone=phone) as (page, errors):
        page.goto(f"{live_server.url}/tickets/knowledge/{answer.pk}/")
        history = page.locator("#knowledge-changes")
        history.scroll_into_view_if_needed()
        page.screenshot(
            path=str(artifacts / f"knowledge-history-{'phone' if phone else 'desktop'}.png"),
            full_page=True,
        )
        text = history.inner_text()
        assert "修改记录" in text and "停用" in text and "接口" in text
        assert "答复内容：" in text or "答复：" in text
        assert "紧急情况请直接拨打119" in text
        assert history.locator("tbody tr").count() == 2
        width = page.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]")
        assert width[1] <= width[0], width
        assert not errors
