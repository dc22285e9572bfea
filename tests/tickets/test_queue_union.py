"""My queue at a city's size: queues.mine reads each part of the queue (owned, desk,
summoned, extension requests, whistles) through its own indexes and unites them, and finds
exactly the tickets queue_q describes, for every kind of user."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.tickets import queues
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Status, Ticket

from .factories import every_kind_of_user, make_ticket, make_world

pytestmark = pytest.mark.django_db


def _queue_in_every_state(w):
    """Tickets in each part of some queue: handled, at the desk, resolved, merged into a
    resolved one, with an extension request, whistled (also closed with a summons left)."""
    now = timezone.now()
    fresh = make_ticket(w)  # dispatched to grid A
    accepted = make_ticket(w, address="魏家坡小区2号楼")
    perform(accepted, "accept", w.gridworker_a)
    returned = make_ticket(w, address="魏家坡小区1号楼")
    perform(returned, "return", w.gridworker_a, reason_code="wrong_place")
    extended = make_ticket(w, address="魏家坡小区4号楼")
    perform(extended, "accept", w.gridworker_a)
    perform(extended, "extend", w.gridworker_a, until=now + dt.timedelta(days=30), reason="等材料")
    resolved = make_ticket(w, address="魏家坡小区5号楼")
    perform(resolved, "accept", w.gridworker_a)
    duplicate = make_ticket(w, address="魏家坡小区5号楼")
    perform(duplicate, "merge", w.street_staff, into=resolved.pk, reason="重复")
    perform(resolved, "resolve", w.gridworker_a, reply="已清理")
    whistled = make_ticket(w, address="魏家坡小区6号楼")
    perform(whistled, "accept", w.gridworker_a)
    perform(whistled, "whistle", w.street_staff, departments=["CG", "ZJ"], reason="联合整治")
    perform(whistled, "whistle-report", w.city_handler, department="CG", note="已到场")
    perform(whistled, "resolve", w.gridworker_a, reply="已处理")
    perform(whistled, "callback", w.hotline, resolved=True, satisfaction="satisfied")
    department = make_ticket(w, category=w.unlicensed.code, address="魏家坡小区7号楼")
    tickets = [fresh, accepted, returned, extended, resolved, duplicate, whistled, department]
    for ticket in tickets:
        ticket.refresh_from_db()
    assert whistled.status == Status.CLOSED  # closed, and 住建 has still not reported
    return tickets


def test_the_queue_holds_what_queue_q_describes_for_every_user():
    w = make_world()
    _queue_in_every_state(w)
    root = get_user_model().objects.create(username="root", is_superuser=True)
    users = every_kind_of_user(w, root)
    now = timezone.now()
    for user in users:
        expected = set(Ticket.objects.filter(queues.queue_q(user)).values_list("pk", flat=True))
        mine = queues.mine(user)
        assert set(mine.values_list("pk", flat=True)) == expected, user.username
        filters = queues.tab_filters(now, user)
        counts = queues.counts(mine, filters)
        assert counts["all"] == len(expected), user.username
        for tab, q in filters.items():
            direct = Ticket.objects.filter(queues.queue_q(user)).filter(q).count()
            assert counts[tab] == direct, (user.username, tab)
    # Someone in every part: the street is owed reports, approves, dispatches and calls back.
    assert queues.mine(w.street_staff).count() >= 5
    assert queues.mine(w.housing_handler).count() == 1  # summoned on the closed ticket


def test_the_parts_are_united_not_or_ed():
    """One WHERE over the OR of the parts made PostgreSQL read every ticket of the city
    (3.4 s for a street of a 500,000-ticket city); united, each part uses its indexes."""
    w = make_world()
    sql = str(queues.mine(w.street_staff).query)
    assert "UNION" in sql
    # A user with one part (a grid worker: what their grid holds) needs no union.
    assert "UNION" not in str(queues.mine(w.gridworker_a).query)
    assert not queues.mine(w.resident).exists()
