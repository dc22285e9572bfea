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


def _indexed_ticket():
    world = make_world()
    data = ticket_data(title="楼道堆物", description="3号楼2单元楼道里堆满了纸箱和旧家具。")
    return intake.create_ticket({**data, "category": world.corridor.code}, actor=world.hotline)


def test_a_new_ticket_is_indexed_without_a_savepoint_on_postgresql():
    """The intake's index statement cannot fail on its data: on PostgreSQL no savepoint (two
    round trips) around it; elsewhere its two statements keep theirs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridgov.insights.intake import index_new_ticket
    from gridgov.insights.models import TextSignature

    ticket = _indexed_ticket().ticket
    TextSignature.objects.filter(ticket=ticket).delete()
    with CaptureQueriesContext(connection) as queries:
        index_new_ticket(type(ticket), ticket, created=True)
    savepoints = [q["sql"] for q in queries if "SAVEPOINT" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(queries) == 1 and not savepoints
    else:
        assert len(savepoints) == 2  # SAVEPOINT, RELEASE
    assert TextSignature.objects.filter(ticket=ticket).count() == 1


def test_indexing_a_new_ticket_twice_keeps_the_first_signature():
    from django.db import connection

    from gridgov.insights.models import TextSignature

    ticket = _indexed_ticket().ticket
    sig = TextSignature.objects.get(ticket=ticket)
    bands = sorted(SignatureBand.objects.filter(signature=sig).values_list("key", flat=True))
    if connection.vendor == "postgresql":
        assert dedupe.index_ticket(ticket, new=True) is None  # nothing written, no error
    assert TextSignature.objects.get(ticket=ticket).pk == sig.pk  # the transaction goes on
    assert sorted(SignatureBand.objects.filter(signature=sig).values_list("key", flat=True)) == (
        bands
    )


def test_an_intake_goes_on_when_its_signature_cannot_be_computed(monkeypatch, caplog):
    from gridgov.insights.models import TextSignature

    def fail(*args, **kwargs):
        raise ValueError("a text the signature could not take")

    # What both ways of indexing a new ticket compute first (with the ticket's own statement
    # on PostgreSQL, after it elsewhere).
    monkeypatch.setattr(dedupe, "_index_values", fail)
    result = _indexed_ticket()
    assert result.created and result.ticket.events.count() >= 1
    assert not TextSignature.objects.filter(ticket=result.ticket).exists()
    assert "could not index ticket" in caplog.text


def test_an_intake_writes_its_tickets_index_in_the_tickets_own_statement_on_postgresql():
    """On PostgreSQL the ticket, its first events, its signature and its bands are one
    statement (core.inserts.WRITTEN_WITH), the rows those index_ticket writes; elsewhere
    the index is written after the ticket, as before."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridgov.insights.models import TextSignature

    world = make_world()
    data = ticket_data(
        title="楼道堆物",
        description="7号楼楼道里堆满了纸箱和旧家具。",
        requester_phone="13900001234",
    )
    with CaptureQueriesContext(connection) as queries:
        ticket = intake.create_ticket(
            {**data, "category": world.corridor.code}, actor=world.hotline
        ).ticket
    writes = [q["sql"] for q in queries if "INSERT INTO insights_textsignature" in q["sql"]]
    assert len(writes) == 1
    ticket_written_with_it = 'INSERT INTO "tickets_ticket"' in writes[0]
    assert ticket_written_with_it == (connection.vendor == "postgresql")
    stored = TextSignature.objects.get(ticket=ticket)
    values = dedupe.signature(dedupe.ticket_text(ticket))
    assert bytes(stored.minhash) == dedupe.pack(values)
    assert stored.place_path == ticket.place.path and stored.created_at == ticket.created_at
    assert stored.requester_key == dedupe.requester_key(ticket.requester_id, "13900001234")
    bands = SignatureBand.objects.filter(signature=stored)
    expected = dedupe.band_keys(values) + dedupe.title_band_keys(ticket.title)
    assert sorted(bands.values_list("key", flat=True)) == sorted(expected)
    assert {b.created_at for b in bands} == {ticket.created_at}
    assert "_gridgov_indexed_with_it" not in ticket.__dict__  # its receiver took the mark
