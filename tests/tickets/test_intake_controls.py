"""Control characters at intake: the invisible ones a paste brings along are dropped (what is
stored is what the operator saw), a NUL is refused naming the field (damaged text)."""

import pytest
from django.urls import reverse

from gridgov.tickets import intake
from gridgov.tickets.models import Ticket

from .factories import make_world, ticket_data
from .test_api import TICKETS, client_for, snapshot
from .test_views import client_for as login
from .test_views import html_of, intake_post

pytestmark = pytest.mark.django_db

PASTED = {
    "title": "楼道\x0b堆满\x1b[0m杂物\x7f",
    "description": "3号楼2单元\x0c楼道里堆满了纸箱，\t挡住了通道。\r\n请尽快\x08处理。",
    "address": "魏家坡小区\x1f3号楼2单元",
    "requester_name": "张\x01三",
}


@pytest.fixture
def world():
    return make_world()


def assert_dropped(ticket):
    assert ticket.title == "楼道堆满[0m杂物"
    # Tab, CR and LF are text: kept.
    assert ticket.description == "3号楼2单元楼道里堆满了纸箱，\t挡住了通道。\r\n请尽快处理。"
    assert ticket.address == "魏家坡小区3号楼2单元"
    assert ticket.requester_name == "张三"


def test_api_drops_invisible_control_characters(world):
    response = client_for(world.hotline).post(
        TICKETS, ticket_data(category=world.corridor.code, **PASTED), format="json"
    )
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get()
    assert_dropped(ticket)
    # The address without its control character still names the building.
    assert ticket.building is not None and ticket.grid == world.grid_a
    assert response.json()["title"] == ticket.title


@pytest.mark.parametrize("field", ["title", "description", "address", "requester_name"])
def test_intake_refuses_a_nul_naming_the_field(world, field):
    """Every way in (patrols, visits, Open311 pass here too), not only the API's fields."""
    before = snapshot()
    data = ticket_data(category=world.corridor.code)
    data[field] = data[field][:2] + "\x00" + data[field][2:]
    with pytest.raises(intake.IntakeError) as caught:
        intake.create_ticket(data, actor=world.hotline)
    assert list(caught.value.errors) == [field]
    assert "空字符" in str(caught.value.errors[field])
    assert snapshot() == before


def test_api_refuses_a_nul_with_a_400_naming_the_field(world):
    before = snapshot()
    response = client_for(world.hotline).post(
        TICKETS, ticket_data(description="纸箱\x00挡路"), format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "description" in error["detail"]
    assert "空字符" in error["detail"]["description"][0]
    assert snapshot() == before


def test_intake_form_drops_invisible_controls_and_refuses_a_nul(client, world):
    login(client, world.hotline)
    response = client.post(
        reverse("tickets:new-hotline"), intake_post(category=world.corridor.code, **PASTED)
    )
    assert response.status_code == 302
    assert_dropped(Ticket.objects.get())
    response = client.post(
        reverse("tickets:new-hotline"),
        intake_post(idempotency_key="k-nul", title="楼道\x00杂物", category=world.corridor.code),
    )
    assert response.status_code == 400
    assert "空字符" in html_of(response)
    assert Ticket.objects.count() == 1
