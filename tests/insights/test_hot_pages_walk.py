"""Found walking the 未诉先办 pages as a street office: the monthly topic named its tickets
("共 17 件") with no way to read them, and the hot-issue list did not say how fresh it was."""

import datetime as dt
import re
from unittest import mock

import pytest
from django.utils import timezone

from gridgov.insights.models import HotIssue
from gridgov.tickets.models import Category
from tests.insights.test_hot_issue_review import _per_month
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _topic_card(client, now):
    with mock.patch("django.utils.timezone.now", return_value=now):
        page = client.get("/insights/hot/").content.decode()
    found = re.search(r'<section class="panel insights-topic">.*?</section>', page, re.S)
    return found.group(0) if found else None


def test_the_monthly_topic_links_to_the_list_of_its_tickets(world, client):
    now = timezone.make_aware(dt.datetime(2026, 11, 20, 12))
    environment = Category.objects.get(depth=1, name="环境保护")
    _per_month(world, environment, [3, 3, 3], now, "138")
    make_ticket(world)  # another matter in the same community: not the topic's
    client.force_login(world.street_staff)
    card = _topic_card(client, now)
    assert "共 9 件" in card
    link = re.search(r'<a href="([^"]+)"[^>]*id="topic-tickets">查看这些工单</a>', card)
    url = link.group(1).replace("&amp;", "&")
    assert url.startswith("/tickets/all/?")
    assert f"category={environment.code}" in url and f"place={world.community.code}" in url
    assert "date_from=2026-09-01" in url
    listed = client.get(url).content.decode()
    assert "共 9 件工单" in listed
    # A grid worker's topic is about their grid, and links to that.
    client.force_login(world.gridworker_a)
    card = _topic_card(client, now)
    assert f"place={world.grid_a.code}" in card


def test_the_hot_issue_list_says_when_it_was_last_refreshed(world, client):
    at = timezone.make_aware(dt.datetime(2026, 11, 29, 16, 57))
    client.force_login(world.street_staff)
    assert "最近一次为" not in client.get("/insights/hot/").content.decode()  # never refreshed
    for n, refreshed in enumerate((at - dt.timedelta(hours=5), at)):
        HotIssue.objects.create(
            key=f"walk-{n}",
            title="魏家坡小区搅拌站噪音扰民",
            place=world.grid_a,
            place_label=world.grid_a.name,
            first_at=at - dt.timedelta(days=3),
            last_at=at - dt.timedelta(hours=1),
            ticket_count=2,
            requester_count=2,
            heat=5.0 + n,
            refreshed_at=refreshed,
        )
    page = client.get("/insights/hot/").content.decode()
    assert (
        '每小时根据工单自动刷新，最近一次为 <span class="nowrap">2026-11-29 16:57</span>。' in page
    )
    assert "见文档" not in page  # a reference to documentation the office cannot open


def test_a_list_cut_at_the_hottest_hundred_says_so(world, client):
    at = timezone.now()
    HotIssue.objects.bulk_create(
        HotIssue(
            key=f"many-{n}",
            title=f"魏家坡小区第{n}号事项",
            place=world.grid_a,
            place_label=world.grid_a.name,
            first_at=at - dt.timedelta(days=3),
            last_at=at,
            ticket_count=2,
            requester_count=2,
            heat=float(n),
            refreshed_at=at,
        )
        for n in range(1, 101)
    )
    client.force_login(world.district_staff)
    page = client.get("/insights/hot/").content.decode()
    assert page.count("<tr data-issue=") == 100 and 'id="hot-more"' not in page
    HotIssue.objects.create(
        key="many-0",
        title="魏家坡小区最冷的事项",
        place=world.grid_a,
        first_at=at,
        last_at=at,
        ticket_count=2,
        requester_count=2,
        heat=0.1,
        refreshed_at=at,
    )
    page = client.get("/insights/hot/").content.decode()
    assert page.count("<tr data-issue=") == 100 and "最冷的事项" not in page
    assert "共 101 个，仅显示最热的 100 个。" in page
