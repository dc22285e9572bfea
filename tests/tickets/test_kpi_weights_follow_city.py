"""恢复使用全市设置: a district that set its own 考核权重 returns to the whole deployment's
(全市), so that later changes of those reach it again. The return is a row of the history
(who, when, why, and the district's own weights it ended), never a deletion; periods that
ended before keep their scores.

Scores are test_kpi_weights_districts' (D2 grid X in March: response 1/2, resolution,
satisfaction and on time 2/2): with D2's own 50/0/50/0/0 75.0, with 全市's 100/0/0/0/0
50.0, with 全市's later 0/50/50/0/0 100.0.
"""

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.people.models import Role
from gridgov.places.models import Level
from gridgov.tickets import kpis
from gridgov.tickets.models import KpiWeights
from tests.people.factories import user_with_role

from .test_kpi_weights_districts import CITY, D2_OWN, URL, second, set_weights  # noqa: F401
from .test_kpis import MARCH, NOW, TZ, api, at, fixture, world  # noqa: F401 (pytest fixtures)

pytestmark = pytest.mark.django_db
CITY_LATER = {"response": 0, "resolution": 50, "satisfaction": 50, "on_time": 0, "whistle": 0}


def grid_x_score(second, end=MARCH[1]):  # noqa: F811
    ranked = kpis.ranking(Level.GRID, second.d2, MARCH[0], end, now=NOW)
    return {k.unit.code: k.score for k in ranked}["G2a"]


def superuser(second):  # noqa: F811
    admin = user_with_role(Role.RESIDENT, second.buildings[0], username="root")
    admin.is_superuser = True
    admin.save()
    return admin


def test_after_the_return_the_district_is_scored_with_the_whole_deployments_weights(
    second,  # noqa: F811
    settings,
):
    settings.GRIDGOV_KPI_WEIGHTS = {}
    staff = second.district2_staff
    set_weights(CITY, at(3, 10, 0))
    set_weights(D2_OWN, at(3, 20, 0), district=second.d2, user=staff)
    assert grid_x_score(second) == 75.0
    back = kpis.follow_city(staff, "区里不再单独考核", second.d2, now=at(3, 25, 0))
    assert grid_x_score(second) == 50.0  # 全市's, in force at March's end
    # A later change of 全市's reaches D2 again (before, D2's own hid it: 75.0).
    set_weights(CITY_LATER, at(3, 28, 0))
    assert grid_x_score(second) == 100.0
    assert kpis.weights_in_force(NOW, second.d2) == (CITY_LATER, kpis.CITY)
    # A period that ended before the return keeps D2's own weights.
    assert kpis.period_weights(dt.date(2026, 3, 22), NOW, second.d2) == D2_OWN
    # The return is kept: who, when, why, and the weights it ended; nothing deleted.
    back.refresh_from_db()
    assert (back.follows_city, back.district, back.changed_by) == (True, second.d2, staff)
    assert (back.as_dict(), back.reason) == (D2_OWN, "区里不再单独考核")
    assert KpiWeights.objects.filter(district=second.d2).count() == 2
    # D2 may set its own again later.
    set_weights(D2_OWN, at(3, 30, 0), district=second.d2)
    assert grid_x_score(second) == 75.0


def test_a_district_without_own_weights_in_force_cannot_return(second):  # noqa: F811
    set_weights(CITY, at(3, 10, 0))
    for district in (second.district, None):  # never set its own; 全市 itself
        with pytest.raises(kpis.BadWeights):
            kpis.follow_city(None, "", district, now=at(3, 25, 0))
    set_weights(D2_OWN, at(3, 20, 0), district=second.d2)
    kpis.follow_city(None, "", second.d2, now=at(3, 25, 0))
    with pytest.raises(kpis.BadWeights):  # returned already
        kpis.follow_city(None, "", second.d2, now=at(3, 26, 0))
    assert KpiWeights.objects.filter(follows_city=True).count() == 1


def ranking_weights(user, **query):
    response = api(user).get("/api/v1/kpis/", {"level": "street", "parent": "D2", **query})
    assert response.status_code == 200, response.content
    body = response.json()
    return body["weights_district"], body["weights"]


def test_district_staff_return_their_district_through_the_api(second):  # noqa: F811
    staff = second.district2_staff
    set_weights(CITY, at(3, 10, 0))
    set_weights(D2_OWN, at(3, 20, 0), district=second.d2, user=staff)
    assert ranking_weights(staff) == ("D2", D2_OWN)
    response = api(staff).delete(f"{URL}?district=D2&reason=统一考核")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["district"], body["source"], body["weights"]) == ("D2", "city", CITY)
    latest = body["history"][0]
    assert latest["follows_city"] is True and latest["weights"] == D2_OWN
    assert (latest["changed_by"], latest["reason"]) == ("district2", "统一考核")
    assert ranking_weights(staff) == ("D2", CITY)
    # 全市's next change reaches D2's ranking.
    admin = superuser(second)
    later = api(admin).put(URL, {**CITY_LATER, "reason": "全市调整"}, format="json")
    assert later.status_code == 200
    assert ranking_weights(staff) == ("D2", CITY_LATER)
    # Returned already: 400, said in Chinese, nothing written.
    again = api(staff).delete(URL)  # no district named: their own
    assert again.status_code == 400
    assert "朝阳区当前未执行本区权重" in again.json()["error"]["message"]
    assert KpiWeights.objects.filter(follows_city=True).count() == 1


def test_only_the_districts_staff_and_superusers_may_return_it(second):  # noqa: F811
    set_weights(D2_OWN, at(3, 20, 0), district=second.d2)
    others = [second.district_staff, second.street_staff, second.community_staff]
    for user in others:
        response = api(user).delete(f"{URL}?district=D2")
        assert response.status_code == 403, user.username
        assert "只有朝阳区的区级工作人员" in response.json()["error"]["message"]
    # Street staff naming no district: told who sets the weights.
    refused = api(second.street_staff).delete(URL).json()["error"]["message"]
    assert "区级工作人员只能修改本区的考核权重" in refused
    # 全市 itself follows nothing; a district without own weights: 400.
    admin = superuser(second)
    assert api(admin).delete(f"{URL}?district=").status_code == 400
    assert api(admin).delete(URL).status_code == 400
    assert api(admin).delete(f"{URL}?district=D1").status_code == 400
    assert api(admin).delete(f"{URL}?district=NOPE").status_code == 400
    assert api(admin).delete(f"{URL}?district=D2&reason={'长' * 301}").status_code == 400
    assert not KpiWeights.objects.filter(follows_city=True).exists()
    assert api(admin).delete(f"{URL}?district=D2").status_code == 200
    assert KpiWeights.objects.get(follows_city=True).changed_by == admin


def page(client, user, **query):
    client.force_login(user)
    response = client.get(reverse("tickets:kpi-weights"), query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_offers_the_return_to_the_districts_staff_only(client, second):  # noqa: F811
    staff = second.district2_staff
    set_weights(CITY, at(3, 10, 0))
    set_weights(D2_OWN, at(3, 20, 0), district=second.d2, user=staff)
    own = page(client, staff)
    assert 'id="kpi-weights-follow-city"' in own and "恢复使用全市设置" in own
    assert "确定让朝阳区恢复使用全市设置吗" in own  # the confirmation
    # D1 has no weights of its own; street staff and D1's staff may not return D2.
    assert "kpi-weights-follow-city" not in page(client, second.district_staff)
    assert "kpi-weights-follow-city" not in page(client, second.street_staff)
    for user in (second.district_staff, second.street_staff):
        client.force_login(user)
        body = {"form": "follow-city", "district": "D2"}
        refused = client.post(reverse("tickets:kpi-weights"), body)
        assert refused.status_code == 403 and "考核权重" in refused.content.decode()
    assert not KpiWeights.objects.filter(follows_city=True).exists()
    client.force_login(staff)
    body = {"form": "follow-city", "district": "D2", "reason": "统一考核"}
    response = client.post(reverse("tickets:kpi-weights"), body, follow=True)
    shown = response.content.decode()
    assert "朝阳区已恢复使用全市权重" in shown
    back = KpiWeights.objects.get(follows_city=True)
    assert (back.district, back.changed_by, back.reason) == (second.d2, staff, "统一考核")
    assert f'data-change="{back.pk}" data-follows-city' in shown
    assert "朝阳区自" in shown and "起恢复使用全市权重" in shown
    assert "kpi-weights-follow-city" not in shown  # nothing left to return
    assert kpis.weights_in_force(district=second.d2) == (CITY, kpis.CITY)


def test_the_return_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    delete = schema["paths"]["/api/v1/kpis/weights/"]["delete"]
    assert {p["name"] for p in delete["parameters"]} >= {"district", "reason"}
    assert "follows_city" in delete["description"]
    # It answers 200 with the weights now in force (as GET), not a DELETE's bodiless 204:
    # a generated client read the schema's 204 and threw the answer away.
    assert "204" not in delete["responses"]
    answer = delete["responses"]["200"]["content"]["application/json"]["schema"]
    get = schema["paths"]["/api/v1/kpis/weights/"]["get"]["responses"]["200"]
    assert answer == get["content"]["application/json"]["schema"]


def test_a_misspelt_parameter_is_refused_not_ignored(second):  # noqa: F811
    """DELETE ?district=D2&reson=… returned D2 to 全市 with no reason kept, and GET
    ?distrct=D2 answered the deployment's weights as if D2's: the ticket lists' rule (400
    naming the parameter, nothing done) holds here too."""
    staff = second.district2_staff
    set_weights(CITY, at(3, 10, 0))
    set_weights(D2_OWN, at(3, 20, 0), district=second.d2, user=staff)
    refused = api(staff).delete(f"{URL}?district=D2&reson=统一考核")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "unknown_parameter"
    assert error["detail"] == {"unknown": ["reson"], "allowed": ["district", "format", "reason"]}
    assert error["message"].startswith("未知的查询参数 reson：此处不读取它，未作任何处理。")
    assert not KpiWeights.objects.filter(follows_city=True).exists()
    assert kpis.weights_in_force(district=second.d2)[0] == D2_OWN
    read = api(staff).get(f"{URL}?distrct=D2")
    assert read.status_code == 400
    assert read.json()["error"]["detail"]["unknown"] == ["distrct"]
    assert api(staff).get(f"{URL}?district=D2&format=json").status_code == 200
