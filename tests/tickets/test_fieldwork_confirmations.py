"""After a walk or a visit: the confirmation links the ticket it filed, and 我最近的走访 names
each household with its compound (3栋 2单元 501室 is in many compounds)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import patrols
from gridgov.tickets.models import PatrolRecord, Visit

from .factories import add_households, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = add_households(make_world())
    w.task = patrols.create_task(w.community_staff, w.grid_a, "日常巡查", ["消防通道"], 1)
    return w


def messages_of(page):
    return page.split('<ul class="messages">')[1].split("</ul>")[0]


def link_to(code):
    return f'<a href="{reverse("tickets:detail", args=[code])}">{code}</a>'


def test_a_hazard_reported_on_a_walk_is_linked_from_the_confirmation(client, world):
    client.force_login(world.gridworker_a)
    url = reverse("tickets:patrol-walk", args=[world.task.pk])
    data = {
        "item_0": "issue",
        "hazard_open": "on",
        "hazard": "消防通道堆放建材<b>",
        "hazard_category": world.fire_lane.code,
    }
    page = client.post(url, data, follow=True).content.decode()
    code = PatrolRecord.objects.get().ticket.code
    assert f"发现的隐患已上报为工单 {link_to(code)}。" in messages_of(page)


def test_a_demand_filed_at_a_visit_is_linked_from_the_confirmation(client, world):
    client.force_login(world.gridworker_a)
    url = reverse("tickets:visit-new", args=[world.home_a.pk])
    data = {
        "heard": "王大爷反映楼道灯坏了一个月",
        "file_demand": "on",
        "nature": "help",
        "requester": str(world.wang.pk),
        "category": world.corridor.code,
    }
    page = client.post(url, data, follow=True).content.decode()
    code = Visit.objects.get().ticket.code
    said = messages_of(page)
    assert f"诉求已登记为工单 {link_to(code)}。" in said
    assert world.grid_a.name in said  # the compound, as before


def test_my_latest_visits_name_the_compound(client, world):
    now = timezone.now()
    for n, home in enumerate((world.home_a, world.home_b)):
        Visit.objects.create(
            household=home, visitor=world.community_staff, at=now - dt.timedelta(hours=n + 1)
        )
    client.force_login(world.community_staff)
    page = client.get(reverse("tickets:visits")).content.decode()
    recent = page.split('id="visits-recent"')[1].split("</ul>")[0]
    for home, grid in ((world.home_a, world.grid_a), (world.home_b, world.grid_b)):
        assert f'<div class="recent__title">{grid.name} {home}</div>' in recent


def test_the_confirmation_of_a_visits_demand_says_where_it_went(client, world):
    """A cadre has no route preview: the message gave the code alone, and a demand no unit
    was found for sat at the street's desk unbeknown to the visitor."""
    client.force_login(world.gridworker_a)
    data = {"file_demand": "on", "nature": "help", "requester": str(world.wang.pk)}
    url = reverse("tickets:visit-new", args=[world.home_a.pk])
    sent = {**data, "heard": "王大爷反映楼道灯坏了一个月", "category": world.corridor.code}
    said = messages_of(client.post(url, sent, follow=True).content.decode())
    assert f"已派至{world.grid_a.name}。" in said, said
    waiting = {**data, "heard": "嗯嗯好的谢谢"}  # no category, none found
    said = messages_of(client.post(url, waiting, follow=True).content.decode())
    ticket = Visit.objects.filter(ticket__isnull=False).latest("at").ticket
    assert ticket.status == "received"
    assert f"工单暂留{ticket.owner_place.name}派单台，由派单员人工派单。" in said, said
