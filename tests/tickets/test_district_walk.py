"""Found walking the demo as a district office (区级工作人员): what its settings pages say."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from gridgov.tickets.models import TimeLimit

from .factories import make_world
from .test_time_limits_page import limit_data

pytestmark = pytest.mark.django_db


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_a_saved_or_removed_limit_is_named_in_words_not_with_a_star(client):
    # 时限已保存：一般 · * · 清风区 — the star (its str() for logs) stood for every category.
    world = make_world()
    client.force_login(world.district_staff)
    response = client.post(reverse("tickets:time-limits"), limit_data(world, category=""))
    assert said(response) == f"时限已保存：一般 · 全部分类 · {world.district.name}"
    limit = TimeLimit.objects.get(category=None, place=world.district)
    response = client.post(reverse("tickets:time-limit", args=[limit.pk]), {"delete": "1"})
    assert said(response).startswith(f"时限已删除：一般 · 全部分类 · {world.district.name}。")
    response = client.post(reverse("tickets:time-limits"), limit_data(world))
    assert said(response) == (
        f"时限已保存：一般 · {world.corridor.full_name} · {world.district.name}"
    )
