"""Reference data through the API: categories, routing rules, time limits, knowledge base."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.tickets.models import KnowledgeAnswer, RoutingRule, TimeLimit

from .factories import make_ticket, make_world, ticket_data
from .test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def test_category_tree_with_home_levels(world):
    response = client_for(world.gridworker_a).get("/api/v1/categories/")
    assert response.status_code == 200
    roots = response.json()
    grid_events = next(node for node in roots if node["name"] == "网格事件")
    corridor = next(c for c in grid_events["children"] if c["code"] == world.corridor.code)
    assert corridor["home_level"] == "grid"
    assert corridor["grid_event"] is True
    assert corridor["full_name"] == "网格事件 / 楼道堆物"
    assert {"public", "public_space", "default_urgency", "depth"} <= set(corridor)
    assert all(node["depth"] == 1 for node in roots)
    assert client_for().get("/api/v1/categories/").status_code == 401


def test_routing_rules_are_edited_by_street_staff_within_their_street(world):
    url = "/api/v1/routing-rules/"
    rule = {"category": world.fire_lane.code, "place": world.community.code, "department": "ZJ"}
    # Grid workers may read, not write.
    assert client_for(world.gridworker_a).get(url).status_code == 200
    assert client_for(world.gridworker_a).post(url, rule, format="json").status_code == 403
    street = client_for(world.street_staff)
    response = street.post(url, rule, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["department_name"] == "住建局"
    # The new rule routes new tickets of that category in that community to 住建.
    ticket = make_ticket(world, category=world.fire_lane.code)
    assert ticket.owner_department == world.housing
    # A rule for everywhere is for district staff; duplicates are refused.
    everywhere = {**rule, "place": None}
    assert street.post(url, everywhere, format="json").status_code == 403
    assert client_for(world.district_staff).post(url, everywhere, format="json").status_code == 201
    duplicate = street.post(url, rule, format="json")
    assert duplicate.status_code == 400
    assert "category" in duplicate.json()["error"]["detail"]
    # PATCH changes the department; moving the rule out of the street is refused.
    response = street.patch(f"{url}{created['id']}/", {"department": "CG"}, format="json")
    assert response.status_code == 200
    assert RoutingRule.objects.get(pk=created["id"]).department == world.city_mgmt
    moved = street.patch(f"{url}{created['id']}/", {"place": world.district.code}, format="json")
    assert moved.status_code == 403
    assert RoutingRule.objects.get(pk=created["id"]).place == world.community
    listed = street.get(url, {"category": world.fire_lane.code}).json()["results"]
    assert {r["place"] for r in listed} == {world.community.code, None}
    assert street.put(f"{url}{created['id']}/", rule, format="json").status_code == 405


def limit_body(world, **overrides):
    """A time limit for corridor tickets in world's district, as the API takes it."""
    body = {
        "urgency": "general",
        "category": world.corridor.code,
        "place": world.district.code,
        "accept_value": 2,
        "accept_unit": "hours",
        "respond_value": 1,
        "respond_unit": "workdays",
        "resolve_value": 3,
        "resolve_unit": "workdays",
    }
    return {**body, **overrides}


def test_time_limits_are_edited_by_district_staff_for_their_district(world):
    url = "/api/v1/time-limits/"
    rows = client_for(world.hotline).get(url).json()["results"]
    assert {r["urgency"] for r in rows if r["category"] is None} == {
        "emergency",
        "utility",
        "general",
        "complex",
    }
    limit = limit_body(world)
    for reader in (world.community_staff, world.street_staff):
        assert client_for(reader).post(url, limit, format="json").status_code == 403
    response = client_for(world.district_staff).post(url, limit, format="json")
    assert response.status_code == 201, response.json()
    ticket = make_ticket(world)
    assert ticket.accept_by - ticket.created_at <= dt.timedelta(hours=2, seconds=1)
    bad = client_for(world.district_staff).post(
        url, {**limit, "category": None, "resolve_value": 0}, format="json"
    )
    assert bad.status_code == 400
    assert "resolve_value" in bad.json()["error"]["detail"]
    # The city-wide general row moves every district's deadlines: not street staff's to
    # change, nor district staff's.
    general = TimeLimit.objects.get(urgency="general", category=None, place=None)
    for user in (world.street_staff, world.district_staff):
        response = client_for(user).patch(
            f"{url}{general.pk}/", {"resolve_value": 5}, format="json"
        )
        assert response.status_code == 403
    general.refresh_from_db()
    assert general.resolve_value == 7


def test_knowledge_base_search_while_typing_staleness_and_use(world):
    now = timezone.now()
    fresh = KnowledgeAnswer.objects.create(
        question="居住证怎么办理？",
        answer="携带身份证、租房合同到社区服务站办理。",
        keywords=["居住证", "暂住证"],
        reviewed_at=now,
    )
    old = KnowledgeAnswer.objects.create(
        question="垃圾分类投放时间",
        answer="每天早7点至9点、晚6点至8点定时定点投放。",
        keywords=["垃圾分类"],
        reviewed_at=now - dt.timedelta(days=200),
    )
    url = "/api/v1/knowledge/"
    hotline = client_for(world.hotline)

    def search(q):
        return [a["id"] for a in hotline.get(url, {"q": q}).json()["results"]]

    assert search("居住") == [fresh.pk]  # part of the question, while typing
    assert search("我想问问暂住证的事") == [fresh.pk]  # a keyword inside a sentence
    assert search("定时定点") == [old.pk]  # in the answer
    assert search("社保") == []
    rows = {a["id"]: a for a in hotline.get(url).json()["results"]}
    assert rows[old.pk]["stale"] is True and rows[fresh.pk]["stale"] is False

    # Operators read; district staff maintain. An edit counts as a review.
    assert hotline.post(url, {"question": "q", "answer": "a"}, format="json").status_code == 403
    district = client_for(world.district_staff)
    response = district.patch(
        f"{url}{old.pk}/", {"answer": "每天7-9点、18-20点投放。"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["stale"] is False
    # As on the page: sending the same text again is no review, and nobody sets the date.
    before = KnowledgeAnswer.objects.get(pk=fresh.pk).reviewed_at
    same = {"answer": fresh.answer, "reviewed_at": "2020-01-01T00:00:00+08:00"}
    assert district.patch(f"{url}{fresh.pk}/", same, format="json").status_code == 200
    assert KnowledgeAnswer.objects.get(pk=fresh.pk).reviewed_at == before
    confirmed = district.patch(f"{url}{fresh.pk}/", {"reviewed": True}, format="json").json()
    assert KnowledgeAnswer.objects.get(pk=fresh.pk).reviewed_at > before
    assert "reviewed" not in confirmed and confirmed["stale"] is False
    response = district.post(
        url,
        {
            "question": "门前三包是什么",
            "answer": "市容环境卫生责任区制度。",
            "keywords": ["门前三包"],
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["used_count"] == 0

    # Answering a consultation with it counts the use.
    response = hotline.post(
        TICKETS,
        ticket_data(
            nature="consult", title="居住证", requester_phone="", knowledge_answer=fresh.pk
        ),
        format="json",
    )
    assert response.status_code == 201
    assert hotline.get(f"{url}{fresh.pk}/").json()["used_count"] == 1
