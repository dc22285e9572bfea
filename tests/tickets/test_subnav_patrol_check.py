"""The workbench's menu asks whether the user walks patrols once, not at each of its three
links: for anyone who holds no grid worker's role (street staff, a department, a volunteer)
the answer is a query for an active patrol task, and the page asked it four times (h3's
profile of a department's queue)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


def _patrol_task_reads(queries):
    return [q["sql"] for q in queries if 'FROM "tickets_patroltask"' in q["sql"]]


@pytest.mark.parametrize("login", ["street_staff", "hotline"])
def test_the_menu_asks_about_patrols_once_per_place_it_shows_them(client, login):
    world = make_world()
    make_ticket(world)
    client.force_login(getattr(world, login))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/tickets/?tab=all")
    assert response.status_code == 200
    # Once a request (patrols.walks): the site's menu (base.html) and the workbench's
    # (_subnav.html) share the answer; one each before (tests/tickets/test_page_queries.py).
    assert len(_patrol_task_reads(queries)) == 1


@pytest.mark.parametrize("login", ["street_staff", "hotline"])
def test_the_home_page_asks_about_patrols_once(client, login):
    """The dashboard's 随手拍 button and its fieldwork panel asked the rule again (three
    reads of a patrol task a home page): they share the menu's answer now."""
    world = make_world()
    client.force_login(getattr(world, login))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    assert len(_patrol_task_reads(queries)) == 1
