"""Fixes from the walk of the demo as a department handler, community staff and district
staff (helper C, 2026-11-29)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from gridgov.tickets.models import Status

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _department_ticket(world):
    ticket = make_ticket(world, category=world.unlicensed.code)
    assert ticket.owner_department == world.city_mgmt and ticket.status == Status.DISPATCHED
    return ticket


RETURN = {"return-version": "0", "return-reason_code": "wrong_place", "return-reason": "不属本局"}


@pytest.mark.parametrize("htmx", [False, True])
def test_a_department_returning_a_ticket_lands_on_its_queue_not_a_404(client, world, htmx):
    """The return takes the ticket out of the department's scope: re-reading it for the
    answer was a 404 (a debug page swapped into the ticket) after the return was done."""
    ticket = _department_ticket(world)
    client.force_login(world.city_handler)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    url = reverse("tickets:act", args=[ticket.code, "return"])
    response = client.post(url, RETURN, **headers)
    ticket.refresh_from_db()
    assert ticket.status == Status.RETURNED
    queue = reverse("tickets:queue")
    if htmx:
        assert response.status_code == 204 and response["HX-Redirect"] == queue
    else:
        assert response.status_code == 302 and response["Location"] == queue
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["已完成：退单。"]
