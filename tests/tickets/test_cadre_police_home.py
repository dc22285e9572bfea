"""A community policeman's and a sent-down cadre's home page: nothing ever comes into
their queue (they hold for no unit and sit at no desk), and the panel showed 待签收 0 ·
办理中 0 · 已超时 0 · 全部 0 with 我的待办 — "nothing here" — while their area had open
tickets they may follow. It now says so, with the count, and links 辖区工单."""

import pytest
from django.urls import reverse

from gridgov.people.models import Role
from tests.people.factories import user_with_role

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.CADRE, Role.COMMUNITY_POLICE])
def test_a_cadre_or_policeman_is_pointed_to_the_areas_tickets(client, role):
    world = make_world()
    make_ticket(world)  # open, in grid A
    make_ticket(world, title="第二件")
    user = user_with_role(role, world.grid_a)
    client.force_login(user)
    page = client.get("/").content.decode()
    panel = page.split('class="panel dash-tickets"')[1].split("</section>")[0]
    assert "您不承办工单：辖区内在办工单 2 件，可查看进展（只读）。" in panel
    assert f'href="{reverse("tickets:list")}?status=open"' in panel
    assert "wb-tabs" not in panel and f'href="{reverse("tickets:queue")}"' not in panel


def test_a_grid_worker_still_has_the_queue_tabs(client):
    world = make_world()
    make_ticket(world)
    client.force_login(world.gridworker_a)
    panel = client.get("/").content.decode().split('class="panel dash-tickets"')[1]
    panel = panel.split("</section>")[0]
    assert "wb-tabs" in panel and "您不承办工单" not in panel
