"""A privacy and scope audit (DESIGN §8, docs/permissions.md): what a curious caller
inside the system, but outside a ticket's requester right or outside its area, can learn.
Each test here failed before the fix that came with it."""

import pytest

from gridgov.tickets import lifecycle
from tests.tickets.factories import make_ticket, make_world
from tests.tickets.test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def test_a_corrected_requester_is_not_in_the_timeline_of_those_who_may_not_see_it(world):
    """An admin correction (lifecycle.correct) records the old and new values; the timeline
    API handed the requester's old and new phone and name to anyone seeing the ticket."""
    ticket = make_ticket(world, requester_name="张三", requester_phone="13812341234")
    lifecycle.correct(
        ticket,
        world.district_staff,
        {"requester_phone": "13900001111", "requester_name": "李四", "title": "楼道堆物"},
    )
    # Community staff see the grid's ticket but are not its handlers.
    viewer = world.community_staff
    ticket.refresh_from_db()
    assert viewer.has_perm("tickets.view_ticket", ticket)
    assert not viewer.has_perm("tickets.view_requester", ticket)
    response = client_for(viewer).get(f"{TICKETS}{ticket.pk}/events/")
    assert response.status_code == 200
    text = response.content.decode()
    for value in ("13812341234", "13900001111", "张三", "李四"):
        assert value not in text
    edit = next(e for e in response.json() if e["action"] == lifecycle.EDIT)
    # Which fields changed stays said, and what is not personal data in full.
    assert edit["data"]["changes"]["requester_phone"] == ["138****1234", "139****1111"]
    assert edit["data"]["changes"]["title"][1] == "楼道堆物"
