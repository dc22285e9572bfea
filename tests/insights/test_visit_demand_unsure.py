"""A demand heard on a visit, filed with 根据内容自动分类, that the model is unsure of
waits at the street's desk (分类待确认); the visitor's confirmation gave only its code,
and a cadre has no route preview: it now says the desk confirms the category."""

import pytest
from django.urls import reverse

from gridgov.tickets.models import Visit
from tests.tickets.factories import add_households, make_world

pytestmark = pytest.mark.django_db

UNSURE = "医院的护士工资太低，退休金也少"  # test_low_confidence: about 0.93


def test_the_visitor_is_told_the_desk_confirms_an_unsure_category(client, settings, active_model):
    settings.GRIDGOV_AUTO_DISPATCH_MIN_SCORE = 0.95
    world = add_households(make_world())
    client.force_login(world.gridworker_a)
    data = {"heard": UNSURE, "file_demand": "on", "nature": "help", "requester": world.wang.pk}
    url = reverse("tickets:visit-new", args=[world.home_a.pk])
    page = client.post(url, data, follow=True).content.decode()
    ticket = Visit.objects.get().ticket
    assert ticket.status == "received" and ticket.owner_place == world.street
    said = page.split('<ul class="messages">')[1].split("</ul>")[0]
    assert f"系统对分类把握不足：工单暂留{world.street.name}派单台" in said, said
