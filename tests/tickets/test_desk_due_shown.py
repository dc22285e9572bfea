"""A ticket waiting at the dispatch desk past its 签收时限 is not shown as overdue where it
is not counted overdue. The demo's 坡子街小区 on the tickets map said 14 件在办 · 1 件超时
and listed two tickets under 超时: GD20261126-000030, 已受理 at the street's desk, read
已超时 2 日 (its 签收时限, which dispatching sets anew and no count holds against anyone),
while it was neither marked overdue nor in 已超时. The lists now count down the requester's
next deadline for it (found walking the demo as 望江街道)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import intake
from gridgov.tickets.models import Ticket

from .factories import make_world, ticket_data
from .test_views import client_for, html_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def row_of(html, code):
    start = html.index(f'data-code="{code}"')
    return html[start : html.index("</tr>", start)]


def test_a_desk_ticket_past_its_accept_by_counts_down_to_its_respond_by(client, world):
    ticket = intake.create_ticket(
        ticket_data(description="想了解一下情况", address="", nature="suggest", category=None),
        actor=world.hotline,
    ).ticket
    assert ticket.status == "received"
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        accept_by=now - dt.timedelta(days=2),
        respond_by=now + dt.timedelta(hours=13),
        resolve_by=now + dt.timedelta(days=7),
    )
    client_for(client, world.hotline)
    for url in (reverse("tickets:queue") + "?tab=all", reverse("tickets:list")):
        row = row_of(html_of(client.get(url)), ticket.code)
        assert "已超时" not in row and "due--over" not in row, url
        assert "剩余" in row, url
    # What is counted stays as it was: not overdue.
    html = html_of(client.get(reverse("tickets:list") + "?status=overdue"))
    assert ticket.code not in html


def test_a_dispatched_ticket_past_its_accept_by_is_still_overdue(client, world):
    from .factories import make_ticket

    ticket = make_ticket(world)
    assert ticket.status == "dispatched"
    Ticket.objects.filter(pk=ticket.pk).update(accept_by=timezone.now() - dt.timedelta(days=2))
    client_for(client, world.community_staff)
    row = row_of(html_of(client.get(reverse("tickets:list"))), ticket.code)
    assert "已超时" in row
