"""An escalated ticket sent down again "by the routing rules" would go straight back to the
unit that could not handle it: the unit it was passed up to must name where it goes (it may
still name that unit, with instructions)."""

import pytest

from gridgov.tickets import lifecycle

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def test_the_rules_do_not_send_an_escalated_ticket_back_to_the_unit_that_passed_it_up(world):
    ticket = make_ticket(world)  # 楼道堆物: the rules send it to grid A
    assert ticket.owner_place == world.grid_a
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    lifecycle.perform(ticket, "escalate", world.gridworker_a, reason="需社区协调物业")
    assert ticket.status == "escalated" and ticket.owner_place == world.community
    version = ticket.version
    with pytest.raises(lifecycle.BadParameters) as refused:
        lifecycle.perform(ticket, "dispatch", world.community_staff)
    assert world.grid_a.name in refused.value.message
    ticket.refresh_from_db()
    assert ticket.version == version and ticket.owner_place == world.community
    # Named, it goes: the community sends it back down on purpose.
    lifecycle.perform(
        ticket, "dispatch", world.community_staff, unit=world.grid_a.code, reason="物业已约好"
    )
    assert ticket.status == "dispatched" and ticket.owner_place == world.grid_a
