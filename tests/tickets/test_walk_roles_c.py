"""Fixes from the walk of the demo as a department handler, community staff and district
staff (helper C, 2026-11-29)."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Status, Summons

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
    done = f"已完成：退单（{ticket.code}），该工单已移出您的待办。"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [done]


def _whistled(world, departments, reported=()):
    """A ticket the street whistled on `departments`; those `reported` came; the others are
    an hour late to report."""
    ticket = make_ticket(world)
    perform(
        ticket,
        "whistle",
        world.street_staff,
        departments=departments,
        report_within_hours=1,
        reason="联合整治",
    )
    for handler, code in reported:
        perform(ticket, "whistle-report", handler, department=code, note="已到场")
    Summons.objects.filter(whistle__ticket=ticket).update(
        report_by=timezone.now() - dt.timedelta(hours=1)
    )
    return ticket


def _row(client, user, url, params, ticket):
    """The ticket's row in the list at `url`, as `user` sees it."""
    client.force_login(user)
    page = client.get(url, params).content.decode()
    return page.split(f'data-code="{ticket.code}"')[1].split("</tr>")[0]


def test_the_late_reports_tab_names_the_departments_late_on_each_row(client, world):
    """报到超时 listed the tickets, but who was late only on each ticket's page."""
    ticket = _whistled(world, ["CG", "ZJ"], reported=[(world.housing_handler, "ZJ")])
    queue = reverse("tickets:queue")
    row = _row(client, world.street_staff, queue, {"tab": "late_reports"}, ticket)
    assert "报到超时" in row and world.city_mgmt.name in row
    assert world.housing.name not in row  # 住建 came


def test_a_late_department_is_not_told_its_own_name_again_on_its_row(client, world):
    """Its row says 吹哨待报到 and 报到超时 already; the names are for whoever follows up."""
    ticket = _whistled(world, ["CG"])
    row = _row(client, world.city_handler, reverse("tickets:queue"), {"tab": "all"}, ticket)
    assert "报到超时" in row and world.city_mgmt.name not in row


def test_a_department_handlers_kpi_ranking_opens_on_the_departments(client, world):
    """It opened on the district's streets, where the handler's unit is not."""
    client.force_login(world.city_handler)
    page = client.get(reverse("tickets:kpis")).content.decode()
    assert re.search(r'<option value="department" selected', page)
    assert world.city_mgmt.name in page.split("<table")[1]
    # Staff with a place still open on the units below it.
    client.force_login(world.street_staff)
    page = client.get(reverse("tickets:kpis")).content.decode()
    assert not re.search(r'<option value="department" selected', page)


def test_the_home_page_leaves_out_a_unit_with_no_kpi_figures(client, world):
    """District staff saw their district office, given no tickets, as a row of dashes."""
    make_ticket(world)  # dispatched to grid A
    client.force_login(world.district_staff)
    page = client.get("/").content.decode()
    assert f'data-unit="{world.district.code}"' not in page
    client.force_login(world.gridworker_a)
    page = client.get("/").content.decode()
    assert f'data-unit="{world.grid_a.code}"' in page  # given one: its row, dashes and all


def test_the_area_lists_whistled_tickets_name_the_departments_late(client, world):
    """辖区工单 › 吹哨件, the district's list of whistles, names who is late as the queue does."""
    ticket = _whistled(world, ["ZJ"])
    area = reverse("tickets:list")
    row = _row(client, world.district_staff, area, {"status": "whistled"}, ticket)
    assert "报到超时" in row and world.housing.name in row


def test_escalating_from_the_page_needs_a_reason(client, world):
    """The community passed a ticket up to the street with nothing said; a return needs a
    reason, and the unit above takes the ticket over from this page."""
    ticket = make_ticket(world, category=world.community_matter.code)
    perform(ticket, "accept", world.community_staff)
    client.force_login(world.community_staff)
    url = reverse("tickets:act", args=[ticket.code, "escalate"])
    page = client.post(url, {"escalate-version": "1", "escalate-reason": " "})
    assert page.status_code == 400 and "上报必须说明原因。" in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.ACCEPTED
    client.post(url, {"escalate-version": "1", "escalate-reason": "涉及道路规划，请街道协调"})
    ticket.refresh_from_db()
    assert ticket.status == Status.ESCALATED and ticket.owner_place == world.street
