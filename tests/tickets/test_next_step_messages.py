"""Refusals that say what to do next (found walking the demo): an address outside our area at
the intake desks said only 不在本辖区内 (now: check it, or refer the demand to that area's
12345), and an extension's new deadline not past the current one said 新时限必须晚于当前办结
时限 without saying which deadline that is."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import intake, lifecycle
from gridgov.tickets.models import Ticket

from .factories import make_ticket, make_world, ticket_data
from .test_views import client_for, html_of, intake_post

pytestmark = pytest.mark.django_db

ABROAD = "北京市朝阳区建国路88号"
AT_DESK = "地址位于“北京市朝阳区”，不在本辖区内：请核对地址；地址无误的，请转当地12345热线办理。"
BARE = "地址位于“北京市朝阳区”，不在本辖区内。"


@pytest.fixture
def world():
    return make_world()


@pytest.mark.parametrize(
    "url, user", [("tickets:new-hotline", "hotline"), ("tickets:new-window", "community_staff")]
)
def test_the_intake_desk_is_told_what_to_do_with_an_address_outside_our_area(
    client, world, url, user
):
    client_for(client, getattr(world, user))
    response = client.post(reverse(url), intake_post(address=ABROAD))
    assert response.status_code == 400
    field = html_of(response).split('data-field="address"', 1)[1].split("</div>\n      </div>")[0]
    assert AT_DESK in field
    assert not Ticket.objects.exists()


def test_the_desk_page_says_it_before_filing_and_a_resident_is_not_told_to_transfer(client, world):
    client_for(client, world.hotline)
    check = reverse("tickets:address-check")
    assert AT_DESK in html_of(client.get(check, {"address": ABROAD, "at": "desk"}))
    preview = {"description": "楼道堆满杂物", "address": ABROAD, "category": world.corridor.code}
    assert AT_DESK in html_of(client.get(reverse("tickets:suggest"), preview))
    page = html_of(client.get(reverse("tickets:new-hotline")))
    assert f"{reverse('tickets:address-check')}?at=desk" in page
    # 随手拍's address check and a resident's own channel keep the bare refusal.
    bare = html_of(client.get(check, {"address": ABROAD}))
    assert BARE in bare and "12345" not in bare
    with pytest.raises(intake.IntakeError) as refused:
        intake.create_ticket(ticket_data(channel="photo", address=ABROAD), actor=world.hotline)
    assert refused.value.errors["address"] == BARE


def test_a_new_deadline_not_past_the_current_one_names_the_current_one(client, world):
    ticket = make_ticket(world)
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    ticket.refresh_from_db()
    current = timezone.localtime(ticket.resolve_by)
    client.force_login(world.gridworker_a)
    url = reverse("tickets:act", args=[ticket.code, "extend"])
    earlier = (current - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"extend-version": ticket.version, "extend-until": earlier, "extend-reason": "需协商"}
    html = html_of(client.post(url, data, HTTP_HX_REQUEST="true"))
    assert f"当前办结时限为 {current:%Y-%m-%d %H:%M}，新时限须晚于此。" in html
    assert not ticket.extensions.exists()
