"""诉求性质 is chosen by the operator on every staff intake form (热线受理, 窗口受理, 入户走访):
the forms chose 求助 for them, so a complaint or a report filed with the field overlooked
went in as a request for help. Left out, the form says so and keeps what was typed; the
API (which always required it) and the resident's own pages (随手拍 sets 举报) are as before."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets.models import KnowledgeAnswer, Ticket, Visit

from .factories import add_households, make_world
from .test_views import client_for, html_of, intake_post

pytestmark = pytest.mark.django_db

REQUIRED = "请选择诉求性质：咨询、求助、投诉、举报、建议或表扬。"


@pytest.fixture
def world():
    return add_households(make_world())


def nature_select(page):
    return re.search(r'<select name="nature".*?</select>', page, re.S).group(0)


@pytest.mark.parametrize(
    "url, user", [("tickets:new-hotline", "hotline"), ("tickets:new-window", "community_staff")]
)
def test_the_intake_forms_choose_no_nature_for_the_operator(client, world, url, user):
    client_for(client, getattr(world, user))
    select = nature_select(html_of(client.get(reverse(url))))
    first = re.search(r"<option[^>]*>[^<]*</option>", select).group(0)
    assert first == '<option value="" selected>请选择诉求性质</option>'
    assert select.count("selected") == 1
    assert "required" in select


@pytest.mark.parametrize(
    "url, user", [("tickets:new-hotline", "hotline"), ("tickets:new-window", "community_staff")]
)
def test_a_demand_sent_without_its_nature_is_refused_keeping_what_was_typed(
    client, world, url, user
):
    client_for(client, getattr(world, user))
    data = intake_post(nature="", category=world.corridor.code)
    response = client.post(reverse(url), data)
    assert response.status_code == 400
    page = html_of(response)
    field = re.search(r'data-field="nature".*?</div>\s*</div>', page, re.S).group(0)
    assert REQUIRED in field
    for typed in (data["title"], data["description"], data["address"], data["requester_phone"]):
        assert typed in page
    assert f'value="{world.corridor.code}" selected' in page
    assert not Ticket.objects.exists()
    # Chosen, the same form files it as what was chosen.
    response = client.post(reverse(url), {**data, "nature": "report"})
    assert response.status_code == 302
    assert Ticket.objects.get().nature == "report"


def test_the_preview_and_standard_answers_work_before_a_nature_is_chosen(client, world):
    KnowledgeAnswer.objects.create(
        question="居住证怎么办理？",
        answer="持本人身份证和居住登记凭证到居住地社区服务中心办理。",
        keywords=["居住证"],
        reviewed_at=timezone.now(),
    )
    client_for(client, world.hotline)
    params = {
        "description": "请问办理居住证需要带哪些材料？",
        "address": "魏家坡小区3号楼2单元",
        "category": world.corridor.code,
        "nature": "",
        "answer": "",
        "knowledge_answer": "",
    }
    response = client.get(reverse("tickets:suggest"), params)
    assert response.status_code == 200
    page = html_of(response)
    assert "居住证怎么办理？" in page and "data-pick-answer" in page
    assert 'class="suggest-route small" data-route="' in page
    assert 'data-route="answered"' not in page  # no consultation yet: routed


def test_a_visit_files_its_demand_only_with_a_nature_chosen(client, world):
    client.force_login(world.gridworker_a)
    url = reverse("tickets:visit-new", args=[world.home_a.pk])
    select = nature_select(html_of(client.get(url)))
    assert '<option value="" selected>请选择诉求性质</option>' in select
    assert select.count("selected") == 1
    data = {
        "heard": "王大爷反映楼道灯坏了一个月",
        "file_demand": "on",
        "requester": str(world.wang.pk),
        "category": world.corridor.code,
    }
    response = client.post(url, data)
    assert response.status_code == 400
    page = html_of(response)
    assert REQUIRED in page and data["heard"] in page
    assert not Visit.objects.exists() and not Ticket.objects.exists()
    # A visit without a demand to file needs no nature.
    response = client.post(url, {"heard": "一切正常"})
    assert response.status_code == 302
    response = client.post(url, {**data, "nature": "complaint"})
    assert response.status_code == 302
    assert Visit.objects.get(ticket__isnull=False).ticket.nature == "complaint"
