"""Which tickets a user sees (filters.visible_tickets) at a city's size: the scope is a
condition on the ticket's own columns, the same tickets as rules.sees_ticket, and a list in
deadline order can be read from the racing-deadline index."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F
from django.utils import timezone

from gridgov.tickets import filters, sla
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Ticket
from gridgov.tickets.rules import sees_ticket

from .factories import every_kind_of_user, make_ticket, make_world

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="how PostgreSQL plans the list"
)


def _users(w):
    root = get_user_model().objects.create(username="root", is_superuser=True)
    return every_kind_of_user(w, root)


def _tickets(w):
    """A grid's, another grid's, a community's, a department's, an escalated one, one with no
    place (at the desk) and a whistled one summoning two departments."""
    grid_a = make_ticket(w)
    grid_b = make_ticket(w, address="幸福里小区3栋")
    community = make_ticket(w, category=w.community_matter.code, address="魏家坡小区5栋")
    department = make_ticket(w, category=w.unlicensed.code)
    escalated = make_ticket(w, address="魏家坡小区5栋")
    perform(escalated, "escalate", w.gridworker_a, reason="需要社区协调")
    nowhere = make_ticket(w, address="月球背面")
    whistled = make_ticket(w, address="魏家坡小区3栋")
    perform(whistled, "accept", w.gridworker_a)
    perform(whistled, "whistle", w.street_staff, departments=["CG", "ZJ"], reason="联合整治")
    return [grid_a, grid_b, community, department, escalated, nowhere, whistled]


def test_each_user_sees_what_rules_say_they_see():
    w = make_world()
    tickets = _tickets(w)
    assert tickets[5].place_id is None
    for user in _users(w):
        expected = {t.pk for t in Ticket.objects.all() if sees_ticket(user, t)}
        if user.is_superuser:
            expected = set(Ticket.objects.values_list("pk", flat=True))
        found = set(filters.visible_tickets(user).values_list("pk", flat=True))
        assert found == expected, user.username
        one = tickets[0]
        assert filters.visible_tickets(user).filter(code=one.code).exists() == (one.pk in found)
    assert {t.pk for t in filters.visible_tickets(w.housing_handler)} == {tickets[6].pk}


def test_the_scope_joins_no_place():
    """A place under the user's paths was a join through the ticket's place and owning
    office, which left PostgreSQL no index: for a grid worker's list, every ticket of a
    500,000-ticket city was read and joined (3.1 s); on the ticket's own columns, the place
    index reads only the grid's."""
    w = make_world()
    for user in (w.gridworker_a, w.district_staff, w.city_handler):
        tables = str(filters.visible_tickets(user).query).split(" WHERE ")[0]
        assert "JOIN" not in tables, user.username


@postgresql_only
def test_a_small_area_is_one_array_a_district_a_subquery():
    w = make_world()
    sql, params = filters.visible_tickets(w.gridworker_a).query.sql_with_params()
    assert "ANY" in sql and "places_place" not in sql
    assert sorted(params[0]) == sorted(p.pk for p in (w.grid_a, *w.grid_a.children.all()))
    sql = str(filters.visible_tickets(w.district_staff).query)
    assert "ANY" not in sql and "places_place" in sql


def test_the_racing_deadline_index_is_the_lists_expression():
    (index,) = [i for i in Ticket._meta.indexes if i.name == "tickets_ticket_racing_idx"]
    assert index.expressions == (sla.racing_expr(), F("id"))


@postgresql_only
def test_a_list_in_deadline_order_can_be_read_from_the_index():
    """The list's ORDER BY is the index's expression, so PostgreSQL can read a wide area's
    tickets in deadline order and stop at the page (a district's list 4 s → 0.1 s in a
    500,000-ticket city)."""
    w = make_world()
    now = timezone.now()
    for i in range(3):
        make_ticket(w, address=f"魏家坡小区{i + 1}栋")
    perform(make_ticket(w), "accept", w.gridworker_a, now=now + dt.timedelta(minutes=5))
    tickets = filters.with_next_deadline(filters.visible_tickets(w.district_staff))
    page = tickets.order_by(F("next_deadline").asc(nulls_last=True), "id")[:100]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "tickets_ticket_racing_idx" in plan, plan
    assert [t.next_deadline for t in page] == sorted(t.next_deadline for t in tickets)
