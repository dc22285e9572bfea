"""派单规则: the department list opened on the first department (区城市管理和综合执法局), so
a rule saved with only its category chosen routed the category there, unasked. It opens
on 请选择单位 now, and a rule without a department is refused."""

import pytest
from django.urls import reverse

from gridgov.tickets.models import RoutingRule

from .factories import make_world

pytestmark = pytest.mark.django_db


def test_a_rule_needs_a_department_chosen(client):
    world = make_world()
    client.force_login(world.street_staff)
    page = client.get(reverse("tickets:routing-rules")).content.decode()
    departments = page.split('name="department"')[1].split("</select>")[0]
    assert '<option value="" selected>请选择单位</option>' in departments
    data = {"category": world.corridor.code, "place": world.street.code, "note": "只选了分类"}
    response = client.post(reverse("tickets:routing-rules"), {**data, "department": ""})
    assert response.status_code == 400
    assert not RoutingRule.objects.filter(category=world.corridor).exists()
    html = response.content.decode()
    assert "只选了分类" in html  # what was typed is kept
