"""The patrol walk on a phone: the hazard section opened (发现隐患 ticked) and left empty
is said, not dropped; unticked, the walk is recorded without a hazard. The same with no
JavaScript at all (a cheap phone, a script that failed to load): the box is a real
checkbox, so the POST itself says the section was opened, and the stylesheet, not a
script, shows the hazard's fields while it is ticked."""

import pytest
from playwright.sync_api import expect

from .test_tickets import on_a_phone

pytestmark = pytest.mark.browser

LEFT_EMPTY = "已勾选“发现隐患”但未填写隐患"


def _walk_with_an_empty_hazard(page, task_url, artifacts, shot):
    page.goto(task_url)
    hazard = page.locator("#id_hazard")
    expect(hazard).to_be_hidden()  # the walk without a hazard: one tap, nothing to open
    page.fill("#id_note", "一切正常")
    page.check("#id_hazard_open")
    expect(hazard).to_be_visible()
    page.click("#submit-patrol")
    error = page.locator("[data-field=hazard] .field-errors")
    expect(error).to_contain_text(LEFT_EMPTY)
    expect(page.locator("#id_hazard_open")).to_be_checked()
    expect(hazard).to_be_visible()
    expect(page.locator("#id_note")).to_have_value("一切正常")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / shot, full_page=True)


def test_an_opened_empty_hazard_section_is_said_then_closed(
    chromium, live_server, live_city, artifacts
):
    from gridgov.tickets.models import PatrolRecord, PatrolTask

    task = PatrolTask.objects.create(grid=live_city.g1, title="日常巡查", checklist=["楼道堆物"])
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    url = f"{live_server.url}/tickets/patrols/{task.pk}/"
    _walk_with_an_empty_hazard(page, url, artifacts, "patrol-hazard-left-empty.png")
    assert not PatrolRecord.objects.exists()
    page.uncheck("#id_hazard_open")  # no hazard after all
    expect(page.locator("#id_hazard")).to_be_hidden()
    page.click("#submit-patrol")
    expect(page.locator(".messages, .message").first).to_contain_text("巡查已记录")
    record = PatrolRecord.objects.get()
    assert record.ticket is None and record.note == "一切正常"
    assert not errors, errors
    context.close()


def test_without_javascript_an_opened_empty_hazard_section_is_said(
    chromium, live_server, live_city, artifacts
):
    from gridgov.tickets.models import PatrolRecord, PatrolTask, Ticket

    task = PatrolTask.objects.create(grid=live_city.g1, title="日常巡查", checklist=["楼道堆物"])
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
    page.screenshot(path=artifacts / "patrol-walk-no-js.png", full_page=True)
    _walk_with_an_empty_hazard(page, url, artifacts, "patrol-hazard-left-empty-no-js.png")
    assert not PatrolRecord.objects.exists() and not Ticket.objects.exists()
    # Described: the walk and its hazard, still without a script.
    page.fill("#id_hazard", "3栋楼道堆满纸箱，挡住了通道")
    page.click("#submit-patrol")
    page.wait_for_url(base + "/tickets/patrols/")
    expect(page.locator(".messages, .message").first).to_contain_text("已上报为工单")
    record = PatrolRecord.objects.get()
    assert record.ticket.description == "3栋楼道堆满纸箱，挡住了通道"
    assert record.note == "一切正常"
    # Another walk, as the page comes: one tap, no hazard.
    page.goto(url)
    page.click("#submit-patrol")
    page.wait_for_url(base + "/tickets/patrols/")
    assert PatrolRecord.objects.count() == 2 and Ticket.objects.count() == 1
    context.close()
