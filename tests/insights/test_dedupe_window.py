"""The window of a ticket's possible duplicates on its page: the days either side of when it
was made. It ended at the ticket's last change, so an older ticket's page never listed a later
demand that listed it (demo: the 11-29 letter about the 丽发新城 mixing plant listed the
11-09 one at 0.48, the 11-09 page listed nothing), and a ticket changed long after it was
made lost the demands made around it."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.insights import services
from gridgov.insights.models import SignatureBand, TextSignature
from gridgov.tickets.models import Ticket
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _made(ticket, days_ago, touched_days_ago=None):
    """The ticket made `days_ago` (its signature too), last changed `touched_days_ago`."""
    made = timezone.now() - dt.timedelta(days=days_ago)
    touched = timezone.now() - dt.timedelta(days=touched_days_ago or days_ago)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=made, updated_at=touched)
    TextSignature.objects.filter(ticket=ticket).update(created_at=made)
    SignatureBand.objects.filter(signature__ticket=ticket).update(created_at=made)
    ticket.refresh_from_db()
    return ticket


def _listed(ticket, user):
    return [d.code for d, _t in services.duplicates_of(ticket, user)]


def test_two_tickets_list_each_other_whichever_page_is_opened(world):
    first = _made(make_ticket(world), 10)
    later = _made(make_ticket(world, requester_phone="13900001111"), 2)  # same text, building
    assert _listed(later, world.street_staff) == [first.code]
    assert _listed(first, world.street_staff) == [later.code]


def test_a_ticket_changed_long_after_it_was_made_still_finds_the_demands_made_around_it(world):
    # Made 50 days ago and escalated today: the window was the last 30 days.
    old = _made(make_ticket(world), 50, touched_days_ago=0)
    near = _made(make_ticket(world, requester_phone="13900002222"), 45)
    assert _listed(old, world.street_staff) == [near.code]
    assert _listed(near, world.street_staff) == [old.code]


def test_demands_further_apart_than_the_window_are_not_listed(world, settings):
    settings.GRIDGOV_DUPLICATE_WINDOW_DAYS = 30
    first = _made(make_ticket(world), 45)
    later = _made(make_ticket(world, requester_phone="13900003333"), 5)  # 40 days after
    assert _listed(later, world.street_staff) == []
    assert _listed(first, world.street_staff) == []
