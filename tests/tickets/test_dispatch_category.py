"""The desk corrects the category of a demand as it first dispatches it (one the classifier
was unsure of waits for this): the corrected category's time limits apply, counted from when
the demand came in, and the dispatch event keeps the deadlines before and after."""

import datetime as dt

import pytest

from gridgov.tickets import lifecycle, sla
from gridgov.tickets.models import Status, TimeLimit, Urgency

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def workday_limit(category, respond, resolve):
    unit = TimeLimit.Unit.WORKDAYS
    return TimeLimit.objects.create(
        urgency=Urgency.GENERAL,
        category=category,
        accept_value=1,
        accept_unit=unit,
        respond_value=respond,
        respond_unit=unit,
        resolve_value=resolve,
        resolve_unit=unit,
    )


def waiting_at_desk(world):
    """A demand nobody could place, filed under 楼道堆物: it waits at the hotline's desk."""
    ticket = make_ticket(world, address="", urgency=Urgency.GENERAL)
    assert ticket.status == Status.RECEIVED
    return ticket


def test_a_corrected_category_gives_its_own_deadlines_from_intake(world):
    workday_limit(world.corridor, respond=1, resolve=2)
    workday_limit(world.unlicensed, respond=3, resolve=15)
    ticket = waiting_at_desk(world)
    filed = (ticket.respond_by, ticket.resolve_by)
    later = ticket.created_at + dt.timedelta(hours=5)
    event = lifecycle.perform(
        ticket,
        "dispatch",
        world.hotline,
        now=later,
        department=world.city_mgmt.code,
        category=world.unlicensed.code,
    )
    expected = sla.compute_deadlines(
        Urgency.GENERAL, world.unlicensed, ticket.created_at, place=ticket.place
    )
    ticket.refresh_from_db()
    assert ticket.category == world.unlicensed
    assert (ticket.respond_by, ticket.resolve_by) == (expected.respond_by, expected.resolve_by)
    assert ticket.resolve_by > filed[1]
    before = event.data["deadlines"]["before"]
    assert dt.datetime.fromisoformat(before["resolve_by"]) == filed[1]
    assert dt.datetime.fromisoformat(before["respond_by"]) == filed[0]
    assert event.data["category"] == [world.corridor.code, world.unlicensed.code]


def test_a_dispatch_keeping_the_category_keeps_the_deadlines(world):
    workday_limit(world.corridor, respond=1, resolve=2)
    ticket = waiting_at_desk(world)
    filed = (ticket.respond_by, ticket.resolve_by)
    event = lifecycle.perform(ticket, "dispatch", world.hotline, unit=world.grid_a.code)
    ticket.refresh_from_db()
    assert (ticket.respond_by, ticket.resolve_by) == filed
    assert "deadlines" not in event.data
