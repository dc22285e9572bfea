"""答复 (answered on intake and closed, no unit involved) is for a consultation only: the
ticket page offered it on a grid worker's own patrol hazard waiting at the street's desk
(a grid worker is intake staff), and a complaint there could be closed by a reply."""

import pytest

from gridgov.tickets import lifecycle
from gridgov.tickets.models import Status

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


@pytest.mark.parametrize("nature", ["complaint", "report", "help"])
def test_a_demand_that_is_not_a_question_is_not_answered_at_the_desk(world, nature):
    ticket = make_ticket(world, address="", nature=nature)
    assert ticket.status == Status.RECEIVED
    assert "answer" not in lifecycle.allowed_actions(ticket, world.hotline)
    with pytest.raises(lifecycle.InvalidTransition, match="咨询|consultation"):
        lifecycle.perform(ticket, "answer", world.hotline, answer="已告知")
    ticket.refresh_from_db()
    assert ticket.status == Status.RECEIVED and not ticket.events.filter(action="answer")


def test_a_question_waiting_at_the_desk_is_still_answered(world):
    ticket = make_ticket(world, address="", nature="consult")
    assert ticket.status == Status.RECEIVED
    assert "answer" in lifecycle.allowed_actions(ticket, world.hotline)
    lifecycle.perform(ticket, "answer", world.hotline, answer="请携带身份证到社区办理。")
    ticket.refresh_from_db()
    assert ticket.status == Status.ANSWERED
