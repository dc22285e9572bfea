"""After a street confirms a hot issue (确认) its page says what comes next: the tickets stay
with the units that own them (named, with how many each holds and how many are open), read
in the area list filtered to them and exported from there. The page offered nothing after
确认. No deliberation topic is offered: that app does not exist yet."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.tickets.factories import make_ticket, make_world
from tests.tickets.test_views import row_codes

from .test_hot_issue_review import _issue

pytestmark = pytest.mark.django_db


def _page(client, issue):
    return client.get(reverse("insights:hot-issue", args=[issue.pk])).content.decode()


def test_a_confirmed_hot_issue_names_the_owners_and_links_to_its_tickets(client):
    world = make_world()
    by_grid = make_ticket(world)  # 楼道堆物: the grid's
    by_rule = make_ticket(world, category=world.unlicensed.code, title="占道经营")  # 城管
    other = make_ticket(world, title="另一件事")
    issue = _issue(world.grid_a, [by_grid, by_rule], key="k-next")
    client.force_login(world.street_staff)
    assert 'id="hot-next"' not in _page(client, issue)  # not yet confirmed

    response = client.post(reverse("insights:decide", args=[issue.pk]), {"action": "confirm"})
    assert response.status_code == 302
    html = _page(client, issue)
    assert "已确认为共性问题。其工单仍由各承办单位办理" in html
    owners = re.search(r'<ul class="link-list" id="hot-owners">(.*?)</ul>', html, re.S).group(1)
    assert f"{world.grid_a.name} · 1 张工单，1 张未办结" in owners
    assert f"{world.city_mgmt.name} · 1 张工单，1 张未办结" in owners
    assert "议题" not in html
    listed = re.search(r'id="hot-list" href="([^"]+)"', html).group(1)
    exported = re.search(r'id="hot-export" href="([^"]+)"', html).group(1)
    assert listed == f"{reverse('tickets:list')}?hot={issue.pk}"

    page = client.get(listed).content.decode()
    assert sorted(row_codes(page)) == sorted([by_grid.code, by_rule.code])
    assert other.code not in page
    assert f'只列出热点问题“<a href="{reverse("insights:hot-issue", args=[issue.pk])}">' in page

    response = client.get(exported.replace("&amp;", "&"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    codes = [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert sorted(codes) == sorted([by_grid.code, by_rule.code])
    about = [c for row in book.worksheets[1].iter_rows(values_only=True) for c in row if c]
    assert any(issue.title in str(c) for c in about)


def test_the_filter_refuses_an_issue_that_is_gone_or_outside_the_users_area(client):
    world = make_world()
    ticket = make_ticket(world)
    issue = _issue(world.grid_a, [ticket], key="k-gone")
    client.force_login(world.gridworker_b)  # grid B: may not see grid A's issue
    page = client.get(reverse("tickets:list"), {"hot": issue.pk}).content.decode()
    assert f"没有编号为 {issue.pk} 的热点问题" in page and row_codes(page) == []
    client.force_login(world.street_staff)
    page = client.get(reverse("tickets:list"), {"hot": 999999}).content.decode()
    assert "没有编号为 999999 的热点问题" in page and row_codes(page) == []
    response = client.get(reverse("tickets:export"), {"hot": 999999})
    assert response.status_code == 302  # refused, back to the list
    page = client.get(reverse("tickets:list"), {"hot": issue.pk}).content.decode()
    assert row_codes(page) == [ticket.code]
