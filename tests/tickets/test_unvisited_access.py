"""The households not visited lately are listed to those who visit households, on the page
and through the API alike (`tickets.visit_households`, patrols.unvisited_in): grid and
micro-grid workers, sent-down cadres and community staff, in their own area. Hotline
operators, community police and other registry roles browse people, not a visiting list."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.people.models import Household, Role
from gridgov.tickets import patrols
from tests.people.factories import user_with_role

from .factories import add_households, make_world

pytestmark = pytest.mark.django_db
URL = "/api/v1/visits/unvisited/"


@pytest.fixture
def world():
    w = add_households(make_world())
    w.police = user_with_role(Role.COMMUNITY_POLICE, w.community, username="police")
    w.cadre = user_with_role(Role.CADRE, w.grid_a, username="cadre")
    w.micro = user_with_role(Role.MICRO_GRID_WORKER, w.buildings[1], username="micro")
    return w


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def listed(user, grid):
    response = api(user).get(URL, {"grid": grid.code})
    assert response.status_code == 200, response.content
    return {row["household"] for row in response.json()["results"]}


def test_hotline_operators_and_community_police_get_no_visiting_list(client, world):
    for user in (world.hotline, world.police, world.street_staff, world.district_staff):
        response = api(user).get(URL, {"grid": world.grid_a.code})
        assert response.status_code == 403, user.username
        assert response.json()["error"]["code"] == "permission_denied"
        client.force_login(user)
        assert client.get(reverse("tickets:visits")).status_code == 403  # as on the page


def test_those_who_visit_get_the_households_of_their_area_in_the_grid(client, world):
    in_a = {world.home_a.pk, world.home_a2.pk}
    assert listed(world.gridworker_a, world.grid_a) == in_a
    assert listed(world.cadre, world.grid_a) == in_a
    assert listed(world.community_staff, world.grid_b) == {world.home_b.pk}
    # A micro-grid worker of one building asks for its grid: that building's households.
    assert listed(world.micro, world.grid_a) == {world.home_a2.pk}
    # Another grid is outside the grid worker's area.
    assert api(world.gridworker_b).get(URL, {"grid": world.grid_a.code}).status_code == 403
    # The page lists the same households to the same people.
    for user, grid in ((world.gridworker_a, world.grid_a), (world.micro, world.grid_a)):
        client.force_login(user)
        page = client.get(reverse("tickets:visits")).content.decode()
        expected = set(patrols.unvisited_in(user, grid).values_list("pk", flat=True))
        assert expected == listed(user, grid)
        for household in Household.objects.all():
            shown = f'data-household="{household.pk}"' in page
            assert shown == (household.pk in expected), (user.username, household)


def test_the_rule_takes_the_grid(world):
    assert world.gridworker_a.has_perm("tickets.visit_households", world.grid_a)
    assert not world.gridworker_a.has_perm("tickets.visit_households", world.grid_b)
    assert world.micro.has_perm("tickets.visit_households", world.grid_a)
    assert not world.police.has_perm("tickets.visit_households")
    assert not world.hotline.has_perm("tickets.visit_households", world.grid_a)
