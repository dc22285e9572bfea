"""巡查计划: for a community or street with several grids the grid list opened on the first
grid, so a plan saved without looking at it was walked in a grid nobody chose. It opens on
请选择网格 now; a grid worker's one grid is still chosen for them."""

import pytest
from django.urls import reverse

from gridgov.tickets.models import PatrolTask

from .factories import make_world

pytestmark = pytest.mark.django_db


def grid_options(client):
    page = client.get(reverse("tickets:patrol-plan")).content.decode()
    return page.split('name="grid"')[1].split("</select>")[0]


def test_several_grids_open_on_no_grid_and_one_must_be_chosen(client):
    world = make_world()
    client.force_login(world.community_staff)
    assert '<option value="" selected>请选择网格</option>' in grid_options(client)
    data = {"grid": "", "title": "消防安全专项巡查", "checklist": "消火栓", "every_days": "7"}
    response = client.post(reverse("tickets:patrol-plan"), data)
    assert response.status_code == 400 and "消防安全专项巡查" in response.content.decode()
    assert not PatrolTask.objects.exists()


def test_a_grid_workers_one_grid_is_chosen_for_them(client):
    world = make_world()
    client.force_login(world.gridworker_a)
    options = grid_options(client)
    assert "请选择网格" not in options and f'value="{world.grid_a.code}"' in options
