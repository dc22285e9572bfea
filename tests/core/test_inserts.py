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
