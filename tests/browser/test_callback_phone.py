"""回访 on a phone: the number to call is in the 回访 form, as it is in 联系诉求人. The desk
calling back a resolved demand found the form at the top of the ticket and the number in the
诉求人 panel screens below it: down to show it, call, back up to record the call (found
walking the demo's 待回访 as 望江街道 and 12345 on a phone)."""

import pytest
from playwright.sync_api import expect

from .test_fieldwork_phone import a_demand_for_the_grid
from .test_tickets import hotline, on_a_phone  # noqa: F401 (hotline: a pytest fixture)

pytestmark = pytest.mark.browser


def test_the_number_to_call_back_is_in_the_callback_form(
    chromium,
    live_server,
    live_city,
    hotline,  # noqa: F811
    artifacts,
):
    from gridgov.tickets.lifecycle import allowed_actions, perform

    ticket = a_demand_for_the_grid(live_city)
    perform(ticket, "accept", live_city.grid_worker)
    perform(ticket, "resolve", live_city.grid_worker, reply="纸箱已清走，通道畅通。")
    assert "callback" in allowed_actions(ticket, hotline)  # 12345 calls back
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "hotline")
    page.goto(f"{live_server.url}/tickets/{ticket.code}/")
    line = page.locator("#action-callback .contact-line")
    expect(line).to_contain_text("张** 138****1234")
    line.get_by_role("button", name="查看联系方式").click()
    call = page.locator("#action-callback a[href='tel:13812341234']")
    expect(call).to_be_in_viewport()
    expect(page.locator("#requester a[href='tel:13812341234']")).to_have_count(1)
    page.screenshot(path=artifacts / "callback-phone-number.png")
    page.locator("#action-callback input[value=yes]").check()
    page.locator("#action-callback input[value=satisfied]").check()
    page.locator("#action-callback button[type=submit]").click()
    expect(page.locator("#ticket .wb-done")).to_contain_text("已完成：回访。")
    assert not errors, errors
    context.close()
