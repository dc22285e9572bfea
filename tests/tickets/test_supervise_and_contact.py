"""督办 by a person says what it asks for, and only a unit above (or the dispatch desk) may
do it; a contact (响应) is made by one of a fixed set of methods, shown by their Chinese
names. Through the API and the ticket page alike; a refusal writes nothing."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.tickets import lifecycle
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Ticket, TicketEvent

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"
NEEDS_REASON = "请写明督办要求：要承办单位做什么、何时前办好。"


@pytest.fixture
def world():
    return make_world()


def api_act(user, ticket, action, **params):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(f"{TICKETS}{ticket.pk}/{action}/", params, format="json")


def page_act(client, user, ticket, action, **fields):
    """POST one action form as the ticket page sends it (fields prefixed by the action)."""
    client.force_login(user)
    ticket.refresh_from_db()
    data = {f"{action}-version": ticket.version}
    data.update({f"{action}-{name}": value for name, value in fields.items()})
    url = reverse("tickets:act", args=[ticket.code, action])
    return client.post(url, data, HTTP_HX_REQUEST="true")


def written():
    return (
        TicketEvent.objects.count(),
        list(Ticket.objects.order_by("pk").values_list("pk", "status", "version", "updated_at")),
    )


def street_owned(w):
    """A grid's ticket passed up to the community, then to the street office."""
    ticket = make_ticket(w)
    perform(ticket, "escalate", w.gridworker_a, reason="需要社区协调")
    perform(ticket, "escalate", w.community_staff, reason="涉及多个社区")
    ticket.refresh_from_db()
    assert ticket.owner_place == w.street
    return ticket


# --- 督办 -----------------------------------------------------------------------------------


def test_a_person_supervising_without_a_reason_is_400_and_writes_nothing(world):
    ticket = make_ticket(world)
    before = written()
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = api_act(world.hotline, ticket, "supervise", **body)
        assert response.status_code == 400, body
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert error["detail"]["reason"] == NEEDS_REASON
    with pytest.raises(lifecycle.BadParameters):
        perform(ticket, "supervise", world.community_staff, reason="")
    assert written() == before
    response = api_act(world.hotline, ticket, "supervise", reason="群众反复来电，请今日内清理")
    assert response.status_code == 200, response.json()
    assert ticket.events.get(action="supervise").reason == "群众反复来电，请今日内清理"


def test_the_sweep_and_a_callers_urging_still_supervise_with_their_own_reasons(world):
    ticket = make_ticket(world)
    perform(ticket, "supervise", None, stage="accept")  # the deadline sweep
    assert lifecycle.urge(ticket, world.hotline) == 1  # 来电催办
    assert ticket.events.filter(action="supervise").count() == 2


def test_only_a_unit_above_or_the_dispatch_desk_supervises(world):
    """The street office held a ticket passed up to it and could 督办 it, being a dispatcher
    of its street: pressure on itself, counted as supervision from above."""
    ticket = street_owned(world)
    allowed = {
        user.username: "supervise" in lifecycle.allowed_actions(ticket, user)
        for user in (world.street_staff, world.district_staff, world.hotline)
    }
    assert allowed == {"street": False, "district": True, "hotline": True}
    before = written()
    response = api_act(world.street_staff, ticket, "supervise", reason="督促")
    assert response.status_code == 403
    assert written() == before
    grid_ticket = make_ticket(world)
    assert "supervise" in lifecycle.allowed_actions(grid_ticket, world.community_staff)
    assert "supervise" in lifecycle.allowed_actions(grid_ticket, world.street_staff)
    assert "supervise" not in lifecycle.allowed_actions(grid_ticket, world.gridworker_a)


def test_the_supervise_form_says_what_to_write_and_refuses_a_blank_one(client, world):
    ticket = make_ticket(world)
    client.force_login(world.community_staff)
    html = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    form = html[html.index('<form id="action-supervise"') :]
    form = form[: form.index("</form>")]
    assert "督办要求" in form
    assert 'placeholder="要承办单位做什么、何时前办好，如：' in form
    before = written()
    response = page_act(client, world.community_staff, ticket, "supervise", reason="  ")
    assert NEEDS_REASON in response.content.decode()  # in the form, re-rendered
    assert written() == before
    response = page_act(client, world.community_staff, ticket, "supervise", reason="请本周内办结")
    assert response.status_code == 200
    assert ticket.events.get(action="supervise").reason == "请本周内办结"


# --- contact methods ------------------------------------------------------------------------


def accepted(world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    return ticket


def test_a_contact_method_outside_the_set_is_400_naming_the_allowed_ones(world):
    ticket = accepted(world)
    before = written()
    for method in ("fax", "电话", "PHONE", ""):
        response = api_act(world.gridworker_a, ticket, "contact", method=method, note="已联系")
        assert response.status_code == 400, method
        (message,) = response.json()["error"]["detail"]["method"]
        assert all(code in message for code in lifecycle.CONTACT_METHODS), message
    with pytest.raises(lifecycle.BadParameters) as refused:
        perform(ticket, "contact", world.gridworker_a, method="fax")
    assert refused.value.detail["allowed"] == ["phone", "sms", "wechat", "visit", "other"]
    assert written() == before
    response = api_act(world.gridworker_a, ticket, "contact", method="wechat", note="微信联系")
    assert response.status_code == 200, response.json()
    assert ticket.events.get(action="contact").data["method"] == "wechat"
    # Without a method, a phone call as before.
    perform(ticket, "contact", world.gridworker_a, note="再次联系")
    assert ticket.events.filter(action="contact").last().data["method"] == "phone"


def test_the_schema_lists_the_contact_methods(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/tickets/{id}/contact/"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    method = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]["method"]
    if "$ref" in method:
        method = schema["components"]["schemas"][method["$ref"].rsplit("/", 1)[-1]]
    elif "allOf" in method:
        method = schema["components"]["schemas"][method["allOf"][0]["$ref"].rsplit("/", 1)[-1]]
    assert method["enum"] == ["phone", "sms", "wechat", "visit", "other"]


def test_the_contact_form_offers_the_methods_and_the_timeline_names_them(client, world):
    ticket = accepted(world)
    perform(ticket, "contact", world.gridworker_a, method="phone", note="旧记录")
    # An event from before the methods were fixed, with what its client sent.
    TicketEvent.objects.filter(ticket=ticket, action="contact").update(
        data={"method": "电话回访<b>", "on_time": True}
    )
    client.force_login(world.gridworker_a)
    html = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    form = html[html.index('<form id="action-contact"') :]
    form = form[: form.index("</form>")]
    options = [
        ("phone", "电话"),
        ("sms", "短信"),
        ("wechat", "微信"),
        ("visit", "上门走访"),
        ("other", "其他"),
    ]
    assert '<select name="contact-method"' in form
    for value, label in options:
        assert f'<option value="{value}"' in form and f">{label}</option>" in form
    assert "方式：电话回访&lt;b&gt;" in html  # as it was sent, escaped
    before = written()
    response = page_act(client, world.gridworker_a, ticket, "contact", method="fax", note="")
    assert "fax" in response.content.decode()  # named in the form's error
    assert written() == before
    response = page_act(client, world.gridworker_a, ticket, "contact", method="visit", note="")
    assert response.status_code == 200
    assert "方式：上门走访" in response.content.decode()
