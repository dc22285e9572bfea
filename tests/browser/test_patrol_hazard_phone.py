"""The patrol walk on a phone: the hazard section opened and left empty is said, not
dropped (the page tells the form the section is open); closed again, the walk is
recorded without a hazard."""

import pytest
from playwright.sync_api import expect

from .test_tickets import on_a_phone

pytestmark = pytest.mark.browser


def test_an_opened_empty_hazard_section_is_said_then_closed(
    chromium, live_server, live_city, artifacts
):
    from gridgov.tickets.models import PatrolRecord, PatrolTask

    task = PatrolTask.objects.create(grid=live_city.g1, title="日常巡查", checklist=["楼道堆物"])
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    page.goto(f"{live_server.url}/tickets/patrols/{task.pk}/")
    page.fill("#id_note", "一切正常")
    page.locator("details.hazard > summary").click()
    page.click("#submit-patrol")
    error = page.locator("[data-field=hazard] .field-errors")
    expect(error).to_contain_text("“发现隐患”一栏已展开但未填写")
    expect(page.locator("#hazard-section")).to_have_attribute("open", "")
    expect(page.locator("#id_note")).to_have_value("一切正常")
    page.screenshot(path=artifacts / "patrol-hazard-left-empty.png", full_page=True)
    assert not PatrolRecord.objects.exists()
    page.locator("details.hazard > summary").click()  # closed: no hazard after all
    page.click("#submit-patrol")
    expect(page.locator(".messages, .message").first).to_contain_text("巡查已记录")
    record = PatrolRecord.objects.get()
    assert record.ticket is None and record.note == "一切正常"
    assert not errors, errors
    context.close()
