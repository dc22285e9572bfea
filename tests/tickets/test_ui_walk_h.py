"""Fixes from a walk of the demo as its users would (hotline, grid worker on a phone, street
staff, residents): forms sent back with errors say the photos they came with were not kept;
a resolve asks for its reply in the browser before the photos are sent."""

import re

import pytest
from django.urls import reverse

from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Ticket

from .factories import make_ticket, make_world
from .test_views import act, client_for, html_of, png_upload

pytestmark = pytest.mark.django_db
DROPPED = "照片未保存，请重新选择。"


@pytest.fixture
def world():
    return make_world()


def test_a_photo_report_without_a_place_says_its_photo_must_be_chosen_again(client, world):
    client_for(client, world.gridworker_a)
    response = client.post(
        reverse("tickets:report"),
        {
            "description": "2栋门口井盖破损",
            "photos": [png_upload()],
            "address": "",
            "category": "",
            "idempotency_key": "r-dropped",
        },
    )
    assert response.status_code == 400
    html = html_of(response)
    assert "请共享位置，或填写问题所在的地址。" in html
    assert DROPPED in html and "2栋门口井盖破损" in html
    assert not Ticket.objects.exists()


def test_no_photo_note_when_no_photo_was_sent(client, world):
    client_for(client, world.gridworker_a)
    response = client.post(
        reverse("tickets:report"),
        {"description": "井盖破损", "address": "", "category": "", "idempotency_key": "r2"},
    )
    assert response.status_code == 400 and DROPPED not in html_of(response)


def test_a_hotline_form_sent_back_says_its_photos_must_be_chosen_again(client, world):
    client_for(client, world.hotline)
    response = client.post(
        reverse("tickets:new-hotline"),
        {
            "description": "楼下烧烤油烟扰民",
            "address": "魏家坡小区3号楼",
            "nature": "complaint",
            "photos": [png_upload()],
            "idempotency_key": "h-dropped",
        },
    )
    assert response.status_code == 400  # a complaint needs a phone
    assert DROPPED in html_of(response)


def test_a_refused_resolve_says_its_photos_must_be_chosen_again(client, world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    client_for(client, world.gridworker_a)
    response = act(client, ticket, "resolve", reply="", photos=[png_upload()])
    html = html_of(response)
    assert "办结须填写给诉求人的答复。" in html and DROPPED in html
    ticket.refresh_from_db()
    assert ticket.status == "accepted" and not ticket.photos.exists()


def test_the_resolve_reply_is_asked_for_before_the_form_is_sent(client, world):
    # The browser checks it, so the photos chosen with the reply are not sent and dropped.
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    client_for(client, world.gridworker_a)
    html = html_of(client.get(reverse("tickets:detail", args=[ticket.code])))
    reply = re.search(r'<textarea[^>]*name="resolve-reply"[^>]*>', html).group(0)
    assert " required" in reply


def test_the_home_page_shows_a_residents_demand_in_the_words_of_my_demands(client, world):
    """The home page showed 已上报 (escalated, an internal step) where 我的诉求 said 办理中."""
    from gridgov.tickets.models import Status
    from tests.people.factories import PersonFactory

    from .factories import reported_by_resident

    world.person = PersonFactory(user=world.resident, place=world.buildings[0], name="刘居民")
    ticket = reported_by_resident(world)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.ESCALATED)
    client_for(client, world.resident)
    home = html_of(client.get("/"))
    item = re.search(rf'<li><a href="[^"]*{ticket.code}/">.*?</li>', home, re.S).group(0)
    assert "办理中" in item and "已上报" not in item
    mine = html_of(client.get(reverse("tickets:mine")))
    assert "办理中" in mine and "已上报" not in mine


def suggest(client, **params):
    response = client.get(reverse("tickets:suggest"), params)
    assert response.status_code == 200
    return html_of(response)


def test_where_it_would_go_has_no_space_before_the_full_width_bracket(client, world):
    """现在提交，将派至魏家坡小区 （属地办理）: the template's line break between the unit and
    the bracket showed as a space in Chinese text (intake, 随手拍 and the patrol's hazard on a
    phone; found walking the demo as the grid worker)."""
    client_for(client, world.hotline)
    text = {"description": "3号楼楼道里堆满了纸箱和旧家具，挡住了通道"}
    html = suggest(client, **text, address="魏家坡小区3号楼2单元", category=world.corridor.code)
    assert f'{world.grid_a.name}</strong><span class="muted">（属地办理）</span>' in html
    html = suggest(client, **text, address="魏家坡小区3号楼2单元", category=world.unlicensed.code)
    assert '</strong><span class="muted">（派单规则）</span>' in html
    client.cookies["django_language"] = "en"  # English keeps its space
    html = suggest(client, **text, address="魏家坡小区3号楼2单元", category=world.corridor.code)
    assert '</strong><span class="muted"> (the place\'s office)</span>' in html


def test_the_hotline_desk_sees_where_the_ticket_would_go_before_filing(client, world):
    """The intake suggested a category but not where the ticket would go: the operator
    learnt it only after filing, with the caller gone."""
    client_for(client, world.hotline)
    text = {"description": "3号楼楼道里堆满了纸箱和旧家具，挡住了通道"}
    # A grid event at an address in grid A: the grid's office.
    html = suggest(client, **text, address="魏家坡小区3号楼2单元", category=world.corridor.code)
    assert f'data-route="{world.grid_a.code}"' in html
    assert (
        f"现在提交，将派至<strong>{world.grid_a.name}</strong>" in html and "（属地办理）" in html
    )
    # A category with a routing rule: the department.
    html = suggest(client, **text, address="魏家坡小区3号楼2单元", category=world.unlicensed.code)
    assert 'data-route="CG"' in html and "城管执法局" in html and "（派单规则）" in html
    # No place: the desk, and it says why.
    html = suggest(client, **text, address="", category=world.corridor.code)
    assert 'data-route="desk"' in html and "派单台" in html and "地址尚未匹配到具体地点。" in html
    # An address in a district not ours: no route, since intake will refuse it.
    html = suggest(client, **text, address="北京市朝阳区建国路88号", category=world.corridor.code)
    assert 'data-route="outside"' in html and "派单台" not in html
    assert (
        "地址位于“北京市朝阳区”，不在本辖区内：请核对地址；地址无误的，请转当地12345热线办理。"
        in html
    )
    # What is filed goes where the preview said.
    response = client.post(
        reverse("tickets:new-hotline"),
        {
            **text,
            "address": "魏家坡小区3号楼2单元",
            "category": world.unlicensed.code,
            "nature": "complaint",
            "requester_phone": "13812341234",
            "idempotency_key": "route-1",
        },
    )
    assert response.status_code == 302
    assert Ticket.objects.get().owner_department == world.city_mgmt


def test_the_photo_report_and_residents_get_no_route(client, world):
    client_for(client, world.hotline)
    assert "data-route" not in suggest(client, description="楼道堆物", answers="0")
    client_for(client, world.resident)
    assert "data-route" not in suggest(client, description="楼道堆物")


def test_the_area_list_finds_supervised_and_whistled_tickets(client, world):
    """A street office had no way to list the tickets it supervised or whistled: no tab,
    no filter (only each ticket's own timeline)."""
    from .test_walk_fixes import whistled as whistled_ticket

    supervised, plain = make_ticket(world), make_ticket(world)
    done = make_ticket(world)
    perform(supervised, "supervise", world.street_staff, reason="群众反复来电")
    perform(done, "supervise", world.street_staff, reason="督办")
    perform(done, "accept", world.gridworker_a)
    perform(done, "resolve", world.gridworker_a, reply="已清理")
    whistled = whistled_ticket(world)
    client_for(client, world.street_staff)

    def listed(status):
        html = html_of(client.get(reverse("tickets:list"), {"status": status}))
        return set(re.findall(r'data-code="([^"]+)"', html))

    assert listed("supervised") == {supervised.code}  # open ones: the resolved one is done
    assert listed("whistled") == {whistled.code}
    assert plain.code in listed("")
    options = html_of(client.get(reverse("tickets:list")))
    assert '<option value="supervised">督办件（在办）</option>' in options
    assert '<option value="whistled">吹哨件</option>' in options


def test_once_the_requester_was_reached_resolving_comes_first(client, world):
    """After 联系诉求人 the contact form still stood first, open, above 办结."""
    from .test_walk_fixes import forms_in_order

    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    client_for(client, world.gridworker_a)
    url = reverse("tickets:detail", args=[ticket.code])
    assert forms_in_order(html_of(client.get(url)))[:2] == ["contact", "resolve"]
    perform(ticket, "contact", world.gridworker_a, method="phone")
    html = html_of(client.get(url))
    order = forms_in_order(html)
    assert order[0] == "resolve" and "contact" in order[1:]  # still there, for another call
    assert re.search(r'<details class="action">\s*<summary>联系诉求人</summary>', html)


def test_a_logged_visit_is_named_with_its_compound(client, world):
    """走访已记录：4栋 1单元 703室 — the same room number is in every compound; the page heads
    it with the compound, the message did not."""
    from django.contrib.messages import get_messages

    from .factories import add_households

    add_households(world)
    client_for(client, world.gridworker_a)
    url = reverse("tickets:visit-new", args=[world.home_a.pk])
    response = client.post(url, {"heard": "一切正常"})
    assert response.status_code == 302
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    compound = world.home_a.building.parent.name
    assert message == f"走访已记录：{compound} {world.home_a}。"


def test_the_address_example_names_no_estate_of_the_demo(client, world):
    # A street's own install showed the demo's 魏家坡小区 as the example address.
    client_for(client, world.hotline)
    html = html_of(client.get(reverse("tickets:new-hotline")))
    assert 'placeholder="如：××小区3号楼2单元"' in html
    assert "魏家坡" not in html
