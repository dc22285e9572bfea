"""A district's ticket map on a phone: the count circles do not cover each other.

Found walking the demo as street staff at 390 px: the fitted zoom leaves the street's 21
grids about 25 px wide, and each open grid's 30 px count circle (with its red overdue
badge) lay over its neighbours' circles, a heap of numbers no one could read or tap
between. A circle now shows only on a grid it fits in; zoomed in, the counts come back."""

import pytest
from playwright.sync_api import expect

from gridgov.people.models import Role
from gridgov.places.models import Level, Place
from gridgov.tickets import intake
from gridgov.tickets.categories import load_taxonomy
from tests.browser.session import signed_in
from tests.people.factories import user_with_role

pytestmark = pytest.mark.browser

COLUMNS, ROWS = 12, 3


def _square(lng, lat, size=0.004):
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size]]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


@pytest.fixture
def strip_of_grids(live_city):
    """36 grids in a 12 × 3 strip (G1, G2, G3 and 33 more), each with an open ticket."""
    load_taxonomy()  # flushed with the transactional tests' data
    taken = {(0, 0), (1, 0), (0, 1)}  # G1, G2, G3
    codes = ["G1", "G2", "G3"]
    for i in range(COLUMNS):
        for j in range(ROWS):
            if (i, j) in taken:
                continue
            code = f"GS{i}-{j}"
            Place.objects.create(
                code=code,
                name=f"{i}-{j}号网格",
                level=Level.GRID,
                parent=live_city.c1 if i < COLUMNS // 2 else live_city.c2,
                boundary=_square(112.960 + 0.004 * i, 28.180 + 0.004 * j),
            )
            codes.append(code)
    for code in codes:
        data = {"channel": "window", "nature": "complaint", "title": "楼道堆物"}
        data.update(description="楼道里堆满了纸箱", place=code, requester_phone="13812341234")
        intake.create_ticket(data, actor=live_city.admin)
    user_with_role(Role.DISTRICT_STAFF, live_city.district, username="district")
    return live_city


def _overlaps(page):
    """Pairs of shown count circles whose boxes overlap."""
    return page.evaluate(
        """() => {
          const boxes = [...document.querySelectorAll('#ticket-map .grid-count')]
            .filter(e => getComputedStyle(e).display !== 'none')
            .map(e => e.querySelector('span').getBoundingClientRect());
          let n = 0;
          boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
            if (a.left < b.right - 1 && b.left < a.right - 1 &&
                a.top < b.bottom - 1 && b.top < a.bottom - 1) n += 1;
          }));
          return n;
        }"""
    )


def _shown(page):
    return page.evaluate(
        """() => [...document.querySelectorAll('#ticket-map .grid-count')]
            .filter(e => getComputedStyle(e).display !== 'none').length"""
    )


def test_count_circles_on_a_phone_never_cover_each_other(
    chromium, live_server, strip_of_grids, artifacts
):
    with signed_in(chromium, live_server.url, "district", phone=True) as (page, errors):
        page.goto(live_server.url + "/tickets/map/")
        expect(page.locator("#ticket-map")).to_have_attribute("data-state", "ready")
        assert page.locator("#ticket-map").get_attribute("data-grids") == str(COLUMNS * ROWS)
        page.locator("#ticket-map").screenshot(path=artifacts / "ticket-map-crowded-390.png")
        assert _overlaps(page) == 0
        # The list under the map still gives every grid's count.
        expect(page.locator("#grid-rank")).to_contain_text("1 件在办")
        # Zoomed in, the grids grow and their counts show again, still apart.
        page.locator("#ticket-map .leaflet-control-zoom-in").tap()
        page.wait_for_timeout(600)
        page.locator("#ticket-map .leaflet-control-zoom-in").tap()
        page.wait_for_timeout(600)
        assert _shown(page) > 0 and _overlaps(page) == 0
        page.locator("#ticket-map").screenshot(path=artifacts / "ticket-map-crowded-390-zoom.png")
        assert not errors, errors

    # On a desktop the same strip has room for every count.
    with signed_in(chromium, live_server.url, "district") as (page, errors):
        page.goto(live_server.url + "/tickets/map/")
        expect(page.locator("#ticket-map")).to_have_attribute("data-state", "ready")
        assert _shown(page) == COLUMNS * ROWS and _overlaps(page) == 0
        assert not errors, errors
