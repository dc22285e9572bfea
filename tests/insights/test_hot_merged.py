"""Merged tickets still count in hot issues: each is a demand of its own requester, merged so
that one unit handles the matter. Left out, every merge the duplicate panel suggests made the
issue colder, and merging its tickets into one made it vanish."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.insights import hotissues
from gridgov.insights.models import HotIssue
from gridgov.tickets import intake
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Status
from tests.tickets.factories import make_world, ticket_data

pytestmark = pytest.mark.django_db


def test_merging_a_hot_issues_tickets_into_one_keeps_the_issue_and_its_requesters():
    world = make_world()
    now = timezone.now()
    made = [
        intake.create_ticket(
            ticket_data(
                title="魏家坡小区搅拌站噪音扰民",
                description="小区旁边搅拌站日夜施工，噪音粉尘严重，影响休息。",
                address="魏家坡小区3栋",
                requester_phone=f"1390000{i:04d}",
            ),
            actor=world.hotline,
            now=now - dt.timedelta(hours=5 * i),
        ).ticket
        for i in range(3)
    ]
    assert hotissues.refresh(now=now) == 1
    issue = HotIssue.objects.get()
    assert (issue.ticket_count, issue.requester_count) == (3, 3)
    survivor = made[-1]
    for ticket in made[:-1]:
        perform(ticket, "merge", world.hotline, into=survivor.code, reason="同一事项")
        assert ticket.status == Status.MERGED
    assert hotissues.refresh(now=now) == 1
    kept = HotIssue.objects.get()
    assert kept.pk == issue.pk and (kept.ticket_count, kept.requester_count) == (3, 3)
    assert kept.heat == issue.heat
    assert set(kept.tickets.all()) == set(made)
