"""KPIs against a fixture computed by hand (DESIGN §5, docs/kpis.md).

March 2026 (no public holiday). Every ticket is a general one: accept within 1
working day, respond within 2, resolve within 7 (end of that day, 23:59:59).
Received Mon 03-02 09:00 → respond_by Wed 03-04 23:59:59, resolve_by Wed 03-11 23:59:59.

Grid A (G1a), all received 03-02 09:00:
  A1 accept +1h, contact +2h (on time), resolve +24h, callback resolved/satisfied
  A2 accept +3h, contact 03-06 10:00 (late, +97h), resolve 03-06 12:00 (+99h),
     callback resolved/basic
  A3 accept +5h, never contacted nor resolved (still open, overdue); supervised once
  A4 accept +1h, contact +1.5h (on time), resolve 03-20 09:00 (+432h, late),
     callback unresolved/dissatisfied → reopened, new resolve_by 03-31 23:59:59
  A5 never accepted by the grid; escalated by the system 03-05 09:00 to the community,
     which accepts 10:00 (+1h), contacts 11:00 (+2h: after respond_by, which had run out
     with the grid, so the community is credited for calling), resolves 03-06 09:00 (+24h),
     callback resolved/satisfied
  A0 is January's: outside the period, counts nowhere.

  dispatched 5; responded A1, A4 = 2 → response 2/5 = 0.4
  callbacks A1, A2, A4 = 3; resolved 2 → 2/3; satisfied or basic 2 → 2/3
  due (resolve_by in March, past): A1, A2, A3, A4 by its reopened deadline 03-31
  (not met), and A4's first round too (03-11, resolved 03-20: the reopening's fresh
  deadline does not erase the miss) = 5; on time A1, A2 = 2 → 0.4. A5 is charged to
  the community, which held it when it was resolved.
  score = 30·0.4 + 35·2/3 + 35·2/3 = 12 + 23.333 + 23.333 = 58.67
  median hours: accept [1, 3, 5, 1] → 2.0; contact [2, 97, 1.5] → 2.0;
  resolve [24, 99, 432] → 99.0

Grid B (G1b): B1, B2 received 03-02 09:00, accepted and contacted +1h, resolved +2h,
  callbacks resolved/satisfied → every rate 1.0, score 100.

Grid C (G1c): nothing → every rate None, score None, no rank.

Community C1: dispatched 1 (A5, by escalation), responded 1 → 1.0; callbacks 1, resolved
  1, satisfied 1 → 1.0, 1.0; due 1, on time 1 → 1.0;
  score = (30·1 + 35·1 + 35·1) / 100 = 100.0

Departments (the district's):
  CG (城管) owns D1 (无证摊贩) received Mon 03-09 09:00, accepts 09:30, contacts 10:00,
     resolves 03-10 09:00, callback resolved/basic → response, resolution,
     satisfaction 1.0. Whistle 03-09 10:00 summons CG and ZJ, report within 2 h
     (12:00): CG reports 11:00 (on time), rated 4 → whistle = mean(1, (4−1)/3) = 1.0
     → score (30 + 35 + 35 + 10) / 110 = 100.0
  ZJ (住建) owns nothing; reports 13:00 (late), rated 3 → whistle = mean(0, 2/3) = 1/3,
     but no handling rate: the whistle only adjusts a score, so no score and no rank
"""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from gridgov.places.models import Level, Place
from gridgov.tickets import intake, kpis
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Status

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(8 * 60)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
NOW = dt.datetime(2026, 4, 10, 12, 0, tzinfo=TZ)


def at(month, day, hour, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


def H(hours):  # noqa: N802
    return dt.timedelta(hours=hours)


@pytest.fixture
def world():
    w = make_world()
    w.grid_c = Place.objects.create(code="G1c", name="空网格", level=Level.GRID, parent=w.community)
    return w


def make_ticket(world, now, **overrides):
    data = ticket_data(**overrides)
    data.setdefault("category", world.corridor.code)
    return intake.create_ticket(data, actor=world.hotline, now=now).ticket


def handle(world, ticket, steps):
    """steps: (action, actor, when, params)"""
    for action, actor, when, params in steps:
        perform(ticket, action, actor, now=when, **params)


def satisfied_callback(world, ticket, when, satisfaction="satisfied", resolved=True):
    perform(
        ticket,
        "callback",
        world.hotline,
        now=when,
        resolved=resolved,
        satisfaction=satisfaction,
    )


@pytest.fixture
def fixture(world):
    gw, cs = world.gridworker_a, world.community_staff
    t0 = at(3, 2, 9)

    # January: outside the period.
    a0 = make_ticket(world, now=at(1, 12, 9))
    handle(
        world,
        a0,
        [
            ("accept", gw, at(1, 12, 10), {}),
            ("contact", gw, at(1, 12, 11), {}),
            ("resolve", gw, at(1, 13, 9), {"reply": "ok"}),
        ],
    )
    satisfied_callback(world, a0, at(1, 14, 9))

    a1 = make_ticket(world, now=t0)
    handle(
        world,
        a1,
        [
            ("accept", gw, t0 + H(1), {}),
            ("contact", gw, t0 + H(2), {}),
            ("resolve", gw, t0 + H(24), {"reply": "已清理"}),
        ],
    )
    satisfied_callback(world, a1, at(3, 4, 10))

    a2 = make_ticket(world, now=t0)
    handle(
        world,
        a2,
        [
            ("accept", gw, t0 + H(3), {}),
            ("contact", gw, at(3, 6, 10), {}),
            ("resolve", gw, at(3, 6, 12), {"reply": "已清理"}),
        ],
    )
    satisfied_callback(world, a2, at(3, 9, 10), satisfaction="basic")

    a3 = make_ticket(world, now=t0)
    perform(a3, "accept", gw, now=t0 + H(5))
    perform(a3, "supervise", cs, now=at(3, 12, 9), reason="督办")

    a4 = make_ticket(world, now=t0)
    handle(
        world,
        a4,
        [
            ("accept", gw, t0 + H(1), {}),
            ("contact", gw, t0 + H(1.5), {}),
            ("resolve", gw, at(3, 20, 9), {"reply": "已清理"}),
        ],
    )
    satisfied_callback(world, a4, at(3, 21, 10), satisfaction="dissatisfied", resolved=False)
    a4.refresh_from_db()
    assert a4.status == Status.REOPENED
    assert a4.resolve_by == at(3, 31, 23) + dt.timedelta(minutes=59, seconds=59)

    a5 = make_ticket(world, now=t0)
    perform(a5, "escalate", None, now=at(3, 5, 9), reason="逾期未签收")
    handle(
        world,
        a5,
        [
            ("accept", cs, at(3, 5, 10), {}),
            ("contact", cs, at(3, 5, 11), {}),
            ("resolve", cs, at(3, 6, 9), {"reply": "社区已协调"}),
        ],
    )
    satisfied_callback(world, a5, at(3, 7, 10))

    for _ in range(2):
        b = make_ticket(world, now=t0, address="幸福里小区3号楼")
        assert b.owner_place == world.grid_b
        handle(
            world,
            b,
            [
                ("accept", world.gridworker_b, t0 + H(1), {}),
                ("contact", world.gridworker_b, t0 + H(1), {}),
                ("resolve", world.gridworker_b, t0 + H(2), {"reply": "已处理"}),
            ],
        )
        satisfied_callback(world, b, at(3, 3, 10))

    d0 = at(3, 9, 9)
    d1 = make_ticket(world, now=d0, category=world.unlicensed.code, title="无证摊贩")
    assert d1.owner_department == world.city_mgmt
    handle(
        world,
        d1,
        [
            ("accept", world.city_handler, d0 + H(0.5), {}),
            ("contact", world.city_handler, d0 + H(1), {}),
            (
                "whistle",
                world.street_staff,
                d0 + H(1),
                {"departments": ["CG", "ZJ"], "report_within_hours": 2, "reason": "联合整治"},
            ),
            ("whistle-report", world.city_handler, d0 + H(2), {"department": "CG", "note": "到场"}),
            (
                "whistle-report",
                world.housing_handler,
                d0 + H(4),
                {"department": "ZJ", "note": "到场"},
            ),
            ("whistle-rate", world.street_staff, d0 + H(5), {"department": "CG", "rating": 4}),
            ("whistle-rate", world.street_staff, d0 + H(5), {"department": "ZJ", "rating": 3}),
            ("resolve", world.city_handler, at(3, 10, 9), {"reply": "已取缔"}),
        ],
    )
    satisfied_callback(world, d1, at(3, 11, 10), satisfaction="basic")
    return world


def by_code(rows):
    return {k.unit.code: k for k in rows}


def test_grid_kpis_match_the_hand_computed_fixture(fixture):
    w = fixture
    rows = kpis.ranking(Level.GRID, w.community, *MARCH, now=NOW)
    # Ranking: B (100) before A (58.67); C has no score, so no rank, and comes last.
    assert [(k.unit.code, k.rank, k.score) for k in rows] == [
        ("G1b", 1, 100.0),
        ("G1a", 2, 58.67),
        ("G1c", None, None),
    ]
    a = by_code(rows)["G1a"]
    assert a.counts == {
        "dispatched": 5,
        "accepted": 4,
        "response_due": 5,  # all five can be judged: contacted, or respond_by passed
        "responded": 2,
        "resolved": 3,
        "due": 5,  # A4 twice: its first round was late, and so is its reopened one
        "resolved_on_time": 2,
        "callbacks": 3,
        "callbacks_resolved": 2,
        "callbacks_satisfied": 2,
        "supervised": 1,
        "open_now": 2,
        "overdue_now": 2,
    }
    assert a.rates["response"] == pytest.approx(0.4)
    assert a.rates["resolution"] == pytest.approx(2 / 3)
    assert a.rates["satisfaction"] == pytest.approx(2 / 3)
    assert a.rates["on_time"] == pytest.approx(0.4)
    assert a.rates["whistle"] is None
    assert a.medians == {"accept": 2.0, "contact": 2.0, "resolve": 99.0}
    # Ranked among the two grids with a score: G1c, with nothing to score, is not counted
    # in `of` (the home page read "2 / 3" for a ranking of two).
    assert (a.rank, a.of, a.unranked) == (2, 2, 1)
    assert by_code(rows)["G1c"].of == 2

    b = by_code(rows)["G1b"]
    assert b.rates == {
        "response": 1.0,
        "resolution": 1.0,
        "satisfaction": 1.0,
        "on_time": 1.0,
        "whistle": None,
    }
    assert b.medians == {"accept": 1.0, "contact": 1.0, "resolve": 2.0}

    c = by_code(rows)["G1c"]
    # Zero denominators are None, never 0 or 1.
    assert set(c.rates.values()) == {None}
    assert c.medians == {"accept": None, "contact": None, "resolve": None}


def test_community_is_charged_for_what_it_held(fixture):
    kpi = kpis.unit_kpis(fixture.community, *MARCH, now=NOW)
    assert kpi.counts["dispatched"] == 1
    assert kpi.counts["responded"] == 1  # by its own respond_by, counted from the escalation
    assert kpi.rates["response"] == 1.0
    assert kpi.rates["resolution"] == 1.0 and kpi.rates["satisfaction"] == 1.0
    assert (kpi.counts["due"], kpi.counts["resolved_on_time"]) == (1, 1)
    assert kpi.medians == {"accept": 1.0, "contact": 2.0, "resolve": 24.0}
    assert kpi.score == 100.0
    assert (kpi.rank, kpi.of) == (1, 1)


def test_departments_count_whistle_reports_and_ratings(fixture):
    rows = kpis.ranking(kpis.DEPARTMENT, fixture.district, *MARCH, now=NOW)
    assert [(k.unit.code, k.rank, k.score) for k in rows] == [("CG", 1, 100.0), ("ZJ", None, None)]
    cg, zj = rows
    assert cg.whistle == {
        "summoned": 1,
        "reported_on_time": 1,
        "late": 0,
        "rated": 1,
        "mean_rating": 4.0,
    }
    assert cg.rates["whistle"] == 1.0
    assert zj.whistle["late"] == 1 and zj.whistle["mean_rating"] == 3.0
    assert zj.rates["whistle"] == pytest.approx(1 / 3)
    assert zj.rates["response"] is None and zj.rates["resolution"] is None


def test_another_period_sees_only_its_own_tickets(fixture):
    january = kpis.unit_kpis(fixture.grid_a, dt.date(2026, 1, 1), dt.date(2026, 1, 31), now=NOW)
    assert january.counts["dispatched"] == 1
    assert january.counts["callbacks"] == 1
    assert january.score == 100.0
    february = kpis.unit_kpis(fixture.grid_a, dt.date(2026, 2, 1), dt.date(2026, 2, 28), now=NOW)
    assert february.counts["dispatched"] == 0 and february.score is None


def test_weights_are_configurable(fixture, settings):
    settings.GRIDGOV_KPI_WEIGHTS = {"response": 0, "resolution": 50, "satisfaction": 50}
    a = kpis.unit_kpis(fixture.grid_a, *MARCH, now=NOW)
    assert a.score == 66.67  # (50·2/3 + 50·2/3) / 100
    settings.GRIDGOV_KPI_WEIGHTS = {"on_time": 100, "response": 0, "resolution": 0}
    settings.GRIDGOV_KPI_WEIGHTS["satisfaction"] = 0
    assert kpis.unit_kpis(fixture.grid_a, *MARCH, now=NOW).score == 40.0


def test_ties_share_a_rank():
    def kpi(code, score):
        unit = kpis.Unit("place", hash(code), code, code, "grid")
        return kpis.UnitKpi(unit=unit, start=MARCH[0], end=MARCH[1], score=score)

    rows = kpis.ordered(kpis.rank([kpi("a", 80.0), kpi("b", 90.0), kpi("c", 80.0), kpi("d", 70)]))
    assert [(k.unit.code, k.rank) for k in rows] == [("b", 1), ("a", 2), ("c", 2), ("d", 4)]


def api(user=None):
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


MARCH_QUERY = "start=2026-03-01&end=2026-03-31"


def test_kpi_endpoint_ranks_siblings_as_the_ranking_page_does(fixture):
    w = fixture
    url = f"/api/v1/kpis/?level=grid&parent=C1&{MARCH_QUERY}"
    body = api(w.community_staff).get(url).json()
    assert [(r["unit"]["code"], r["rank"], r["score"]) for r in body["results"]] == [
        ("G1b", 1, 100.0),
        ("G1a", 2, 58.67),
        ("G1c", None, None),
    ]
    assert body["weights"]["response"] == 30 and body["period"]["end"] == "2026-03-31"
    row = body["results"][1]
    assert row["rates"] == {
        "response": 0.4,
        "resolution": 0.6667,
        "satisfaction": 0.6667,
        "on_time": 0.4,
        "whistle": None,
    }
    assert row["median_hours"] == {"accept": 2.0, "contact": 2.0, "resolve": 99.0}
    # A grid worker sees their grid among its community's grids, as on the ranking page
    # (the API listed only their own row, the page all three); their community is the
    # default area, and an area that is neither theirs nor above it is refused.
    mine = api(w.gridworker_a).get(url).json()["results"]
    assert [(r["unit"]["code"], r["rank"], r["of"], r["unranked"]) for r in mine] == [
        ("G1b", 1, 2, 1),
        ("G1a", 2, 2, 1),
        ("G1c", None, 2, 1),
    ]
    default = api(w.gridworker_a).get(f"/api/v1/kpis/?level=grid&{MARCH_QUERY}").json()
    assert default["parent"] == "C1" and len(default["results"]) == 3
    Place.objects.create(code="C9", name="别的社区", level=Level.COMMUNITY, parent=w.street)
    other = api(w.gridworker_a).get(url.replace("parent=C1", "parent=C9"))
    assert other.status_code == 403
    assert api(w.street_staff).get(url.replace("parent=C1", "parent=C9")).status_code == 200
    assert api(w.resident).get(url).status_code == 403  # rankings are for staff
    assert api().get(url).status_code == 401

    departments = api(w.district_staff).get(f"/api/v1/kpis/?level=department&{MARCH_QUERY}")
    assert [r["unit"]["code"] for r in departments.json()["results"]] == ["CG", "ZJ"]
    own = api(w.city_handler).get(f"/api/v1/kpis/?level=department&{MARCH_QUERY}").json()
    assert [r["unit"]["code"] for r in own["results"]] == ["CG", "ZJ"]


def test_kpi_unit_endpoint_and_bad_parameters(fixture):
    w = fixture
    response = api(w.gridworker_a).get(f"/api/v1/kpis/units/G1a/?{MARCH_QUERY}")
    assert response.status_code == 200
    assert (response.json()["score"], response.json()["rank"]) == (58.67, 2)
    assert (response.json()["of"], response.json()["unranked"]) == (2, 1)
    sibling = api(w.gridworker_a).get(f"/api/v1/kpis/units/G1b/?{MARCH_QUERY}")
    assert sibling.status_code == 200 and sibling.json()["rank"] == 1  # in their ranking
    cg = api(w.city_handler).get(f"/api/v1/kpis/units/CG/?{MARCH_QUERY}").json()
    assert cg["whistle"]["mean_rating"] == 4.0 and cg["rank"] == 1
    staff = api(w.street_staff)
    assert staff.get("/api/v1/kpis/?level=grid&start=2026-04-01&end=2026-03-01").status_code == 400
    assert staff.get("/api/v1/kpis/?level=building").status_code == 400
    assert staff.get("/api/v1/kpis/?level=grid&parent=NOPE").status_code == 400
    assert staff.get("/api/v1/kpis/?start=2025-01-01&end=2026-03-01").status_code == 400
    assert staff.get("/api/v1/kpis/?start=2026-02-30&end=2026-03-01").status_code == 400
    assert staff.get("/api/v1/kpis/units/NOPE/").status_code == 404
    # A misspelt parameter is refused, not read as its default (?levl=community ranked grids).
    for url in ("/api/v1/kpis/?levl=community", "/api/v1/kpis/units/G1a/?strat=2026-03-01"):
        refused = staff.get(url)
        assert refused.status_code == 400, url
        assert refused.json()["error"]["code"] == "unknown_parameter"
    assert staff.get(f"/api/v1/kpis/?level=grid&format=json&{MARCH_QUERY}").status_code == 200


def test_a_ticket_not_yet_due_for_a_response_is_no_miss(world):
    """Dispatched a minute ago and not yet contacted: the unit has not missed anything, so
    the ticket is left out of the response rate until its respond_by passes."""
    now = timezone.now()
    ticket = make_ticket(world, now)
    today = timezone.localdate(now)
    (grid,) = [
        k
        for k in kpis.ranking(Level.GRID, world.community, today, today, now=now)
        if k.unit.code == world.grid_a.code
    ]
    assert grid.counts["dispatched"] == 1 and grid.counts["response_due"] == 0
    assert grid.rates["response"] is None
    later = ticket.respond_by + dt.timedelta(minutes=1)
    (grid,) = [
        k
        for k in kpis.ranking(Level.GRID, world.community, today, today, now=later)
        if k.unit.code == world.grid_a.code
    ]
    assert grid.counts["response_due"] == 1 and grid.rates["response"] == 0


# --- the domain review's cases ---------------------------------------------------------------

R0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # Monday; respond_by Wed 03-04 23:59:59
HOUR = dt.timedelta(hours=1)


def _filed(world, now=R0):
    data = ticket_data(category=world.corridor.code)
    return intake.create_ticket(data, actor=world.hotline, now=now).ticket


def _grid_kpi(world, grid, now):
    (kpi,) = kpis.compute([grid], *MARCH, now=now)
    return kpi


def test_a_merged_duplicate_is_not_the_units_work(world):
    """The duplicate was dispatched to the grid, then merged: it counted as due and as a
    response never made, though docs/kpis.md leaves merged tickets out."""
    survivor, duplicate = _filed(world), _filed(world, R0 + HOUR)
    perform(duplicate, "merge", world.hotline, now=R0 + 2 * HOUR, into=survivor.code)
    perform(survivor, "accept", world.gridworker_a, now=R0 + 3 * HOUR)
    perform(survivor, "contact", world.gridworker_a, now=R0 + 4 * HOUR)
    perform(survivor, "resolve", world.gridworker_a, now=R0 + 5 * HOUR, reply="已清理")
    kpi = _grid_kpi(world, world.grid_a, dt.datetime(2026, 3, 20, tzinfo=TZ))
    assert (kpi.counts["dispatched"], kpi.counts["due"]) == (1, 1)
    assert kpi.rates["on_time"] == 1.0 and kpi.rates["response"] == 1.0


def test_a_reopening_does_not_turn_a_late_first_reply_into_an_on_time_response(world):
    ticket = _filed(world)
    perform(ticket, "accept", world.gridworker_a, now=R0 + HOUR)
    friday = dt.datetime(2026, 3, 6, 10, tzinfo=TZ)  # never phoned; replied after respond_by
    perform(ticket, "resolve", world.gridworker_a, now=friday, reply="已清理")
    monday = dt.datetime(2026, 3, 9, 9, tzinfo=TZ)
    assert _grid_kpi(world, world.grid_a, monday).rates["response"] == 0.0
    perform(
        ticket, "callback", world.hotline, now=monday, resolved=False, satisfaction="dissatisfied"
    )
    assert _grid_kpi(world, world.grid_a, monday + HOUR).rates["response"] == 0.0


def test_a_unit_is_not_charged_a_response_deadline_that_passed_before_it_got_the_ticket(world):
    ticket = _filed(world)
    perform(ticket, "return", world.gridworker_a, now=R0 + HOUR, reason_code="wrong_place")
    thursday = dt.datetime(2026, 3, 5, 9, tzinfo=TZ)  # re-dispatched after respond_by
    perform(ticket, "dispatch", world.street_staff, now=thursday, unit=world.grid_b.code)
    end = dt.datetime(2026, 3, 31, tzinfo=TZ)
    waiting = _grid_kpi(world, world.grid_b, thursday + HOUR)
    assert waiting.counts["dispatched"] == 1 and waiting.counts["response_due"] == 0
    perform(ticket, "accept", world.gridworker_b, now=thursday + HOUR / 2)
    perform(ticket, "contact", world.gridworker_b, now=thursday + HOUR)
    assert _grid_kpi(world, world.grid_b, end).rates["response"] == 1.0  # credited for calling


def test_the_grid_that_let_resolve_by_run_out_is_charged_though_the_community_took_over(world):
    """The deadline ran out with the grid: the miss is the grid's, not the community's,
    which got the ticket late and resolved it (an escalation keeps the requester's
    deadlines; until 2026-11-29 it gave fresh ones, and the grid's miss had once vanished)."""
    from gridgov.tickets import sweep

    ticket = _filed(world)
    perform(ticket, "accept", world.gridworker_a, now=R0 + HOUR)
    perform(ticket, "contact", world.gridworker_a, now=R0 + 2 * HOUR)
    missed = ticket.resolve_by  # runs out with the grid holding it
    sweep.run(now=missed + 25 * HOUR)  # escalated to the community
    perform(ticket, "accept", world.community_staff, now=missed + 26 * HOUR)
    perform(ticket, "resolve", world.community_staff, now=missed + 27 * HOUR, reply="已协调")
    end = dt.datetime(2026, 3, 31, 12, tzinfo=TZ)
    grid, community = kpis.compute([world.grid_a, world.community], *MARCH, now=end)
    assert (grid.counts["due"], grid.counts["resolved_on_time"]) == (1, 0)
    assert (community.counts["due"], community.counts["resolved_on_time"]) == (0, 0)


def test_escalating_before_the_deadline_is_no_miss(world):
    ticket = _filed(world)
    perform(ticket, "accept", world.gridworker_a, now=R0 + HOUR)
    perform(ticket, "escalate", world.gridworker_a, now=R0 + 2 * HOUR, reason="需社区协调")
    perform(ticket, "accept", world.community_staff, now=R0 + 3 * HOUR)
    perform(ticket, "resolve", world.community_staff, now=R0 + 4 * HOUR, reply="已协调")
    end = dt.datetime(2026, 3, 31, 12, tzinfo=TZ)
    grid, community = kpis.compute([world.grid_a, world.community], *MARCH, now=end)
    assert grid.counts["due"] == 0 and community.counts["due"] == 1


def _resolved_and_called_back(world, ticket, resolved_at, satisfaction="dissatisfied"):
    perform(ticket, "resolve", world.gridworker_a, now=resolved_at, reply="已处理")
    perform(
        ticket,
        "callback",
        world.hotline,
        now=resolved_at + HOUR,
        resolved=satisfaction != "dissatisfied",
        satisfaction=satisfaction,
    )


def test_a_late_round_stays_late_when_a_reopening_gives_fresh_deadlines(world):
    """Filed in February, due 03-10, resolved 03-30, reopened 03-30 with a resolve_by in
    April: March's on-time rate left the ticket out (neither dispatched in March nor due by
    its current deadline), so missing the deadline and being reopened erased the miss."""
    ticket = _filed(world, now=dt.datetime(2026, 2, 27, 9, tzinfo=TZ))
    perform(ticket, "accept", world.gridworker_a, now=ticket.created_at + HOUR)
    first = ticket.resolve_by
    assert first.month == 3
    _resolved_and_called_back(world, ticket, dt.datetime(2026, 3, 30, 9, tzinfo=TZ))
    ticket.refresh_from_db()
    assert ticket.status == "reopened" and ticket.resolve_by.month == 4
    (grid,) = kpis.compute([world.grid_a], *MARCH, now=dt.datetime(2026, 4, 20, tzinfo=TZ))
    assert (grid.counts["due"], grid.counts["resolved_on_time"]) == (1, 0)


def test_a_round_resolved_in_time_and_reopened_counts_once(world):
    ticket = _filed(world)
    perform(ticket, "accept", world.gridworker_a, now=R0 + HOUR)
    _resolved_and_called_back(world, ticket, R0 + 2 * HOUR)  # in time, but unresolved
    _resolved_and_called_back(world, ticket, R0 + 30 * HOUR, satisfaction="satisfied")
    (grid,) = kpis.compute([world.grid_a], *MARCH, now=dt.datetime(2026, 3, 31, tzinfo=TZ))
    assert (grid.counts["due"], grid.counts["resolved_on_time"]) == (1, 1)


def test_one_period_reckoning_for_the_page_and_the_api():
    today = dt.date(2026, 5, 20)
    assert kpis.period("month", today=today) == (dt.date(2026, 5, 1), today)
    assert kpis.period("last_month", today=today) == (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert kpis.period("quarter", today=today) == (dt.date(2026, 4, 1), today)
    assert kpis.period("year", today=today) == (dt.date(2026, 1, 1), today)
    assert kpis.period("custom", "2026-03-01", None, today=today) == (dt.date(2026, 3, 1), today)
    assert kpis.period("custom", None, None, today=today) == (dt.date(2026, 5, 1), today)
    assert kpis.period("custom", "2025-05-21", "2026-05-20", today=today)[0].year == 2025
    for start, end in [
        ("2025-05-19", "2026-05-20"),  # 367 days
        ("2026-04-02", "2026-04-01"),
        ("2026-02-30", "2026-03-01"),
        ("March", "2026-03-01"),
    ]:
        with pytest.raises(kpis.BadPeriod):
            kpis.period("custom", start, end, today=today)
    with pytest.raises(kpis.BadPeriod):
        kpis.period("decade", today=today)


def test_counting_a_chunk_of_tickets_at_a_time_changes_no_figure(fixture, monkeypatch):
    """Tickets and their events are read and counted a chunk at a time (memory bounded by
    the chunk, not by the period and area: 71.6 → 32.2 MB for a district's communities
    over a year of a 500,000-ticket city); one ticket a chunk gives the same figures."""
    whole = [k.as_dict() for k in kpis.ranking(Level.GRID, fixture.community, *MARCH, now=NOW)]
    monkeypatch.setattr(kpis, "COUNT_CHUNK", 1)
    assert [k.as_dict() for k in kpis.ranking(Level.GRID, fixture.community, *MARCH, now=NOW)] == (
        whole
    )


def test_the_tickets_counted_are_found_in_one_query(fixture, django_assert_num_queries):
    """The units' tickets of the period come from one `id IN (… UNION …)` query, then two
    queries per chunk (tickets, events) and one each for callbacks, supervisions, open
    tickets: the OR of three IN-subqueries made PostgreSQL read every ticket and event.
    And one for the reference data tokens (the weights in force are cached, core.versions;
    a request reads the tokens once for all its cached data)."""
    units = kpis.units_at(Level.GRID, fixture.community)
    kpis.weights()  # the weights' history loaded, as after any earlier ranking
    with django_assert_num_queries(1 + 2 + 3 + 1):
        kpis.compute(units, *MARCH, now=NOW)


# --- how the KPIs read a city's events -------------------------------------------------


def _counted(monkeypatch):
    """The ids compute() reads and counts, chunk by chunk."""
    seen = []
    count = kpis._count_tickets

    def spy(ids, *args):
        seen.extend(ids)
        return count(ids, *args)

    monkeypatch.setattr(kpis, "_count_tickets", spy)
    return seen


def test_a_ticket_handled_before_the_period_and_called_back_in_it_is_not_read(fixture, monkeypatch):
    """A callback that closed a ticket keeps no deadline: reading every ticket a unit ever
    held that was called back in the period (in a year-old city, nearly all of them) changed
    no figure. Only escalations and reopenings are read for a deadline of an earlier round."""
    w = fixture
    late = make_ticket(w, now=at(1, 20, 9))
    for action, when, params in (
        ("accept", at(1, 20, 10), {}),
        ("contact", at(1, 20, 11), {}),
        ("resolve", at(1, 23, 9), {"reply": "已清理"}),
    ):
        perform(late, action, w.gridworker_a, now=when, **params)
    satisfied_callback(w, late, at(3, 2, 10))
    late.refresh_from_db()
    assert late.status == Status.CLOSED and late.resolve_by < at(3, 1, 0)
    units = kpis.units_at(Level.GRID, w.community)
    counted = _counted(monkeypatch)
    figures = [k.as_dict() for k in kpis.compute(units, *MARCH, now=NOW)]
    assert late.pk not in counted
    # Read as before (every hand-over action), the figures are the same.
    monkeypatch.setattr(kpis, "HANDOVER_Q", Q(action__in=kpis.HANDOVER_ACTIONS))
    del counted[:]
    assert [k.as_dict() for k in kpis.compute(units, *MARCH, now=NOW)] == figures
    assert late.pk in counted


def test_only_contacts_and_hand_overs_bring_their_data(fixture, monkeypatch):
    """The counting reads an event's data for on-time flags (contacts) and earlier deadlines
    (escalations, reopenings): the data of the other events (create, dispatch, accept …) is
    neither sent nor decoded."""
    read = []

    class Recorded(kpis._Event):
        def __init__(self, *args):
            super().__init__(*args)
            read.append(self)

    monkeypatch.setattr(kpis, "_Event", Recorded)
    kpis.compute(kpis.units_at(Level.GRID, fixture.community), *MARCH, now=NOW)
    actions = {e.action for e in read}
    assert {"create", "dispatch", "accept", "contact", "resolve", "callback"} <= actions
    read_for = {"contact", "resolve", "answer", "escalate", "reopen", "callback"}
    for event in read:
        if event.action not in read_for:
            assert event.data == {}, event
    assert any(e.action == "contact" and "on_time" in e.data for e in read)
    assert any(e.action == "callback" and "deadlines" in e.data for e in read)


def _indexes():
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "tickets_ticketevent")
    return {name: c for name, c in found.items() if c["index"] and not c["primary_key"]}


def test_the_owner_indexes_lead_with_the_owner_and_stand_in_for_the_keys_own():
    indexes = {tuple(c["columns"]) for c in _indexes().values()}
    assert ("owner_place_id", "action", "at", "ticket_id") in indexes
    assert ("owner_department_id", "action", "at", "ticket_id") in indexes
    assert ("owner_place_id",) not in indexes and ("owner_department_id",) not in indexes
    assert _indexes()["tickets_event_handover_idx"]["columns"] == ["ticket_id", "at"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="how PostgreSQL plans it")
def test_a_units_hand_overs_are_read_from_the_index_alone(fixture):
    """The tickets ever handed to the units come from the index without the table (the
    bitmap over every event of the units' tickets read 38,000 pages, three times, for a
    district's communities over a year of a 500,000-ticket city)."""
    units = [kpis.Unit.of(u) for u in kpis.units_at(Level.GRID, fixture.community)]
    held = kpis.TicketEvent.objects.filter(kpis._owner_q(units), action__in=kpis.HOLD_ACTIONS)
    sql, params = held.order_by().values("ticket_id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using tickets_event_owner_place_idx" in plan, plan
