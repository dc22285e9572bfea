"""恢复使用全市设置 for time limits: a district that set limits of its own returns to the
city-wide ones at once (page and POST /api/v1/time-limits/follow-city/). Its rows are
removed, their values kept in the change record (who, when, why), as is every save and
removal of a limit now; tickets filed afterwards run on the city's limits (and their later
changes), deadlines already given stay."""

import pytest
from django.urls import reverse

from gridgov.tickets import sla
from gridgov.tickets.models import Ticket, TimeLimit, TimeLimitChange

from .test_api import client_for
from .test_api_settings import limit_body
from .test_time_limit_districts import (  # noqa: F401 (pytest fixture)
    ONE_WORKDAY,
    URL,
    WEDNESDAY,
    hours,
    limit,
    time_to_accept,
    world,
)

pytestmark = pytest.mark.django_db
FOLLOW = f"{URL}follow-city/"


def test_after_the_return_the_districts_tickets_run_on_the_city_limits(world):  # noqa: F811
    limit(3, place=world.district)
    limit(5, category=world.corridor, place=world.district)
    assert time_to_accept(world, world.grid_a) == hours(5)
    earlier = Ticket.objects.get()
    given = (earlier.accept_by, earlier.respond_by, earlier.resolve_by)
    change = sla.follow_city(world.district_staff, world.district, "全区统一按全市时限")
    assert time_to_accept(world, world.grid_a) == ONE_WORKDAY  # the city's general row
    assert not TimeLimit.objects.filter(place=world.district).exists()
    # A later change of the city's row reaches the district.
    city = TimeLimit.objects.get(urgency="general", category=None, place=None)
    patch = {"accept_value": 4, "accept_unit": "hours"}
    response = client_for(world.root).patch(f"{URL}{city.pk}/", patch, format="json")
    assert response.status_code == 200
    assert time_to_accept(world, world.grid_a) == hours(4)
    # Deadlines already given are not recomputed.
    earlier.refresh_from_db()
    assert (earlier.accept_by, earlier.respond_by, earlier.resolve_by) == given
    # The record: who, when, why, and the values that were in force.
    change.refresh_from_db()
    assert (change.action, change.district, change.changed_by) == (
        "follows_city",
        world.district,
        world.district_staff,
    )
    assert change.reason == "全区统一按全市时限"
    assert sorted(v["accept"][0] for v in change.limits) == [3, 5]
    assert {"urgency": "general", "category": None, "accept": [3, "hours"]}.items() <= (
        next(v for v in change.limits if v["category"] is None).items()
    )
    # Nothing left to return: refused, nothing written.
    with pytest.raises(sla.NothingToReturn):
        sla.follow_city(world.district_staff, world.district)
    assert TimeLimitChange.objects.filter(action="follows_city").count() == 1


def test_district_staff_return_their_district_through_the_api(world):  # noqa: F811
    limit(3, place=world.district)
    other = limit(4, place=world.district2)
    staff = client_for(world.district_staff)
    response = staff.post(FOLLOW, {"reason": "统一"}, format="json")  # their own district
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["district"], body["follows_city"], body["changed_by"]) == ("D1", True, "district")
    assert [r["accept"] for r in body["removed"]] == [[3, "hours"]]
    assert time_to_accept(world, world.grid_a) == ONE_WORKDAY
    again = staff.post(FOLLOW, {"district": "D1"}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["message"].startswith("海淀区未设本区时限")
    # Another district's staff, street and community staff: 403, and why.
    refused = staff.post(FOLLOW, {"district": "D2"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "只有朝阳区的区级工作人员可以设置该区的时限。"
    for user in (world.street_staff, world.community_staff):
        response = client_for(user).post(FOLLOW, {"district": "D2"}, format="json")
        assert response.status_code == 403
        assert response.json()["error"]["message"].startswith("时限由区级工作人员为本区设置")
    root = client_for(world.root)
    assert root.post(FOLLOW, {}, format="json").status_code == 400  # a superuser names one
    assert root.post(FOLLOW, {"district": "NOPE"}, format="json").status_code == 400
    assert TimeLimit.objects.filter(pk=other.pk).exists()
    assert root.post(FOLLOW, {"district": "D2"}, format="json").status_code == 200
    assert not TimeLimit.objects.filter(pk=other.pk).exists()


def test_saves_through_the_api_are_kept_in_the_record(world):  # noqa: F811
    staff = client_for(world.district_staff)
    created = staff.post(URL, limit_body(world), format="json")
    assert created.status_code == 201, created.content
    row = created.json()["id"]
    assert staff.patch(f"{URL}{row}/", {"accept_value": 6}, format="json").status_code == 200
    changed, saved = TimeLimitChange.objects.all()  # newest first
    assert (saved.action, saved.before, saved.changed_by) == ("saved", [], world.district_staff)
    assert saved.limits[0]["category"] == world.corridor.code
    assert (changed.limits[0]["accept"][0], changed.before[0]["accept"][0]) == (6, 2)


def page(client, user):
    client.force_login(user)
    response = client.get(reverse("tickets:time-limits"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_offers_the_return_to_the_districts_staff(client, world):  # noqa: F811
    own = limit(3, place=world.district)
    limit(4, place=world.district2)
    html = page(client, world.district_staff)
    assert 'data-follow-city="D1"' in html and 'data-follow-city="D2"' not in html
    assert "恢复使用全市设置" in html and "已有工单的时限不重新计算" in html
    assert "确定删除海淀区的全部本区时限" in html  # the confirmation
    assert "data-follow-city" not in page(client, world.street_staff)
    # Others may not: 403 with the reason, nothing removed.
    for user, reason in (
        (world.district2_staff, "只有海淀区的区级工作人员可以设置该区的时限"),
        (world.street_staff, "时限由区级工作人员为本区设置"),
    ):
        client.force_login(user)
        response = client.post(
            reverse("tickets:time-limits"), {"form": "follow-city", "district": "D1"}
        )
        assert response.status_code == 403 and reason in response.content.decode()
    assert TimeLimit.objects.filter(pk=own.pk).exists()
    client.force_login(world.district_staff)
    body = {"form": "follow-city", "district": "D1", "reason": "统一"}
    shown = client.post(reverse("tickets:time-limits"), body, follow=True).content.decode()
    assert "海淀区已恢复使用全市时限" in shown and "已有工单的时限不重新计算" in shown
    assert not TimeLimit.objects.filter(place=world.district).exists()
    assert 'data-action="follows_city"' in shown and 'data-follow-city="D1"' not in shown
    assert time_to_accept(world, world.grid_a, now=WEDNESDAY) == ONE_WORKDAY


def test_a_limit_removed_or_saved_on_the_page_is_kept_in_the_record(client, world):  # noqa: F811
    row = limit(3, place=world.district)
    client.force_login(world.district_staff)
    url = reverse("tickets:time-limit", args=[row.pk])
    body = limit_body(world, category="", accept_value="7", accept_unit="hours")
    assert client.post(url, body).status_code == 302
    assert client.post(url, {"delete": "1"}).status_code == 302
    removed, saved = TimeLimitChange.objects.all()
    assert (saved.action, saved.before[0]["accept"], saved.limits[0]["accept"]) == (
        "saved",
        [3, "hours"],
        [7, "hours"],
    )
    assert (removed.action, removed.limits[0]["accept"]) == ("removed", [7, "hours"])
    assert 'data-action="removed"' in page(client, world.district_staff)


def test_the_return_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    post = schema["paths"]["/api/v1/time-limits/follow-city/"]["post"]
    assert "not recomputed" in post["description"]


def test_removals_in_the_admin_are_kept_in_the_record(client, world):  # noqa: F811
    one, two = limit(3, place=world.district), limit(4, place=world.district2)
    world.root.is_staff = True
    world.root.save()
    client.force_login(world.root)
    url = reverse("admin:tickets_timelimit_delete", args=[one.pk])
    assert client.post(url, {"post": "yes"})["Location"].endswith("/tickets/timelimit/")
    changelist = reverse("admin:tickets_timelimit_changelist")
    body = {"action": "delete_selected", "_selected_action": [two.pk], "post": "yes"}
    assert client.post(changelist, body).status_code == 302
    records = TimeLimitChange.objects.order_by("id")
    assert [(c.action, c.district, c.limits[0]["accept"][0]) for c in records] == [
        ("removed", world.district, 3),
        ("removed", world.district2, 4),
    ]
    assert {c.changed_by for c in records} == {world.root}


def test_a_save_or_removal_on_the_page_keeps_its_reason(client, world):  # noqa: F811
    row = limit(3, place=world.district)
    client.force_login(world.district_staff)
    url = reverse("tickets:time-limit", args=[row.pk])
    assert 'id="id_reason"' in client.get(url).content.decode()  # the save form asks
    body = limit_body(world, category="", accept_value="7", reason=" 区里人手不足 ")
    assert client.post(url, body).status_code == 302
    # Too long: the form says so, nothing saved.
    long = limit_body(world, category="", accept_value="8", reason="长" * 301)
    assert client.post(url, long).status_code == 400
    assert client.post(url, {"delete": "1", "reason": "设错了"}).status_code == 302
    removed, saved = TimeLimitChange.objects.all()
    assert (saved.action, saved.limits[0]["accept"][0], saved.reason) == (
        "saved",
        7,
        "区里人手不足",
    )
    assert (removed.action, removed.reason) == ("removed", "设错了")
    html = page(client, world.district_staff)
    assert "区里人手不足" in html and "设错了" in html  # the record's 原因 column


def test_saves_through_the_api_keep_their_reason(world):  # noqa: F811
    staff = client_for(world.district_staff)
    created = staff.post(URL, limit_body(world, reason="新设楼道堆物时限"), format="json")
    assert created.status_code == 201, created.content
    assert "reason" not in created.json()  # no column of the limit
    row = created.json()["id"]
    patched = staff.patch(f"{URL}{row}/", {"accept_value": 6, "reason": "放宽"}, format="json")
    assert patched.status_code == 200, patched.content
    too_long = staff.patch(f"{URL}{row}/", {"reason": "长" * 301}, format="json")
    assert too_long.status_code == 400
    assert staff.patch(f"{URL}{row}/", {"accept_value": 5}, format="json").status_code == 200
    assert [(c.limits[0]["accept"][0], c.reason) for c in TimeLimitChange.objects.all()] == [
        (5, ""),
        (6, "放宽"),
        (2, "新设楼道堆物时限"),
    ]
    reasons = [r["reason"] for r in staff.get("/api/v1/time-limit-changes/").json()["results"]]
    assert reasons == ["", "放宽", "新设楼道堆物时限"]


def test_the_reason_of_a_save_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    request = schema["components"]["schemas"]["TimeLimitRequest"]["properties"]
    assert request["reason"]["maxLength"] == 300
    assert "reason" not in schema["components"]["schemas"]["TimeLimit"]["properties"]
