"""热线受理: a consultation answered from the 知识库 is previewed as answered on the spot.
采用此答复 turns the demand into a 咨询 with its answer, which filing closes at the desk; the
派单去向 beside it still said where it would be dispatched (清风区派单台 in the demo),
because the preview asked neither the nature nor the answer."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .test_tickets import hotline  # noqa: F401 (pytest fixture)

pytestmark = pytest.mark.browser


def test_adopting_a_standard_answer_says_the_call_is_answered_not_routed(
    page,
    login,
    live_city,
    hotline,  # noqa: F811
    artifacts,
):
    from gridgov.tickets.models import KnowledgeAnswer, Ticket

    KnowledgeAnswer.objects.create(
        question="居住证怎么办理？",
        answer="持本人身份证和居住登记凭证到居住地社区服务中心办理。",
        keywords=["居住证"],
        reviewed_at=timezone.now(),
    )
    login(page, "hotline")
    page.goto(page.base_url + "/tickets/new/hotline/")
    page.fill("#id_description", "请问办理居住证需要带哪些材料？在哪里办理？")
    route = page.locator("#suggestions .suggest-route")
    expect(route).not_to_have_attribute("data-route", "answered")
    page.locator("[data-pick-answer]").first.click()
    expect(route).to_have_attribute("data-route", "answered")
    expect(route).to_have_text("咨询当场答复：提交后随答复直接办结，不派单。")
    page.screenshot(path=artifacts / "intake-consult-answered-route.png", full_page=True)
    # The answer cleared, it is routed again; typed by hand, answered; as a 求助, routed.
    page.fill("#id_answer", "")
    expect(route).not_to_have_attribute("data-route", "answered")
    page.fill("#id_answer", "请携带身份证到社区服务中心办理。")
    expect(route).to_have_attribute("data-route", "answered")
    page.select_option("#id_nature", "help")
    expect(route).not_to_have_attribute("data-route", "answered")
    page.select_option("#id_nature", "consult")
    expect(route).to_have_attribute("data-route", "answered")
    page.click("button[type=submit]:has-text('提交工单')")
    page.wait_for_url("**/tickets/GD*/")
    assert Ticket.objects.get().status == "closed"
