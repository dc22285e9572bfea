"""随手拍 by one who may patrol (a grid worker): 巡查发现 is ticked by default.

Unticked, his report was his own demand (a self-service channel): intake made his person
record its requester, and the ticket asked him to contact himself (诉求人本人, 响应). In the
field he is nearly always reporting what the patrol found, so the page starts ticked and
says what unticking means. A resident, who may not patrol, sees no change."""

import re

import pytest
from django.urls import reverse

from gridgov.tickets import lifecycle, progress
from gridgov.tickets.models import Channel, Status, Ticket
from tests.people.factories import PersonFactory

from .factories import make_world

pytestmark = pytest.mark.django_db

UNTICK_NOTE = "仅当这是您本人作为居民的诉求时才取消勾选"


@pytest.fixture
def world():
    w = make_world()
    # The grid worker lives in the area too: a person record intake could make requester.
    w.worker_person = PersonFactory(
        user=w.gridworker_a, place=w.buildings[0], name="赵网格", phone="13900001111"
    )
    return w


def page_of(client, user, data=None):
    client.force_login(user)
    if data is None:
        response = client.get(reverse("tickets:report"))
    else:
        response = client.post(reverse("tickets:report"), data)
    return response, response.content.decode()


def patrol_box(html):
    """The 巡查发现 checkbox's tag, or None."""
    found = re.search(r'<input[^>]*name="patrol"[^>]*>', html)
    return found and found.group(0)


def report(**extra):
    return {
        "description": "5栋楼道里电动车在充电",
        "address": "魏家坡小区5栋",
        "idempotency_key": extra.pop("idempotency_key", "k1"),
        **extra,
    }


def test_the_grid_workers_report_page_starts_with_patrol_ticked_and_says_what_unticking_means(
    client, world
):
    response, html = page_of(client, world.gridworker_a)
    assert response.status_code == 200
    box = patrol_box(html)
    assert box is not None and "checked" in box, box
    assert 'aria-describedby="patrol-help"' in box
    help_text = re.search(r'<p[^>]*id="patrol-help"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "没有诉求人，无需联系任何人" in help_text
    assert UNTICK_NOTE in help_text and "联系您本人" in help_text and "我的诉求" in help_text


def test_a_resident_sees_no_patrol_box_nor_its_note(client, world):
    response, html = page_of(client, world.resident)
    assert response.status_code == 200
    assert patrol_box(html) is None
    assert 'id="patrol-help"' not in html and UNTICK_NOTE not in html


def test_a_report_sent_back_keeps_the_box_as_he_left_it(client, world):
    """The default ticks the empty page only: a report refused (no place) comes back with
    the box unticked if he unticked it, ticked if he left it."""
    no_place = {"description": "路灯不亮", "idempotency_key": "k0"}
    response, html = page_of(client, world.gridworker_a, no_place)
    assert response.status_code == 400 and "checked" not in patrol_box(html)
    response, html = page_of(client, world.gridworker_a, {**no_place, "patrol": "on"})
    assert response.status_code == 400 and "checked" in patrol_box(html)
    assert not Ticket.objects.exists()


def test_a_patrol_finding_has_no_requester_and_nobody_to_contact(client, world):
    response, html = page_of(client, world.gridworker_a, report(patrol="on"))
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.PATROL
    assert ticket.requester is None and ticket.requester_phone == "" and not ticket.reachable
    assert ticket.respond_by is None  # no unit owes a first contact (kpis, the sweep)
    assert 'id="patrol-note"' in html and "已作为巡查发现登记" in html
    assert "<h1>巡查发现已上报</h1>" in html and "感谢您的反映" not in html
    # Not his demand: not in 我的诉求, so no link there from the done page.
    assert not progress.is_own(world.gridworker_a, ticket)
    assert not progress.own_tickets(world.gridworker_a).exists()
    assert 'id="follow-progress"' not in html
    # Once taken up, 响应 (contact) is not offered: there is nobody to call.
    ticket.status = Status.ACCEPTED
    assert "contact" not in lifecycle.allowed_actions(ticket)


def test_unticked_it_is_his_own_demand_as_the_page_says(client, world):
    response, html = page_of(client, world.gridworker_a, report())
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.PHOTO
    assert ticket.requester == world.worker_person and ticket.reachable
    assert progress.is_own(world.gridworker_a, ticket)
    assert 'id="patrol-note"' not in html
    # The done page leads where the report page said he would follow it: 我的诉求.
    follow = f'id="follow-progress" href="{reverse("tickets:mine-detail", args=[ticket.code])}"'
    assert follow in html


def test_a_patrol_finding_outside_his_grid_leaves_no_dead_link(client, world):
    """Reported on the neighbouring grid's patch: he may not open the ticket, and it is no
    demand of his in 我的诉求; the done page offered 查看办理进度, which answered 404."""
    response, html = page_of(
        client,
        world.gridworker_b,
        report(patrol="on", address="魏家坡小区3号楼", idempotency_key="k2"),
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.PATROL and ticket.grid == world.grid_a
    assert not world.gridworker_b.has_perm("tickets.view_ticket", ticket)
    assert reverse("tickets:mine-detail", args=[ticket.code]) not in html
    assert reverse("tickets:detail", args=[ticket.code]) not in html
