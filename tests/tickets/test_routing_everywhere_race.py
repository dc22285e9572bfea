"""Two requests adding the same routing rule at once: both look (routing.rule_taken), find
none, and insert. The unique constraints refuse the second insert; the routing page and the
API answer it as they answer a rule that was there before they looked (400, with why), not
with a 500. PostgreSQL: the second insert waits on the first's uncommitted row in the unique
index, so another connection holding that row open makes the race happen every time."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.models import RoutingRule

from .factories import make_world
from .test_api import client_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a row held open by another connection"
    ),
]


@pytest.fixture
def world():
    load_taxonomy()  # flushed with the transactional tests' data
    return make_world()


def saved_meanwhile(category, department, place=None):
    """Another request's rule for `category` at `place`, inserted now and committed a moment
    later: a request that looks before then sees none, and its own insert waits for it."""
    other = connection.get_new_connection(connection.get_connection_params())
    with other.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_routingrule (category_id, place_id, department_id, note) "
            "VALUES (%s, %s, %s, '')",
            [category.pk, place.pk if place is not None else None, department.pk],
        )
    timer = threading.Timer(1.0, lambda: (other.commit(), other.close()))
    timer.start()
    return timer


def test_the_routing_page_refuses_a_rule_saved_meanwhile(client, world):
    client.force_login(world.district_staff)
    data = {"category": world.fire_lane.code, "place": "", "department": world.housing.code}
    timer = saved_meanwhile(world.fire_lane, world.city_mgmt)
    try:
        response = client.post(reverse("tickets:routing-rules"), data)
    finally:
        timer.join()
    assert response.status_code == 400
    assert "该分类已有一条全区（所有地点）的派单规则" in response.content.decode()
    assert RoutingRule.objects.get(category=world.fire_lane).department == world.city_mgmt


def test_the_api_refuses_a_rule_saved_meanwhile(world):
    body = {"category": world.fire_lane.code, "place": world.street.code, "department": "ZJ"}
    timer = saved_meanwhile(world.fire_lane, world.city_mgmt, place=world.street)
    try:
        response = client_for(world.street_staff).post(
            "/api/v1/routing-rules/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    finally:
        timer.join()
    assert response.status_code == 400, response.content
    assert "该分类和地点的派单规则已存在" in str(response.json()["error"]["detail"]["category"])
    assert RoutingRule.objects.get(category=world.fire_lane).department == world.city_mgmt
