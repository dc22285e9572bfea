"""The ranking page's parameters when they are not what it can show: it says so rather
than silently ranking another period, area or level than the one asked for."""

import pytest

from gridgov.tickets import kpis

from .test_kpi_page import page
from .test_kpis import fixture, world  # noqa: F401 (pytest fixtures)

pytestmark = pytest.mark.django_db


def test_a_day_that_does_not_exist_is_named(client, fixture):  # noqa: F811
    html = page(client, fixture.street_staff, start="2026-02-30")
    assert "开始日期 2026-02-30 不是有效日期" in html and "现显示本月" in html
    assert "跨度不超过" not in html  # the reason given was the span's
    html = page(client, fixture.street_staff, end="2026-13-01")
    assert "结束日期 2026-13-01 不是有效日期" in html


def test_an_unknown_period_says_this_month_is_shown(client, fixture):  # noqa: F811
    html = page(client, fixture.street_staff, period="lastmonth")
    assert "没有统计时段 lastmonth。现显示本月。" in html
    start, _end = kpis.period("month")
    assert f'name="start" value="{start:%Y-%m-%d}"' in html


def test_dates_without_a_period_are_a_custom_period(client, fixture):  # noqa: F811
    """?start=…&end=… (a link typed by hand) showed this month, unsaid."""
    html = page(client, fixture.street_staff, period="")
    assert 'name="start" value="2026-03-01"' in html and 'name="end" value="2026-03-31"' in html
    assert '<option value="custom" selected>' in html


def test_an_area_or_level_not_offered_is_said(client, fixture):  # noqa: F811
    html = page(client, fixture.street_staff, parent="NOPE", level="grid")
    assert "NOPE 不是你可查看排名的区域" in html
    html = page(client, fixture.street_staff, parent=fixture.street.code, level="street")
    assert "此处不能按 街道 比较" in html


def test_a_level_not_offered_is_named_in_chinese(client, fixture):  # noqa: F811
    """A community's worker following a street colleague's link (?level=community) read
    "此处不能按 community 比较": the parameter's English, not the level's name."""
    html = page(client, fixture.street_staff, parent=fixture.street.code, level="district")
    assert "此处不能按 区 比较" in html
    html = page(client, fixture.street_staff, parent=fixture.street.code, level="nonsense")
    assert "此处不能按 nonsense 比较" in html  # not a level: said as it was asked
    html = page(client, fixture.street_staff, parent=fixture.street.code, level="grid")
    assert "不是你可查看排名的区域" not in html and "此处不能按" not in html
