"""The queue row of a ticket passed up to a unit says who passed it up and why (the
escalate event's reason, or the deadline sweep): the community triages its 待签收 without
opening each ticket (h18's walk of a community's escalations)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import intake, sweep
from gridgov.tickets.lifecycle import perform

from .factories import make_ticket, make_world, ticket_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _row(client, user, code):
    client.force_login(user)
    html = client.get(reverse("tickets:queue")).content.decode()
    start = html.index(f'data-code="{code}"')
    return html[start : html.index("</tr>", start)]


def test_a_grid_workers_escalation_shows_its_reason_on_the_communitys_row(client, world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    perform(ticket, "escalate", world.gridworker_a, reason="围墙属多个产权单位，超出网格处置能力")
    row = _row(client, world.community_staff, ticket.code)
    assert "data-escalated-from" in row
    assert "魏家坡小区上报：围墙属多个产权单位，超出网格处置能力" in row


def test_the_sweeps_escalation_says_so_on_the_row(client, world):
    t0 = timezone.now() - dt.timedelta(days=20)
    data = ticket_data(category=world.corridor.code)
    ticket = intake.create_ticket(data, actor=world.hotline, now=t0).ticket
    sweep.run(remind=False)
    row = _row(client, world.community_staff, ticket.code)
    assert "魏家坡小区超时未办，系统自动上报" in row


def test_a_signed_ticket_no_longer_says_it(client, world):
    ticket = make_ticket(world)
    perform(ticket, "escalate", world.gridworker_a, reason="需社区协调")
    perform(ticket, "accept", world.community_staff)
    assert "data-escalated-from" not in _row(client, world.community_staff, ticket.code)
