"""热点问题 filtered to a state with nothing in it says which state is empty, with a way to
all of them. Under 已排除 (none dismissed) the page said 这里暂无热点问题 as if there were
none at all, and so did the default 待研判 once every issue had been decided."""

import pytest
from django.urls import reverse

from gridgov.insights.models import HotIssue
from tests.tickets.factories import make_world

from .test_hot_issue_review import _issue

pytestmark = pytest.mark.django_db

HOT = reverse("insights:hot-issues")
NONE_YET = "这里暂无热点问题"


def test_an_empty_state_is_named_and_leads_to_all(client):
    world = make_world()
    done = _issue(world.grid_a, [], key="k-done", title="坡子街夜市油烟")
    HotIssue.objects.filter(pk=done.pk).update(state=HotIssue.State.CONFIRMED)
    client.force_login(world.street_staff)
    for params, label in (({}, "待研判"), ({"state": "dismissed"}, "已排除")):
        html = client.get(HOT, params).content.decode()
        assert f"这里没有状态为“{label}”的热点问题。" in html, params
        assert '<a href="?state=all">查看全部热点问题</a>' in html
        assert NONE_YET not in html and "坡子街夜市油烟" not in html
    html = client.get(HOT, {"state": "all"}).content.decode()
    assert "坡子街夜市油烟" in html and 'id="hot-none-in-state"' not in html


def test_with_no_hot_issue_at_all_the_page_says_so(client):
    world = make_world()
    client.force_login(world.street_staff)
    html = client.get(HOT, {"state": "all"}).content.decode()
    assert NONE_YET in html and 'id="hot-none-in-state"' not in html
