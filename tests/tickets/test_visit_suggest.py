"""入户走访: a demand heard on a visit gets, as it is typed, the categories its words suggest
(chips that set the form's category) and where the ticket will go, as the patrol's hazard
(for=hazard) and the intake page have them. A sent-down cadre, who takes no calls in
(no tickets.take_in), had only the ~300-entry category list and no route, and a demand the
classifier was unsure of waited at the street's desk unbeknown to them. The route is shown
to whoever may file a demand on that visit (rules.files_on_channel for the visit channel,
patrols.visit_capacity for the household), nobody more."""

import re

import pytest
from django.urls import reverse

from gridgov.people.models import Role
from gridgov.tickets import patrols
from tests.people.factories import user_with_role

from .factories import add_households, make_world

pytestmark = pytest.mark.django_db
HEARD = "王大爷反映楼道里堆满了纸箱和旧家具，挡住了通道"


@pytest.fixture
def world():
    w = add_households(make_world())
    w.cadre = user_with_role(Role.CADRE, w.grid_a, username="cadre")
    return w


def suggest(client, user, household, **params):
    client.force_login(user)
    query = {"for": "visit", "household": household.pk, "heard": HEARD, **params}
    return client.get(reverse("tickets:suggest"), query).content.decode()


def routed_to(html):
    found = re.search(r'data-route="([^"]+)"', html)
    return found and found.group(1)


def test_a_cadre_gets_the_chips_and_the_route_filing_will_take(client, world):
    assert not world.cadre.has_perm("tickets.take_in")
    html = suggest(client, world.cadre, world.home_a, category=world.corridor.code)
    assert "data-pick-category" in html
    visit = patrols.log_visit(
        world.cadre,
        world.home_a,
        heard=HEARD,
        demand={"nature": "help", "category": world.corridor.code, "requester": world.wang.pk},
    )
    assert routed_to(html) == visit.ticket.owner_place.code == world.grid_a.code
    assert "将派至" in html


def test_no_route_outside_the_households_one_may_visit(client, world):
    # home_b lies in grid B, which this cadre does not visit: filing would be refused.
    assert patrols.visit_capacity(world.cadre, world.home_b) is None
    html = suggest(client, world.cadre, world.home_b, category=world.corridor.code)
    assert routed_to(html) is None and "data-pick-category" in html


def test_no_route_for_those_who_file_no_demand_on_visits(client, world):
    police = user_with_role(Role.COMMUNITY_POLICE, world.grid_a, username="police")
    assert not police.has_perm("tickets.file_on_channel", "visit")
    html = suggest(client, police, world.home_a, category=world.corridor.code)
    assert routed_to(html) is None


def test_the_visit_page_asks_for_them(client, world):
    client.force_login(world.cadre)
    html = client.get(reverse("tickets:visit-new", args=[world.home_a.pk])).content.decode()
    assert f"for=visit&amp;household={world.home_a.pk}" in html
    assert 'hx-include="#id_heard, #id_title, #id_category"' in html
