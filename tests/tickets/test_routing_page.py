"""The routing table page (分类交办表): street staff route a category to a department for
their street and the next ticket follows the rule; rules for everywhere stay the district's;
a second rule for the same category and place is refused; nothing for other roles."""

import pytest
from django.urls import reverse

from gridgov.tickets.models import RoutingRule

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def test_street_staff_route_a_category_for_their_street_and_tickets_follow(client, world):
    client.force_login(world.street_staff)
    page = client.get(reverse("tickets:routing-rules")).content.decode()
    global_rule = RoutingRule.objects.get(category=world.unlicensed)
    assert f'data-rule="{global_rule.pk}"' in page  # routes tickets here too: listed
    assert reverse("tickets:routing-rule", args=[global_rule.pk]) not in page  # not theirs
    assert 'value=""' not in page.split('name="place"')[1].split("</select>")[0]  # no 全区
    data = {
        "category": world.corridor.code,
        "place": world.street.code,
        "department": world.housing.code,
        "note": "楼道堆物由住建局统一处置",
    }
    response = client.post(reverse("tickets:routing-rules"), data)
    assert response.status_code == 302
    rule = RoutingRule.objects.get(category=world.corridor)
    assert rule.place == world.street and rule.department == world.housing
    ticket = make_ticket(world)  # 楼道堆物 in grid A, under the street
    assert ticket.owner_department == world.housing
    # The same category and place again: refused, nothing added.
    response = client.post(reverse("tickets:routing-rules"), {**data, "department": "CG"})
    assert response.status_code == 400 and "已存在" in response.content.decode()
    assert RoutingRule.objects.filter(category=world.corridor).count() == 1
    # Changed to 城管 on its own page: the next ticket goes there.
    url = reverse("tickets:routing-rule", args=[rule.pk])
    assert client.post(url, {**data, "department": "CG"}).status_code == 302
    assert make_ticket(world).owner_department == world.city_mgmt


def test_rules_for_everywhere_are_the_districts(client, world):
    global_rule = RoutingRule.objects.get(category=world.unlicensed)
    client.force_login(world.street_staff)
    url = reverse("tickets:routing-rule", args=[global_rule.pk])
    assert client.get(url).status_code == 403
    data = {"category": world.fire_lane.code, "place": "", "department": "CG"}
    assert client.post(reverse("tickets:routing-rules"), data).status_code == 400
    assert not RoutingRule.objects.filter(category=world.fire_lane).exists()
    client.force_login(world.district_staff)
    assert client.post(reverse("tickets:routing-rules"), data).status_code == 302
    assert RoutingRule.objects.get(category=world.fire_lane).place is None


def test_only_street_and_district_staff(client, world):
    for user in (world.gridworker_a, world.community_staff, world.hotline, world.resident):
        client.force_login(user)
        assert client.get(reverse("tickets:routing-rules")).status_code == 403
