"""A district's staff see on the home page how the district's streets do this month.

A district office is given no tickets, so its own KPI row was all dashes and hidden: the
接诉即办 panel of a district leader showed no KPI at all. It now ranks the district's streets
(kpis.ranking, the ranking page's own reckoning) with a link to the whole ranking; a street's
staff and a grid worker see what they saw before (their own units among their siblings)."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gridgov.demo import seed
from gridgov.people.models import Role
from gridgov.tickets import dashboard, intake
from gridgov.tickets.lifecycle import perform
from tests.people.factories import user_with_role
from tests.places.factories import make_tree

from .factories import make_world, ticket_data
from .test_kpi_early_month import past_the_early_days  # noqa: F401 (a pytest fixture)

# This month's figures: shown on the home page from a month's 6th day (kpis.default_period).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("past_the_early_days")]


def _street_handles(world, tree, steps_at, satisfaction):
    """A ticket in `tree`'s first grid passed up by its grid and community to its street,
    which resolves it; called back with `satisfaction`."""
    who = world.staff[tree.street.code]
    t = iter(steps_at)
    data = ticket_data(category=world.corridor.code, place=tree.buildings[0].code)
    ticket = intake.create_ticket(data, actor=world.hotline, now=next(t)).ticket
    assert ticket.owner_place == tree.grids[0]
    perform(ticket, "escalate", who["grid"], now=next(t))
    perform(ticket, "escalate", who["community"], now=next(t))
    perform(ticket, "accept", who["street"], now=next(t))
    perform(ticket, "contact", who["street"], now=next(t), method="phone", note="已电话联系")
    perform(ticket, "resolve", who["street"], now=next(t), reply="已清理楼道杂物。")
    happy = satisfaction != "dissatisfied"
    perform(
        ticket, "callback", world.hotline, now=next(t), resolved=happy, satisfaction=satisfaction
    )
    return ticket


def make_streets():
    """make_world with two more streets of 海淀区: S1 (学院路街道) and S2 (清河街道) each
    resolved a ticket passed up to them this month, S1's called back dissatisfied and S2's
    satisfied; S3 (西三旗街道) had nothing to do."""
    w = make_world()
    w.tree2 = make_tree("2", district=w.district, origin=(116.33, 39.90))
    w.tree3 = make_tree("3", district=w.district, origin=(116.36, 39.90))
    for tree, name in ((w.tree2, "清河街道"), (w.tree3, "西三旗街道")):
        tree.street.name = name
        tree.street.save()
    w.staff = {
        w.street.code: {
            "grid": w.gridworker_a,
            "community": w.community_staff,
            "street": w.street_staff,
        },
        "S2": {
            "grid": user_with_role(Role.GRID_WORKER, w.tree2.grids[0], username="gw_2a"),
            "community": user_with_role(Role.COMMUNITY_STAFF, w.tree2.community, username="c2"),
            "street": user_with_role(Role.STREET_STAFF, w.tree2.street, username="s2"),
        },
    }
    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    first = max(now - dt.timedelta(hours=2), month_start + dt.timedelta(seconds=1))
    steps = [first + (now - first) * i / 20 for i in range(16)]
    _street_handles(w, w.tree, steps[:8], "dissatisfied")
    _street_handles(w, w.tree2, steps[8:], "satisfied")
    return w


@pytest.fixture
def world():
    return make_streets()


def rows(html, selector):
    """{unit code: [its cells' text]} of the home page table `selector` (an id or class)."""
    table = re.search(rf"<table[^>]*{selector}[^>]*>.*?</table>", html, re.S)
    if table is None:
        return None
    found = {}
    for code, cells in re.findall(r'<tr[^>]*data-unit="([^"]+)">(.*?)</tr>', table.group(0), re.S):
        found[code] = [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
    return found


def home(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_district_staff_see_their_streets_ranked_with_the_ranking_pages_figures(client, world):
    html = home(client, world.district_staff)
    streets = rows(html, 'id="dash-below"')
    assert list(streets) == ["S2", "S1", "S3"]  # best first, the unscored last
    # 按时办结率: nothing due yet (resolve_by is days away).
    assert streets["S2"] == ["1 / 2", "清河街道", "100.0", "100.0%", "100.0%", "100.0%", "—"]
    assert streets["S1"] == ["2 / 2", "学院路街道", "30.0", "100.0%", "0.0%", "0.0%", "—"]
    assert streets["S3"] == ["—", "西三旗街道", "—", "—", "—", "—", "—"]
    assert "海淀区各街镇排名，" in html

    # The link opens the ranking page on the same units and period, which says the same.
    link = re.search(r'<a id="dash-below-all" href="([^"]+)">(.*?)</a>', html)
    assert link.group(2) == "查看全部 3 个街镇的排名"
    href = link.group(1).replace("&amp;", "&")
    assert href == reverse("tickets:kpis") + "?parent=D1&level=street&period=month"
    ranking = client.get(href).content.decode()
    for code, cells_home in streets.items():
        page_row = re.search(rf'<tr[^>]*data-unit="{code}">(.*?)</tr>', ranking, re.S).group(1)
        cells = dict(re.findall(r'data-label="([^"]+)">(.*?)(?:<br>|</td>)', page_row, re.S))
        score = re.sub(r"<[^>]+>", "", cells["综合得分"]).strip()
        rates = [cells[label].strip() for label in ("响应率", "解决率", "满意率", "按时办结率")]
        rank = re.search(r'<td class="rank">(?:<span[^>]*>)?([^<]*)', page_row).group(1).strip()
        assert cells_home[0].split(" / ")[0] == rank, code
        assert cells_home[2:] == [score, *rates], code


def test_only_the_top_streets_are_listed_and_the_caption_says_so(client, world, monkeypatch):
    monkeypatch.setattr(dashboard, "TOP_BELOW", 2)
    html = home(client, world.district_staff)
    assert list(rows(html, 'id="dash-below"')) == ["S2", "S1"]
    assert "海淀区各街镇排名前 2 名，" in html
    assert "查看全部 3 个街镇的排名" in html


def test_the_streets_ranking_in_english(client, world):
    client.cookies["django_language"] = "en"
    html = home(client, world.district_staff)
    assert "Streets of 海淀区, " in html and "The full ranking of 3 streets" in html
    assert ">Street</th>" in html and ">Score</th>" in html


def test_a_street_and_a_grid_worker_see_their_own_units_as_before(client, world):
    street = home(client, world.street_staff)
    assert rows(street, 'id="dash-below"') is None and "dash-below" not in street
    assert list(rows(street, 'class="table kpi-table dash-kpis"')) == ["S1"]
    grid = home(client, world.gridworker_a)
    assert rows(grid, 'id="dash-below"') is None and "dash-below" not in grid
    assert list(rows(grid, 'class="table kpi-table dash-kpis"')) == ["G1a"]


def _home_queries(client, user):
    client.force_login(user)
    client.get("/")  # the session and the per-process caches (weights, places) warmed
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_the_streets_ranking_costs_no_query_per_street(client, world):
    before = _home_queries(client, world.district_staff)
    for key, lng in (("4", 116.39), ("5", 116.42), ("6", 116.45)):
        make_tree(key, district=world.district, origin=(lng, 39.90))
    assert _home_queries(client, world.district_staff) == before
    assert len(rows(client.get("/").content.decode(), 'id="dash-below"')) == 5  # TOP_BELOW


def test_a_districts_home_stays_within_its_queries_on_the_demo(
    client, settings, django_assert_max_num_queries
):
    """Measured on the demo (GRIDGOV_DEMO_TICKET_LIMIT 40, as tests/demo build it): the
    district's home page took 30 queries without its streets, 37 with them (one ranking:
    kpis.compute's reads, none per street)."""
    settings.GRIDGOV_DEMO_TICKET_LIMIT = 40
    seed.build_demo()
    client.force_login(get_user_model().objects.get(username="district"))
    client.get("/")
    with django_assert_max_num_queries(37):
        html = client.get("/").content.decode()
    assert len(rows(html, 'id="dash-below"')) == 2  # the demo's two streets
