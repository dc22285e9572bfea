"""After 上报 the page says to whom the ticket went and by when that unit signs for it, as
a whistle and an extension decision say theirs (已完成：上报。 said neither; h18's walk)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets.lifecycle import perform

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


def test_the_grid_worker_reads_where_the_ticket_went(client):
    world = make_world()
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    client.force_login(world.gridworker_a)
    response = client.post(
        reverse("tickets:act", args=[ticket.code, "escalate"]),
        {"escalate-reason": "超出网格处置能力"},
        follow=True,
    )
    ticket.refresh_from_db()
    by = timezone.localtime(ticket.accept_by).strftime("%Y-%m-%d %H:%M")
    text = response.content.decode()
    assert f"{ticket.code} 已上报至魏家坡社区，签收时限 {by}。" in text
    assert "已完成：上报。" not in text
