"""A resident's own report can be called back: the ticket keeps the phone on their record,
and the unit that owns it may see it (logged); wherever the ticket says who acted, the
resident's own login reads "诉求人本人", never their name."""

import pytest
from django.urls import reverse

from gridgov.tickets import intake
from tests.people.factories import PersonFactory

from .factories import make_world
from .test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = make_world()
    w.person = PersonFactory(
        user=w.resident, place=w.buildings[0], name="蒋东洋", phone="13712345678"
    )
    return w


def _own_report(world):
    data = {
        "channel": "photo",
        "nature": "report",
        "title": "楼道里电动车充电",
        "description": "1栋楼道里有人给电动车充电，很危险。",
        "address": "魏家坡小区3栋",
        "category": world.fire_lane.code,
    }
    return intake.create_ticket(data, actor=world.resident).ticket


def test_a_residents_own_report_keeps_the_phone_on_their_record(world, client):
    ticket = _own_report(world)
    assert ticket.requester == world.person
    assert (ticket.requester_name, ticket.requester_phone) == ("蒋东洋", "13712345678")
    # The grid's worker owns it: the requester panel offers the logged reveal.
    client.force_login(world.gridworker_a)
    page = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert "13712345678" not in page and "137****5678" in page  # masked until revealed
    assert world.gridworker_a.has_perm("tickets.view_requester", ticket)


def test_the_residents_own_login_is_the_requester_wherever_the_ticket_names_who_acted(
    world, client
):
    ticket = _own_report(world)
    client.force_login(world.gridworker_a)
    page = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert '<span class="timeline__actor">诉求人本人</span>' in page
    assert "蒋东洋" not in page
    events = client_for(world.gridworker_a).get(f"{TICKETS}{ticket.pk}/events/").json()
    create = next(e for e in events if e["action"] == "create")
    assert create["actor"] == {"id": None, "username": "", "name": "诉求人本人"}
    # Staff who act on it stay named.
    client.post(reverse("tickets:act", args=[ticket.code, "accept"]))
    events = client_for(world.gridworker_a).get(f"{TICKETS}{ticket.pk}/events/").json()
    accept = next(e for e in events if e["action"] == "accept")
    assert accept["actor"]["username"] == world.gridworker_a.username


def test_the_desk_sees_a_caller_in_full_only_while_it_deals_with_them(world):
    """DESIGN §8: the owning unit's handlers see the requester; the dispatch desk only while
    the demand waits for it (to be placed) or for its callback."""
    from gridgov.tickets.lifecycle import perform

    from .factories import make_ticket

    ticket = make_ticket(world)  # dispatched to grid A at once
    assert world.gridworker_a.has_perm("tickets.view_requester", ticket)
    assert not world.hotline.has_perm("tickets.view_requester", ticket)
    assert not world.street_staff.has_perm("tickets.view_requester", ticket)
    perform(ticket, "accept", world.gridworker_a)
    perform(ticket, "resolve", world.gridworker_a, reply="已清理")
    assert world.hotline.has_perm("tickets.view_requester", ticket)  # the callback is the desk's
    desk = make_ticket(world, address="火车站广场")  # nobody can place it: the desk's
    assert world.hotline.has_perm("tickets.view_requester", desk)
