"""The knowledge base page (知识库): district staff add standard answers the operators are
then offered, see the stale ones first, change or confirm them (the review date moves), and
take one out of use; street staff and the intake desks read them (test_knowledge_desks.py);
nothing for other roles."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import knowledge
from gridgov.tickets.models import KnowledgeAnswer

from .factories import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def test_staff_keep_the_standard_answers_the_operators_are_offered(client, world):
    old = KnowledgeAnswer.objects.create(
        question="居住证怎么办理？",
        answer="携带身份证到社区服务中心登记。",
        keywords=["居住证"],
        reviewed_at=timezone.now() - dt.timedelta(days=400),
    )
    client.force_login(world.district_staff)
    page = client.get(reverse("tickets:knowledge")).content.decode()
    assert f'data-answer="{old.pk}" class="is-overdue"' in page and "待复核" in page
    data = {
        "question": "独居老人如何申请上门探访？",
        "answer": "向所在社区提出申请，社区安排志愿者定期上门。",
        "keywords": "独居老人、上门探访 关爱",
        "category": "",
        "active": "on",
    }
    assert client.post(reverse("tickets:knowledge"), data).status_code == 302
    new = KnowledgeAnswer.objects.get(question=data["question"])
    assert new.keywords == ["独居老人", "上门探访", "关爱"] and not knowledge.is_stale(new)
    assert new in knowledge.matches("家里有独居老人，想申请上门探访")
    # The stale one listed first; confirmed, its review date moves and the flag goes.
    page = client.get(reverse("tickets:knowledge")).content.decode()
    assert page.index(f'data-answer="{old.pk}"') < page.index(f'data-answer="{new.pk}"')
    url = reverse("tickets:knowledge-answer", args=[old.pk])
    assert client.post(url, {"confirm": "1"}).status_code == 302
    old.refresh_from_db()
    assert not knowledge.is_stale(old) and old.answer == "携带身份证到社区服务中心登记。"
    # Taken out of use: kept, no longer offered.
    data.update(active="")
    assert client.post(reverse("tickets:knowledge-answer", args=[new.pk]), data).status_code == 302
    new.refresh_from_db()
    assert not new.active and new not in knowledge.matches("独居老人上门探访")


def test_a_change_of_content_moves_the_review_date_and_a_bad_form_writes_nothing(client, world):
    then = timezone.now() - dt.timedelta(days=30)
    answer = KnowledgeAnswer.objects.create(question="问", answer="答", reviewed_at=then)
    client.force_login(world.district_staff)
    url = reverse("tickets:knowledge-answer", args=[answer.pk])
    response = client.post(url, {"question": "", "answer": "新的答复"})
    assert response.status_code == 400
    answer.refresh_from_db()
    assert answer.answer == "答" and answer.reviewed_at == then
    client.post(url, {"question": "问", "answer": "新的答复", "active": "on"})
    answer.refresh_from_db()
    assert answer.answer == "新的答复" and answer.reviewed_at > then


def test_not_for_those_who_take_nothing_in(client, world):
    for user in (world.city_handler, world.resident):
        client.force_login(user)
        assert client.get(reverse("tickets:knowledge")).status_code == 403


def test_question_words_alone_do_not_offer_an_answer(world):
    permit = KnowledgeAnswer.objects.create(
        question="居住证怎么办理？",
        answer="持身份证和居住登记凭证到社区服务中心办理。",
        keywords=["居住证"],
        reviewed_at=timezone.now(),
    )
    lane = KnowledgeAnswer.objects.create(
        question="发现私家车占用消防通道怎么办？",
        answer="可拨打12345或通过随手拍上报。",
        keywords=["消防通道"],
        reviewed_at=timezone.now(),
    )
    offered = knowledge.matches("请问在这边租房住，居住证怎么办理？需要什么材料")
    assert permit in offered and lane not in offered
    assert knowledge.matches("消防通道被车堵了怎么办") == [lane]


def test_retiring_an_answer_and_taking_it_back_say_so(client, world):
    """Retiring an answer said 标准答复已保存, as any edit: staff could not tell it was no
    longer offered to the operators (found walking the district's day)."""
    from django.contrib.messages import get_messages

    answer = KnowledgeAnswer.objects.create(
        question="居住证怎么办理？",
        answer="携带身份证到社区服务中心登记。",
        keywords=["居住证"],
        reviewed_at=timezone.now(),
    )
    client.force_login(world.district_staff)
    url = reverse("tickets:knowledge-answer", args=[answer.pk])
    data = {"question": answer.question, "answer": answer.answer, "keywords": "居住证"}

    def said(active):
        response = client.post(url, {**data, "active": active})
        assert response.status_code == 302
        return [str(m) for m in get_messages(response.wsgi_request)][-1]

    assert said("") == "标准答复已停用，受理时不再提供：居住证怎么办理？"
    assert said("on") == "标准答复已恢复使用，受理时重新提供：居住证怎么办理？"
    assert said("on") == "标准答复已保存：居住证怎么办理？"
