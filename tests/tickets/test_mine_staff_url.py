"""A resident opening the workbench address of their own demand (/tickets/<code>/: a link
passed on by staff, a code read out on the phone) got 404; they are sent to their own page
of it, 我的诉求. Anyone else's demand answers exactly as a code that does not exist."""

import re

import pytest
from django.urls import reverse

from .factories import make_ticket, make_world_with_resident, reported_by_resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world_with_resident()


def test_a_resident_is_sent_from_the_staff_address_to_their_own_page(client, world):
    filed = reported_by_resident(world)  # 随手拍: reported by them
    asked = make_ticket(world, requester=world.person, requester_name="", title="路灯不亮")
    client.force_login(world.resident)
    for ticket in (filed, asked):
        response = client.get(reverse("tickets:detail", args=[ticket.code]))
        assert response.status_code == 302
        assert response["Location"] == reverse("tickets:mine-detail", args=[ticket.code])
        assert client.get(response["Location"]).status_code == 200


def test_another_ones_demand_reads_as_a_code_that_does_not_exist(client, world):
    other = make_ticket(world, title="别人的诉求")
    client.force_login(world.resident)
    theirs = client.get(reverse("tickets:detail", args=[other.code]))
    unknown = client.get(reverse("tickets:detail", args=["GD20990101-999999"]))
    assert theirs.status_code == unknown.status_code == 404

    def body(response, code):
        # The page names the address asked for (the language switch) and a fresh CSRF token.
        text = response.content.decode().replace(code, "CODE")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert body(theirs, other.code) == body(unknown, "GD20990101-999999")


def test_staff_who_see_it_still_get_the_workbench_page(client, world):
    ticket = reported_by_resident(world)
    client.force_login(world.gridworker_a)
    assert client.get(reverse("tickets:detail", args=[ticket.code])).status_code == 200
