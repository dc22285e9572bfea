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


def test_street_staff_read_an_answer_and_its_history_without_the_form(
    chromium, live_server, world, artifacts
):
    answer = KnowledgeAnswer.objects.create(
        question="居住证怎么办理？",
        answer="携带身份证到社区服务中心登记。",
        keywords=["居住证"],
        reviewed_at=timezone.now(),
    )
    knowledge.save_answer(
        answer, {"keywords": ["居住证", "暂住证"]}, by=world.district_staff, channel="web"
    )
    with signed_in(chromium, live_server.url, world.street_staff.username, phone=True) as (
        page,
        errors,
    ):
        page.goto(f"{live_server.url}/tickets/knowledge/")
        assert page.locator("#knowledge-form").count() == 0
        page.get_by_role("link", name="查看").first.click()
        page.wait_for_url(f"**/tickets/knowledge/{answer.pk}/")
        page.screenshot(path=str(artifacts / "knowledge-street-read.png"), full_page=True)
        facts = page.locator("#knowledge-read-only").inner_text()
        assert "携带身份证到社区服务中心登记。" in facts and "居住证、暂住证" in facts
        assert "街道工作人员和受理坐席只能查看" in facts
        assert "暂住证" in page.locator("#knowledge-changes").inner_text()
        assert page.locator("#knowledge-form, button[name=confirm]").count() == 0
        width = page.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]")
        assert width[1] <= width[0], width
        assert not errors
