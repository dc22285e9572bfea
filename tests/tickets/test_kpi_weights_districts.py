"""考核权重 per district: a district's own weights score its streets, communities, grids
and departments; where it has none, the whole deployment's (全市) apply, and before any,
the settings'. Districts are ranked among themselves with the deployment's weights.

Hand-checked composites in March (test_kpis' fixture is district D1 海淀区):
  D1 grid A (G1a): response 0.4, resolution 2/3, satisfaction 2/3, on time 0.4.
  D2 grid X (G2a), two tickets received Mon 03-02 09:00 (respond by 03-04 23:59:59,
  resolve by 03-11 23:59:59):
    X1 accept +1h, contact +1h, resolve +2h, callback resolved/satisfied
    X2 accept +1h, contact 03-06 10:00 (late), resolve 03-06 12:00 (in time),
       callback resolved/basic
    → response 1/2, resolution 2/2, satisfaction 2/2, on time 2/2.
  Weights (response, resolution, satisfaction, on time, whistle):
    全市 from 03-10: 100/0/0/0/0; D1 from 03-15: 0/35/35/0/10; D2 from 03-20: 50/0/50/0/0.
  March (weights in force on 03-31):
    grid A with D1's: (35·2/3 + 35·2/3) / 70 = 66.67
    grid X with D2's: (50·0.5 + 50·1) / 100 = 75.0
  had D2 set none, 全市's: grid X 100·0.5 / 100 = 50.0; before 全市's, the settings':
    (30·0.5 + 35 + 35) / 100 = 85.0 (on time weighs 0).
"""

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.people.models import Role
from gridgov.places.models import Level
from gridgov.tickets import intake, kpis
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import KpiWeights
from tests.people.factories import user_with_role
from tests.places.factories import PlaceFactory, make_tree

from .factories import ticket_data
from .test_kpis import (  # noqa: F401 (pytest fixtures)
    MARCH,
    NOW,
    TZ,
    H,
    api,
    at,
    fixture,
    handle,
    world,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/kpis/weights/"
CITY = {"response": 100, "resolution": 0, "satisfaction": 0, "on_time": 0, "whistle": 0}
D1_OWN = {"response": 0, "resolution": 35, "satisfaction": 35, "on_time": 0, "whistle": 10}
D2_OWN = {"response": 50, "resolution": 0, "satisfaction": 50, "on_time": 0, "whistle": 0}


@pytest.fixture
def second(fixture):  # noqa: F811
    """District D2 (朝阳区) with grid X (G2a) and its March tickets, as in the docstring."""
    d2 = PlaceFactory(code="D2", name="朝阳区", level=Level.DISTRICT)
    tree = make_tree(key="2", district=d2, origin=(117.0, 40.5))
    grid_x = tree.grids[0]
    hotline = user_with_role(Role.HOTLINE_OPERATOR, d2, username="hotline2")
    worker = user_with_role(Role.GRID_WORKER, grid_x, username="gw_x")
    staff = user_with_role(Role.DISTRICT_STAFF, d2, username="district2")
    t0 = at(3, 2, 9)
    steps = [
        [("contact", worker, t0 + H(1), {}), ("resolve", worker, t0 + H(2), {"reply": "已清"})],
        [
            ("contact", worker, at(3, 6, 10), {}),
            ("resolve", worker, at(3, 6, 12), {"reply": "已清"}),
        ],
    ]
    data = ticket_data(category=fixture.corridor.code, place=tree.buildings[0].code, address="")
    for rest, satisfaction in zip(steps, ("satisfied", "basic"), strict=True):
        ticket = intake.create_ticket(dict(data), actor=hotline, now=t0).ticket
        assert ticket.owner_place == grid_x
        handle(fixture, ticket, [("accept", worker, t0 + H(1), {}), *rest])
        perform(
            ticket, "callback", hotline, now=at(3, 7, 10), resolved=True, satisfaction=satisfaction
        )
    fixture.d2, fixture.grid_x, fixture.district2_staff = d2, grid_x, staff
    return fixture


def set_weights(values, at_, district=None, user=None):
    return kpis.change_weights(values, user, "考核办法调整", now=at_, district=district)


def scores(units):
    return {k.unit.code: k.score for k in kpis.compute(units, *MARCH, now=NOW)}


def test_each_district_scores_its_units_with_its_own_weights(second, settings):
    settings.GRIDGOV_KPI_WEIGHTS = {}
    grid_a, grid_x = second.grid_a, second.grid_x
    # No weights set anywhere: the settings' for both.
    assert scores([grid_a, grid_x]) == {"G1a": 58.67, "G2a": 85.0}
    set_weights(CITY, dt.datetime(2026, 3, 10, tzinfo=TZ))
    assert scores([grid_a, grid_x]) == {"G1a": 40.0, "G2a": 50.0}  # response alone
    set_weights(D1_OWN, dt.datetime(2026, 3, 15, tzinfo=TZ), district=second.district)
    assert scores([grid_a, grid_x]) == {"G1a": 66.67, "G2a": 50.0}  # D2 still 全市's
    set_weights(D2_OWN, dt.datetime(2026, 3, 20, tzinfo=TZ), district=second.d2)
    assert scores([grid_a, grid_x]) == {"G1a": 66.67, "G2a": 75.0}
    # The rankings of each district's grids use them too.
    ranked = kpis.ranking(Level.GRID, second.d2, *MARCH, now=NOW)
    assert {k.unit.code: k.score for k in ranked}["G2a"] == 75.0
    assert kpis.unit_kpis(grid_a, *MARCH, now=NOW).score == 66.67
    # A department serving D1 is scored with D1's weights (its whistle rate counts there).
    assert kpis.Unit.of(second.city_mgmt).weights_district == second.district.code
    # February ended before any change: the settings' weights, everywhere.
    assert kpis.period_weights(dt.date(2026, 2, 28), NOW, second.d2) == kpis.settings_weights()
    assert kpis.weights_in_force(NOW, second.d2) == (D2_OWN, "district")


def test_districts_are_ranked_with_the_whole_deployments_weights(second):
    set_weights(CITY, dt.datetime(2026, 3, 10, tzinfo=TZ))
    set_weights(D1_OWN, dt.datetime(2026, 3, 15, tzinfo=TZ), district=second.district)
    units = [kpis.Unit.of(d) for d in (second.district, second.d2)]
    assert [u.weights_district for u in units] == [None, None]
    assert kpis.scoring_district(Level.DISTRICT, second.district) is None
    assert kpis.scoring_district(Level.STREET, second.district) == second.district
    assert kpis.scoring_district(kpis.DEPARTMENT, second.district) == second.district
    assert kpis.period_weights(MARCH[1], NOW) == CITY
    page = weights_page(second.district_staff, district=second.district.code)
    assert "区与区之间的排名一律按全市权重计分" in page


def weights_page(user, **query):
    from django.test import Client

    client = Client()
    client.force_login(user)
    response = client.get(reverse("tickets:kpi-weights"), query)
    assert response.status_code == 200
    return response.content.decode()


def test_district_staff_set_their_districts_weights_only(client, second):
    staff = second.district_staff
    client.force_login(staff)
    page = weights_page(staff)  # opens on their own district
    assert 'id="kpi-weights-form"' in page and "海淀区" in page
    assert 'name="district" value="D1"' in page
    response = client.post(
        reverse("tickets:kpi-weights"), {**D1_OWN, "reason": "区定", "district": "D1"}
    )
    assert response.status_code == 302 and response["Location"].endswith("?district=D1")
    assert KpiWeights.objects.get().district == second.district
    # The whole deployment's, another district's: refused, on the page and in the API.
    for district in ("", "D2"):
        body = {**CITY, "reason": "越权", "district": district}
        assert client.post(reverse("tickets:kpi-weights"), body).status_code == 403
        assert api(staff).put(URL, body, format="json").status_code == 403
    assert 'id="kpi-weights-form"' not in weights_page(staff, district="")
    assert KpiWeights.objects.count() == 1
    # D2's staff do set D2's; a superuser sets 全市's.
    assert (
        api(second.district2_staff)
        .put(URL, {**D2_OWN, "reason": "区定"}, format="json")
        .json()["district"]
        == "D2"
    )
    admin = user_with_role(Role.RESIDENT, second.buildings[0], username="root")
    admin.is_superuser = True
    admin.save()
    answer = api(admin).put(URL, {**CITY, "reason": "全市统一"}, format="json")
    assert answer.status_code == 200 and answer.json()["district"] is None
    assert answer.json()["source"] == "city"
    assert {(r.district_id, r.changed_by.username) for r in KpiWeights.objects.all()} == {
        (second.district.pk, "district"),
        (second.d2.pk, "district2"),
        (None, "root"),
    }


def test_the_page_shows_each_districts_history(client, second):
    admin = user_with_role(Role.RESIDENT, second.buildings[0], username="root")
    admin.is_superuser = True
    admin.save()
    city = set_weights(CITY, dt.datetime(2026, 3, 10, tzinfo=TZ), user=admin)
    d1 = set_weights(D1_OWN, dt.datetime(2026, 3, 15, tzinfo=TZ), second.district)
    d2 = set_weights(D2_OWN, dt.datetime(2026, 3, 20, tzinfo=TZ), second.d2)
    pages = {
        "": weights_page(admin, district=""),
        "D1": weights_page(second.district_staff),
        "D2": weights_page(admin, district="D2"),
    }
    for code, row in (("", city), ("D1", d1), ("D2", d2)):
        page = pages[code]
        assert f'data-change="{row.pk}"' in page
        others = {city.pk, d1.pk, d2.pk} - {row.pk}
        assert not any(f'data-change="{pk}"' in page for pk in others)
    assert "全市" in pages[""] and 'data-change="settings"' in pages[""]
    assert "朝阳区" in pages["D2"] and 'data-change="city"' in pages["D2"]
    # D1's staff see no tab for D2, and asking for it shows their own with a notice.
    assert 'data-district="D2"' not in pages["D1"] and 'data-district="D2"' in pages["D2"]
    refused = weights_page(second.district_staff, district="D2")
    assert "D2 不是您可查看其权重的区" in refused and f'data-change="{d1.pk}"' in refused
    # A district without weights of its own says whose apply.
    KpiWeights.objects.filter(pk=d2.pk).delete()
    assert "朝阳区未设本区权重：执行全市权重" in weights_page(admin, district="D2")


def test_the_api_filters_the_history_by_district(second):
    admin = user_with_role(Role.RESIDENT, second.buildings[0], username="root")
    admin.is_superuser = True
    admin.save()
    set_weights(CITY, dt.datetime(2026, 3, 10, tzinfo=TZ))
    set_weights(D1_OWN, dt.datetime(2026, 3, 15, tzinfo=TZ), second.district)
    set_weights(D2_OWN, dt.datetime(2026, 3, 20, tzinfo=TZ), second.d2)
    client = api(admin)

    def districts(**query):
        response = client.get(URL, query)
        assert response.status_code == 200, response.content
        return [h["district"] for h in response.json()["history"]]

    assert districts() == ["D2", "D1", None]  # everything, newest first
    assert districts(district="D1") == ["D1"]
    assert districts(district="") == [None]
    body = client.get(URL, {"district": "D2"}).json()
    assert (body["district"], body["source"], body["weights"]) == ("D2", "district", D2_OWN)
    assert client.get(URL, {"district": "NOPE"}).status_code == 400
    assert client.get(URL, {"district": second.street.code}).status_code == 400  # not a 区
    # D1's staff read D1's and 全市's, not D2's.
    staff = api(second.district_staff)
    assert [h["district"] for h in staff.get(URL).json()["history"]] == ["D1", None]
    assert staff.get(URL, {"district": "D2"}).status_code == 403


def test_a_district_following_an_unset_whole_deployment_says_the_settings_apply(client, second):
    """The district's history said 执行全市权重 beside a panel saying neither it nor 全市
    has set any, so the server's settings apply: both now say whose weights score it."""
    page = weights_page(second.district_staff)
    assert "海淀区" in page and 'data-change="city"' in page
    row = page.split('data-change="city"')[1].split("</tr>")[0]
    assert "全市尚未设置，故执行服务器设置的权重" in row
    set_weights(CITY, dt.datetime(2026, 3, 10, tzinfo=TZ))
    row = weights_page(second.district_staff).split('data-change="city"')[1].split("</tr>")[0]
    assert "执行全市权重" in row and "服务器" not in row
