"""热线受理 with an address in another district: the address check under the field says what
to do (check it, or refer the demand to that area's 12345), as filing will; before, only
不在本辖区内. The page asks its address check with ?at=desk, which htmx keeps beside the
address it sends."""

import pytest
from playwright.sync_api import expect

from .test_tickets import hotline  # noqa: F401 (pytest fixture)

pytestmark = pytest.mark.browser

AT_DESK = "地址位于“北京市朝阳区”，不在本辖区内：请核对地址；地址无误的，请转当地12345热线办理。"


def test_the_desk_is_told_what_to_do_with_an_address_outside_our_area(
    page,
    login,
    live_city,
    hotline,  # noqa: F811
    artifacts,
):
    from gridgov.tickets.models import Ticket

    login(page, "hotline")
    page.goto(page.base_url + "/tickets/new/hotline/")
    page.fill("#id_description", "建国路88号门口的井盖缺失，晚上很危险。")
    page.fill("#id_address", "北京市朝阳区建国路88号")
    expect(page.locator("#address-check .address-foreign")).to_have_text(AT_DESK)
    expect(page.locator("#suggestions .suggest-route")).to_have_text(AT_DESK)
    page.select_option("#id_nature", "report")
    page.click("#submit-intake")
    expect(page.locator("[data-field=address] .field-errors")).to_have_text(AT_DESK)
    page.screenshot(path=artifacts / "intake-foreign-address.png")
    assert not Ticket.objects.exists()
