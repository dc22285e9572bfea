"""The timeline's home-level line in English names the level in lower case mid-sentence:
'it goes to the Community of the place' (found walking the demo as admin in English)."""

import pytest
from django.urls import reverse

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


def test_the_home_level_is_lower_case_in_the_english_sentence(client):
    world = make_world()
    ticket = make_ticket(world)  # 楼道堆物: a grid event, no rule
    client.force_login(world.street_staff)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert "it goes to the grid of the place, the category&#x27;s home level." in html
    assert "the Grid of the place" not in html
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert "此处无该分类的派单规则：按分类的承办层级派给所在网格。" in html
