"""The 考核排名 on a grid worker's phone (390 × 844, in Chromium): the ranking tables scrolled
sideways with the score (and, on the home page, the rank) past the right edge, so the phone
showed names and rates but not where a unit stood."""

import pytest
from playwright.sync_api import expect

from gridgov.people.models import Department, Role, RoleAssignment
from gridgov.tickets.categories import load_taxonomy
from tests.tickets.test_kpi_early_month import past_the_early_days  # noqa: F401 (a fixture)

from .test_tickets import on_a_phone

pytestmark = pytest.mark.browser

# Where each of a row's standing cells is, and how wide the screen and the page are.
MEASURE = """(selectors) => {
  const rows = Array.from(document.querySelectorAll(selectors.row));
  return {
    rows: rows.map((tr) => Object.fromEntries(selectors.cells.map((sel) => {
      const cell = tr.querySelector(sel);
      const box = cell.getBoundingClientRect();
      return [sel, [Math.round(box.left), Math.round(box.right), cell.textContent.trim()]];
    }))),
    screen: window.innerWidth,
    page: document.documentElement.scrollWidth,
  };
}"""


def on_screen(measured):
    """The cells that are not wholly on the screen, by row."""
    width = measured["screen"]
    return [
        {sel: box for sel, box in row.items() if box[0] < 0 or box[1] > width}
        for row in measured["rows"]
        if any(box[0] < 0 or box[1] > width for box in row.values())
    ]


# This month's figures: shown on the home page from a month's 6th day (kpis.default_period).
@pytest.mark.usefixtures("past_the_early_days")
def test_the_kpi_ranking_shows_rank_and_score_on_a_phone(
    chromium, live_server, live_city, artifacts
):
    from gridgov.tickets import intake

    load_taxonomy()  # flushed with the transactional tests' data
    # Departments with names of a real district (the longest ranking: one more column).
    Department.objects.create(code="CG", name="区城市管理和综合执法局", place=live_city.district)
    Department.objects.create(code="ZJ", name="区住房和城乡建设局", place=live_city.district)
    RoleAssignment.objects.create(
        user=live_city.community_staff, role=Role.DISTRICT_STAFF, place=live_city.district
    )
    # The home page's table lists the units given tickets this month: the grid gets one.
    data = {"channel": "hotline", "nature": "complaint", "title": "楼道堆满杂物"}
    data.update(description="幸福里1栋楼道里堆满了纸箱。", address="幸福路1号")
    data["requester_phone"] = "13812341234"
    intake.create_ticket(data, actor=live_city.community_staff)

    base = live_server.url
    cells = {"row": ".kpi-table tbody tr", "cells": [".rank", ".kpi-unit", ".score"]}
    context, page, errors = on_a_phone(chromium, base, live_city, "community")
    with context:
        for level in ("community", "grid", "department"):
            page.goto(f"{base}/tickets/kpis/?level={level}")
            expect(page.locator(".kpi-table tbody tr").first).to_be_visible()
            measured = page.evaluate(MEASURE, cells)
            page.screenshot(path=artifacts / f"kpis-{level}-390.png", full_page=True)
            assert measured["rows"] and not on_screen(measured), (level, measured)
            assert measured["page"] <= 390, (level, measured)
        assert not errors, errors

    home = {"row": ".dash-kpis tbody tr", "cells": [".dash-unit", ".rank", ".score"]}
    context, page, errors = on_a_phone(chromium, base, live_city, "gridworker")
    with context:
        expect(page.locator(".dash-kpis")).to_be_visible()
        page.locator(".dash-kpis").scroll_into_view_if_needed()
        measured = page.evaluate(MEASURE, home)
        page.screenshot(path=artifacts / "home-kpis-390.png", full_page=True)
        assert measured["rows"] and not on_screen(measured), measured
        assert measured["page"] <= 390, measured
        assert not errors, errors
