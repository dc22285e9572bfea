"""A required choice on a form the browser validates is asked for before sending: on a phone
an unanswered one otherwise cost a round trip to learn it (as 我的诉求's 评价 did, 1271add).
退单's reason list was not marked required (lifecycle refuses a return without one), and the
派单规则 form said novalidate though its required fields are two lists. The server still
refuses both."""

import re

import pytest
from django.urls import reverse

from gridgov.tickets import lifecycle
from gridgov.tickets.models import RoutingRule, Status

from .factories import make_ticket, make_world
from .test_views import act, client_for, html_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def form_of(html, form_id):
    return re.search(rf'<form id="{form_id}"[^>]*>.*?</form>', html, re.S).group(0)


def opening_tag(form):
    return form.split(">", 1)[0]


def select_tag(form, name):
    return re.search(rf'<select name="{name}"[^>]*>', form).group(0)


def test_the_return_reason_is_asked_for_by_the_browser(client, world):
    ticket = make_ticket(world)
    client_for(client, world.gridworker_a)
    html = html_of(client.get(reverse("tickets:detail", args=[ticket.code])))
    form = form_of(html, "action-return")
    assert "novalidate" not in opening_tag(form)
    assert " required" in select_tag(form, "return-reason_code")
    assert '<option value="" selected>' in form  # nothing chosen in advance
    # Sent without one all the same (no browser, an old page): refused, nothing changes.
    html = html_of(act(client, ticket, "return", reason_code="", reason="不归我们管"))
    assert "退单必须说明原因。" in html
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED


def test_the_callback_questions_are_asked_for_by_the_browser(client, world):
    """回访's two questions: radios rendered required on a form without novalidate (as the
    requester's own 评价); guards them against a novalidate or a default added later."""
    ticket = make_ticket(world)
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    ticket.refresh_from_db()
    lifecycle.perform(ticket, "resolve", world.gridworker_a, reply="已清理")
    client_for(client, world.hotline)
    html = html_of(client.get(reverse("tickets:detail", args=[ticket.code])))
    form = form_of(html, "action-callback")
    assert "novalidate" not in opening_tag(form)
    for name, count in (("callback-resolved", 2), ("callback-satisfaction", 3)):
        radios = re.findall(rf'<input type="radio" name="{name}"[^>]*>', form)
        assert len(radios) == count
        assert all(" required" in r and "checked" not in r for r in radios)


def test_the_routing_rule_form_is_checked_by_the_browser(client, world):
    client_for(client, world.street_staff)
    html = html_of(client.get(reverse("tickets:routing-rules")))
    form = form_of(html, "routing-form")
    assert "novalidate" not in opening_tag(form)
    for name in ("category", "department"):
        assert " required" in select_tag(form, name)
    # The server still asks: a rule without its category or unit is refused.
    data = {"category": "", "place": world.street.code, "department": "", "note": "空"}
    response = client.post(reverse("tickets:routing-rules"), data)
    assert response.status_code == 400
    html = html_of(response)
    for name in ("category", "department"):
        assert f'<div class="field has-error" data-field="{name}">' in html
    assert not RoutingRule.objects.filter(note="空").exists()
