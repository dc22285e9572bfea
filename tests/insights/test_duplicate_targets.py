"""What a ticket's page offers to merge it into: tickets still being handled. A resolved one
was listed among the "open tickets that look like the same matter", with a button that
closed the newer demand as its duplicate, unhandled: on the demo, a complaint that the
丽发新城 plant still pollutes was offered for merging into a resolved ticket about it."""

import pytest
from django.urls import reverse

from gridgov.tickets.lifecycle import perform
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _resolved(world, ticket):
    perform(ticket, "accept", world.gridworker_a)
    perform(ticket, "resolve", world.gridworker_a, reply="已清理楼道杂物")
    ticket.refresh_from_db()
    return ticket


def test_a_resolved_ticket_is_no_merge_target_on_a_tickets_page_nor_in_the_api(client, world):
    first = make_ticket(world)
    later = make_ticket(world, requester_phone="13900001111")  # same text, same building
    page = reverse("insights:ticket-duplicates", args=[later.code])
    api = reverse("insights-duplicates", args=[later.code])
    client.force_login(world.street_staff)
    # While the first is being handled, the later one is offered to merge into it.
    assert f"将本工单并入 {first.code}" in client.get(page).content.decode()
    assert [d["code"] for d in client.get(api).json()] == [first.code]

    _resolved(world, first)
    html = client.get(page).content.decode()
    assert first.code not in html and "duplicate-merge" not in html
    assert client.get(api).json() == []


def test_an_open_ticket_is_still_offered_beside_a_resolved_one(client, world):
    resolved = _resolved(world, make_ticket(world))
    handled = make_ticket(world, requester_phone="13900002222")
    later = make_ticket(world, requester_phone="13900003333")
    client.force_login(world.street_staff)
    html = client.get(reverse("insights:ticket-duplicates", args=[later.code])).content.decode()
    assert f"将本工单并入 {handled.code}" in html and resolved.code not in html


def test_the_intake_panel_still_tells_the_operator_of_the_callers_resolved_ticket(client, world):
    # Beside the intake form the caller's own tickets are for telling them where theirs
    # stands: one resolved and waiting for its callback is still worth saying.
    resolved = _resolved(world, make_ticket(world, requester_phone="13900004444"))
    client.force_login(world.hotline)
    typed = {
        "description": "3号楼2单元楼道里堆满了纸箱和旧家具，挡住了通道。",
        "address": "魏家坡小区3号楼2单元",
        "requester_phone": "13900004444",
    }
    html = client.get(reverse("insights:intake-duplicates"), typed).content.decode()
    assert resolved.code in html
