"""A required choice left unanswered on a phone: the browser asks for it before sending and
nothing is sent (the page and the ticket unchanged), as 我的诉求's 评价 does (1271add).
退单's reason list (a grid worker's, on the ticket page) and 派单规则's category and unit
lists (the form said novalidate) were sent empty and came back with the server's refusal."""

import pytest
from playwright.sync_api import expect

from tests.tickets.factories import make_world

from .session import signed_in
from .test_fieldwork_phone import a_demand_for_the_grid
from .test_tickets import on_a_phone

pytestmark = pytest.mark.browser


def posts_of(page):
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    return posted


def test_the_phone_asks_for_the_return_reason_before_sending(
    chromium, live_server, live_city, artifacts
):
    from gridgov.tickets.models import Status

    ticket = a_demand_for_the_grid(live_city)
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    posted = posts_of(page)
    url = f"{live_server.url}/tickets/{ticket.code}/"
    page.goto(url)
    page.locator("details.action summary", has_text="退单").click()  # under 签收
    page.fill("#id_return-reason", "不在本网格")
    page.locator("#action-return button[type=submit]").click()
    reason = page.locator("#id_return-reason_code")
    assert reason.evaluate("e => e.validity.valueMissing")
    expect(reason).to_be_focused()
    expect(reason).to_be_in_viewport()
    page.screenshot(path=artifacts / "return-reason-required-phone.png")
    assert posted == [] and page.url == url
    expect(page.locator("#id_return-reason")).to_have_value("不在本网格")
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED
    reason.select_option("wrong_place")
    page.locator("#action-return button[type=submit]").click()
    expect(page.locator("#ticket .wb-done")).to_contain_text("已完成：退单。")
    ticket.refresh_from_db()
    assert ticket.status == Status.RETURNED
    assert not errors, errors
    context.close()


@pytest.fixture
def world(transactional_db):
    return make_world()


def test_the_phone_asks_for_the_rules_category_and_unit_before_sending(
    chromium, live_server, world, artifacts
):
    from gridgov.tickets.models import RoutingRule

    before = RoutingRule.objects.count()
    with signed_in(chromium, live_server.url, world.street_staff.username, phone=True) as (
        page,
        errors,
    ):
        posted = posts_of(page)
        url = live_server.url + "/tickets/routing/"
        page.goto(url)
        page.fill("#id_note", "只填了备注")
        page.click("#submit-rule")
        category = page.locator("#id_category")
        assert category.evaluate("e => e.validity.valueMissing")
        expect(category).to_be_focused()
        page.screenshot(path=artifacts / "routing-category-required-phone.png")
        category.select_option(world.corridor.code)
        page.click("#submit-rule")
        department = page.locator("#id_department")
        assert department.evaluate("e => e.validity.valueMissing")
        expect(department).to_be_focused()
        page.screenshot(path=artifacts / "routing-unit-required-phone.png")
        assert posted == [] and page.url == url
        expect(page.locator("#id_note")).to_have_value("只填了备注")
        assert RoutingRule.objects.count() == before
        department.select_option(index=1)
        page.click("#submit-rule")
        expect(page.locator("#routing-table")).to_contain_text("只填了备注")
        assert RoutingRule.objects.count() == before + 1
        assert not errors, errors
