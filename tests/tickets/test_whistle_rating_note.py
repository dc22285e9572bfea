"""The street's note on its rating of a department's report (报到评价) appeared only in the
timeline; the whistle panel showed the rating beside the department without it (found
walking 吹哨报到 as a street office). It now stands beside the department, under each
whistle that summoned it."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets.lifecycle import perform

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def whistle(ticket, world, now, departments):
    perform(
        ticket,
        "whistle",
        world.street_staff,
        now=now,
        departments=departments,
        report_within_hours=2,
        reason="联合整治",
    )


def summons_items(html):
    """{(whistle no., department code): the summons' <li>} of the whistle panels."""
    panels = re.findall(r'<section class="panel whistle">.*?</section>', html, re.S)
    return {
        (n, code): item
        for n, panel in enumerate(panels)
        for code, item in re.findall(
            r'<li class="summons[^"]*" data-department="(\w+)">(.*?)</li>', panel, re.S
        )
    }


def test_the_rating_note_stands_beside_the_department_in_the_whistle_panel(client):
    world = make_world()
    ticket = make_ticket(world)
    t0 = timezone.now() - 30 * 24 * H  # both whistles' report-by long past
    perform(ticket, "accept", world.gridworker_a, now=t0)
    whistle(ticket, world, t0, ["CG", "ZJ"])
    whistle(ticket, world, t0 + H, ["CG"])
    perform(
        ticket, "whistle-report", world.city_handler, now=t0 + H, department="CG", note="已到场"
    )
    rate = {"department": "CG", "rating": 4, "note": "到场及时，摊点当天清除"}
    perform(ticket, "whistle-rate", world.street_staff, now=t0 + 20 * 24 * H, **rate)
    rate = {"department": "CG", "rating": 1, "note": "第二次召集未到场"}
    perform(ticket, "whistle-rate", world.street_staff, now=t0 + 21 * 24 * H, **rate)
    perform(ticket, "whistle-rate", world.street_staff, department="ZJ", rating=2)

    client.force_login(world.street_staff)
    html = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    items = summons_items(html)
    assert "评价说明：到场及时，摊点当天清除" in items[(0, "CG")]
    assert "第二次召集" not in items[(0, "CG")]
    assert "评价说明：第二次召集未到场" in items[(1, "CG")]
    assert "评价说明" not in items[(0, "ZJ")]  # rated without a note: no empty line
