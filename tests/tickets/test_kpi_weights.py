"""考核权重: district staff change the composite score's weights on a page reached from the
ranking (and through /api/v1/kpis/weights/); every change is kept with who, when and why;
a period is scored with the weights in force at its end, the settings' before any change.
Scores are those of the hand-computed fixture in test_kpis.py (grid A in March: response
0.4, resolution 2/3, satisfaction 2/3, on time 0.4; 58.67 with the default weights)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from gridgov.places.models import Level
from gridgov.tickets import kpis
from gridgov.tickets.models import KpiWeights

from .test_kpis import MARCH, NOW, TZ, api, fixture, world  # noqa: F401 (pytest fixtures)

pytestmark = pytest.mark.django_db
URL = "/api/v1/kpis/weights/"
APRIL = (dt.date(2026, 4, 1), dt.date(2026, 4, 30))


def weights(**overrides):
    return {**kpis.DEFAULT_WEIGHTS, "reason": "考核办法调整", **overrides}


def change(user, at, **overrides):
    values = {**kpis.DEFAULT_WEIGHTS, **overrides}
    return kpis.change_weights(values, user, "考核办法调整", now=at)


def grid_a_score(fixture, period=MARCH):  # noqa: F811
    rows = kpis.ranking(Level.GRID, fixture.community, *period, now=NOW)
    return {k.unit.code: k.score for k in rows}["G1a"]


def test_a_period_is_scored_with_the_weights_in_force_at_its_end(fixture, settings):  # noqa: F811
    settings.GRIDGOV_KPI_WEIGHTS = {}
    assert grid_a_score(fixture) == 58.67  # the settings' weights: no change made yet
    change(fixture.district_staff, dt.datetime(2026, 3, 20, tzinfo=TZ), response=0)
    assert grid_a_score(fixture) == 66.67  # (35·2/3 + 35·2/3) / 70
    # A change after March's end scores April (still running at NOW), not March.
    later = change(
        fixture.district_staff,
        dt.datetime(2026, 4, 5, tzinfo=TZ),
        response=100,
        resolution=0,
        satisfaction=0,
    )
    assert grid_a_score(fixture) == 66.67
    assert kpis.period_weights(APRIL[1], now=NOW) == later.as_dict()
    assert kpis.period_weights(MARCH[1], now=NOW)["response"] == 0
    # Before the first change: the settings' weights.
    assert kpis.period_weights(dt.date(2026, 2, 28), now=NOW) == kpis.settings_weights()
    assert KpiWeights.objects.count() == 2  # nothing overwritten


def test_district_staff_change_the_weights_on_the_page_and_the_ranking_uses_them(
    client,
    fixture,  # noqa: F811
):
    client.force_login(fixture.district_staff)
    ranking = client.get(reverse("tickets:kpis")).content.decode()
    assert 'id="kpi-weights-link"' in ranking and reverse("tickets:kpi-weights") in ranking
    page = client.get(reverse("tickets:kpi-weights")).content.decode()
    assert "考核权重" in page and 'id="kpi-weights-form"' in page
    assert "不必合计为 100" in page  # the rule, stated
    response = client.post(
        reverse("tickets:kpi-weights"), weights(response=0, on_time=20, reason="按时办结纳入考核")
    )
    assert response.status_code == 302
    row = KpiWeights.objects.get()
    assert (row.response, row.on_time, row.changed_by) == (0, 20, fixture.district_staff)
    assert row.district == fixture.district  # district staff set their district's own
    page = client.get(reverse("tickets:kpi-weights")).content.decode()
    history = re.search(r'id="kpi-weights-history">(.*?)</table>', page, re.S).group(1)
    assert "按时办结纳入考核" in history and f'data-change="{row.pk}"' in history
    assert 'data-change="city"' in history  # before the district's first change: 全市
    assert re.search(r"data-total>\s*100\s*<", page)  # 0+35+35+20+10
    # This month's ranking states (and scores with) the new weights (in a month's first
    # days the page opens on last month, scored with those in force at its end).
    ranking = client.get(reverse("tickets:kpis"), {"period": "month"}).content.decode()
    stated = re.search(r'<p class="muted kpi-weights">(.*?)</p>', ranking, re.S).group(1)
    assert "按时办结率 20" in stated and "响应率" in stated.split("仅展示、不计分")[1]


@pytest.mark.parametrize(
    "bad, said",
    [
        ({"response": -5}, 'name="response"'),
        (
            {"response": 0, "resolution": 0, "satisfaction": 0, "on_time": 0},
            "吹哨报到单独不构成得分",
        ),
        ({}, "权重未变"),  # the defaults are in force
    ],
)
def test_bad_weights_are_refused_and_nothing_is_kept(client, fixture, bad, said):  # noqa: F811
    client.force_login(fixture.district_staff)
    response = client.post(reverse("tickets:kpi-weights"), weights(**bad))
    assert response.status_code == 400
    assert said in response.content.decode()
    assert not KpiWeights.objects.exists()


@pytest.mark.parametrize("who", ["street_staff", "gridworker_a", "community_staff"])
def test_only_district_staff_change_the_weights(client, fixture, who):  # noqa: F811
    user = getattr(fixture, who)
    client.force_login(user)
    page = client.get(reverse("tickets:kpi-weights"))
    assert page.status_code == 200 and 'id="kpi-weights-read-only"' in page.content.decode()
    assert 'id="kpi-weights-form"' not in page.content.decode()
    assert client.post(reverse("tickets:kpi-weights"), weights(response=0)).status_code == 403
    assert api(user).put(URL, weights(response=0), format="json").status_code == 403
    assert api(user).get(URL).status_code == 200
    assert not KpiWeights.objects.exists()


def test_a_resident_sees_no_weights(client, fixture):  # noqa: F811
    client.force_login(fixture.resident)
    assert client.get(reverse("tickets:kpi-weights")).status_code == 403
    assert api(fixture.resident).get(URL).status_code == 403


def test_the_api_reads_and_changes_the_weights_and_keeps_the_history(fixture):  # noqa: F811
    client = api(fixture.district_staff)
    body = client.get(URL).json()
    assert body["weights"] == kpis.settings_weights() and body["history"] == []
    assert body["source"] == "settings" and body["district"] is None
    response = client.put(URL, weights(on_time=15, reason="加入按时办结率"), format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["weights"]["on_time"] == 15 and body["total"] == 125
    assert body["history"][0]["changed_by"] == "district"
    assert body["district"] == body["history"][0]["district"] == fixture.district.code
    assert body["history"][0]["reason"] == "加入按时办结率"
    client.put(URL, weights(on_time=25), format="json")
    assert [h["weights"]["on_time"] for h in client.get(URL).json()["history"]] == [25, 15]
    # The ranking endpoint reports the weights it scored with, and whose.
    ranking = client.get("/api/v1/kpis/", {"level": "grid", "parent": fixture.community.code})
    assert ranking.json()["weights"]["on_time"] == 25
    assert ranking.json()["weights_district"] == fixture.district.code
    refused = client.put(URL, weights(on_time=25), format="json")
    assert refused.status_code == 400 and "权重未变" in refused.json()["error"]["message"]
    assert client.put(URL, weights(whistle=-1), format="json").status_code == 400
    assert client.put(URL, {"response": 10}, format="json").status_code == 400  # all needed
    assert KpiWeights.objects.count() == 2
