"""The field pages' lists link a ticket only for one who may open it.

我的最近巡查 (隐患已上报) and 我的最近走访 (已提交诉求) linked every ticket code to its page:
a patrol task's volunteer assignee sees no ticket page, nor does a Party member visiting
beyond the area whose tickets she sees, and the link answered 403. The code stays, as text,
for them."""

import pytest
from django.urls import reverse

from gridgov.people.models import PartyMember, PartyOrganization, Person, Role
from gridgov.tickets import patrols
from gridgov.tickets.models import PatrolTask
from tests.people.factories import user_with_role

from .factories import add_households, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return add_households(make_world())


def page(client, user, name):
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def hazard(world):
    return {"description": "消防通道被杂物堵住", "category": world.corridor.code}


def test_a_volunteers_hazard_is_listed_without_a_link_he_cannot_follow(client, world):
    volunteer = user_with_role(Role.VOLUNTEER, world.grid_a, username="walker")
    task = PatrolTask.objects.create(
        grid=world.grid_a, title="每日巡查", checklist=["消防通道"], assignee=volunteer
    )
    ticket = patrols.record_patrol(volunteer, task, hazard=hazard(world)).ticket
    assert not volunteer.has_perm("tickets.view_ticket", ticket)
    html = page(client, volunteer, "tickets:patrols")
    assert ticket.code in html
    assert reverse("tickets:detail", args=[ticket.code]) not in html
    # The grid worker, who may open it, keeps the link from his own walk.
    own = patrols.record_patrol(world.gridworker_a, task, hazard=hazard(world)).ticket
    html = page(client, world.gridworker_a, "tickets:patrols")
    assert f'href="{reverse("tickets:detail", args=[own.code])}"' in html


def test_a_visit_demand_beyond_her_tickets_is_listed_without_a_link_she_cannot_follow(
    client, world
):
    # A cadre sent down to grid B, a Party member at home in grid A: she visits there
    # as a Party member, and sees the tickets of grid B only.
    login = user_with_role(Role.CADRE, world.grid_b, username="member")
    person = Person.objects.create(name="李党员", place=world.buildings[0], user=login)
    branch = PartyOrganization.objects.create(
        name="魏家坡党支部", kind=PartyOrganization.Kind.BRANCH, place=world.grid_a
    )
    PartyMember.objects.create(
        person=person, organization=branch, status=PartyMember.Status.REGULAR
    )
    demand = {"title": "楼道灯坏了", "category": world.corridor.code, "requester": world.wang.pk}
    ticket = patrols.log_visit(login, world.home_a, heard="楼道灯坏了", demand=demand).ticket
    assert not login.has_perm("tickets.view_ticket", ticket)
    html = page(client, login, "tickets:visits")
    assert ticket.code in html
    assert reverse("tickets:detail", args=[ticket.code]) not in html
    # The grid worker's own visit demand links to its page.
    own = patrols.log_visit(world.gridworker_a, world.home_a, heard="x", demand=demand).ticket
    html = page(client, world.gridworker_a, "tickets:visits")
    assert f'href="{reverse("tickets:detail", args=[own.code])}"' in html


def test_a_volunteer_walking_a_patrol_is_not_sent_to_the_visits_he_may_not_see(client, world):
    volunteer = user_with_role(Role.VOLUNTEER, world.grid_a, username="walker")
    PatrolTask.objects.create(grid=world.grid_a, title="每日巡查", assignee=volunteer)
    assert not volunteer.has_perm("tickets.visit_households")
    to_list = f'href="{reverse("tickets:visits")}"'
    assert to_list not in page(client, volunteer, "tickets:patrols")
    # The grid worker keeps it.
    assert to_list in page(client, world.gridworker_a, "tickets:patrols")


def test_a_party_member_who_logs_a_visit_lands_on_a_page_she_may_see(client, world):
    """Party members visit (党员入户) but have no list of households to visit: logging a
    visit on the page sent her to that list, which answered 403."""
    login = user_with_role(Role.RESIDENT, world.buildings[0], username="member")
    person = Person.objects.create(name="李党员", place=world.buildings[0], user=login)
    branch = PartyOrganization.objects.create(
        name="魏家坡党支部", kind=PartyOrganization.Kind.BRANCH, place=world.grid_a
    )
    PartyMember.objects.create(
        person=person, organization=branch, status=PartyMember.Status.REGULAR
    )
    client.force_login(login)
    url = reverse("tickets:visit-new", args=[world.home_a.pk])
    to_list = f'href="{reverse("tickets:visits")}"'
    assert to_list not in client.get(url).content.decode()
    response = client.post(url, {"heard": "老人身体尚可"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "走访已记录" in html
    assert to_list not in html


def test_a_patrol_tasks_title_opens_it_where_change_is_out_of_view(client, world):
    """On a 390-px phone the plan's table scrolls sideways and 修改, its last column, was out
    of view: the planner saw no way to change a task. Its title opens it too."""
    task = patrols.create_task(world.gridworker_a, world.grid_a, "每日巡查", ["楼道"], 1)
    html = page(client, world.gridworker_a, "tickets:patrol-plan")
    assert f'<a href="{reverse("tickets:patrol-task", args=[task.pk])}">每日巡查</a>' in html
