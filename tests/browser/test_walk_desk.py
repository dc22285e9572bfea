"""Fixes from walking the demo as a street's dispatch desk, in a real browser."""

import pytest
from playwright.sync_api import expect

from gridgov.tickets import intake
from gridgov.tickets.categories import load_taxonomy

pytestmark = pytest.mark.browser


def test_the_ticket_map_draws_only_grids_without_open_tickets_dashed(page, login, live_city):
    """The legend shows a dashed border for 无在办工单, but every grid with open tickets none
    of them overdue was drawn dashed too: a grid with 9 open read as one with none."""
    load_taxonomy()
    data = {"channel": "window", "nature": "complaint", "title": "楼道堆满杂物"}
    data.update(description="幸福里1栋楼道里堆满了纸箱", address="幸福路1号")
    data["requester_phone"] = "13812341234"
    intake.create_ticket(data, actor=live_city.community_staff)
    login(page, "community")
    page.goto(page.base_url + "/tickets/map/")
    expect(page.locator("#ticket-map")).to_have_attribute("data-state", "ready")
    expect(page.locator(".grid-count span")).to_have_text("1")
    paths = page.locator("#ticket-map .leaflet-overlay-pane svg path")
    dashes = {
        paths.nth(i).get_attribute("fill-opacity"): paths.nth(i).get_attribute("stroke-dasharray")
        for i in range(paths.count())
    }
    # Fill opacity tells the grid with open tickets (0.75) from those without (0.35).
    assert dashes == {"0.75": None, "0.35": "3 3"}, dashes
