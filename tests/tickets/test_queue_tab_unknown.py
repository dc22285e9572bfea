"""我的待办 opened on a tab it does not have (a mistyped or passed-on link): the whole queue,
said so. It showed all of it with nothing to say the tab asked for was not there."""

import pytest
from django.urls import reverse

from .factories import make_ticket, make_world
from .test_views import html_of, row_codes

pytestmark = pytest.mark.django_db

QUEUE = reverse("tickets:queue")


def test_an_unknown_or_absent_tab_shows_the_whole_queue_and_says_so(client):
    world = make_world()
    ticket = make_ticket(world)
    client.force_login(world.gridworker_a)
    html = html_of(client.get(QUEUE, {"tab": "overdu"}))
    assert "待办中没有 overdu 这一栏，现显示全部待办。" in html
    assert row_codes(html) == [ticket.code]
    assert 'aria-current="page" data-tab="all"' in html
    html = html_of(client.get(QUEUE, {"tab": "accept"}))
    assert 'id="tab-notice"' not in html and row_codes(html) == [ticket.code]
    assert 'id="tab-notice"' not in html_of(client.get(QUEUE))
