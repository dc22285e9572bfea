"""What the workbench's daily pages ask the database, whatever the rows they show.

- The menu, the workbench's links and the patrol page each asked `tickets.walk_patrols`,
  whose rule looks for a patrol task of anyone who is no grid or micro-grid worker: two or
  three queries a page for a department, an office or an assignee. Once a request now.
- 我的最近巡查 / 我的最近走访 checked `tickets.view_ticket` row by row (the ticket's
  whistles, place and owning office: up to three queries a row): one query for the list.
- The rows' labels (channel, status) come from dicts made once, not from the choices
  rebuilt for every row: the same words.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from gridgov.people.models import Role
from gridgov.tickets import patrols
from gridgov.tickets.models import Channel, PatrolTask, Status, Ticket
from gridgov.tickets.templatetags import tickets_workbench
from tests.people.factories import user_with_role

from .factories import add_households, make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return add_households(make_world())


def _get(client, user, url):
    """(the page's HTML, its queries)."""
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def _patrol_task_lookups(queries):
    """The rule's lookup (walks_patrols: has the login an active task?), not the lists'."""
    return [sql for sql in queries if sql.startswith('SELECT 1 AS "a" FROM "tickets_patroltask"')]


@pytest.mark.parametrize("url", [reverse("tickets:queue"), reverse("tickets:list")])
def test_a_department_handlers_workbench_page_looks_for_patrol_tasks_once(client, world, url):
    make_ticket(world, category=world.unlicensed.code)  # routed to 城管: a row in the queue
    html, queries = _get(client, world.city_handler, url)
    assert 'data-code="' in html
    # The menu and the workbench's links both ask; two queries before.
    assert len(_patrol_task_lookups(queries)) == 1


def test_an_assignees_patrol_page_looks_for_patrol_tasks_once(client, world):
    # A sent-down cadre walking a grid's patrol: no patrol role, a task of his own.
    cadre = user_with_role(Role.CADRE, world.grid_a, username="cadre")
    PatrolTask.objects.create(grid=world.grid_a, title="每日巡查", assignee=cadre)
    html, queries = _get(client, cadre, reverse("tickets:patrols"))
    assert "每日巡查" in html
    assert f'href="{reverse("tickets:patrols")}"' in html  # the menu's link: it asked too
    # The page's own check and the menu's: two before.
    assert len(_patrol_task_lookups(queries)) == 1


def _hazard(world, n):
    return {"description": f"消防通道被杂物堵住（第{n}处）", "category": world.corridor.code}


def test_my_latest_patrols_cost_the_same_queries_for_one_hazard_as_for_six(client, world):
    task = PatrolTask.objects.create(grid=world.grid_a, title="每日巡查", checklist=["消防通道"])
    patrols.record_patrol(world.gridworker_a, task, hazard=_hazard(world, 1))
    html, one = _get(client, world.gridworker_a, reverse("tickets:patrols"))
    assert html.count("/tickets/GD") == 1
    for n in range(2, 7):
        patrols.record_patrol(world.gridworker_a, task, hazard=_hazard(world, n))
    html, six = _get(client, world.gridworker_a, reverse("tickets:patrols"))
    # Each hazard's ticket still links to its page: the grid worker may open them.
    codes = Ticket.objects.values_list("code", flat=True)
    assert all(f'href="{reverse("tickets:detail", args=[code])}"' in html for code in codes)
    assert len(six) == len(one)  # a query more a row before (its whistles)


def test_my_latest_visits_cost_the_same_queries_for_one_demand_as_for_six(client, world):
    def visit(n):
        demand = {
            "title": f"楼道灯坏了{n}",
            "category": world.corridor.code,
            "requester": world.wang.pk,
        }
        patrols.log_visit(world.gridworker_a, world.home_a, heard="楼道灯坏了", demand=demand)

    visit(1)
    html, one = _get(client, world.gridworker_a, reverse("tickets:visits"))
    for n in range(2, 7):
        visit(n)
    html, six = _get(client, world.gridworker_a, reverse("tickets:visits"))
    codes = Ticket.objects.values_list("code", flat=True)
    assert len(codes) == 6
    assert all(f'href="{reverse("tickets:detail", args=[code])}"' in html for code in codes)
    assert len(six) == len(one)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_rows_labels_are_the_models_own(language):
    ticket = Ticket()
    with translation.override(language):
        for channel in Channel:
            ticket.channel = channel.value
            assert tickets_workbench.channel_label(channel.value) == ticket.get_channel_display()
        for status in Status:
            badge = tickets_workbench.status_badge(status.value)
            assert f">{Status(status.value).label}</span>" in badge
            assert tickets_workbench.status_label(status.value) == Status(status.value).label
    assert tickets_workbench.status_label("gone") == "gone"
