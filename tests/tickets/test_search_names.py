"""A search for a requester's name (requester_text.search) finds the tickets whose text holds
it for those who read the text as written: the ticket's unit, and a superuser, who reads
every ticket so (written_q is Q()). `Q() | ~Q(requester_name…)` is the negation alone, so a
superuser's search left out every ticket whose requester bore the name."""

import pytest
from django.contrib.auth import get_user_model

from gridgov.tickets import requester_text
from gridgov.tickets.models import Ticket

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = make_world()
    w.named = make_ticket(w, requester_name="王建国", title="王建国反映楼道堆物")
    w.other = make_ticket(w, requester_name="李四", title="王建国家门口堆物")
    return w


def _found(user, text):
    return set(requester_text.search(Ticket.objects.all(), text, user).values_list("pk", flat=True))


def test_a_superuser_finds_the_requesters_name_in_the_text(world):
    root = get_user_model().objects.create(username="root", is_superuser=True)
    assert _found(root, "王建国") == {world.named.pk, world.other.pk}


def test_the_holding_unit_finds_it_and_an_outsider_only_where_it_is_not_the_requester(world):
    assert world.named.owner_place == world.grid_a
    assert _found(world.gridworker_a, "王建国") == {world.named.pk, world.other.pk}
    # Another grid's worker reads 王* on the first ticket: its name is no key to it there.
    assert _found(world.gridworker_b, "王建国") == {world.other.pk}
