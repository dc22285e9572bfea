"""A privacy and scope audit (DESIGN §8, docs/permissions.md): what a curious caller
inside the system, but outside a ticket's requester right or outside its area, can learn.
Each test here failed before the fix that came with it."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.insights import hotissues
from gridgov.insights.models import HotIssue
from gridgov.tickets import intake, lifecycle
from tests.people.factories import PersonFactory
from tests.tickets.factories import make_ticket, make_world, ticket_data
from tests.tickets.test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def test_a_corrected_requester_is_not_in_the_timeline_of_those_who_may_not_see_it(world):
    """An admin correction (lifecycle.correct) records the old and new values; the timeline
    API handed the requester's old and new phone and name to anyone seeing the ticket."""
    ticket = make_ticket(world, requester_name="张三", requester_phone="13812341234")
    lifecycle.correct(
        ticket,
        world.district_staff,
        {"requester_phone": "13900001111", "requester_name": "李四", "title": "楼道堆物"},
    )
    # Community staff see the grid's ticket but are not its handlers.
    viewer = world.community_staff
    ticket.refresh_from_db()
    assert viewer.has_perm("tickets.view_ticket", ticket)
    assert not viewer.has_perm("tickets.view_requester", ticket)
    response = client_for(viewer).get(f"{TICKETS}{ticket.pk}/events/")
    assert response.status_code == 200
    text = response.content.decode()
    for value in ("13812341234", "13900001111", "张三", "李四"):
        assert value not in text
    edit = next(e for e in response.json() if e["action"] == lifecycle.EDIT)
    # Which fields changed stays said, and what is not personal data in full.
    assert edit["data"]["changes"]["requester_phone"] == ["138****1234", "139****1111"]
    assert edit["data"]["changes"]["title"][1] == "楼道堆物"


def test_a_hot_issue_title_blanks_the_callers_phone_room_and_name(world):
    """A hot issue's title is one caller's ticket title, listed to everyone who sees the
    issue: a street's issue to each of its communities, which mostly cannot see that
    ticket. It carried the caller's phone, room and name as typed."""
    now = timezone.now()
    title = "张三丰反映魏家坡小区3栋501室旁搅拌站噪音扰民，电话13900001111"
    for i in range(3):
        intake.create_ticket(
            ticket_data(
                title=title,
                description="小区旁边搅拌站日夜施工，噪音粉尘严重，影响休息。",
                address="魏家坡小区3栋",
                requester_name="张三丰",
                requester_phone=f"1390000{i:04d}",
            ),
            actor=world.hotline,
            now=now - dt.timedelta(hours=5 * i),
        )
    hotissues.refresh(now=now)
    issue = HotIssue.objects.get()
    for value in ("13900001111", "501室", "张三丰"):
        assert value not in issue.title
    assert "搅拌站噪音扰民" in issue.title and "张**" in issue.title


def test_a_hot_issue_outside_the_area_is_not_found_through_the_api(world):
    """GET /api/v1/insights/hot-issues/{id}/ answered 403 for an issue outside the caller's
    area and 404 for none at all: which ids exist elsewhere, where its decision (and every
    other detail) answers 404 for both."""
    issue = HotIssue.objects.create(
        key="elsewhere",
        title="楼道堆物",
        place=world.grid_a,
        first_at=timezone.now(),
        last_at=timezone.now(),
        ticket_count=2,
        requester_count=2,
        heat=5.0,
        refreshed_at=timezone.now(),
    )
    outsider = world.gridworker_b  # sees hot issues, in grid B only
    api = client_for(outsider)
    there = api.get(f"/api/v1/insights/hot-issues/{issue.pk}/")
    gone = api.get("/api/v1/insights/hot-issues/999999/")
    assert there.status_code == gone.status_code == 404
    assert there.json() == gone.json()
    assert (
        client_for(world.gridworker_a)
        .get(f"/api/v1/insights/hot-issues/{issue.pk}/")
        .json()["title"]
        == "楼道堆物"
    )


def test_the_api_never_names_the_requesters_own_login(world):
    """A resident's 随手拍 is filed by their own login, and they rate it from 我的诉求: the
    page and the timeline say 诉求人本人, but the ticket's `created_by` and its callback's
    `by` gave the login's name and username (often a phone number) to everyone who sees
    the ticket, unlogged."""
    resident = world.resident
    resident.first_name, resident.username = "蒋东洋", "13712345678"
    resident.save()
    person = PersonFactory(user=resident, place=world.buildings[0], name="蒋东洋")
    ticket = intake.create_ticket(
        {
            "channel": "photo",
            "nature": "report",
            "title": "楼道里电动车充电",
            "description": "1栋楼道里有人给电动车充电，很危险。",
            "address": "魏家坡小区3栋",
            "category": world.fire_lane.code,
        },
        actor=resident,
    ).ticket
    assert ticket.requester == person
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    lifecycle.perform(ticket, "resolve", world.gridworker_a, reply="已劝离充电车辆")
    lifecycle.perform(ticket, "callback", resident, resolved=True, satisfaction="satisfied")
    viewer = world.community_staff  # sees the ticket, not its requester
    assert not viewer.has_perm("tickets.view_requester", ticket)
    detail = client_for(viewer).get(f"{TICKETS}{ticket.pk}/")
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "蒋东洋" not in text and "13712345678" not in text
    body = detail.json()
    assert body["created_by"] == {"id": None, "username": "", "name": "诉求人本人"}
    assert body["callbacks"][0]["by"] == {"id": None, "username": "", "name": "诉求人本人"}
    # Staff stay named.
    listed = client_for(viewer).get(TICKETS).json()["results"]
    assert "13712345678" not in str(listed)
