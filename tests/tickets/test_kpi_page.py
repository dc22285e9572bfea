"""The ranking page (考核排名) states the weights it uses, shows departments' whistle
results, and leaves units without a handling rate unranked, as its footnote says.
The figures are those of the hand-computed fixture in test_kpis.py."""

import re

import pytest
from django.urls import reverse

from gridgov.tickets import kpis

from .test_kpi_early_month import past_the_early_days  # noqa: F401 (a pytest fixture)
from .test_kpis import fixture, world  # noqa: F401 (pytest fixtures)

pytestmark = pytest.mark.django_db
MARCH = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}


def page(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("tickets:kpis"), {**MARCH, **params})
    assert response.status_code == 200
    return response.content.decode()


def row(html, code):
    match = re.search(rf'<tr[^>]*data-unit="{code}">(.*?)</tr>', html, re.S)
    assert match, code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_departments_show_whistle_results_and_its_weight(client, fixture):  # noqa: F811
    html = page(client, fixture.district_staff, parent=fixture.district.code, level="department")
    weights = re.search(r'<p class="muted kpi-weights">(.*?)</p>', html, re.S).group(1)
    for text in ("响应率 30", "解决率 35", "满意率 35", "吹哨报到 10"):
        assert text in weights
    assert "仅展示、不计分" in weights and "按时办结率" in weights  # weight 0 by default
    assert "<th" in html and "吹哨报到</th>" in html
    # CG: reported on time, rated 4 → 100%; scored over 110 points of weight.
    cg = row(html, "CG")
    assert cg.startswith("1 ") and "按时 1/1 · 评价 4.0" in cg and "100.0" in cg
    # ZJ handled nothing: its whistle result is shown, but it has no score and no rank.
    zj = row(html, "ZJ")
    assert zj.startswith("— ") and "33.3%" in zj and "按时 0/1 · 评价 3.0" in zj
    assert zj.endswith("— 0")  # score —, open now 0
    assert "不计分、不参与排名" in html


def test_place_units_have_no_whistle_column_and_weights_follow_settings(
    client,
    fixture,  # noqa: F811
    settings,
):
    settings.GRIDGOV_KPI_WEIGHTS = {"on_time": 20, "satisfaction": 0}
    html = page(client, fixture.street_staff, parent=fixture.community.code, level="grid")
    weights = re.search(r'<p class="muted kpi-weights">(.*?)</p>', html, re.S).group(1)
    assert "按时办结率 20" in weights and "满意率" in weights.split("仅展示、不计分")[1]
    assert "吹哨报到" not in weights and "吹哨报到</th>" not in html
    assert row(html, "G1c").startswith("— ")  # nothing at all: unranked


def test_a_whistle_alone_makes_no_score():
    w = kpis.weights()
    assert kpis.composite({"whistle": 0.5}, w) is None
    assert kpis.composite({"response": 1.0, "whistle": 0.0}, w) == round(100 * 30 / 40, 2)
    # A handling rate weighted 0 scores nothing either.
    assert kpis.composite({"on_time": 1.0, "whistle": 1.0}, w) is None


def test_a_custom_period_over_a_year_is_refused_on_the_page_as_in_the_api(client, fixture):  # noqa: F811
    """The page read any custom span (the API capped it at 366 days) and silently showed
    this month for one it could not read."""
    html = page(client, fixture.street_staff, start="2016-03-01", end="2026-03-31")
    assert "跨度不超过 366 天" in html and "现显示本月" in html
    start, end = kpis.period("month")
    assert f'name="start" value="{start:%Y-%m-%d}"' in html
    assert f'name="end" value="{end:%Y-%m-%d}"' in html
    assert "跨度不超过" not in page(client, fixture.street_staff)


def test_the_page_says_how_many_units_had_nothing_to_score(client, fixture):  # noqa: F811
    """Of three grids, G1c had nothing to score: the page said only that units without a
    rate are not ranked, not how many, and the home page read G1a as "2 / 3"."""
    html = page(client, fixture.street_staff, parent=fixture.community.code, level="grid")
    assert 'data-unranked="1"' in html
    assert "2 个单位参与排名；1 个单位本期没有计分的办理类指标，未参与排名。" in html
    assert "1 个单位参与排名；1 个单位本期没有计分的办理类指标" in page(
        client, fixture.district_staff, parent=fixture.district.code, level="department"
    )
    # Every unit scored (C1, the street's only community): nothing to say.
    communities = page(client, fixture.street_staff, parent=fixture.street.code, level="community")
    assert row(communities, "C1").startswith("1 ") and "data-unranked" not in communities


@pytest.mark.usefixtures("past_the_early_days")  # this month's figures on the home page
def test_the_home_pages_rank_counts_only_the_units_ranked(client, world):  # noqa: F811
    """本单位考核 read "1 / 3" for a grid ranked first of one: its two sibling grids had no
    ticket this month. Now "1 / 1", and the cell's title names the two left unranked."""
    import datetime as dt

    from django.utils import timezone

    from gridgov.tickets.lifecycle import perform

    from .test_kpis import make_ticket

    now = timezone.now()
    ticket = make_ticket(world, now=now - dt.timedelta(seconds=2))
    assert ticket.owner_place_id == world.grid_a.pk
    perform(ticket, "accept", world.gridworker_a, now=now - dt.timedelta(seconds=1))
    perform(ticket, "contact", world.gridworker_a, now=now)
    client.force_login(world.gridworker_a)
    html = client.get(reverse("home")).content.decode()
    cell = re.search(r'<tr data-unit="G1a">.*?<td class="num rank">(.*?)</td>', html, re.S)
    assert cell, html
    assert ">1 / 1</span>" in cell.group(1)
    assert "在 1 个有得分的单位中排名；另有 2 个单位在此时段没有计分的办理类指标" in cell.group(1)


def test_the_note_on_unranked_units_says_what_it_counts(client, world):  # noqa: F811
    """The note read "1 个单位本期无可考核的工单" of G1a, which had a ticket due in the period:
    handed over in February, due in March and still open, it has an 按时办结率 (0/1) but
    that rate is weighted 0 by default, so G1a has no scored rate. The note counts units
    without a score, and says so."""
    from .test_kpis import MARCH as MONTH
    from .test_kpis import NOW, at, make_ticket

    make_ticket(world, now=at(2, 26, 9))
    units = kpis.units_at("grid", world.community)
    g1a = next(k for k in kpis.compute(units, *MONTH, now=NOW) if k.unit.code == "G1a")
    assert (g1a.counts["due"], g1a.rates["on_time"], g1a.score) == (1, 0.0, None)
    html = page(client, world.street_staff, parent=world.community.code, level="grid")
    assert "0/1" in row(html, "G1a") and row(html, "G1a").startswith("— ")
    note = re.search(r'<p class="kpi-unranked"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "无可考核的工单" not in note
    assert note == "0 个单位参与排名；3 个单位本期没有计分的办理类指标，未参与排名。"


def test_a_lone_ranked_unit_gets_no_medal(client, fixture):  # noqa: F811
    """A review found a community's only ranked grid, scoring 0.0, shown with the gold 1:
    the medal colours say who did best among several, so one ranked alone shows a plain 1."""
    html = page(client, fixture.district_staff, parent=fixture.district.code, level="department")
    assert re.search(r'<span class="rank__n">1</span>', html)  # CG, the only one ranked
    assert "rank__n--1" not in html
    html = page(client, fixture.street_staff, parent=fixture.community.code, level="grid")
    ranked = re.findall(r'<span class="rank__n( rank__n--\d)?">(\d+)</span>', html)
    assert len(ranked) >= 2 and ranked[0] == (" rank__n--1", "1")
