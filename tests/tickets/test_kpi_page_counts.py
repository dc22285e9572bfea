"""The ranking page shows under each rate the counts it comes from: a 100.0% of one
callback and one of fifty read alike, and a street leader saw last month's three
communities share first place at 100.0 with one to two tickets each and could not tell.
Figures of the hand-computed fixture in test_kpis.py (grid G1a: responded 2 of 5, callbacks
3 with 2 resolved and 2 satisfied, 2 of 5 due resolved in time)."""

import re

import pytest

from .test_kpi_page import page
from .test_kpis import fixture, world  # noqa: F401 (pytest fixtures)

pytestmark = pytest.mark.django_db


def counts(html, code):
    row = re.search(rf'<tr[^>]*data-unit="{code}">(.*?)</tr>', html, re.S).group(1)
    return {
        m.group(1): (m.group(3), m.group(2))
        for m in re.finditer(
            r'<span class="muted small kpi-of" data-rate="(\w+)" title="([^"]*)">([^<]*)</span>',
            row,
        )
    }


def test_each_rate_shows_the_counts_it_comes_from(client, fixture):  # noqa: F811
    html = page(client, fixture.street_staff, parent=fixture.community.code, level="grid")
    assert counts(html, "G1a") == {
        "response": ("2/5", "应联系诉求人 5 件，按时联系 2 件"),
        "resolution": ("2/3", "回访 3 次，问题已解决 2 次"),
        "satisfaction": ("2/3", "回访 3 次，满意或基本满意 2 次"),
        "on_time": ("2/5", "到期 5 件，按时办结 2 件"),
    }
    assert 'id="kpi-counts-note"' in html and "即应联系诉求人的 32 件中按时联系了 29 件" in html
    # Nothing to count: — and no 0/0.
    assert counts(html, "G1c") == {}
    assert "0/0" not in html
