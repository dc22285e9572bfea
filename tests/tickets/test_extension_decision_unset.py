"""延期审批 leaves the decision to the approver: the form came with 批准 already ticked, so
pressing the button unread (or sending it meaning to reject, the reason typed and the radio
forgotten) extended the deadline. Now neither is ticked and a decision is asked for (found
walking the demo as 魏家坡社区 on a phone)."""

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.tickets import lifecycle

from .factories import make_ticket, make_world
from .test_views import act, client_for, html_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(client):
    world = make_world()
    ticket = make_ticket(world)
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    until = ticket.resolve_by + dt.timedelta(days=3)
    lifecycle.perform(ticket, "extend", world.gridworker_a, until=until, reason="需要协调物业")
    client_for(client, world.community_staff)
    return ticket


def test_neither_approve_nor_reject_is_ticked(client, pending):
    html = html_of(client.get(reverse("tickets:detail", args=[pending.code])))
    form = html[html.index('id="action-approve-extension"') :]
    form = form[: form.index("</form>")]
    radios = [tag for tag in form.split("<input")[1:] if 'name="approve-extension-approve"' in tag]
    assert len(radios) == 2
    assert not any("checked" in tag.split(">")[0] for tag in radios)
    assert all("required" in tag.split(">")[0] for tag in radios)


def test_a_decision_left_out_decides_nothing_and_says_so(client, pending):
    resolve_by = pending.resolve_by
    response = act(client, pending, "approve-extension", reason="物业已答应本周处理")
    pending.refresh_from_db()
    assert pending.resolve_by == resolve_by
    assert pending.extensions.get().state == "pending"
    assert "请选择批准或不批准延期。" in html_of(response)
