"""Found walking a hot issue's page as a street office and as a community's staff: the list of
tickets did not say which unit has each (the office could not tell whom to call together), and
a community's staff saw "工单 2" above a list of one, as if miscounted."""

import re

import pytest

from gridgov.places.models import Level
from gridgov.tickets.models import Ticket
from tests.insights.test_hot_issue_review import _issue
from tests.places.factories import PlaceFactory, rectangle
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


def _rows(page):
    found = re.search(r'<ul class="ticket-list">(.*?)</ul>', page, re.S).group(1)
    return [
        re.sub(r"<[^>]+>|\s+", " ", row).strip() for row in re.findall(r"<li>(.*?)</li>", found)
    ]


def test_a_hot_issues_page_says_who_has_each_ticket_and_how_many_lie_outside(client):
    world = make_world()
    other = PlaceFactory(
        code="C1x",
        name="幸福社区",
        level=Level.COMMUNITY,
        parent=world.street,
        boundary=rectangle(116.40, 39.95, 0.01, 0.01),
    )
    mine = make_ticket(world, title="魏家坡小区搅拌站噪音扰民")
    theirs = make_ticket(world, title="幸福社区搅拌站噪音扰民", requester_phone="13900002222")
    Ticket.objects.filter(pk=theirs.pk).update(
        place=other, owner_place=None, owner_department=world.city_mgmt
    )
    issue = _issue(world.street, [mine, theirs], key="t-street")

    client.force_login(world.street_staff)
    page = client.get(f"/insights/hot/{issue.pk}/").content.decode()
    rows = _rows(page)
    assert mine.code in rows[0] and f"· {world.grid_a.name} ·" in rows[0]
    assert theirs.code in rows[1] and "· 城管执法局 ·" in rows[1]
    assert 'id="hot-hidden"' not in page

    client.force_login(world.community_staff)
    page = client.get(f"/insights/hot/{issue.pk}/").content.decode()
    assert [mine.code in row for row in _rows(page)] == [True]
    assert "另有 1 件在您的辖区之外。" in page
