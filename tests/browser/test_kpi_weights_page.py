"""考核权重 per district on a district officer's phone (390 × 844, Chromium): the tabs of
全市 and the districts, the district's own weights and their form, all on the screen, and
a change saved from the phone lands in the district's history; 恢复使用全市设置, confirmed,
returns the district to 全市's."""

import pytest
from playwright.sync_api import expect

from gridgov.people.models import Role, RoleAssignment
from gridgov.tickets.models import KpiWeights

from .test_tickets import on_a_phone

pytestmark = pytest.mark.browser


def test_district_staff_set_their_districts_weights_on_a_phone(
    chromium, live_server, live_city, artifacts
):
    RoleAssignment.objects.create(
        user=live_city.community_staff, role=Role.DISTRICT_STAFF, place=live_city.district
    )
    base = live_server.url
    context, page, errors = on_a_phone(chromium, base, live_city, "community")
    page.goto(base + "/tickets/kpis/weights/")
    tabs = page.locator("#kpi-weights-places")
    expect(tabs.locator("[aria-current=page]")).to_have_text(live_city.district.name)
    expect(page.locator("#kpi-weights-districts")).to_contain_text("区与区之间的排名一律按全市权重")
    form = page.locator("#kpi-weights-form")
    expect(form.locator("h2")).to_contain_text(live_city.district.name)
    page.screenshot(path=str(artifacts / "kpi-weights-phone.png"), full_page=True)
    width = page.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]")
    assert width[1] <= width[0], width  # nothing past the right edge

    form.locator("input[name=on_time]").fill("20")
    form.locator("input[name=reason]").fill("按时办结纳入考核")
    form.locator("#submit-weights").click()
    expect(page.locator("#kpi-weights-history")).to_contain_text("按时办结纳入考核")
    row = KpiWeights.objects.get()
    assert (row.district, row.on_time) == (live_city.district, 20)
    # 恢复使用全市设置, confirmed in the browser's dialog: the district follows 全市 again.
    back = page.locator("#kpi-weights-follow-city")
    back.locator("input[name=reason]").fill("全市统一考核")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    back.locator("#follow-city").click()
    expect(page.locator("#kpi-weights-history [data-follows-city]")).to_contain_text("全市统一考核")
    assert "恢复使用全市设置" in asked[0]
    expect(page.locator("#kpi-weights-follow-city")).to_have_count(0)
    assert KpiWeights.objects.filter(follows_city=True, district=live_city.district).exists()
    # 全市's tab: read-only for district staff.
    tabs.locator("[data-district='']").click()
    expect(page.locator("#kpi-weights-read-only")).to_be_visible()
    assert errors == []
    context.close()
