"""After deciding an extension the page said 已完成：延期审批。, the same whether it was approved
or refused (found walking 接诉即办 as a community office)."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import lifecycle

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def asked_for_five_more_days(world):
    ticket = make_ticket(world)
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    ticket.refresh_from_db()
    until = ticket.resolve_by + dt.timedelta(days=5)
    lifecycle.perform(ticket, "extend", world.gridworker_a, until=until, reason="需等物业协商")
    ticket.refresh_from_db()
    return ticket, until


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def test_an_approved_extension_says_approved_with_the_new_deadline(client, world):
    ticket, until = asked_for_five_more_days(world)
    client.force_login(world.community_staff)
    url = reverse("tickets:act", args=[ticket.code, "approve-extension"])
    data = {"approve-extension-version": ticket.version, "approve-extension-approve": "yes"}
    response = client.post(url, data)
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [f"已批准延期：{ticket.code} 的办结时限延至 {local(until)}。"]


def test_a_refused_extension_says_refused_and_the_deadline_that_stays(client, world):
    ticket, _until = asked_for_five_more_days(world)
    client.force_login(world.community_staff)
    url = reverse("tickets:act", args=[ticket.code, "approve-extension"])
    data = {"approve-extension-version": ticket.version, "approve-extension-approve": "no"}
    data["approve-extension-reason"] = "先约谈物业，整改不到位再申请"
    html = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    said = f"已不批准延期：{ticket.code} 的办结时限不变，仍为 {local(ticket.resolve_by)}。"
    assert said in html
    assert "已完成：延期审批" not in html and "已批准延期" not in html


def test_a_request_left_pending_when_the_ticket_is_resolved_no_longer_says_pending(client, world):
    # Found walking the grid worker's phone: the grid resolved the ticket while its request
    # waited, and the page went on saying 待审批 for a decision nobody could take any more.
    ticket, _until = asked_for_five_more_days(world)
    client.force_login(world.gridworker_a)
    html = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert "待审批" in html and "data-undecidable" not in html
    lifecycle.perform(ticket, "resolve", world.gridworker_a, reply="已协调物业清理")
    html = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert "未审批：工单已不在办理中" in html and "data-undecidable" in html
    assert 'badge badge--warn">待审批' not in html
