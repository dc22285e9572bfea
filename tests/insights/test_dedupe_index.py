"""The duplicate index of a ticket (its text signature and band keys) is replaced whole."""

import pytest

from gridgov.insights import dedupe
from gridgov.insights.models import SignatureBand
from gridgov.tickets import intake
from tests.tickets.factories import make_world, ticket_data

pytestmark = pytest.mark.django_db


def test_a_failure_while_reindexing_keeps_the_bands_it_had(monkeypatch):
    world = make_world()
    data = ticket_data(title="楼道堆物", description="3号楼2单元楼道里堆满了纸箱和旧家具。")
    ticket = intake.create_ticket({**data, "category": world.corridor.code}, actor=world.hotline)
    ticket = ticket.ticket
    before = sorted(SignatureBand.objects.filter(signature__ticket=ticket).values_list("key"))
    assert before

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(SignatureBand.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        dedupe.index_ticket(ticket)  # a refresh indexing it again
    after = sorted(SignatureBand.objects.filter(signature__ticket=ticket).values_list("key"))
    assert after == before  # not deleted and left without any
