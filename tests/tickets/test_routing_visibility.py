"""Which routing rules a user sees is one rule (routing.visible_rules) for the routing page
and GET /api/v1/routing-rules/: the rules for everywhere, for places above, at or under the
places of the user's ticket roles, and those naming the user's department; another street's
rules are not listed and their detail is 404, as for a rule that does not exist."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.people.models import Role
from gridgov.tickets import routing
from gridgov.tickets.models import RoutingRule
from tests.people.factories import user_with_role
from tests.places.factories import make_tree

from .factories import make_world

pytestmark = pytest.mark.django_db
URL = "/api/v1/routing-rules/"


@pytest.fixture
def world():
    w = make_world()
    w.other = make_tree(key="2", district=w.district, origin=(116.40, 39.90))  # street S2
    w.other_street_staff = user_with_role(Role.STREET_STAFF, w.other.street, username="s2")
    w.everywhere = RoutingRule.objects.get(category=w.unlicensed, place=None)  # → 城管
    w.at_street = RoutingRule.objects.create(
        category=w.fire_lane, place=w.street, department=w.housing
    )
    w.at_grid_b = RoutingRule.objects.create(
        category=w.corridor, place=w.grid_b, department=w.city_mgmt
    )
    w.at_other_street = RoutingRule.objects.create(
        category=w.fire_lane, place=w.other.community, department=w.city_mgmt
    )
    return w


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def listed(user):
    response = api(user).get(URL)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def on_page(client, user, rules):
    client.force_login(user)
    page = client.get(reverse("tickets:routing-rules")).content.decode()
    return {r.pk for r in rules if f'data-rule="{r.pk}"' in page}


def ids(*rules):
    return {r.pk for r in rules}


def test_the_api_lists_the_rules_of_the_users_area_only(world):
    w = world
    assert listed(w.street_staff) == ids(w.everywhere, w.at_street, w.at_grid_b)
    assert listed(w.other_street_staff) == ids(w.everywhere, w.at_other_street)
    # A grid worker: the rules above their grid and everywhere, not the next grid's.
    assert listed(w.gridworker_a) == ids(w.everywhere, w.at_street)
    assert listed(w.gridworker_b) == ids(w.everywhere, w.at_street, w.at_grid_b)
    # A department handler: everywhere, and where their department is named.
    assert listed(w.housing_handler) == ids(w.everywhere, w.at_street)
    assert listed(w.city_handler) == ids(w.everywhere, w.at_grid_b, w.at_other_street)
    # District roles see the whole district.
    every = ids(w.everywhere, w.at_street, w.at_grid_b, w.at_other_street)
    assert listed(w.district_staff) == every == listed(w.hotline)
    # Another street's rule is not there to read or change: 404, and unchanged.
    other = f"{URL}{w.at_other_street.pk}/"
    assert api(w.street_staff).get(other).status_code == 404
    patch = api(w.street_staff).patch(other, {"department": "ZJ"}, format="json")
    assert patch.status_code == 404
    w.at_other_street.refresh_from_db()
    assert w.at_other_street.department == w.city_mgmt
    assert api(w.other_street_staff).get(other).status_code == 200


def test_the_page_lists_what_the_api_lists(client, world):
    w = world
    every = [w.everywhere, w.at_street, w.at_grid_b, w.at_other_street]
    for user in (w.street_staff, w.other_street_staff, w.district_staff):
        assert on_page(client, user, every) == listed(user), user.username
        visible = set(routing.visible_rules(user).values_list("pk", flat=True))
        assert visible == listed(user)
    client.force_login(w.street_staff)
    url = reverse("tickets:routing-rule", args=[w.at_other_street.pk])
    assert client.get(url).status_code == 404


def test_everywhere_is_offered_to_who_may_route_everywhere(client, world):
    for user, offered in ((world.street_staff, False), (world.district_staff, True)):
        client.force_login(user)
        page = client.get(reverse("tickets:routing-rules")).content.decode()
        select = page.split('name="place"')[1].split("</select>")[0]
        assert ('value=""' in select) is offered, user.username
        places = {p.code for p in routing.writable_places(user)}
        assert (world.other.street.code in places) is offered
        assert world.street.code in places
