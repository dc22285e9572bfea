"""The pages in a real browser: map drawn offline, Chinese by default, English on request."""

import re

import pytest
from playwright.sync_api import expect

from gridgov.people.models import AccessLog

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u4e00-\u9fff]")


def cjk_share(text):
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if CJK.match(c)) / max(1, len(letters))


def test_grid_worker_logs_in_and_sees_grids_on_the_map(page, login, live_city, artifacts):
    page.goto(page.base_url + "/")
    page.screenshot(path=artifacts / "landing-zh.png", full_page=True)
    login(page, "gridworker")
    expect(page.locator("h1")).to_have_text("我的工作台")
    # At 1366 px the red header stays one line: brand, menu, languages, name and log-out.
    header = page.locator(".site-header__inner").bounding_box()
    assert header["height"] < 60, header
    expect(page.locator(".site-header .user-name")).to_be_visible()
    page.screenshot(path=artifacts / "dashboard-zh.png", full_page=True)

    page.click("nav.site-nav >> text=地图与网格")
    page.wait_for_url("**/places/")
    expect(page.locator("#place-map")).to_have_attribute("data-state", "ready")
    # Both grids of the community are drawn as SVG paths, plus the building point.
    assert page.locator("#place-map").get_attribute("data-grids") == "2"
    paths = page.locator("#place-map .leaflet-overlay-pane svg path")
    assert paths.count() >= 3
    # The grid worker's own grid is drawn in the scope colour.
    strokes = paths.evaluate_all("ps => ps.map(p => p.getAttribute('stroke'))")
    assert "#b4232a" in strokes and "#5b6b7f" in strokes
    # No tiles, no attribution: a plain background.
    assert page.locator(".leaflet-tile").count() == 0
    assert page.locator(".leaflet-control-attribution").count() == 0
    expect(page.locator(".grid-label", has_text="幸福一网格")).to_be_visible()

    body = page.inner_text("body")
    assert "地图与网格" in body and "区域树" in body
    assert cjk_share(body) > 0.6, body
    page.screenshot(path=artifacts / "places-zh.png", full_page=True)

    # Expanding a closed node loads its children through htmx.
    expect(page.locator("a[data-place-code=G3]")).to_have_count(0)
    page.locator("summary:has(> a[data-place-code=C2])").click()
    expect(page.locator("a.tree-label[data-place-code=G3]")).to_be_visible()

    # Clicking a place in the tree shows its detail beside the map.
    page.click("a.tree-label[data-place-code=C1]")
    expect(page.locator("#place-detail h2")).to_contain_text("幸福社区")
    expect(page.locator("#place-detail")).to_contain_text("幸福社区党委")

    # Clicking a grid polygon on the map shows that grid.
    box = page.locator("#place-map").bounding_box()
    grid2 = page.locator("#place-map .leaflet-overlay-pane svg path[stroke='#5b6b7f']").first
    grid2.click(position={"x": 20, "y": 20}, force=True)
    expect(page.locator("#place-detail h2")).to_contain_text("幸福二网格")
    assert box["height"] > 300
    page.screenshot(path=artifacts / "places-detail-zh.png", full_page=True)


def test_dashboard_chart_for_community_staff(page, login, live_city, artifacts):
    login(page, "community")
    # ECharts draws one bar per grid of the community, as SVG.
    expect(page.locator("#people-chart")).to_have_attribute("data-state", "ready")
    expect(page.locator("#people-chart svg")).to_have_count(1)
    chart_text = page.inner_text("#people-chart")
    assert (
        "幸福一网格" in chart_text
        or page.locator("#people-chart svg text", has_text="幸福一网格").count()
    )
    page.screenshot(path=artifacts / "dashboard-community-zh.png", full_page=True)


def test_switch_to_english(page, login, live_city, artifacts):
    login(page, "gridworker")
    page.goto(page.base_url + "/places/")
    page.click("form.lang-switch button[value=en]")
    page.wait_for_url("**/places/")
    expect(page.locator("h1")).to_have_text("Map and grids")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    nav = page.inner_text("nav.site-nav")
    for label in ("Home", "Map and grids", "People"):
        assert label in nav
    assert "API docs" not in nav  # for those who connect systems only (352c949)
    assert "Place tree" in page.inner_text("body")
    expect(page.locator("#place-map")).to_have_attribute("data-state", "ready")
    page.screenshot(path=artifacts / "places-en.png", full_page=True)
    # And back to Chinese.
    page.click("form.lang-switch button[value=zh-hans]")
    expect(page.locator("h1")).to_have_text("地图与网格")


def test_people_list_and_reveal(page, login, live_city, artifacts):
    login(page, "gridworker")
    page.click("nav.site-nav >> text=人员")
    page.wait_for_url("**/people/")
    table = page.inner_text("table")
    assert "张**" in table and "138****1234" in table
    assert "13812341234" not in table
    page.screenshot(path=artifacts / "people-zh.png", full_page=True)
    page.click("table >> text=张**")
    expect(page.locator("[data-field=phone]")).to_have_text("138****1234")
    page.fill("#reveal-purpose", "入户走访")
    page.click("text=查看完整信息")
    expect(page.locator("[data-field=phone]")).to_have_text("13812341234")
    expect(page.locator("[data-field=id_number]")).to_have_text("110101199001011234")
    page.screenshot(path=artifacts / "person-revealed-zh.png", full_page=True)
    assert AccessLog.objects.filter(user=live_city.grid_worker, purpose="入户走访").count() == 1


def test_mobile_layout(chromium, live_server, live_city, artifacts):
    context = chromium.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, device_scale_factor=2
    )
    try:
        page = context.new_page()
        page.goto(live_server.url + "/places/")
        expect(page.locator("#place-map")).to_have_attribute("data-state", "ready")
        # Nothing is wider than the screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
        page.screenshot(path=artifacts / "places-mobile-zh.png", full_page=True)
        page.goto(live_server.url + "/")
        page.screenshot(path=artifacts / "landing-mobile-zh.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
