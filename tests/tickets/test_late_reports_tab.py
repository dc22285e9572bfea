"""吹哨报到: the street that blew the whistle finds the departments late to report in its
queue (报到超时), without opening every ticket."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import queues
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Summons

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


def _late_count(user, now):
    filters = queues.tab_filters(now, user)
    return queues.counts(queues.mine(user), filters)["late_reports"]


def test_departments_late_to_report_are_a_tab_of_the_street_that_whistled(client):
    world = make_world()
    ticket = make_ticket(world)  # held by grid A: not the street's to handle
    start = timezone.now()
    perform(ticket, "accept", world.gridworker_a, now=start)
    perform(
        ticket,
        "whistle",
        world.street_staff,
        now=start,
        departments=["CG", "ZJ"],
        report_within_hours=1,
        reason="联合整治",
    )
    perform(ticket, "whistle-report", world.city_handler, department="CG", note="已到场")
    assert _late_count(world.street_staff, start) == 0  # nobody late yet
    # An hour after the report-by (counted in office time, so not simply start + 1 hour).
    later = Summons.objects.filter(whistle__ticket=ticket).first().report_by + dt.timedelta(hours=1)
    assert _late_count(world.street_staff, later) == 1  # 住建 has not come
    assert _late_count(world.gridworker_a, later) == 0  # the grid did not blow it
    perform(ticket, "whistle-report", world.housing_handler, department="ZJ", note="到场")
    assert _late_count(world.street_staff, later) == 0

    # The tab appears only while someone is late.
    other = make_ticket(world, address="幸福里小区3栋")
    perform(
        other, "whistle", world.street_staff, departments=["ZJ"], report_within_hours=1, reason="x"
    )
    client.force_login(world.street_staff)
    page = client.get(reverse("tickets:queue")).content.decode()
    assert 'data-tab="late_reports"' not in page
    Summons.objects.filter(whistle__ticket=other).update(report_by=start - dt.timedelta(hours=1))
    page = client.get(reverse("tickets:queue"), {"tab": "late_reports"}).content.decode()
    assert (
        "报到超时" in page and other.code in page and ticket.code not in page.split("wb-tabs")[-1]
    )
