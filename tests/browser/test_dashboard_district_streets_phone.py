"""A district leader's home page at a desk (1366 px) and on a phone (390 px): the streets of
the month ranked in the 接诉即办 panel, each street's rank, name and score on the screen, and
the link to the whole ranking."""

import pytest
from playwright.sync_api import expect

from tests.tickets.test_dashboard_district_streets import make_streets
from tests.tickets.test_kpi_early_month import past_the_early_days  # noqa: F401 (a fixture)

from .session import signed_in
from .test_kpis_phone import MEASURE, on_screen

pytestmark = pytest.mark.browser
# How many lines the text of each cell matching a selector takes.
LINES = """(selector) => Array.from(document.querySelectorAll(selector), (cell) => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  return new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size;
})"""
CELLS = {"row": "#dash-below tbody tr", "cells": [".rank", ".dash-unit", ".score"]}


@pytest.fixture
def world(transactional_db, past_the_early_days):  # noqa: F811
    # This month's figures: shown on the home page from a month's 6th day.
    return make_streets()


@pytest.mark.parametrize("phone", [False, True], ids=["desk", "phone"])
def test_the_district_home_ranks_its_streets(chromium, live_server, world, artifacts, phone):
    base = live_server.url
    with signed_in(chromium, base, world.district_staff.username, phone=phone) as (page, errors):
        table = page.locator("#dash-below")
        expect(table).to_be_visible()
        expect(table.locator("caption")).to_contain_text("海淀区各街镇排名")
        expect(table.locator("tbody tr")).to_have_count(3)
        expect(table.locator("tbody tr").first.locator(".dash-unit")).to_have_text("清河街道")
        table.scroll_into_view_if_needed()
        measured = page.evaluate(MEASURE, CELLS)
        page.screenshot(
            path=artifacts / f"home-district-streets-{'390' if phone else '1366'}.png",
            full_page=True,
        )
        assert measured["rows"] and not on_screen(measured), measured
        assert measured["page"] <= measured["screen"], measured
        # A street's name on one line: on a phone it broke after every character.
        lines = page.evaluate(LINES, "#dash-below .dash-unit")
        assert lines == [1, 1, 1], lines
        page.click("#dash-below-all")
        page.wait_for_url("**/tickets/kpis/?parent=D1&level=street&period=month")
        expect(page.locator(".kpi-table tbody tr").first).to_have_attribute("data-unit", "S2")
        assert not errors, errors
