"""热线受理 on a phone with 诉求性质 not chosen: the form no longer picks 求助 for the
operator. The preview and the standard answers still come as the caller's words are typed;
sent without a nature, the form comes back saying to choose one, the words kept."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .test_tickets import hotline, on_a_phone  # noqa: F401 (hotline: a pytest fixture)

pytestmark = pytest.mark.browser


def test_the_operator_chooses_the_nature_and_is_told_when_it_is_left_out(
    chromium,
    live_server,
    live_city,
    hotline,  # noqa: F811
    artifacts,
):
    from gridgov.tickets.models import KnowledgeAnswer, Ticket

    KnowledgeAnswer.objects.create(
        question="楼道堆物怎么处理？",
        answer="可拨打12345反映，社区将通知物业限期清理。",
        keywords=["楼道"],
        reviewed_at=timezone.now(),
    )
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "hotline")
    page.goto(f"{live_server.url}/tickets/new/hotline/")
    expect(page.locator("#id_nature option:checked")).to_have_text("请选择诉求性质")
    text = "幸福里1栋楼道里堆满了纸箱和杂物，挡住了通道。"
    page.fill("#id_description", text)
    page.fill("#id_requester_phone", "13812341234")
    expect(page.locator("#suggestions .suggest-route")).to_have_count(1)
    expect(page.locator("#suggestions [data-pick-answer]")).to_have_count(1)
    expect(page.locator("#consult-answer")).to_be_hidden()  # no consultation chosen
    page.click("#submit-intake")
    error = page.locator("[data-field=nature] .field-errors")
    expect(error).to_have_text("请选择诉求性质：咨询、求助、投诉、举报、建议或表扬。")
    expect(error).to_be_in_viewport()
    expect(page.locator("#id_description")).to_have_value(text)
    expect(page.locator("#id_requester_phone")).to_have_value("13812341234")
    page.screenshot(path=artifacts / "intake-nature-left-out-phone.png")
    assert not Ticket.objects.exists()
    page.select_option("#id_nature", "complaint")
    page.click("#submit-intake")
    page.wait_for_url("**/tickets/GD*/")
    assert Ticket.objects.get().nature == "complaint"
    assert not errors, errors
    context.close()
