"""吹哨报到 followed from the lists: a whistled ticket's row says which summoned departments
are still to report and by when, not only those already late. The street that summoned two
departments saw nothing on the row until one was late, and had to open each ticket of 吹哨件
to follow it."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Summons

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


def row_of(page, code):
    match = re.search(rf'<tr[^>]*data-code="{code}">(.*?)</tr>', page, re.S)
    assert match, code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def test_a_whistled_row_names_the_departments_still_to_report(client):
    world = make_world()
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    perform(
        ticket,
        "whistle",
        world.street_staff,
        departments=["CG", "ZJ"],
        report_within_hours=8,
        reason="联合整治",
    )
    by = Summons.objects.filter(whistle__ticket=ticket).first().report_by
    by_text = by.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    client.force_login(world.street_staff)
    url = reverse("tickets:list")
    row = row_of(client.get(url, {"status": "whistled"}).content.decode(), ticket.code)
    assert f"待报到：城管执法局、住建局（{by_text} 前）" in row, row

    perform(ticket, "whistle-report", world.city_handler, department="CG", note="已到场")
    row = row_of(client.get(url, {"status": "whistled"}).content.decode(), ticket.code)
    assert "待报到：住建局（" in row and "城管执法局" not in row

    # Past its report-by, 住建 is late (报到超时), no longer awaited.
    Summons.objects.filter(department__code="ZJ").update(
        report_by=timezone.now() - dt.timedelta(hours=1)
    )
    row = row_of(client.get(url, {"status": "whistled"}).content.decode(), ticket.code)
    assert "报到超时" in row and "待报到" not in row

    # Once every department has reported, nothing is awaited.
    perform(ticket, "whistle-report", world.housing_handler, department="ZJ", note="到场")
    row = row_of(client.get(url, {"status": "whistled"}).content.decode(), ticket.code)
    assert "待报到" not in row and "报到超时" not in row
