"""Found in review of the hot-issue pages: tickets shown beyond the caller's scope, map
markers on top of each other, an empty trend chart, the monthly topic's wording and bar."""

import datetime as dt
import json
import re
from unittest import mock

import pytest
from django.utils import timezone

from gridgov.insights import hotissues, services
from gridgov.insights.models import HotIssue
from gridgov.places.models import Level
from gridgov.tickets import intake
from gridgov.tickets.models import Category, Ticket
from tests.places.factories import PlaceFactory, rectangle
from tests.tickets.factories import make_ticket, make_world, ticket_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _issue(place, tickets, key, title="魏家坡小区搅拌站噪音扰民", heat=5.0):
    now = timezone.now()
    issue = HotIssue.objects.create(
        key=key,
        title=title,
        place=place,
        place_label=place.name if place else "",
        first_at=now - dt.timedelta(days=2),
        last_at=now,
        ticket_count=len(tickets),
        requester_count=len(tickets),
        heat=heat,
        trend=[[timezone.localdate().isoformat(), len(tickets)]] if tickets else [],
        refreshed_at=now,
    )
    issue.tickets.set(tickets)
    return issue


def _script(page, element):
    found = re.search(rf'<script id="{element}" type="application/json">(.*?)</script>', page)
    return json.loads(found.group(1)) if found else None


# --- 1. the API lists only the tickets the caller may see, as the page does ------------------


def test_a_street_level_issue_shows_community_staff_only_their_communitys_tickets(world, client):
    """Community staff of C1 opening a street-level issue saw a ticket of C2 in the API
    (code, title, status), though not on the page."""
    c2 = PlaceFactory(
        code="C1x",
        name="幸福社区",
        level=Level.COMMUNITY,
        parent=world.street,
        boundary=rectangle(116.40, 39.95, 0.01, 0.01),
    )
    mine = make_ticket(world, title="魏家坡小区搅拌站噪音扰民")
    theirs = make_ticket(world, title="幸福社区搅拌站噪音扰民", requester_phone="13900002222")
    Ticket.objects.filter(pk=theirs.pk).update(place=c2, owner_place=c2)
    issue = _issue(world.street, [mine, theirs], key="t-street")
    staff = world.community_staff
    assert staff.has_perm("insights.view_hotissue", issue)
    assert staff.has_perm("tickets.view_ticket", mine)
    assert not staff.has_perm("tickets.view_ticket", Ticket.objects.get(pk=theirs.pk))

    assert list(services.visible_issue_tickets(issue, staff)) == [mine]
    client.force_login(staff)
    api = client.get(f"/api/v1/insights/hot-issues/{issue.pk}/").json()
    assert [t["code"] for t in api["tickets"]] == [mine.code]
    page = client.get(f"/insights/hot/{issue.pk}/").content.decode()
    assert mine.code in page and theirs.code not in page
    # The street sees both, oldest first, on the page and in the API alike.
    client.force_login(world.street_staff)
    api = client.get(f"/api/v1/insights/hot-issues/{issue.pk}/").json()
    assert [t["code"] for t in api["tickets"]] == [mine.code, theirs.code]
    page = client.get(f"/insights/hot/{issue.pk}/").content.decode()
    assert mine.code in page and theirs.code in page


# --- 2. issues at one place share one marker, listing them all -------------------------------


def test_issues_at_one_place_are_one_map_point_that_lists_them(world, client):
    community = world.community
    community.lat, community.lng = 39.905, 116.31
    community.save()
    grid = world.grid_a
    grid.lat, grid.lng = 39.905, 116.305
    grid.save()
    a = make_ticket(world, title="搅拌站噪音")
    b = make_ticket(world, title="楼道堆物", requester_phone="13900003333")
    c = make_ticket(world, title="路灯不亮", requester_phone="13900004444")
    noisy = _issue(community, [a], key="t-a", title="搅拌站噪音扰民", heat=7.5)
    stacked = _issue(community, [b, c], key="t-b", title="楼道堆物", heat=4.0)
    lamp = _issue(grid, [c], key="t-c", title="路灯不亮", heat=2.0)

    client.force_login(world.community_staff)
    points = _script(client.get("/insights/hot/").content.decode(), "hot-points")
    assert len(points) == 2
    shared = next(p for p in points if p["count"] == 2)
    assert (shared["lat"], shared["lng"], shared["place"]) == (39.905, 116.31, "魏家坡社区")
    assert shared["heat"] == 7.5  # the hottest of them sizes the marker
    assert [(i["id"], i["title"], i["heat"], i["tickets"]) for i in shared["issues"]] == [
        (noisy.pk, "搅拌站噪音扰民", 7.5, 1),
        (stacked.pk, "楼道堆物", 4.0, 2),
    ]
    alone = next(p for p in points if p["count"] == 1)
    assert [i["id"] for i in alone["issues"]] == [lamp.pk] and alone["place"] == "魏家坡小区"


# --- 5. 每月一题: a sensible minimum in each month, and its sentence in Chinese --------------


def _per_month(world, category, counts, now, phone_prefix):
    """counts[0] tickets two months back, counts[1] last month, counts[2] this month."""
    for back, n in zip((2, 1, 0), counts, strict=True):
        for i in range(n):
            intake.create_ticket(
                ticket_data(
                    category=category.code,
                    requester_phone=f"{phone_prefix}{back}{i:03d}0000"[:11],
                ),
                actor=world.hotline,
                now=now - dt.timedelta(days=31 * back, hours=i),
            )


def test_one_ticket_a_month_then_a_burst_is_not_a_monthly_topic(world, settings):
    """1 / 1 / 34 tickets over three months was shown as "每月反复出现"."""
    now = timezone.make_aware(dt.datetime(2026, 11, 20, 12))
    building = Category.objects.get(depth=1, name="城乡建设")
    _per_month(world, building, [1, 1, 34], now, "139")
    assert hotissues.monthly_topic(now=now) is None
    environment = Category.objects.get(depth=1, name="环境保护")
    _per_month(world, environment, [3, 3, 3], now, "138")
    topic = hotissues.monthly_topic(now=now)
    assert topic["category"] == environment and topic["total"] == 9
    assert [n for _month, n in topic["per_month"]] == [3, 3, 3]
    # The bar is a setting (default 3): at one a month the burst counts again (36 tickets).
    assert hotissues.monthly_topic_min_per_month() == 3
    settings.GRIDGOV_MONTHLY_TOPIC_MIN_PER_MONTH = 1
    assert hotissues.monthly_topic(now=now)["category"] == building


def test_the_monthly_topic_reads_as_one_chinese_phrase(world, client):
    """It read "魏家坡社区 的 城乡建设 类诉求", with stray spaces around the names."""
    now = timezone.make_aware(dt.datetime(2026, 11, 20, 12))
    building = Category.objects.get(depth=1, name="城乡建设")
    _per_month(world, building, [3, 3, 3], now, "139")
    client.force_login(world.community_staff)
    with mock.patch("django.utils.timezone.now", return_value=now):
        page = client.get("/insights/hot/").content.decode()
    card = re.search(r'<section class="panel insights-topic">.*?</section>', page, re.S).group(0)
    assert "魏家坡社区城乡建设类诉求：共 9 件，每月反复出现。" in card


# --- 6. no hot issue, no chart: a note says why ----------------------------------------------


def test_without_hot_issues_the_trend_chart_gives_way_to_a_note(world, client):
    """A grid worker's empty list drew a bare axis with nothing on it."""
    issue = _issue(world.grid_b, [make_ticket(world)], key="t-b-only")
    client.force_login(world.gridworker_a)  # grid A: the issue is in grid B
    page = client.get("/insights/hot/").content.decode()
    assert 'id="hot-trend"' not in page
    assert '<p class="empty insights-chart-empty" id="hot-trend-empty">' in page
    assert "没有热点问题，暂无每日趋势可画。" in page
    client.force_login(world.gridworker_b)
    page = client.get("/insights/hot/").content.decode()
    assert 'id="hot-trend"' in page and 'id="hot-trend-empty"' not in page
    assert [line["id"] for line in _script(page, "hot-trends")] == [issue.pk]
    # An issue with no day on record (its page) gets the note too.
    HotIssue.objects.filter(pk=issue.pk).update(trend=[])
    page = client.get(f"/insights/hot/{issue.pk}/").content.decode()
    assert 'id="hot-trend"' not in page and "暂无每日趋势可画。" in page
    # The list's note no longer says there is no hot issue while it lists one.
    page = client.get("/insights/hot/").content.decode()
    assert 'id="hot-trend"' not in page and f'data-issue="{issue.pk}"' in page
    assert "所列热点问题暂无每日趋势可画。" in page and "没有热点问题" not in page


def test_the_state_filter_offers_turned_into_a_topic_only_once_an_issue_is(world, client):
    """已转议题 waits for the deliberation app: no issue can reach it, so the choice listed
    nothing, always."""
    client.force_login(world.district_staff)
    issue = _issue(world.grid_a, [make_ticket(world)], key="topic-filter")
    page = client.get("/insights/hot/").content.decode()
    assert 'value="topic"' not in page and 'value="confirmed"' in page
    HotIssue.objects.filter(pk=issue.pk).update(state=HotIssue.State.TOPIC)
    assert 'value="topic"' in client.get("/insights/hot/").content.decode()
