import datetime as dt

import pytest
from django.utils import timezone

from gridgov.core import inserts
from gridgov.tickets.models import TicketEvent
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

COLUMNS = [
    "ticket_id",
    "action",
    "from_status",
    "to_status",
    "actor_id",
    "owner_place_id",
    "owner_department_id",
    "reason",
    "data",
    "at",
]


def test_insert_writes_what_bulk_create_writes_and_sets_the_keys():
    world = make_world()
    ticket = make_ticket(world)
    at = timezone.now() + dt.timedelta(hours=1)

    def events():
        common = {"ticket": ticket, "owner_place_id": ticket.owner_place_id, "at": at}
        return [
            TicketEvent(action="note", actor=world.hotline, data={"a": [1, "二"]}, **common),
            TicketEvent(action="note", reason="r", owner_department=world.housing, **common),
        ]

    inserted = inserts.insert(events())
    created = TicketEvent.objects.bulk_create(events())
    assert all(e.pk and not e._state.adding for e in inserted)
    assert TicketEvent.objects.get(pk=inserted[1].pk).owner_department == world.housing
    rows = list(TicketEvent.objects.filter(at=at).order_by("id").values_list(*COLUMNS))
    assert len(rows) == 4 and rows[:2] == rows[2:]
    assert [e.pk for e in inserted + created] == [
        e.pk for e in TicketEvent.objects.filter(at=at).order_by("id")
    ]
    assert inserts.insert([]) == []


def test_save_new_writes_a_row_and_those_pointing_at_it_in_one_statement_on_postgresql():
    from django.db import connection
    from django.db.models.signals import post_save
    from django.test.utils import CaptureQueriesContext

    from gridgov.tickets.models import Ticket

    world = make_world()
    model = make_ticket(world)
    fields = {
        f.attname: getattr(model, f.attname)
        for f in Ticket._meta.concrete_fields
        if not f.primary_key
    }
    at = timezone.now() + dt.timedelta(hours=2)
    ticket = Ticket(**{**fields, "code": "GD-SAVE-NEW", "idempotency_key": None})
    events = [
        TicketEvent(ticket=ticket, action="create", to_status="received", data={"x": 1}, at=at),
        TicketEvent(ticket=ticket, action="dispatch", actor=world.hotline, at=at),
    ]
    seen = []

    def receiver(sender, instance, created, **kwargs):  # post_save: the events are there
        seen.append((created, TicketEvent.objects.filter(ticket_id=instance.pk).count()))

    post_save.connect(receiver, sender=Ticket, dispatch_uid="test-save-new")
    try:
        with CaptureQueriesContext(connection) as queries:
            inserts.save_new(ticket, then=events, link="ticket")
    finally:
        post_save.disconnect(sender=Ticket, dispatch_uid="test-save-new")
    tables = ('INSERT INTO "tickets_ticket" ', 'INSERT INTO "tickets_ticketevent" ')
    writes = [q for q in queries if any(t in q["sql"] for t in tables)]
    assert len(writes) == (1 if connection.vendor == "postgresql" else 2)
    assert ticket.pk and not ticket._state.adding
    assert Ticket.objects.get(pk=ticket.pk).code == "GD-SAVE-NEW"
    assert [e.ticket_id for e in events] == [ticket.pk, ticket.pk]
    stored = list(TicketEvent.objects.filter(ticket=ticket).order_by("id"))
    assert [e.pk for e in stored] == [e.pk for e in events]
    assert [(e.action, e.data, e.actor_id) for e in stored] == [
        ("create", {"x": 1}, None),
        ("dispatch", {}, world.hotline.pk),
    ]
    assert seen[-1] == (True, 2)
