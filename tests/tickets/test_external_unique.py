"""One ticket per sending platform's case (channel + external_id) is held by the database
too, not only by intake's and the import's checks: a write that slips past them (a race
between an import and an API push) fails instead of filing the case twice."""

import pytest
from django.db import IntegrityError, transaction

from gridgov.tickets.models import Ticket

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_database_refuses_a_case_twice_on_one_channel_only():
    world = make_world()
    first = make_ticket(world, external_id="12345-0001")
    second = make_ticket(world)
    third = make_ticket(world)  # tickets without an external id: any number
    assert second.external_id == third.external_id == ""
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=second.pk).update(external_id=first.external_id)
    # The same number from another channel is another platform's case.
    Ticket.objects.filter(pk=second.pk).update(external_id=first.external_id, channel="wechat")
    assert Ticket.objects.filter(external_id="12345-0001").count() == 2
