"""A district's ticket map (more than 12 grids) tells each grid and its open tickets on a
phone as on a desktop.

With more than 12 grids the map wrote no names, only hover tooltips, which a phone does not
show on a tap: a district user could not tell which grid was which. Now a tap (or click) on
a grid opens a popup with its name, community, open and overdue counts and links to the
ticket list filtered on it, and a list under the map ranks the grids by open tickets."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gridgov.people.models import Role
from gridgov.places.models import Level, Place
from gridgov.tickets import intake
from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.models import Ticket
from tests.browser.session import signed_in
from tests.people.factories import user_with_role

pytestmark = pytest.mark.browser

# Open tickets of the grids with some (code: (open, of them overdue)), busiest first: 11,
# one more than the ranking shows before "show all".
BUSY = {"GM5": (4, 1), "G2": (2, 0)}
BUSY.update({code: (1, 0) for code in ("G1", "G3", "GM0", "GM1", "GM2", "GM9", "GM10")})
BUSY.update({code: (1, 0) for code in ("GM11", "GM12")})


def _square(lng, lat, size=0.004):
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size]]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


@pytest.fixture
def district_map(live_city):
    """16 grids in a 4 × 4 block (G1, G2, G3 and 13 more), some with open tickets, and a
    district staff login seeing them all."""
    load_taxonomy()  # flushed with the transactional tests' data
    taken = {(0, 0), (1, 0), (0, 1)}  # G1, G2, G3
    n = 0
    for i in range(4):
        for j in range(4):
            if (i, j) in taken:
                continue
            community = live_city.c1 if i < 2 else live_city.c2
            Place.objects.create(
                code=f"GM{n}",
                name=f"{community.name[:2]}{n + 4}号网格",
                level=Level.GRID,
                parent=community,
                boundary=_square(112.960 + 0.004 * i, 28.180 + 0.004 * j),
            )
            n += 1
    past = timezone.now() - dt.timedelta(days=1)
    for code, (open_count, overdue) in BUSY.items():
        for k in range(open_count):
            data = {"channel": "window", "nature": "complaint", "title": f"楼道堆物{k}"}
            data.update(description="楼道里堆满了纸箱", place=code)
            data["requester_phone"] = "13812341234"
            ticket = intake.create_ticket(data, actor=live_city.admin).ticket
            if k < overdue:
                Ticket.objects.filter(pk=ticket.pk).update(resolve_by=past)
    user_with_role(Role.DISTRICT_STAFF, live_city.district, username="district")
    return live_city


def _ready(page, base):
    page.goto(base + "/tickets/map/")
    expect(page.locator("#ticket-map")).to_have_attribute("data-state", "ready")
    assert page.locator("#ticket-map").get_attribute("data-grids") == "16"


def _grid_path(page, name):
    """The map's polygon of the grid named `name` (its index in the data's order)."""
    names = page.evaluate(
        """() => fetch(document.getElementById('ticket-map').dataset.url)
              .then(r => r.json()).then(d => d.features.map(f => f.properties.name))"""
    )
    return page.locator("#ticket-map .leaflet-overlay-pane svg path").nth(names.index(name))


def test_a_tap_on_a_grid_of_a_district_map_names_it_with_its_counts(
    chromium, live_server, district_map, artifacts
):
    busiest = Place.objects.get(code="GM5")
    with signed_in(chromium, live_server.url, "district", phone=True) as (page, errors):
        _ready(page, live_server.url)
        page.locator("#ticket-map").screenshot(path=artifacts / "ticket-map-many-390.png")

        # A tap at the middle of the grid lands on the count marker: it must reach the grid.
        box = _grid_path(page, busiest.name).bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        popup = page.locator("#ticket-map .leaflet-popup .grid-popup")
        expect(popup).to_be_visible()
        expect(popup.locator(".grid-popup-name")).to_have_text(busiest.name)
        expect(popup).to_contain_text("团结社区")
        expect(popup).to_contain_text("4 件在办")
        expect(popup).to_contain_text("1 件超时")
        _shown(page)
        page.screenshot(path=artifacts / "ticket-map-many-390-popup.png")
        # Its link is the ticket list filtered on the grid's open tickets.
        popup.get_by_role("link", name="在办工单列表").click()
        page.wait_for_url("**/tickets/all/?status=open&place=GM5")
        expect(page.locator("table tbody tr, .ticket-card")).not_to_have_count(0)

        # Under the map, the grids ranked by open tickets; an entry shows its grid's popup.
        _ready(page, live_server.url)
        entries = page.locator("#grid-rank .grid-rank-entry")
        expect(entries).to_have_count(len(BUSY))
        assert [entries.nth(i).get_attribute("data-code") for i in range(2)] == ["GM5", "G2"]
        expect(entries.first).to_contain_text(busiest.name)
        expect(entries.first).to_contain_text("4 件在办")
        expect(entries.first).to_contain_text("1 件超时")
        expect(page.locator("#grid-rank")).to_contain_text("另有 5 个网格无在办工单")
        # The first 10 are shown; the button shows the rest.
        expect(page.locator("#grid-rank .grid-rank-entry:visible")).to_have_count(10)
        more = page.locator("#grid-rank .grid-rank-more")
        expect(more).to_have_text("显示全部 11 个网格")
        more.tap()
        expect(page.locator("#grid-rank .grid-rank-entry:visible")).to_have_count(11)
        expect(more).to_be_hidden()
        page.screenshot(path=artifacts / "ticket-map-many-390-list.png", full_page=True)
        entries.nth(1).tap()
        expect(popup.locator(".grid-popup-name")).to_have_text("幸福二网格")
        expect(popup).to_contain_text("2 件在办")
        expect(page.locator("#grid-tickets h2")).to_have_text("幸福二网格")
        _shown(page)
        page.screenshot(path=artifacts / "ticket-map-many-390-entry.png")
        # Nothing is wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert not errors, errors

    with signed_in(chromium, live_server.url, "district") as (page, errors):
        _ready(page, live_server.url)
        _grid_path(page, busiest.name).click(force=True)
        expect(popup_of(page).locator(".grid-popup-name")).to_have_text(busiest.name)
        expect(page.locator("#grid-tickets h2")).to_have_text(busiest.name)
        # The grid's hover tooltip (said the same) stays away while its popup is open.
        expect(page.locator("#ticket-map .leaflet-tooltip")).to_have_count(0)
        _shown(page)
        page.screenshot(path=artifacts / "ticket-map-many-desktop.png", full_page=True)
        assert not errors, errors


def _shown(page):
    """Wait for the popup's fade-in (a screenshot during it shows it half transparent)."""
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )


def popup_of(page):
    return page.locator("#ticket-map .leaflet-popup .grid-popup")
