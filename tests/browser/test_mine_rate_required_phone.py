"""评价 in 我的诉求 on a phone: sent with its questions unanswered, the phone says so before
sending (the radios are required; the form no longer says novalidate), and nothing is sent."""

import pytest
from playwright.sync_api import expect

from .test_tickets import on_a_phone

pytestmark = pytest.mark.browser


def test_the_phone_asks_for_the_rating_before_sending_it(
    chromium, live_server, live_city, artifacts
):
    from gridgov.tickets import intake
    from gridgov.tickets.categories import load_taxonomy
    from gridgov.tickets.lifecycle import perform
    from gridgov.tickets.models import Status

    load_taxonomy()  # flushed with the transactional tests' data
    data = {"channel": "photo", "nature": "report", "title": ""}
    data.update(description="小区门口井盖缺失，晚上很危险", address="幸福路1号")
    ticket = intake.create_ticket(data, actor=live_city.volunteer).ticket
    perform(ticket, "accept", live_city.grid_worker)
    ticket.refresh_from_db()
    perform(ticket, "resolve", live_city.grid_worker, reply="井盖已补装。")
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "volunteer")
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    page.goto(f"{live_server.url}/tickets/mine/{ticket.code}/")
    page.click("#rate-submit")
    first = page.locator("#rate-form input[name=rate-resolved]").first
    assert first.evaluate("e => e.validity.valueMissing")
    assert page.evaluate("document.activeElement.name") == "rate-resolved"
    page.screenshot(path=artifacts / "mine-rate-required-phone.png")
    page.check("#rate-form input[name=rate-resolved][value=yes]")
    page.click("#rate-submit")
    satisfaction = page.locator("#rate-form input[name=rate-satisfaction]").first
    assert satisfaction.evaluate("e => e.validity.valueMissing")
    assert posted == []
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    page.check("#rate-form input[name=rate-satisfaction][value=satisfied]")
    page.click("#rate-submit")
    expect(page.locator("#rate-form")).to_have_count(0)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert not errors, errors
    context.close()
