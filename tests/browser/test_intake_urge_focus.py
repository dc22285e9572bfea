"""来电催办 beside the hotline form, pressed straight after typing the address (the order a
call goes in: the caller's words, number, where). The press took the focus out of the
address, whose change refreshed the duplicates panel over the button's form: the urging was
recorded, but its confirmation never showed and the button stayed, so it was pressed again."""

import pytest
from playwright.sync_api import expect

from .test_tickets import hotline  # noqa: F401 (pytest fixture)

pytestmark = pytest.mark.browser


def test_the_urging_is_confirmed_when_pressed_from_the_address(
    page,
    login,
    live_city,
    hotline,  # noqa: F811
):
    from gridgov.tickets import intake

    text = "幸福里1栋楼道里堆满了纸箱和杂物，挡住了通道，希望尽快清理。"
    data = {"channel": "hotline", "nature": "complaint", "title": "楼道堆满杂物"}
    data.update(description=text, address="幸福路1号", requester_phone="13812341234")
    first = intake.create_ticket(data, actor=hotline).ticket
    login(page, "hotline")
    page.goto(page.base_url + "/tickets/new/hotline/")
    panel = page.locator("#intake-duplicates")
    page.fill("#id_description", "又堆满了！" + text)
    page.fill("#id_requester_phone", "13812341234")
    row = panel.locator(f"[data-duplicate='{first.code}']")
    expect(row).to_contain_text("同一诉求人")
    page.fill("#id_address", "幸福路1号")  # the cursor is still in the address
    row.locator("form.urge button").click()
    expect(panel.locator(".urged")).to_contain_text(f"已在 {first.code} 记录来电催办（累计 1 次）")
    page.wait_for_timeout(1000)  # any refresh of the panel has come back by now
    expect(panel.locator(".urged")).to_have_count(1)
    assert first.events.filter(action="supervise").count() == 1
