"""热点问题 pages and the classifier's confusion matrix without JavaScript: the map and the
charts are drawn by insights.js, and with it off the pages showed large blank boxes (found
walking the demo). Each page now says what needs JavaScript and where the same is found, and
a chart's numbers that no table of the page shows stand in a table (查看数据), open until the
script draws the chart and folds it."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from gridgov.insights.models import HotIssue, ModelVersion
from tests.tickets.factories import make_world

pytestmark = pytest.mark.django_db

LABELS = ["交通运输", "城乡建设", "环境保护"]
CONFUSION = [[40, 2, 1], [3, 35, 0], [5, 4, 30]]


@pytest.fixture
def world():
    return make_world()


def _issue(world, key, title, trend, heat):
    now = timezone.now()
    return HotIssue.objects.create(
        key=key,
        title=title,
        place=world.grid_a,
        place_label=world.grid_a.name,
        first_at=now - dt.timedelta(days=5),
        last_at=now,
        ticket_count=sum(n for _, n in trend),
        requester_count=2,
        heat=heat,
        trend=trend,
        refreshed_at=now,
    )


def _noscript(page):
    return " ".join(re.findall(r"<noscript>(.*?)</noscript>", page, re.S))


def _data_table(page, id_):
    found = re.search(
        rf'<details class="insights-data" id="{id_}" open>(.*?)</details>', page, re.S
    )
    assert found, f"no open table #{id_}"
    table = found.group(1)
    assert "<summary>查看数据</summary>" in table
    return table


def _rows(table):
    """Each row's cells as text (tags dropped)."""
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


def test_the_hot_issue_list_says_the_map_needs_javascript_and_tables_the_trend(world, client):
    _issue(
        world, "t-noise", "魏家坡小区搅拌站噪音扰民", [["2026-11-02", 3], ["2026-11-05", 1]], 9.0
    )
    _issue(world, "t-lamp", "滨江路路灯不亮", [["2026-11-04", 2]], 5.0)
    client.force_login(world.street_staff)
    page = client.get("/insights/hot/").content.decode()
    note = _noscript(page)
    assert "地图和每日诉求图需要浏览器启用 JavaScript" in note
    assert "所在地见热点问题列表" in note
    # The boxes are left out without the script (a stylesheet only a noscript loads).
    assert re.search(r'<noscript><link rel="stylesheet" href="[^"]*insights/noscript\.css">', page)
    table = _data_table(page, "hot-trend-table")
    # Hottest first as in the chart's legend, only the days with demands (the chart's 0s between).
    assert _rows(table)[1:] == [
        ["魏家坡小区搅拌站噪音扰民", "2026-11-02", "3"],
        ["2026-11-05", "1"],
        ["滨江路路灯不亮", "2026-11-04", "2"],
    ]
    assert 'rowspan="2"' in table


def test_an_empty_hot_issue_list_says_only_the_map_needs_javascript(world, client):
    client.force_login(world.street_staff)
    page = client.get("/insights/hot/").content.decode()
    assert "地图需要浏览器启用 JavaScript。各热点问题的所在地见热点问题列表。" in _noscript(page)
    assert 'id="hot-trend-table"' not in page


def test_a_hot_issue_page_tables_its_demands_per_day(world, client):
    issue = _issue(
        world, "t-one", "魏家坡小区搅拌站噪音扰民", [["2026-11-02", 3], ["2026-11-05", 1]], 9.0
    )
    client.force_login(world.street_staff)
    page = client.get(f"/insights/hot/{issue.pk}/").content.decode()
    assert "每日诉求图需要浏览器启用 JavaScript，同样的数字见下表。" in _noscript(page)
    assert "insights/noscript.css" in page
    table = _data_table(page, "hot-trend-table")
    assert _rows(table) == [["日期", "诉求数"], ["2026-11-02", "3"], ["2026-11-05", "1"]]


def test_the_classifier_page_tables_the_confusion_matrix(world, client):
    metrics = {
        "accuracy": 0.875,
        "macro_f1": 0.87,
        "n": 120,
        "method": "3-fold cross-validation",
        "labels": LABELS,
        "per_class": {
            label: {"precision": 0.9, "recall": 0.9, "f1": 0.9, "support": 40} for label in LABELS
        },
        "confusion": CONFUSION,
    }
    ModelVersion.objects.create(
        version=1, path="/nonexistent", fingerprint="t", metrics=metrics, active=True
    )
    client.force_login(world.street_staff)
    page = client.get("/insights/classifier/").content.decode()
    assert "混淆矩阵图需要浏览器启用 JavaScript，同样的数字见下表。" in _noscript(page)
    assert "insights/noscript.css" in page
    table = _data_table(page, "confusion-table")
    assert "<caption>混淆矩阵：行为真实分类，列为预测分类</caption>" in table
    assert _rows(table) == [
        ["", *LABELS],
        ["交通运输", "40", "2", "1"],
        ["城乡建设", "3", "35", "0"],
        ["环境保护", "5", "4", "30"],
    ]
