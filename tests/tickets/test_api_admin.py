"""The tickets admin: pages open, status and history are read-only, full views are logged."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from gridgov.people.models import AccessLog
from gridgov.tickets.models import Ticket, TicketEvent

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    user = get_user_model().objects.create(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def test_admin_pages_open_and_the_lifecycle_fields_are_read_only(admin_client):
    world = make_world()
    ticket = make_ticket(world)
    for name in [
        "ticket",
        "ticketevent",
        "category",
        "routingrule",
        "timelimit",
        "calendarday",
        "knowledgeanswer",
        "callback",
        "whistle",
        "summons",
        "extension",
        "ticketphoto",
        "patroltask",
        "patrolrecord",
        "visit",
        "ticketcounter",
    ]:
        response = admin_client.get(reverse(f"admin:tickets_{name}_changelist"))
        assert response.status_code == 200, name
    changelist = admin_client.get(
        reverse("admin:tickets_ticket_changelist"), {"status": "dispatched"}
    )
    assert "138****1234" in changelist.content.decode()
    assert "13812341234" not in changelist.content.decode()
    assert AccessLog.objects.count() == 0

    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "dispatch" in page.content.decode()  # the event inline
    assert AccessLog.objects.get().channel == "web"
    # Status, owner and deadlines change only through the lifecycle.
    from django.contrib import admin

    readonly = admin.site._registry[Ticket].get_readonly_fields(page.wsgi_request, ticket)
    assert {"status", "owner_place", "owner_department", "resolve_by", "version"} <= set(readonly)
    assert admin_client.get(reverse("admin:tickets_ticket_add")).status_code == 403
    event = TicketEvent.objects.first()
    assert (
        admin_client.get(reverse("admin:tickets_ticketevent_change", args=[event.pk])).status_code
        == 200
    )
    assert (
        admin_client.post(reverse("admin:tickets_ticket_delete", args=[ticket.pk])).status_code
        == 403
    )
    assert Ticket.objects.filter(pk=ticket.pk).exists()
