"""入户走访 on a phone (390 × 844, Chromium): a demand heard on a visit gets, as it is typed,
the categories its words suggest and where the ticket will go, as the patrol's hazard does;
a chip picks the category, and the ticket is filed with it. A sent-down cadre (no
tickets.take_in) had only the ~300-entry list and was told nothing of the route."""

import pytest
from playwright.sync_api import expect

from gridgov.people.models import Household
from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.models import Visit

from .test_tickets import on_a_phone

pytestmark = pytest.mark.browser


def test_a_cadres_visit_demand_gets_its_category_and_route_before_it_is_filed(
    chromium, live_server, live_city, artifacts
):
    load_taxonomy()
    household = Household.objects.get(building=live_city.b1)
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "cadre")
    page.goto(f"{live_server.url}/tickets/visits/{household.pk}/")
    page.check("#id_file_demand")
    page.fill("#id_heard", "张大爷说楼道里堆满了纸箱和旧家具，挡住了通道")
    suggest = page.locator("#visit-suggest")
    chip = suggest.locator("[data-pick-category]").first
    expect(chip).to_be_visible()
    expect(suggest.locator("[data-route]")).to_be_visible()
    code = chip.get_attribute("data-pick-category")
    chip.click()
    expect(page.locator("#id_category")).to_have_value(code)
    expect(suggest.locator(f"[data-pick-category='{code}']")).to_have_class("chip is-picked")
    expect(suggest.locator("[data-route]")).to_contain_text("将派至")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "visit-phone-suggest.png", full_page=True)
    page.select_option("#id_nature", "help")
    page.select_option("#id_requester", str(live_city.zhang.pk))
    page.click("#submit-visit")
    expect(page.locator(".messages").first).to_contain_text("诉求已登记为工单")
    ticket = Visit.objects.get(visitor=live_city.cadre).ticket
    assert ticket.category.code == code and ticket.building == live_city.b1
    assert not errors, errors
    context.close()
