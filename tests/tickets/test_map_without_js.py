"""工单地图 without JavaScript: the map and its ranking of grids are drawn by ticketmap.js,
and without it the page was an empty box saying 点击地图上的网格 (found walking the demo as
望江街道 with JavaScript off). It now says so and links to the area list's open and
overdue tickets, which filter by place."""

import pytest
from django.urls import reverse

from .factories import make_world
from .test_views import client_for, html_of

pytestmark = pytest.mark.django_db


def test_the_map_page_links_to_the_lists_without_javascript(client):
    world = make_world()
    client_for(client, world.street_staff)
    html = html_of(client.get(reverse("tickets:map")))
    fallback = html[html.index("<noscript>") : html.index("</noscript>")]
    assert "地图需要浏览器启用 JavaScript" in fallback
    list_url = reverse("tickets:list")
    assert f'<a href="{list_url}?status=open">在办工单</a>' in fallback
    assert f'<a href="{list_url}?status=overdue">超时工单</a>' in fallback
    for status in ("open", "overdue"):
        assert client.get(f"{list_url}?status={status}").status_code == 200
