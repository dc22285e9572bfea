"""The ticket page's forms around an escalation (h18's walk of 小事不出网格、大事不出社区):
the unit an escalated ticket was passed up to sends it down by name (按派单规则自动派单, the
default it had, sends it back where it came from and is refused); 上报 says where the ticket
goes; a sweep's escalation says once in the timeline that the sweep passed it up."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from gridgov.tickets import forms, intake, sweep, timeline
from gridgov.tickets.lifecycle import perform

from .factories import make_ticket, make_world, ticket_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _escalated(world):
    ticket = make_ticket(world)  # 楼道堆物: the rules send it to grid A
    perform(ticket, "accept", world.gridworker_a)
    perform(ticket, "escalate", world.gridworker_a, reason="需社区协调物业")
    return ticket


def _page(client, user, ticket):
    client.force_login(user)
    return client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()


def _form(text, action):
    found = re.search(rf'<form id="action-{action}".*?</form>', text, re.S)
    assert found, action
    return found.group(0)


@pytest.mark.parametrize("holder", ["community", "street"])
def test_an_escalated_ticket_is_sent_down_by_name_not_by_the_rules(client, world, holder):
    ticket = _escalated(world)
    user = world.community_staff
    if holder == "street":
        perform(ticket, "escalate", world.community_staff, reason="需街道协调")
        user = world.street_staff
    form = forms.DispatchForm(ticket=ticket, user=user)
    assert form.fields["target"].required
    assert form.fields["target"].choices[0] == ("", "请选择单位")
    dispatch = _form(_page(client, user, ticket), "dispatch")
    assert "按派单规则自动派单" not in dispatch
    assert re.search(r"<select[^>]*required", dispatch)
    # Left blank, the form asks for a unit; it does not try the rules and get refused.
    response = client.post(
        reverse("tickets:act", args=[ticket.code, "dispatch"]),
        {"dispatch-target": "", "dispatch-version": ticket.version},
    )
    ticket.refresh_from_db()
    assert ticket.status == "escalated"
    assert "按派单规则" not in response.content.decode()
    # Named, it goes down.
    perform(ticket, "dispatch", user, unit=world.grid_b.code, reason="请网格B处置")
    assert ticket.owner_place == world.grid_b


def test_the_escalate_form_says_where_the_ticket_goes(client, world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    escalate = _form(_page(client, world.gridworker_a, ticket), "escalate")
    assert "将上报至魏家坡社区。" in escalate
    ticket = _escalated(world)
    perform(ticket, "accept", world.community_staff)
    escalate = _form(_page(client, world.community_staff, ticket), "escalate")
    assert f"将上报至{world.street.name}。" in escalate


def test_a_sweep_escalation_says_once_that_the_sweep_passed_it_up(world):
    t0 = timezone.now() - dt.timedelta(days=20)
    data = ticket_data(category=world.corridor.code, title="楼道堆物无人清理")
    ticket = intake.create_ticket(data, actor=world.hotline, now=t0).ticket
    perform(ticket, "accept", world.gridworker_a, now=t0 + dt.timedelta(hours=1))
    sweep.run(remind=False)
    with translation.override("zh-hans"):
        (up,) = [e for e in timeline.events(ticket) if e.action == "escalate"]
        assert str(up.reason_text) == "超时已过宽限期：时限巡检自动上报。"
        assert not [line for line in up.lines if "自动上报" in line], up.lines
        assert "由 魏家坡小区 上报至 魏家坡社区" in up.lines
