"""The intake panel's 派单去向 reads the place from the caller's words as filing does: a call
with only text (魏家坡小区3号楼楼道堆满杂物) was previewed as going to the district's
dispatch desk with 地址尚未匹配到具体地点, then filed straight to the grid the text names
(found walking the demo as the hotline operator)."""

import pytest
from django.urls import reverse

from gridgov.tickets.models import Ticket

from .factories import make_world
from .test_views import client_for, html_of

pytestmark = pytest.mark.django_db
TEXT = "魏家坡小区3号楼楼道里堆满了纸箱和旧家具，挡住了通道"


@pytest.fixture
def world():
    return make_world()


def test_the_preview_routes_a_text_only_call_where_filing_sends_it(client, world):
    client_for(client, world.hotline)
    params = {"description": TEXT, "address": "", "category": world.corridor.code}
    html = html_of(client.get(reverse("tickets:suggest"), params))
    response = client.post(
        reverse("tickets:new-hotline"),
        {**params, "nature": "help", "requester_phone": "13812341234", "idempotency_key": "t-1"},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.owner_place == world.grid_a  # filing found the grid in the text
    assert f'data-route="{world.grid_a.code}"' in html, html
    assert "派单台" not in html and "地址尚未匹配到具体地点。" not in html
    assert 'data-place-from="text"' in html and "地点取自诉求描述" in html


def test_an_address_still_comes_before_the_text(client, world):
    client_for(client, world.hotline)
    params = {"description": TEXT, "address": "幸福里小区3栋", "category": world.corridor.code}
    html = html_of(client.get(reverse("tickets:suggest"), params))
    assert f'data-route="{world.grid_b.code}"' in html
    assert 'data-place-from="text"' not in html


def test_a_consultation_with_its_answer_is_previewed_as_answered_not_routed(client, world):
    """A consultation given an answer is closed on filing by the desk that took it: the
    preview named the dispatch desk (or a unit) all the same."""
    client_for(client, world.hotline)
    params = {"description": "请问居住证怎么办理？需要哪些材料", "category": world.corridor.code}
    html = html_of(client.get(reverse("tickets:suggest"), {**params, "nature": "consult"}))
    assert 'data-route="answered"' not in html  # no answer yet: it would be routed
    answer = {"nature": "consult", "answer": "持身份证到社区服务中心办理。"}
    html = html_of(client.get(reverse("tickets:suggest"), {**params, **answer}))
    assert 'data-route="answered"' in html and "提交后随答复直接办结，不派单" in html
    assert "将派至" not in html and "派单台" not in html
    # Only a consultation is answered on the spot.
    html = html_of(client.get(reverse("tickets:suggest"), {**params, **answer, "nature": "help"}))
    assert 'data-route="answered"' not in html
    response = client.post(
        reverse("tickets:new-hotline"),
        {**params, **answer, "requester_phone": "13812341234", "idempotency_key": "c-1"},
    )
    assert response.status_code == 302
    assert Ticket.objects.get().status == "closed"


def test_the_preview_reads_the_place_without_a_duplicate_search(client, world):
    """It runs on every pause in typing; the intake page's duplicates panel searches
    for duplicates already (intake_duplicates), so the preview asks the advisor for the
    place alone: it searched the signatures a second time and threw the answer away."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client_for(client, world.hotline)
    params = {"description": TEXT, "address": "", "category": world.corridor.code}
    with CaptureQueriesContext(connection) as queries:
        html = html_of(client.get(reverse("tickets:suggest"), params))
    assert f'data-route="{world.grid_a.code}"' in html  # the place still read from the text
    searched = [q["sql"] for q in queries if "insights_signatureband" in q["sql"]]
    assert not searched, searched
