"""The tickets admin: pages open, status and history are read-only, full views are logged."""

import pytest
from django.urls import reverse

from gridgov.people.models import AccessLog
from gridgov.tickets.models import Ticket, TicketEvent

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


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


def _change_form_data(page):
    """What the admin's change form posts back unchanged (fields and inline management)."""
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for index, sub in enumerate(formset.initial_forms):
            data[f"{formset.prefix}-{index}-id"] = sub.instance.pk
            data[f"{formset.prefix}-{index}-ticket"] = sub.instance.ticket_id
    return data


def test_an_admin_correction_is_an_event_and_keeps_what_the_lifecycle_did_meanwhile(
    admin_client,
):
    from gridgov.tickets import lifecycle, timeline

    world = make_world()
    ticket = make_ticket(world)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    data = _change_form_data(admin_client.get(url))  # the form opened ...
    lifecycle.perform(ticket, "accept", world.gridworker_a)  # ... the grid signs for it ...
    data["title"] = "楼道堆物（已更正）"
    data.pop("public", None)  # unticked: withdrawn from Open311
    response = admin_client.post(url, data)  # ... and the form is saved
    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert ticket.title == "楼道堆物（已更正）" and ticket.public is False
    assert ticket.status == "accepted"  # what the lifecycle did meanwhile stands
    edit = TicketEvent.objects.get(ticket=ticket, action="edit")
    assert edit.actor.username == "root"
    assert edit.data["changes"]["public"] == [True, False]
    assert edit.data["changes"]["title"][1] == "楼道堆物（已更正）"
    assert edit.from_status == edit.to_status == "accepted"
    shown = [e for e in timeline.events(ticket) if e.action == "edit"]
    assert shown and "public" not in shown[0].lines[0]  # field names in words
    # Saving it again unchanged writes nothing.
    admin_client.post(url, _change_form_data(admin_client.get(url)))
    assert TicketEvent.objects.filter(ticket=ticket, action="edit").count() == 1
