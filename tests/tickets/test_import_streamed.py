"""An import written chunk by chunk (on PostgreSQL a thread COPYs each chunk while the
next is built, in the one transaction) stays all or nothing: a bad row in the last chunk,
or a database error while a late chunk is written after earlier ones were, leaves nothing
written, and the error comes back to the caller, never a hang."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gridgov.tickets import imports
from gridgov.tickets.models import Callback, Ticket, TicketEvent

from .factories import make_ticket, make_world
from .test_import import HEADERS, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def table(data):
    return [(i + 2, [row[h] for h in HEADERS]) for i, row in enumerate(data)]


def no_writer_left():
    return not any(t.name == "import-copy" and t.is_alive() for t in threading.enumerate())


def written():
    return Ticket.objects.count(), TicketEvent.objects.count(), Callback.objects.count()


def test_many_chunks_import_whole_with_their_events(world, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 10)
    report = imports.import_rows(HEADERS, table(rows(n=35, bad=False)))
    assert report.ok and report.created == 35
    tickets = Ticket.objects.order_by("external_id")
    assert [t.external_id for t in tickets] == [f"12345-{i:06d}" for i in range(35)]
    # one day's codes follow the rows, across the chunks (row 17 is of another day)
    codes = [t.code for t in tickets if t.code.startswith("GD20260302-")]
    assert codes == [f"GD20260302-{n:06d}" for n in range(1, 35)]
    creates = TicketEvent.objects.filter(action="create")
    assert sorted(e.data["row"] for e in creates) == list(range(2, 37))
    assert {e.ticket_id for e in creates} == {t.pk for t in tickets}
    assert TicketEvent.objects.filter(action="dispatch").count() == report.dispatched
    assert no_writer_left()


def test_a_bad_row_in_the_last_chunk_writes_nothing_and_every_bad_row_is_reported(
    world, monkeypatch
):
    monkeypatch.setattr(imports, "CHUNK", 10)
    data = list(rows(n=35, bad=False))
    data[31]["诉求性质"] = "抱怨"  # rows 30 to 34 are the last chunk: three were written
    data[34]["联系电话"] = "12ab34"
    before = written()
    report = imports.import_rows(HEADERS, table(data))
    assert not report.ok and report.created == 0
    assert [(e.row, e.column) for e in report.errors] == [(33, "诉求性质"), (36, "联系电话")]
    assert written() == before
    assert no_writer_left()


def test_a_database_error_in_a_late_chunk_rolls_back_the_chunks_written_before(world, monkeypatch):
    """The 33rd ticket of 2026-03-02 gets the code GD20260302-000033 (counted from the day's
    counter), which a ticket already has: the unique index refuses it in the fourth chunk of
    ten, after three were written. Checking cannot see it (codes are given while writing)."""
    monkeypatch.setattr(imports, "CHUNK", 10)
    Ticket.objects.filter(pk=make_ticket(world).pk).update(code="GD20260302-000033")
    before = written()
    with pytest.raises(IntegrityError):
        imports.import_rows(HEADERS, table(rows(n=35, bad=False)))
    assert no_writer_left()
    assert written() == before
    # The connection is usable again, and the same file imports once the code is free.
    Ticket.objects.filter(code="GD20260302-000033").update(code="GD20260302-999999")
    report = imports.import_rows(HEADERS, table(rows(n=35, bad=False)))
    assert report.ok and report.created == 35
    assert written()[0] == before[0] + 35


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's deferred keys")
def test_the_foreign_keys_are_deferred_again_after_an_import(world, monkeypatch):
    """The writer checks the keys as it goes (SET CONSTRAINTS … IMMEDIATE); the rest of the
    transaction has Django's deferred keys back: an event may name a ticket not yet there
    (checked at commit)."""
    monkeypatch.setattr(imports, "CHUNK", 10)
    with transaction.atomic():
        assert imports.import_rows(HEADERS, table(rows(n=12, bad=False))).ok
        missing = Ticket.objects.latest("pk").pk + 1000
        event = TicketEvent.objects.create(
            ticket_id=missing, action="note", from_status="", to_status="", at=timezone.now()
        )
        event.delete()
