"""知识库修改记录: every standard answer added, changed, taken out of use, put back or
confirmed, on the page, through the API or in the admin, leaves one KnowledgeAnswerChange
(who, when, where, the changed fields before and after), written with the save or not at
all; the page and the API show it. Times used at intake are not changes."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import knowledge
from gridgov.tickets.models import KnowledgeAnswer, KnowledgeAnswerChange

from .factories import make_world, ticket_data
from .test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/knowledge/"


@pytest.fixture
def world():
    return make_world()


def _answer(**fields):
    values = {
        "question": "居住证怎么办理？",
        "answer": "携带身份证到社区服务中心登记。",
        "keywords": ["居住证"],
        "reviewed_at": timezone.now() - dt.timedelta(days=30),
    }
    return KnowledgeAnswer.objects.create(**(values | fields))


def _form(saved, **changes):
    data = {
        "question": saved.question,
        "answer": saved.answer,
        "keywords": " ".join(saved.keywords),
        "category": saved.category.code if saved.category else "",
        "active": "on" if saved.active else "",
    }
    return data | changes


def test_each_change_on_the_page_writes_one_record_with_what_it_was(client, world):
    client.force_login(world.district_staff)
    data = {
        "question": "独居老人如何申请上门探访？",
        "answer": "向所在社区提出申请。",
        "keywords": "独居老人、上门探访",
        "category": "",
        "active": "on",
    }
    assert client.post(reverse("tickets:knowledge"), data).status_code == 302
    answer = KnowledgeAnswer.objects.get(question=data["question"])
    created = KnowledgeAnswerChange.objects.get()
    assert (created.answer, created.action, created.channel) == (answer, "created", "web")
    assert created.changed_by == world.district_staff and created.before == {}
    assert created.after == {
        "question": "独居老人如何申请上门探访？",
        "answer": "向所在社区提出申请。",
        "keywords": ["独居老人", "上门探访"],
        "category": None,
        "active": True,
    }
    url = reverse("tickets:knowledge-answer", args=[answer.pk])

    def last():
        return KnowledgeAnswerChange.objects.filter(answer=answer).order_by("-id").first()

    # Changed: only the fields that changed, the category by its code.
    post = _form(
        answer, answer="向社区提出申请，社区安排志愿者上门。", category=world.corridor.code
    )
    assert client.post(url, post).status_code == 302
    change = last()
    assert change.action == "changed" and KnowledgeAnswerChange.objects.count() == 2
    assert change.before == {"answer": "向所在社区提出申请。", "category": None}
    assert change.after == {
        "answer": "向社区提出申请，社区安排志愿者上门。",
        "category": world.corridor.code,
    }
    answer.refresh_from_db()
    # Saved again unchanged: nothing to record.
    assert client.post(url, _form(answer)).status_code == 302
    assert KnowledgeAnswerChange.objects.count() == 2
    # Taken out of use, put back.
    assert client.post(url, _form(answer, active="")).status_code == 302
    change = last()
    assert (change.action, change.before, change.after) == (
        "deactivated",
        {"active": True},
        {"active": False},
    )
    assert client.post(url, _form(answer, active="on")).status_code == 302
    assert (last().action, last().after) == ("reactivated", {"active": True})
    # Confirmed as still correct: recorded, no field changed.
    assert client.post(url, {"confirm": "1"}).status_code == 302
    change = last()
    assert (change.action, change.before, change.after) == ("confirmed", {}, {})
    assert KnowledgeAnswerChange.objects.count() == 5


def test_a_failing_save_writes_neither_the_answer_nor_a_record(world):
    answer = _answer()
    # The answer's save fails: no record.
    with pytest.raises(IntegrityError):
        knowledge.save_answer(answer, {"question": None}, by=world.district_staff, channel="web")
    with pytest.raises(IntegrityError):
        knowledge.save_answer(
            None, {"question": None, "answer": "答"}, by=world.district_staff, channel="web"
        )
    # The record fails after the answer was saved: the answer is not changed either.
    with pytest.raises(IntegrityError):
        knowledge.save_answer(answer, {"answer": "新的答复"}, by=world.district_staff, channel=None)
    assert not KnowledgeAnswerChange.objects.exists()
    assert KnowledgeAnswer.objects.get().answer == "携带身份证到社区服务中心登记。"
    assert KnowledgeAnswer.objects.count() == 1


def test_the_page_shows_the_answers_history_in_chinese(client, world):
    answer = _answer()
    knowledge.save_answer(
        answer, {"question": "居住证在哪里办理？"}, by=world.district_staff, channel="api"
    )
    knowledge.save_answer(answer, {"active": False}, by=world.district_staff, channel="web")
    client.force_login(world.district_staff)
    page = client.get(reverse("tickets:knowledge-answer", args=[answer.pk])).content.decode()
    history = page[page.index('id="knowledge-changes"') :]
    assert "修改记录" in page
    deactivated, changed = KnowledgeAnswerChange.objects.order_by("-id")
    assert history.index(f'data-knowledge-change="{deactivated.pk}"') < history.index(
        f'data-knowledge-change="{changed.pk}"'
    )
    assert "停用" in history and "修改" in history and "接口" in history
    assert "问题：" in history and "居住证怎么办理？" in history and "居住证在哪里办理？" in history
    assert "提供给坐席使用：" in history and "使用中" in history and "已停用" in history
    name = world.district_staff.get_full_name() or world.district_staff.username
    assert name in history
    # An answer with no record says so; the list page has no history.
    other = _answer(question="门前三包是什么")
    page = client.get(reverse("tickets:knowledge-answer", args=[other.pk])).content.decode()
    assert "暂无此答复的修改记录" in page
    assert 'id="knowledge-changes"' not in client.get(reverse("tickets:knowledge")).content.decode()


def test_the_api_records_its_writes_and_shows_the_record(world):
    answer = _answer()
    staff = client_for(world.district_staff)
    response = staff.patch(f"{API}{answer.pk}/", {"keywords": ["居住证", "暂住证"]}, format="json")
    assert response.status_code == 200
    response = staff.post(
        API, {"question": "门前三包是什么", "answer": "责任区制度。"}, format="json"
    )
    assert response.status_code == 201
    added = KnowledgeAnswerChange.objects.get(answer_id=response.json()["id"])
    assert (added.action, added.channel, added.changed_by) == (
        "created",
        "api",
        world.district_staff,
    )
    # Read by whoever reads the answers (an operator too).
    response = client_for(world.hotline).get(f"{API}{answer.pk}/changes/")
    assert response.status_code == 200
    (change,) = response.json()
    assert change["action"] == "changed" and change["channel"] == "api"
    assert change["changed_by"] == world.district_staff.username
    assert change["before"] == {"keywords": ["居住证"]}
    assert change["after"] == {"keywords": ["居住证", "暂住证"]}
    assert client_for(world.resident).get(f"{API}{answer.pk}/changes/").status_code == 403
    assert client_for(world.hotline).get(f"{API}{answer.pk}/changes/?x=1").status_code == 400


def test_using_an_answer_at_intake_is_no_change(world):
    answer = _answer()
    response = client_for(world.hotline).post(
        TICKETS,
        ticket_data(
            nature="consult", title="居住证", requester_phone="", knowledge_answer=answer.pk
        ),
        format="json",
    )
    assert response.status_code == 201
    answer.refresh_from_db()
    assert answer.used_count == 1 and not KnowledgeAnswerChange.objects.exists()


def _admin_form_data(page):
    """What the admin's change form posts back unchanged (fields and inline management)."""
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for index, sub in enumerate(formset.initial_forms):
            data[f"{formset.prefix}-{index}-id"] = sub.instance.pk
            data[f"{formset.prefix}-{index}-{formset.fk.name}"] = sub.instance.answer_id
    return data


def test_the_admin_records_its_edits_and_the_record_is_read_only(world):
    root = get_user_model().objects.create(username="root", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(root)
    answer = _answer()
    url = reverse("admin:tickets_knowledgeanswer_change", args=[answer.pk])
    data = _admin_form_data(admin.get(url))
    data["answer"] = "携带身份证和租房合同到社区服务中心登记。"
    response = admin.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = KnowledgeAnswerChange.objects.get()
    assert (change.action, change.channel, change.changed_by) == ("changed", "admin", root)
    assert change.before == {"answer": "携带身份证到社区服务中心登记。"}
    answer.refresh_from_db()
    assert answer.reviewed_at > timezone.now() - dt.timedelta(minutes=1)
    # Saved again unchanged (the record now shown inline): nothing more.
    assert admin.post(url, _admin_form_data(admin.get(url))).status_code == 302
    assert KnowledgeAnswerChange.objects.count() == 1
    # Added in the admin: recorded too.
    add = _admin_form_data(admin.get(reverse("admin:tickets_knowledgeanswer_add")))
    add.update(question="门前三包是什么", answer="责任区制度。", keywords="[]", active="on")
    assert admin.post(reverse("admin:tickets_knowledgeanswer_add"), add).status_code == 302
    added = KnowledgeAnswer.objects.get(question="门前三包是什么")
    assert KnowledgeAnswerChange.objects.get(answer=added).action == "created"
    # The record is read-only; answers are taken out of use, not deleted.
    change_url = reverse("admin:tickets_knowledgeanswerchange_change", args=[change.pk])
    assert admin.get(change_url).status_code == 200
    assert admin.post(change_url, {"action": "created"}).status_code == 403
    assert admin.get(reverse("admin:tickets_knowledgeanswerchange_changelist")).status_code == 200
    delete = reverse("admin:tickets_knowledgeanswer_delete", args=[answer.pk])
    assert admin.post(delete, {"post": "yes"}).status_code == 403
    assert KnowledgeAnswer.objects.filter(pk=answer.pk).exists()


# --- who changes them: district staff and superusers; street staff read -------------------


def test_street_staff_read_the_answers_and_their_record_but_do_not_change_them(client, world):
    answer = _answer(reviewed_at=timezone.now() - dt.timedelta(days=400))  # to review
    knowledge.save_answer(
        answer, {"keywords": ["居住证", "暂住证"]}, by=world.district_staff, channel="web"
    )
    client.force_login(world.street_staff)
    listed = client.get(reverse("tickets:knowledge"))
    assert listed.status_code == 200
    page = listed.content.decode()
    assert f'data-answer="{answer.pk}"' in page and "知识库" in page
    # No form, no 仍然有效, no 修改: 查看 and who keeps them.
    assert 'id="knowledge-form"' not in page and 'name="confirm"' not in page
    assert "查看" in page and "由区级工作人员和超级管理员维护" in page
    assert "超过 180 天未复核的答复会标为待复核。" in page and "然后修改或确认" not in page
    url = reverse("tickets:knowledge-answer", args=[answer.pk])
    page = client.get(url).content.decode()
    assert 'id="knowledge-form"' not in page and "携带身份证到社区服务中心登记。" in page
    assert 'id="knowledge-changes"' in page and "暂住证" in page
    # Writes refused, with the reason; nothing changed, nothing recorded.
    for data in (_form(answer, answer="改掉"), {"confirm": "1"}):
        refused = client.post(url, data)
        assert refused.status_code == 403
        assert "由区级工作人员和超级管理员维护" in refused.content.decode()
    refused = client.post(reverse("tickets:knowledge"), _form(answer, question="新问题"))
    assert refused.status_code == 403
    answer.refresh_from_db()
    assert (
        answer.answer == "携带身份证到社区服务中心登记。" and KnowledgeAnswer.objects.count() == 1
    )
    assert KnowledgeAnswerChange.objects.count() == 1


def test_district_staff_and_superusers_change_them_on_the_page(client, world):
    answer = _answer()
    url = reverse("tickets:knowledge-answer", args=[answer.pk])
    root = get_user_model().objects.create(username="root", is_superuser=True)
    for user, text in ((world.district_staff, "区里改的"), (root, "管理员改的")):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert 'id="knowledge-form"' in page
        assert client.post(url, _form(answer, answer=text)).status_code == 302
        answer.refresh_from_db()
        assert answer.answer == text
        assert KnowledgeAnswerChange.objects.order_by("-id").first().changed_by == user


def test_the_api_refuses_street_staff_with_the_reason_and_lets_district_staff(world):
    answer = _answer()
    street = client_for(world.street_staff)
    assert street.get(f"{API}{answer.pk}/").status_code == 200
    assert street.get(f"{API}{answer.pk}/changes/").status_code == 200
    for response in (
        street.patch(f"{API}{answer.pk}/", {"answer": "改掉"}, format="json"),
        street.post(API, {"question": "门前三包是什么", "answer": "责任区制度。"}, format="json"),
    ):
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "permission_denied"
        assert "由区级工作人员和超级管理员维护" in error["message"]
        assert "district staff" in error["message_en"]
    assert KnowledgeAnswer.objects.get().answer == "携带身份证到社区服务中心登记。"
    assert not KnowledgeAnswerChange.objects.exists()
    district = client_for(world.district_staff)
    response = district.patch(f"{API}{answer.pk}/", {"answer": "区里改的"}, format="json")
    assert response.status_code == 200
    assert KnowledgeAnswerChange.objects.get().changed_by == world.district_staff


def test_a_change_keeps_the_times_used_counted_meanwhile(world):
    """An intake counts a use (F() + 1) while staff have the answer open: saving their
    edit wrote the whole row back and lost that count."""
    answer = _answer()
    staff = get_user_model().objects.create_user("kb-editor")
    KnowledgeAnswer.objects.filter(pk=answer.pk).update(used_count=5)
    knowledge.save_answer(answer, {"answer": "携带身份证和租房合同。"}, by=staff, channel="web")
    answer.refresh_from_db()
    assert answer.answer == "携带身份证和租房合同。" and answer.used_count == 5
