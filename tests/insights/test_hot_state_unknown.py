"""热点问题 opened with a state it does not have (?state=bogus, a mistyped or old link): the
new ones are listed, as before, and the page now says so; it showed 待研判 without a word."""

import pytest
from django.urls import reverse

from gridgov.insights.models import HotIssue
from tests.tickets.factories import make_world

from .test_hot_issue_review import _issue

pytestmark = pytest.mark.django_db

HOT = reverse("insights:hot-issues")


def test_an_unknown_state_says_which_state_is_shown_instead(client):
    world = make_world()
    new = _issue(world.grid_a, [], key="k-new", title="魏家坡小区搅拌站噪音扰民")
    done = _issue(world.grid_a, [], key="k-done", title="坡子街夜市油烟")
    HotIssue.objects.filter(pk=done.pk).update(state=HotIssue.State.CONFIRMED)
    client.force_login(world.street_staff)
    html = client.get(HOT, {"state": "bogus"}).content.decode()
    assert "热点问题没有 bogus 这一状态，现显示待研判。" in html
    assert new.title in html and "坡子街夜市油烟" not in html
    for state in ("", "new", "confirmed", "all"):
        html = client.get(HOT, {"state": state} if state else {}).content.decode()
        assert 'id="state-notice"' not in html, state
