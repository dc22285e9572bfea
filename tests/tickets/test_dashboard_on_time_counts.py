"""The home page's 按时办结率 says what it counts: a bare 7.1% beside a score of 98.9 was
read as "only 7% of tickets were resolved on time", when it was 1 of the 14 tickets due in
the month that the unit answered for (those passed up to it overdue, mostly)."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.tickets.intake import create_ticket
from gridgov.tickets.models import Ticket

from .factories import make_world_with_resident, ticket_data
from .test_kpi_early_month import past_the_early_days  # noqa: F401 (a pytest fixture)

# This month's figures: shown on the home page from a month's 6th day (kpis.default_period).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("past_the_early_days")]


def test_the_home_kpis_show_how_many_due_tickets_were_resolved_in_time(client):
    world = make_world_with_resident()
    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    received = max(now - dt.timedelta(hours=2), month_start + dt.timedelta(seconds=1))
    data = ticket_data(category=world.corridor.code)  # dispatched to grid A on intake
    ticket = create_ticket(data, actor=world.hotline, now=received).ticket
    assert ticket.owner_place == world.grid_a
    # Its resolve_by passed this month, unresolved: due in the period, not in time.
    Ticket.objects.filter(pk=ticket.pk).update(resolve_by=received + (now - received) / 2)

    client.force_login(world.gridworker_a)
    html = client.get("/").content.decode()
    row = html.split(f'data-unit="{world.grid_a.code}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-rate="on_time"' in row
    assert 'title="到期 1 件，按时办结 0 件"' in row and ">0/1</span>" in row
