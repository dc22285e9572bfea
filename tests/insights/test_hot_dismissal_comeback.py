"""A dismissed hot issue that grows again comes back for a decision. A dismissal held
whatever followed: the matter could grow from 2 tickets to 20 under 已排除, off the list and
the home page (which show the issues waiting for a decision), and nobody would know."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.insights import hotissues, services
from gridgov.insights.models import HotIssue, HotIssueDecision
from gridgov.tickets import intake
from tests.tickets.factories import make_world, ticket_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _noise(world, n, at, first_phone):
    """`n` tickets about the mixing plant, one an hour up to `at`, from different callers."""
    for i in range(n):
        intake.create_ticket(
            ticket_data(
                title="魏家坡小区搅拌站噪音扰民",
                description="小区旁边搅拌站日夜施工，噪音粉尘严重，影响休息。",
                address="魏家坡小区3栋",
                requester_phone=f"1390000{first_phone + i:04d}",
            ),
            actor=world.hotline,
            now=at - dt.timedelta(hours=i),
        )


def _dismissed(world, now):
    _noise(world, 3, now - dt.timedelta(days=3), first_phone=0)
    assert hotissues.refresh(now=now) == 1
    issue = HotIssue.objects.get()
    services.decide(issue, "dismiss", world.community_staff, note="已转交环保部门处理")
    return HotIssue.objects.get()


def test_a_dismissed_issue_with_new_demands_comes_back_for_a_decision(world, client):
    now = timezone.now()
    issue = _dismissed(world, now)
    later = now + dt.timedelta(days=2)
    _noise(world, 2, later - dt.timedelta(hours=1), first_phone=10)
    hotissues.refresh(now=later)
    issue = HotIssue.objects.get()
    assert issue.state == HotIssue.State.NEW and issue.ticket_count == 5
    assert issue.decided_by is None and issue.decided_at == later
    # On record, after the dismissal it undoes.
    rows = list(HotIssueDecision.objects.order_by("at").values_list("action", "to_state", "user"))
    assert rows == [("dismiss", "dismissed", world.community_staff.pk), ("reopen", "new", None)]
    # Waiting again on the list and the home page, saying why.
    client.force_login(world.community_staff)
    assert f'data-issue="{issue.pk}"' in client.get("/insights/hot/").content.decode()
    assert f'data-issue="{issue.pk}"' in client.get("/").content.decode()
    page = client.get(f"/insights/hot/{issue.pk}/").content.decode()
    assert page.count("排除后又有新的诉求，已转回待研判。") == 2  # the note and the record
    assert " · 系统 · 已排除 → <strong>待研判</strong>" in page  # by the refresh, not "—"
    assert "已转交环保部门处理" in page  # the dismissal's reason stays in the record
    api = client.get(f"/api/v1/insights/hot-issues/{issue.pk}/").json()
    assert api["state"] == "new" and api["note"] == "排除后又有新的诉求，已转回待研判。"
    # A second refresh with nothing new changes nothing more.
    hotissues.refresh(now=later + dt.timedelta(hours=1))
    assert HotIssueDecision.objects.count() == 2


def test_a_dismissal_holds_until_as_many_demands_as_make_a_hot_issue_came_after_it(world):
    now = timezone.now()
    _dismissed(world, now)
    later = now + dt.timedelta(days=2)
    _noise(world, 1, later - dt.timedelta(hours=1), first_phone=10)
    hotissues.refresh(now=later)
    issue = HotIssue.objects.get()
    assert issue.state == HotIssue.State.DISMISSED and issue.ticket_count == 4
    assert HotIssueDecision.objects.count() == 1
    # Tickets received before the dismissal (a late import) do not bring it back either.
    _noise(world, 2, now - dt.timedelta(days=2), first_phone=20)
    hotissues.refresh(now=later)
    assert HotIssue.objects.get().state == HotIssue.State.DISMISSED


def test_a_confirmed_issue_takes_new_demands_and_stays_confirmed(world):
    now = timezone.now()
    _noise(world, 3, now - dt.timedelta(days=3), first_phone=0)
    hotissues.refresh(now=now)
    services.decide(HotIssue.objects.get(), "confirm", world.community_staff)
    later = now + dt.timedelta(days=2)
    _noise(world, 3, later - dt.timedelta(hours=1), first_phone=10)
    hotissues.refresh(now=later)
    issue = HotIssue.objects.get()
    assert issue.state == HotIssue.State.CONFIRMED and issue.ticket_count == 6
