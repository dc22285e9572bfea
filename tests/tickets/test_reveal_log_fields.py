"""The access log of a contact reveal listed `address` for a ticket that had none (and a
name for a caller who gave only a phone): a log must say what was seen, not what might have
been (DESIGN §8, docs/permissions.md)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.people.models import AccessLog
from gridgov.people.personal_data import reveal

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def test_a_reveal_on_the_page_logs_name_and_phone_of_a_ticket_without_an_address(client, world):
    ticket = make_ticket(world, address="", place=world.grid_a.code)
    assert ticket.address == ""
    client.force_login(world.gridworker_a)
    response = client.post(reverse("tickets:reveal", args=[ticket.code]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "13812341234" in html and 'data-field="address"' not in html
    log = AccessLog.objects.get()
    assert log.fields == ["requester_name", "requester_phone"]


def test_the_api_logs_only_the_phone_of_a_caller_who_gave_no_name(world):
    ticket = make_ticket(world, address="", requester_name="", place=world.grid_a.code)
    api = APIClient()
    api.force_authenticate(world.gridworker_a)
    response = api.get(f"/api/v1/tickets/{ticket.pk}/requester/", {"purpose": "回访"})
    assert response.status_code == 200
    assert response.json()["requester_phone"] == "13812341234"
    assert AccessLog.objects.get().fields == ["requester_phone"]


def test_a_ticket_with_everything_still_logs_everything(world):
    ticket = make_ticket(world)
    values = reveal(world.gridworker_a, ticket, None, "web", purpose="回访")
    assert values["address"] == "魏家坡小区3号楼2单元"
    assert AccessLog.objects.get().fields == ["requester_name", "requester_phone", "address"]


def test_a_blank_purpose_given_for_a_requester_falls_back_on_the_implied_one(client, world):
    """A purpose of spaces was passed on as given, and reveal (which now refuses a blank
    purpose) answered it with a 500 on both the page and the API."""
    ticket = make_ticket(world)
    api = APIClient()
    api.force_authenticate(world.gridworker_a)
    response = api.get(f"/api/v1/tickets/{ticket.pk}/requester/", {"purpose": "   "})
    assert response.status_code == 200
    client.force_login(world.gridworker_a)
    page = client.post(
        reverse("tickets:reveal", args=[ticket.code]), {"purpose": " "}, HTTP_HX_REQUEST="true"
    )
    assert page.status_code == 200 and "13812341234" in page.content.decode()
    assert sorted(AccessLog.objects.values_list("purpose", flat=True)) == ["requester", "办理工单"]
