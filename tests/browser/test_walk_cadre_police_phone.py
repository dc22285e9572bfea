"""A sent-down cadre's and a community policeman's day on a phone (390 × 844, Chromium):
the home page points them to what is theirs (visits; the area's tickets, read only), a
visit logged with a demand says where the ticket went, and neither reads the requester's
number or room in the ticket's words (docs/permissions.md: scrubbed for them)."""

import pytest
from playwright.sync_api import expect

from gridgov.people.models import Household, Role
from gridgov.tickets import intake
from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.models import Channel, Visit
from tests.people.factories import user_with_role

from .session import signed_in
from .test_tickets import on_a_phone

pytestmark = pytest.mark.browser

WORDS = "幸福里1栋楼道堆满纸箱，有事打13812341234，我住1单元101室"


def a_demand_in_grid_one(city):
    load_taxonomy()
    data = {"channel": "hotline", "nature": "complaint", "title": "楼道堆满杂物"}
    data.update(description=WORDS, address="幸福路1号")
    data.update(requester_name="张三丰", requester_phone="13812341234")
    return intake.create_ticket(data, actor=city.community_staff).ticket


def fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def read_only_and_scrubbed(page, base, ticket):
    page.goto(f"{base}/tickets/{ticket.code}/")
    description = page.locator("#ticket").first
    expect(description).to_contain_text("有事打***")
    assert "13812341234" not in page.content() and "张三丰" not in page.content()
    expect(page.get_by_text("您目前无需对该工单进行操作。")).to_be_visible()
    fits(page)


def test_a_cadres_day_on_a_phone(chromium, live_server, live_city, artifacts):
    base = live_server.url
    ticket = a_demand_in_grid_one(live_city)
    household = Household.objects.get(building=live_city.b1)
    context, page, errors = on_a_phone(chromium, base, live_city, "cadre")
    # Home: the area's tickets to follow, and the households to visit.
    expect(page.locator("#dash-area-tickets")).to_contain_text("辖区内在办工单 1 件")
    expect(page.locator(".dash-tickets .wb-tabs")).to_have_count(0)
    expect(page.locator("#dash-to-visit")).to_contain_text("1 户超过 90 天未走访")
    fits(page)
    page.screenshot(path=artifacts / "walk-cadre-home.png", full_page=True)
    page.locator(".dash-tickets").get_by_role("link", name="辖区工单").click()
    expect(page.locator(f"[data-code='{ticket.code}']").first).to_be_visible()
    assert "13812341234" not in page.content()
    fits(page)
    read_only_and_scrubbed(page, base, ticket)
    page.screenshot(path=artifacts / "walk-cadre-ticket.png")

    # 入户走访: the household, a demand sent back keeps what was typed, then filed.
    page.goto(f"{base}/tickets/visits/")
    page.locator(f"[data-household='{household.pk}'] a").click()
    expect(page.locator("#visit-members")).to_contain_text("张**")
    page.check("#id_file_demand")
    page.fill("#id_title", "楼道灯坏了")
    page.click("#submit-visit")
    expect(page.locator("[data-field=heard] .field-errors")).to_be_visible()
    expect(page.locator("#id_title")).to_have_value("楼道灯坏了")
    expect(page.locator("#id_file_demand")).to_be_checked()
    fits(page)
    page.screenshot(path=artifacts / "walk-cadre-visit-error.png", full_page=True)
    page.fill("#id_heard", "张大爷说楼道灯坏了一个月，晚上下楼摔过一次")
    page.select_option("#id_nature", "help")
    page.select_option("#id_category", live_city_lamp_code())
    page.select_option("#id_requester", str(live_city.zhang.pk))
    page.click("#submit-visit")
    message = page.locator(".messages").first
    expect(message).to_contain_text("诉求已登记为工单")
    expect(message).to_contain_text("已派至幸福一网格。")
    visit = Visit.objects.get(visitor=live_city.cadre)
    assert visit.ticket.channel == Channel.VISIT and visit.ticket.requester == live_city.zhang
    expect(page.locator("#visits-recent")).to_contain_text(visit.ticket.code)
    expect(page.locator(f"[data-household='{household.pk}']")).to_have_count(0)
    fits(page)
    page.screenshot(path=artifacts / "walk-cadre-visited.png", full_page=True)
    assert not errors, errors
    context.close()


def live_city_lamp_code():
    from gridgov.tickets.models import Category

    return Category.objects.get(name="路灯损坏").code


def test_a_community_policemans_day_on_a_phone(chromium, live_server, live_city, artifacts):
    base = live_server.url
    ticket = a_demand_in_grid_one(live_city)
    user_with_role(Role.COMMUNITY_POLICE, live_city.c1, username="police")
    with signed_in(chromium, base, "police", phone=True) as (page, errors):
        expect(page.locator("#dash-area-tickets")).to_contain_text("辖区内在办工单 1 件")
        expect(page.locator(".dash-fieldwork")).to_have_count(0)  # police do not visit
        fits(page)
        page.screenshot(path=artifacts / "walk-police-home.png", full_page=True)
        page.goto(f"{base}/tickets/all/")
        row = page.locator(f"[data-code='{ticket.code}']").first
        expect(row).to_contain_text("张**")
        assert "13812341234" not in page.content()
        fits(page)
        read_only_and_scrubbed(page, base, ticket)
        page.screenshot(path=artifacts / "walk-police-ticket.png", full_page=True)
        assert page.goto(f"{base}/tickets/visits/").status == 403
        assert not errors, errors
