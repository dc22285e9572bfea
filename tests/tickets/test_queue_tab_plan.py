"""A street's 待签收 and 已超时 pages read the tab inside each part of the queue (queues.mine's
`within`), not around its UNION (PostgreSQL's plans; SQLite has no planner to ask).

The page filtered `id IN (… UNION …)` by the tab, whose filter repeats the parts' ORs: the
planner guessed a few dozen of the street's thousands of queued tickets passed it and
joined them to the UNION in a nested loop comparing ids without an index (2.5 s a page on
200,000 tickets). Inside each part, the outer query has only the UNION to join."""

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.places.models import Level
from gridgov.tickets import queues
from tests.people.factories import make_place
from tests.tickets.factories import make_ticket, make_world
from tests.tickets.plans import plans

pytestmark = pytest.mark.django_db

CLOSED = 200  # per other office
HELD = 3_000


@pytest.fixture
def world():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans: the suite runs on it too (CI)")
    w = make_world()
    ticket = make_ticket(w)
    # A city's other offices (grids of other communities), each holding a share of the
    # closed tickets: the planner reckons an office holds a few hundredth of the tickets.
    others = [make_place(f"G{n:03d}", Level.GRID, w.community, index=100 + n) for n in range(200)]
    with connection.cursor() as cursor:
        insert = (
            "INSERT INTO tickets_ticket (code, channel, nature, title, description, urgency,"
            " status, address, requester_name, requester_phone, anonymous, return_count,"
            " designated, reopen_count, resolution, public, external_id, created_at,"
            " updated_at, accept_by, respond_by, resolve_by, owner_place_id, place_id, grid_id,"
            " version) SELECT %s || g, 'hotline', nature, title, description, urgency, %s,"
            " address, '', '', false, 0, false, 0, '', true, '', now() - g * interval '5 minutes',"
            " now(), now() + interval '1 day', now() + interval '1 day',"
            " now() + (g - %s - 0.5) * interval '1 hour', %s, %s, %s, 0"
            " FROM tickets_ticket, generate_series(1, %s) g WHERE id = %s"
        )
        # A city's closed tickets, and thousands the street (its office) is to sign for,
        # half of them past their resolve-by.
        street, grid = w.street.pk, w.grid_a.pk
        for n, office in enumerate(others):
            cursor.execute(
                insert, [f"C{n}-", "closed", 0, office.pk, office.pk, office.pk, CLOSED, ticket.pk]
            )
        cursor.execute(insert, ["D", "dispatched", HELD // 2, street, grid, grid, HELD, ticket.pk])
        # And as many at the street's dispatch desk.
        cursor.execute(insert, ["R", "received", 0, street, grid, grid, HELD, ticket.pk])
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("ANALYZE places_place")
    return w


@pytest.mark.parametrize("tab", ["accept", "overdue"])
def test_street_tab_joins_no_ids_in_a_loop(client, world, tab):
    client.force_login(world.street_staff)
    user = world.street_staff
    now = timezone.now()
    counts = queues.counts(queues.mine(user), queues.tab_filters(now, user))
    assert counts[tab] == (HELD if tab == "accept" else HELD // 2)
    response = None

    def run():
        nonlocal response
        response = client.get(f"/tickets/?tab={tab}")

    for plan in plans(run):
        # A nested loop matching ids by a filter compares every pair (the UNION's ids ×
        # the tab's tickets): millions of comparisons for a street.
        assert "Join Filter: (tickets_ticket.id = " not in plan, plan
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 50
