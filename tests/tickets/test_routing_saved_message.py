"""After saving a routing rule the page says in words what it does: 派单规则已保存：望江街道的
“…”类诉求，今后派给住建局；已派出的工单承办单位不变。 It said "环境污染 @ * → 区城市管理和综合执法局",
the rule's log form, with * for the whole district."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from gridgov.tickets.models import RoutingRule

from .factories import make_world

pytestmark = pytest.mark.django_db


def saved(client, response):
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_saved_rule_is_said_in_words(client):
    world = make_world()
    client.force_login(world.district_staff)
    data = {"category": world.corridor.code, "department": world.housing.code, "note": ""}
    response = client.post(reverse("tickets:routing-rules"), {**data, "place": ""})
    rule = RoutingRule.objects.get(category=world.corridor, place=None)
    assert saved(client, response) == [
        f"派单规则已保存：全区（所有地点）的“{world.corridor.full_name}”类诉求，"
        f"今后派给{world.housing.name}；已派出的工单承办单位不变。"
    ]
    url = reverse("tickets:routing-rule", args=[rule.pk])
    response = client.post(url, {**data, "place": world.street.code})
    message = saved(client, response)[-1]
    assert message.startswith(f"派单规则已保存：{world.street.name}的“") and "@" not in message
