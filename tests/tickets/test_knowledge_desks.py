"""知识库 for those who take demands in at a desk (热线受理, 窗口受理): the hotline operator
answers consultations from these standard answers while on a call, and the intake form
already offers them, yet the page answered them 403 (found walking the demo as `hotline`).
They read the list and an answer with its 修改记录, see the link where street staff do, and
may not change an answer (403, the reason given to street staff)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import knowledge
from gridgov.tickets.models import KnowledgeAnswer, KnowledgeAnswerChange

from .factories import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def answer(world):
    answer = KnowledgeAnswer.objects.create(
        question="居住证怎么办理？",
        answer="携带身份证到社区服务中心登记。",
        keywords=["居住证"],
        reviewed_at=timezone.now() - dt.timedelta(days=30),
    )
    knowledge.save_answer(
        answer, {"keywords": ["居住证", "暂住证"]}, by=world.district_staff, channel="web"
    )
    return answer


def _link(page):
    return f'href="{reverse("tickets:knowledge")}"' in page


def test_the_hotline_operator_reads_the_answers_and_their_record(client, world, answer):
    client.force_login(world.hotline)
    listed = client.get(reverse("tickets:knowledge"))
    assert listed.status_code == 200
    page = listed.content.decode()
    assert f'data-answer="{answer.pk}"' in page and _link(page)
    assert 'id="knowledge-form"' not in page and 'name="confirm"' not in page
    url = reverse("tickets:knowledge-answer", args=[answer.pk])
    page = client.get(url).content.decode()
    assert "携带身份证到社区服务中心登记。" in page and 'id="knowledge-form"' not in page
    assert 'id="knowledge-changes"' in page and "暂住证" in page
    # The link is in the workbench's navigation, where street staff find it.
    assert _link(client.get(reverse("tickets:new-hotline")).content.decode())


def test_the_desks_may_not_change_an_answer(client, world, answer):
    url = reverse("tickets:knowledge-answer", args=[answer.pk])
    data = {"question": answer.question, "answer": "改掉", "keywords": "居住证", "active": "on"}
    for user in (world.hotline, world.community_staff):
        client.force_login(user)
        for post in ((url, data), (url, {"confirm": "1"}), (reverse("tickets:knowledge"), data)):
            refused = client.post(*post)
            assert refused.status_code == 403
            assert "由区级工作人员和超级管理员维护" in refused.content.decode()
    answer.refresh_from_db()
    assert answer.answer == "携带身份证到社区服务中心登记。"
    assert KnowledgeAnswer.objects.count() == 1 and KnowledgeAnswerChange.objects.count() == 1


def test_who_takes_demands_in_reads_it_and_nobody_else(client, world, answer):
    """The same people as 热线受理 and 窗口受理 (tickets.take_in): the intake form offers
    them these answers; a department handler or a resident takes nothing in."""
    for user in (world.hotline, world.community_staff, world.gridworker_a, world.street_staff):
        assert user.has_perm("tickets.take_in")
        client.force_login(user)
        assert client.get(reverse("tickets:knowledge")).status_code == 200, user
    for user in (world.city_handler, world.resident):
        assert not user.has_perm("tickets.take_in")
        client.force_login(user)
        assert client.get(reverse("tickets:knowledge")).status_code == 403, user
    client.force_login(world.city_handler)
    assert not _link(client.get(reverse("tickets:list")).content.decode())
