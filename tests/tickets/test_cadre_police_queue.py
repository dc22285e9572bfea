"""工单 for those with no queue: a community policeman, a sent-down cadre, a micro-grid
worker hold for no unit and sit at no desk (queues.has_queue), so 我的待办 was always empty
for them, and the main navigation's 工单 opened on it. /tickets/ now sends them to their
area's open tickets (辖区工单), with 工单 and 辖区工单 the sections shown as current."""

import re

import pytest
from django.urls import reverse

from gridgov.people.models import Role
from tests.people.factories import user_with_role

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


def current_links(html):
    return re.findall(r'<a href="([^"]*)"[^>]*aria-current="page"', html)


@pytest.mark.parametrize("role", [Role.CADRE, Role.COMMUNITY_POLICE, Role.MICRO_GRID_WORKER])
def test_tickets_opens_the_areas_open_tickets_for_those_without_a_queue(client, role):
    world = make_world()
    ticket = make_ticket(world)  # open, in grid A
    client.force_login(user_with_role(role, world.grid_a))
    response = client.get(reverse("tickets:queue"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('tickets:list')}?status=open"
    html = client.get(response["Location"]).content.decode()
    assert f'data-code="{ticket.code}"' in html
    current = current_links(html)
    assert reverse("tickets:queue") in current  # 工单 in the main navigation
    assert reverse("tickets:list") in current  # 辖区工单 in the workbench's own


def test_a_search_typed_on_the_way_is_kept(client):
    world = make_world()
    client.force_login(user_with_role(Role.CADRE, world.grid_a))
    response = client.get(reverse("tickets:queue"), {"q": "楼道"})
    assert response["Location"] == f"{reverse('tickets:list')}?status=open&q=%E6%A5%BC%E9%81%93"


def test_those_with_a_queue_still_open_it(client):
    world = make_world()
    make_ticket(world)
    client.force_login(world.gridworker_a)
    response = client.get(reverse("tickets:queue"))
    assert response.status_code == 200
    assert response.context["section"] == "queue"


@pytest.mark.parametrize("role, shown", [(Role.CADRE, False), (Role.GRID_WORKER, True)])
def test_the_workbench_offers_my_queue_only_to_those_with_one(client, role, shown):
    """The workbench's own navigation still offered 我的待办 to a cadre, whom /tickets/
    now sends to 辖区工单: a link to a page they never reach."""
    world = make_world()
    client.force_login(user_with_role(role, world.grid_a))
    html = client.get(reverse("tickets:list")).content.decode()
    nav = re.search(r'<nav class="wb-nav" .*?</nav>', html, re.S).group(0)
    assert ("我的待办" in nav) is shown
    assert "辖区工单" in nav
