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


def test_a_new_tickets_signature_and_bands_are_stored_in_one_statement_on_postgresql():
    """Every intake indexes its ticket: on PostgreSQL one statement writes both tables."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridgov.insights.models import TextSignature

    world = make_world()
    data = ticket_data(title="楼道堆物", description="3号楼2单元楼道里堆满了纸箱和旧家具。")
    ticket = intake.create_ticket({**data, "category": world.corridor.code}, actor=world.hotline)
    ticket = ticket.ticket
    TextSignature.objects.filter(ticket=ticket).delete()
    with CaptureQueriesContext(connection) as queries:
        sig = dedupe.index_ticket(ticket, new=True)
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    stored = TextSignature.objects.get(ticket=ticket)
    assert stored.pk == sig.pk and stored.place_path == ticket.place.path
    assert stored.created_at == ticket.created_at
    values = dedupe.signature(dedupe.ticket_text(ticket))
    assert bytes(stored.minhash) == dedupe.pack(values)
    bands = SignatureBand.objects.filter(signature=stored)
    assert sorted(bands.values_list("key", flat=True)) == sorted(dedupe.band_keys(values))
    assert {b.created_at for b in bands} == {ticket.created_at}
