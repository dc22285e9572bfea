"""The queue page's tab counts (queues.tab_counts: each part of the queue says which tabs its
tickets are in, and the parts' rows are counted per tab) are the tabs as the queue defines
them: each tab's filter over the user's whole queue, as queues.counts counted them before,
for every kind of user, a search, and a later moment when the open tickets are overdue and
the summoned departments late."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Exists, Q
from django.test import RequestFactory
from django.utils import timezone

from gridgov.people.scope import scope_for
from gridgov.tickets import dashboard, queues, requester_text, sla
from gridgov.tickets.lifecycle import HANDLING, merged_callback_q, perform
from gridgov.tickets.models import Status, Ticket

from .factories import every_kind_of_user, make_ticket, make_world
from .test_queue_union import _queue_in_every_state

pytestmark = pytest.mark.django_db

S = Status


def _tabs_as_defined(user, now):
    """Each tab over the whole of the parts it comes from (queues.tab_filters as it was)."""
    parts = queues._parts(user)
    late = sla.overdue_q(now) & (parts["owned"] | parts["desk"] | parts["above"])
    scope = scope_for(user)
    if scope.department_ids:
        late |= Q(Exists(queues._unreported(scope).filter(report_by__lt=now)))
    return {
        "accept": parts["owned"] & Q(status__in=(S.DISPATCHED, S.ESCALATED)),
        "report": parts["summoned"],
        "dispatch": parts["desk"] & Q(status__in=(S.RECEIVED, S.RETURNED)),
        "approve": parts["above"],
        "handling": parts["owned"] & Q(status__in=HANDLING),
        "callback": parts["desk"] & (Q(status=S.RESOLVED) | merged_callback_q()),
        "late_reports": parts["whistled"] & Q(Exists(queues._awaited(now))),
        "overdue": late,
        "all": Q(),
    }


@pytest.fixture
def world():
    w = make_world()
    w.tickets = _queue_in_every_state(w)
    # A merge of a merge into a ticket then resolved, and a whistle still awaited on an open
    # ticket: the desk calls both requesters back, the street waits for 住建.
    first, second, third = (make_ticket(w, address=f"魏家坡小区{n}号楼") for n in (8, 9, 10))
    perform(second, "merge", w.street_staff, into=first.pk, reason="重复")
    perform(first, "merge", w.street_staff, into=third.pk, reason="重复")
    perform(third, "accept", w.gridworker_a)
    perform(third, "resolve", w.gridworker_a, reply="已清理")
    awaited = make_ticket(w, address="魏家坡小区11号楼", title="占道经营")
    perform(awaited, "accept", w.gridworker_a)
    perform(awaited, "whistle", w.street_staff, departments=["ZJ"], reason="联合整治")
    w.root = get_user_model().objects.create(username="root", is_superuser=True)
    return w


def _users(w):
    return every_kind_of_user(w, w.root)


@pytest.mark.parametrize("days", [0, 40])
def test_the_counts_are_the_tabs_as_defined_for_every_user(world, days):
    now = timezone.now() + dt.timedelta(days=days)
    seen = set()
    for user in _users(world):
        queue = Ticket.objects.filter(queues.queue_q(user))
        expected = {tab: queue.filter(q).count() for tab, q in _tabs_as_defined(user, now).items()}
        assert queues.tab_counts(user, now) == expected, user.username
        # The filters the list and the dashboard read count the same.
        filters = queues.tab_filters(now, user)
        assert queues.counts(queues.mine(user), filters) == expected, user.username
        seen |= {tab for tab, count in expected.items() if count}
    # Every tab has something for someone: the comparison was not of zeros.
    assert seen == set(queues.TAB_NAMES) if days else seen >= {"callback", "approve", "report"}


@pytest.mark.parametrize("text", ["占道", "楼道", "nothing like it"])
def test_a_search_narrows_each_part_as_it_narrowed_the_queue(world, text):
    now = timezone.now() + dt.timedelta(days=40)
    for user in _users(world):

        def searched(tickets, user=user):
            return requester_text.search(tickets, text, user)

        mine = searched(queues.mine(user))
        expected = queues.counts(mine, _tabs_as_defined(user, now))
        assert queues.tab_counts(user, now, searched) == expected, (user.username, text)


def test_the_queue_page_shows_the_counts(client, world):
    client.force_login(world.street_staff)
    response = client.get("/tickets/?q=占道")
    shown = {tab["name"]: tab["count"] for tab in response.context["tabs"]}
    expected = queues.tab_counts(
        world.street_staff,
        timezone.now(),
        lambda tickets: requester_text.search(tickets, "占道", world.street_staff),
    )
    assert shown == {name: expected[name] for name in shown}
    assert shown["all"] == 1


def test_the_home_page_shows_the_counts_of_the_queue_page(world):
    """The home page's 接诉即办 panel counts with queues.tab_counts, as the queue page does."""
    now = timezone.now()
    for user in _users(world):
        if not user.is_superuser and not queues.has_queue(user):
            continue
        request = RequestFactory().get("/")
        request.user = get_user_model().objects.get(pk=user.pk)
        panel = dashboard.panel(request)
        if not panel.get("tabs"):
            continue
        shown = {tab["name"]: tab["count"] for tab in panel["tabs"]}
        queue = Ticket.objects.filter(queues.queue_q(user))
        expected = {tab: queue.filter(q).count() for tab, q in _tabs_as_defined(user, now).items()}
        assert shown == {name: expected[name] for name in shown}, user.username
