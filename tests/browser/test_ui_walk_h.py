"""Fixes from a walk of the demo as its users would, in Chromium: a 随手拍 sent without a
place lost its photo on the way back (the page cannot fill a file input in again)."""

import pytest
from playwright.sync_api import expect

from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.models import Ticket

from .test_tickets import on_a_phone, png_bytes

pytestmark = pytest.mark.browser


def test_a_photo_report_without_a_place_is_stopped_before_its_photo_is_lost(
    chromium, live_server, live_city, artifacts
):
    load_taxonomy()
    base = live_server.url
    context, page, errors = on_a_phone(chromium, base, live_city, "gridworker")
    posts = []
    page.on(
        "request", lambda r: r.method == "POST" and "/tickets/report/" in r.url and posts.append(r)
    )
    page.goto(base + "/tickets/report/")
    page.set_input_files(
        "#id_photos",
        files=[{"name": "manhole.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    page.fill("#id_description", "2栋门口井盖破损，有行人踩空风险")
    page.click("#submit-report")
    # Said on the page, nothing sent, and the photo still chosen.
    expect(page.locator("#location-missing")).to_have_text("请共享位置，或填写问题所在的地址。")
    expect(page.locator("#id_address")).to_be_focused()
    assert not posts and not Ticket.objects.exists()
    assert page.evaluate("document.getElementById('id_photos').files.length") == 1
    expect(page.locator("#submit-report")).to_be_enabled()
    page.screenshot(path=artifacts / "report-no-place-phone-zh.png", full_page=True)

    page.fill("#id_address", "幸福路1号")
    page.click("#submit-report")
    expect(page.locator("#new-code")).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.photos.count() == 1 and ticket.building == live_city.b1
    assert not errors
    context.close()
