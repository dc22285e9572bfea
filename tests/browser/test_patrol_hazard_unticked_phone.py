"""A hazard typed on a patrol walk and then unticked (发现隐患 taken off) on a 390-px phone.

With JavaScript the section hides and its fields are disabled, so they are not sent: the walk
is recorded without a hazard, and ticking the box again brings back what was typed. Without
JavaScript the fields are sent (hidden by the stylesheet or not), and the server sends the
walk back with the reason beside the box, nothing written, the typed hazard kept and in view.
On HEAD both filed the hazard as a ticket."""

import pytest
from playwright.sync_api import expect

from .test_tickets import on_a_phone

pytestmark = pytest.mark.browser

UNTICKED = "填写了隐患内容，但未勾选“发现隐患”：要上报请勾选；不上报请清空隐患内容。"
TYPED = "3栋楼道堆满纸箱，挡住了通道"


def _task(city):
    from gridgov.tickets.models import PatrolTask

    return PatrolTask.objects.create(grid=city.g1, title="日常巡查", checklist=["楼道堆物"])


def _type_a_hazard_then_untick(page):
    hazard = page.locator("#id_hazard")
    page.fill("#id_note", "一切正常")
    page.check("#id_hazard_open")
    expect(hazard).to_be_visible()
    page.fill("#id_hazard", TYPED)
    page.fill("#id_hazard_address", "3栋东侧")
    page.uncheck("#id_hazard_open")  # no hazard after all
    expect(hazard).to_be_hidden()


def test_with_a_script_an_unticked_hazard_is_not_sent(chromium, live_server, live_city, artifacts):
    from gridgov.tickets.models import PatrolRecord, Ticket

    task = _task(live_city)
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    page.goto(f"{live_server.url}/tickets/patrols/{task.pk}/")
    _type_a_hazard_then_untick(page)
    fields = page.locator("#hazard-section .hazard__body").locator("input, select, textarea")
    assert fields.count() >= 4
    for index in range(fields.count()):
        expect(fields.nth(index)).to_be_disabled()
    # Ticked again (a mis-tap): what was typed is back, and would be sent.
    page.check("#id_hazard_open")
    expect(page.locator("#id_hazard")).to_have_value(TYPED)
    expect(page.locator("#id_hazard")).to_be_enabled()
    expect(page.locator("#id_hazard_address")).to_have_value("3栋东侧")
    page.screenshot(path=artifacts / "patrol-hazard-unticked-reticked.png", full_page=True)
    page.uncheck("#id_hazard_open")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "patrol-hazard-unticked.png", full_page=True)
    page.click("#submit-patrol")
    page.wait_for_url(f"{live_server.url}/tickets/patrols/")
    expect(page.locator(".messages, .message").first).to_contain_text("巡查已记录")
    record = PatrolRecord.objects.get()
    assert record.ticket is None and record.note == "一切正常"
    assert not Ticket.objects.exists()
    assert not errors, errors
    context.close()


def test_without_a_script_an_unticked_hazard_comes_back_kept(
    chromium, live_server, live_city, artifacts
):
    from gridgov.tickets.models import PatrolRecord, Ticket

    task = _task(live_city)
    context = chromium.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    base = live_server.url
    page.goto(base + "/login/")
    page.fill("input[name=username]", "gridworker")
    page.fill("input[name=password]", live_city.password)
    page.click("form.form button[type=submit]")
    page.wait_for_url(base + "/")
    url = f"{base}/tickets/patrols/{task.pk}/"
    page.goto(url)
    _type_a_hazard_then_untick(page)  # hidden by the stylesheet, but still sent
    page.click("#submit-patrol")
    expect(page.locator("[data-field=hazard_open] .field-errors")).to_have_text(UNTICKED)
    assert not PatrolRecord.objects.exists() and not Ticket.objects.exists()
    # Everything kept, the box as it was left, the hazard in view to tick or clear.
    expect(page.locator("#id_hazard_open")).not_to_be_checked()
    expect(page.locator("#id_hazard")).to_be_visible()
    expect(page.locator("#id_hazard")).to_have_value(TYPED)
    expect(page.locator("#id_hazard_address")).to_have_value("3栋东侧")
    expect(page.locator("#id_note")).to_have_value("一切正常")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "patrol-hazard-unticked-no-js.png", full_page=True)
    # It was a mis-tap: ticked, the hazard is reported with the walk.
    page.check("#id_hazard_open")
    page.click("#submit-patrol")
    page.wait_for_url(base + "/tickets/patrols/")
    expect(page.locator(".messages, .message").first).to_contain_text("已上报为工单")
    record = PatrolRecord.objects.get()
    assert record.ticket.description == TYPED and record.note == "一切正常"
    context.close()
