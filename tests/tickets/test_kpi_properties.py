"""The KPIs against DESIGN §5 (and docs/kpis.md, which says exactly how §5 is read), by
hypothesis: small histories of three tickets (each a grid, community or department matter)
go through `lifecycle.perform` at generated moments (dispatch, accept, return, designate,
contact, extension and its decision, resolve, callback with each answer, reopen, escalate,
supervise, 吹哨 with reports and ratings, merge, 交办), then every unit's figures for a
generated period are computed here, plainly, from the TicketEvent, Callback and Summons
rows, and compared with `kpis.ranking` (each level) and `kpis.unit_kpis`.

The oracle reads docs/kpis.md §1 where DESIGN §5 is terse:
- 响应率: tickets handed to the unit (dispatch/designate/escalate naming it) in the period,
  once per unit, that can be judged (contacted, or respond_by past); responded when the
  first contact was on time and made by the unit, an office it handed the ticket down to,
  or before the ticket reached it; a ticket that reached it already past respond_by with
  nobody having called counts only once the unit calls (then as responded).
- 解决率/满意率: the period's Callback rows, charged to the unit each row names.
- 按时办结率: tickets whose resolve_by lies in [period start, min(period end, now)),
  charged to the holder (and the offices that handed it down) when resolved in time, else
  when the deadline passed; a reopening's earlier round missed counts too, in its period.
- whistle: summonses reported in the period, or unreported and due (past) in it.
- score: 100 × Σwᵢrᵢ ÷ Σwᵢ over existing positively weighted rates (defaults 30/35/35/0/10),
  rounded to 2 places; none without a handling rate; competition ranking, ties share.

Each example runs in a savepoint rolled back at its end; the area is made once per test.
"""

import datetime as dt
import os
import statistics
from collections import Counter, defaultdict

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gridgov.people.models import Department
from gridgov.places.models import Level, Place
from gridgov.tickets import intake, kpis, lifecycle
from gridgov.tickets.lifecycle import RETURN_REASONS, TRANSITIONS, LifecycleError
from gridgov.tickets.models import Callback, Satisfaction, Status, Summons, Ticket, TicketEvent

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
EXAMPLES = 25
ACTIONS = (
    "dispatch",
    "accept",
    "return",
    "designate",
    "contact",
    "extend",
    "approve-extension",
    "supervise",
    "escalate",
    "resolve",
    "callback",
    "reopen",
    "merge",
    "whistle",
    "whistle-report",
    "whistle-rate",
)
# Steps that take a ticket through its lifecycle, drawn half the time when offered: else
# most stories end before a resolution and its callback.
PROGRESS = ("dispatch", "accept", "contact", "resolve", "callback", "reopen")
ACTORS = ("gridworker_a", "gridworker_b", "community_staff", "street_staff", "city_handler")
ACTORS += ("housing_handler", "hotline", "district_staff")
WEIGHTS = {"response": 30, "resolution": 35, "satisfaction": 35, "on_time": 0, "whistle": 10}
HANDLING = ("response", "resolution", "satisfaction", "on_time")
# Counts the oracle checks (open_now/overdue_now are the present's, median hours durations).
CHECKED = (
    "dispatched",
    "accepted",
    "resolved",
    "response_due",
    "responded",
    "due",
    "resolved_on_time",
    "callbacks",
    "callbacks_resolved",
    "callbacks_satisfied",
    "supervised",
)
# Counts of a period that are the sums of its parts' (each row or event belongs to one
# moment: a callback, a 督办, a deadline, a summons' report or report-by). Not additive:
# dispatched/accepted/resolved/response_due/responded, each ticket once per unit and period.
ADDITIVE = ("due", "resolved_on_time", "callbacks", "callbacks_resolved")
ADDITIVE += ("callbacks_satisfied", "supervised")
WHISTLE_ADDITIVE = ("summoned", "reported_on_time", "late", "rated")


# --- the oracle ------------------------------------------------------------------------------


def unit_of(place_id, department_id):
    if department_id:
        return ("department", department_id)
    if place_id:
        return ("place", place_id)
    return None


def holders_at(evs, moment):
    """Who answers for the ticket at `moment`: the holder (owner after the last event by
    then) and the offices that had handed it down to it (交办), in order."""
    chain = []
    for e in evs:
        if e.at > moment:
            break
        unit = unit_of(e.owner_place_id, e.owner_department_id)
        if chain and unit == chain[-1]:
            continue
        if chain and (e.data or {}).get("handed_down"):
            chain.append(unit)
        elif unit in chain:
            chain = chain[: chain.index(unit) + 1]  # back up to an office that handed it
        else:
            chain = [unit]
    return chain


def contact_on_time(e, ticket):
    data = e.data or {}
    if e.action == "contact" and "on_time" in data:
        return bool(data["on_time"])
    if "responded_on_time" in data:
        return bool(data["responded_on_time"])
    return ticket.respond_by is not None and e.at <= ticket.respond_by


def oracle(since, until, now):
    """{unit key: Counter of counts}, {unit key: {stage: [hours]}}, {department id: whistle
    figures} and {department id: [ratings]}."""
    counts = defaultdict(Counter)
    durations = defaultdict(lambda: {"accept": [], "contact": [], "resolve": []})
    due_until = min(until, now)
    for ticket in Ticket.objects.order_by("pk"):
        evs = list(TicketEvent.objects.filter(ticket=ticket).order_by("at", "id"))
        if ticket.status == Status.MERGED:
            continue
        if len(evs) > 1 and evs[1].action == "answer" and evs[1].at == evs[0].at:
            continue
        units = [unit_of(e.owner_place_id, e.owner_department_id) for e in evs]
        contacts = [e for e in evs if e.action in ("contact", "resolve", "answer")]
        first = contacts[0] if contacts else None
        first_unit = units[evs.index(first)] if first else None
        judged = first is not None or (ticket.respond_by is not None and ticket.respond_by < now)
        got_at = {}
        for i, e in enumerate(evs):
            if e.action in ("dispatch", "designate", "escalate") and since <= e.at < until:
                got_at.setdefault(units[i], i)
        for unit, i in got_at.items():
            c = counts[unit]
            c["dispatched"] += 1
            got = evs[i].at
            team = {unit}  # the unit and the offices it handed the ticket down to
            for j in range(i + 1, len(evs)):
                if (evs[j].data or {}).get("handed_down") and units[j - 1] in team:
                    team.add(units[j])
            if ticket.respond_by is None:
                pass  # nobody to contact: not judged
            elif ticket.respond_by < got and (first is None or first.at >= got):
                called = first is not None and first_unit in team
                c["response_due"] += called
                c["responded"] += called
            else:
                c["response_due"] += judged
                c["responded"] += (
                    first is not None
                    and contact_on_time(first, ticket)
                    and (first.at < got or first_unit in team)
                )
            # Accepted / first contact / resolved by the unit itself after receiving it, and
            # the hours from its latest hand-over before each (median hours).
            received, firsts = got, {}
            for e, u in zip(evs[i + 1 :], units[i + 1 :], strict=True):
                if u != unit:
                    continue
                if e.action in ("dispatch", "designate", "escalate"):
                    received = e.at
                stages = {"accept": ["accept"], "contact": ["contact"]}
                stages["resolve"] = ["contact", "resolve"]
                for stage in stages.get(e.action, []):
                    firsts.setdefault(stage, (e.at - received).total_seconds() / 3600)
            c["accepted"] += "accept" in firsts
            c["resolved"] += "resolve" in firsts
            for stage, hours in firsts.items():
                durations[unit][stage].append(hours)
        # On time: the current round, and earlier rounds missed (kept in deadlines.before).
        resolved_at = None
        for e in evs:
            if e.action == "resolve":
                resolved_at = e.at
            if e.action not in ("escalate", "reopen", "callback"):
                continue
            old = (((e.data or {}).get("deadlines") or {}).get("before") or {}).get("resolve_by")
            if not old:
                continue
            old = dt.datetime.fromisoformat(old)
            if not since <= old < due_until:
                continue
            finished = e.at if e.action == "escalate" or resolved_at is None else resolved_at
            if finished > old:
                for unit in holders_at(evs, old):
                    counts[unit]["due"] += 1
        if ticket.resolve_by is not None and since <= ticket.resolve_by < due_until:
            on_time = ticket.resolved_at is not None and ticket.resolved_at <= ticket.resolve_by
            moment = ticket.resolved_at if on_time else ticket.resolve_by
            for unit in holders_at(evs, moment):
                counts[unit]["due"] += 1
                counts[unit]["resolved_on_time"] += on_time
    for cb in Callback.objects.filter(at__gte=since, at__lt=until):
        c = counts[unit_of(cb.owner_place_id, cb.owner_department_id)]
        c["callbacks"] += 1
        c["callbacks_resolved"] += cb.resolved
        c["callbacks_satisfied"] += cb.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASIC)
    for e in TicketEvent.objects.filter(action="supervise", at__gte=since, at__lt=until):
        counts[unit_of(e.owner_place_id, e.owner_department_id)]["supervised"] += 1
    whistles = defaultdict(lambda: {"summoned": 0, "reported_on_time": 0, "late": 0, "rated": 0})
    ratings = defaultdict(list)
    for s in Summons.objects.all():
        if s.reported_at is not None:
            if not since <= s.reported_at < until:
                continue
        elif not (since <= s.report_by < until and s.report_by < now):
            continue
        w = whistles[s.department_id]
        w["summoned"] += 1
        on_time = s.reported_at is not None and s.reported_at <= s.report_by
        w["reported_on_time" if on_time else "late"] += 1
        if s.rating:
            w["rated"] += 1
            ratings[s.department_id].append(s.rating)
    return counts, durations, whistles, ratings


def ratio(n, d):
    return n / d if d else None


def oracle_rates(c, whistle, ratings):
    rates = {
        "response": ratio(c["responded"], c["response_due"]),
        "resolution": ratio(c["callbacks_resolved"], c["callbacks"]),
        "satisfaction": ratio(c["callbacks_satisfied"], c["callbacks"]),
        "on_time": ratio(c["resolved_on_time"], c["due"]),
        "whistle": None,
    }
    if whistle is not None:
        parts = [ratio(whistle["reported_on_time"], whistle["summoned"])]
        parts.append((sum(ratings) / len(ratings) - 1) / 3 if ratings else None)
        parts = [p for p in parts if p is not None]
        rates["whistle"] = sum(parts) / len(parts) if parts else None
    return rates


def oracle_score(rates):
    if not any(rates[n] is not None and WEIGHTS[n] > 0 for n in HANDLING):
        return None
    used = [(WEIGHTS[n], r) for n, r in rates.items() if r is not None and WEIGHTS[n] > 0]
    return round(100 * sum(w * r for w, r in used) / sum(w for w, _r in used), 2)


# --- the histories ---------------------------------------------------------------------------


def params(draw, world, action, ticket, others):
    if action in ("dispatch", "designate"):
        if draw(st.booleans(), label="to a department"):
            p = {"department": draw(st.sampled_from(["CG", "ZJ"]), label="department")}
        else:
            units = [world.grid_a, world.grid_b, world.community, world.street]
            p = {"unit": draw(st.sampled_from([u.code for u in units]), label="unit")}
        if action == "designate":
            p["reason"] = "属地网格负责"
        return p
    if action == "return":
        return {"reason_code": draw(st.sampled_from(sorted(RETURN_REASONS))), "reason": "不属于"}
    if action == "contact":
        return {"method": "phone", "note": "已联系诉求人"}
    if action == "extend":
        return {"until": ticket.resolve_by + dt.timedelta(days=draw(st.integers(1, 10))),
                "reason": "需协调物业"}  # fmt: skip
    if action == "approve-extension":
        approve = draw(st.booleans(), label="approve")
        return {"approve": approve, "reason": "" if approve else "理由不充分"}
    if action == "callback":
        return {
            "resolved": draw(st.booleans(), label="resolved"),
            "satisfaction": draw(st.sampled_from(Satisfaction.values), label="satisfaction"),
        }
    if action == "merge":
        return {"into": draw(st.sampled_from(others), label="into"), "reason": "同一事项"}
    if action == "whistle":
        return {
            "departments": [draw(st.sampled_from(["CG", "ZJ"]), label="summoned")],
            "report_within_hours": draw(st.sampled_from([2, 8, 24]), label="hours"),
            "reason": "联合整治",
        }
    if action in ("whistle-report", "whistle-rate"):
        summonses = list(
            Summons.objects.filter(whistle__ticket=ticket).select_related("department")
        )
        if not summonses:
            return {"department": "CG"}
        s = draw(st.sampled_from(summonses), label="summons")
        if action == "whistle-report":
            return {"department": s.department.code, "note": "到场"}
        return {"department": s.department.code, "rating": draw(st.integers(1, 4))}
    texts = {
        "supervise": ("reason", "请尽快处理"),
        "escalate": ("reason", "需上级协调"),
        "resolve": ("reply", "已清理完毕"),
        "reopen": ("reason", "群众反映未解决"),
    }
    return dict([texts[action]]) if action in texts else {}


def make_history(draw, world):
    """Three tickets filed in the first days, then up to 18 steps, each some hours after the
    last (deadlines of hours to days: some met, some missed); returns the last moment."""
    clock = T0
    pks = []
    categories = [world.corridor, world.community_matter, world.unlicensed]
    for n in range(3):
        clock += dt.timedelta(hours=draw(st.integers(0, 30), label="filed after"))
        category = draw(st.sampled_from(categories), label="category")
        values = ticket_data(category=category.code, requester_phone=f"1381234123{n}")
        pks.append(intake.create_ticket(values, actor=world.hotline, now=clock).ticket.pk)
    actors = {name: getattr(world, name) for name in ACTORS}
    # Each example its own leaning: hypothesis draws the first of a list more often.
    order = draw(st.permutations(ACTIONS), label="order")
    merges = draw(st.integers(0, 3), label="merges") == 0  # a merge ends most of a story
    for _step in range(draw(st.integers(4, 18), label="steps")):
        clock += dt.timedelta(minutes=draw(st.integers(1, 48 * 60), label="minutes later"))
        pk = draw(st.sampled_from(pks), label="ticket")
        ticket = Ticket.objects.select_related("owner_place", "owner_department").get(pk=pk)
        offered = defaultdict(list)
        for action in ACTIONS:
            if ticket.status not in TRANSITIONS[action][0]:
                continue
            if lifecycle._guard(ticket, action, now=clock) is not None:
                continue
            for name, user in actors.items():
                if lifecycle._permitted(user, [action], ticket):
                    offered[action].append(name)
        if not merges:
            offered.pop("merge", None)
        if not offered:
            continue
        choices = [a for a in order if a in offered]
        moving = [a for a in PROGRESS if a in offered]
        if moving and draw(st.booleans(), label="move on"):
            choices = moving
        action = draw(st.sampled_from(choices), label="action")
        actor = actors[draw(st.sampled_from(offered[action]), label="by")]
        p = params(draw, world, action, ticket, [o for o in pks if o != pk])
        try:
            lifecycle.perform(ticket, action, actor, now=clock, **p)
        except LifecycleError:  # what was sent: a unit out of reach, a merged survivor
            event(f"refused {action}")
        else:
            event(f"done {action}")
    return clock


def all_units():
    places = list(Place.objects.filter(level__in=kpis.PLACE_LEVELS).order_by("path"))
    return places + list(Department.objects.select_related("place").order_by("code"))


def rankings(world, start, end, now):
    """Every unit's KpiUnit from the rankings of its level (siblings)."""
    result = {}
    levels = [
        (Level.GRID, world.community),
        (Level.COMMUNITY, world.street),
        (Level.STREET, world.district),
        (Level.DISTRICT, None),
        (kpis.DEPARTMENT, world.district),
    ]
    for level, parent in levels:
        rows = kpis.ranking(level, kpis.ranking_area(level, parent), start, end, now=now)
        check_ranking(rows)
        for row in rows:
            result[row.unit.key] = row
    return result


def check_ranking(rows):
    scored = [r for r in rows if r.score is not None]
    assert rows == scored + [r for r in rows if r.score is None]
    assert [r.score for r in scored] == sorted((r.score for r in scored), reverse=True)
    for i, r in enumerate(scored):
        # Competition ranking: one more than the number of units scored strictly above.
        assert r.rank == 1 + sum(o.score > r.score for o in scored), rows
        assert (r.of, r.unranked) == (len(scored), len(rows) - len(scored))
        if i and scored[i - 1].score == r.score:
            assert scored[i - 1].unit.code < r.unit.code  # ties by code
    assert all(r.rank is None for r in rows if r.score is None)
    for r in rows:
        for value in r.rates.values():
            assert value is None or 0 <= value <= 1


def compare(world, start, end, now):
    since, until = kpis.period_bounds(start, end)
    counts, durations, whistles, ratings = oracle(since, until, now)
    got = rankings(world, start, end, now)
    for unit in all_units():
        key = kpis.Unit.of(unit).key
        row = got[key]
        c = counts.get(key, Counter())
        label = (unit.code, start, end, now)
        assert {n: row.counts[n] for n in CHECKED} == {n: c[n] for n in CHECKED}, label
        hours = durations.get(key, {})
        medians = {k: round(statistics.median(v), 2) for k, v in hours.items() if v}
        assert {k: v for k, v in row.medians.items() if v is not None} == medians, label
        whistle = None
        if key[0] == kpis.DEPARTMENT:
            whistle = whistles.get(unit.pk, dict.fromkeys(WHISTLE_ADDITIVE, 0))
            assert {n: row.whistle[n] for n in WHISTLE_ADDITIVE} == whistle, label
        expected = oracle_rates(c, whistle, ratings.get(unit.pk, []))
        for name, value in expected.items():
            if value is None:
                assert row.rates[name] is None, (label, name)
            else:
                assert row.rates[name] == pytest.approx(value), (label, name)
        assert row.score == oracle_score(expected), label
        for name in CHECKED:
            if c[name]:
                event(f"counted {name}")
    return got


def moments(draw, last):
    now = last + dt.timedelta(hours=draw(st.integers(0, 20 * 24), label="now after"))
    first, final = T0.date() - dt.timedelta(days=1), now.astimezone(TZ).date()
    days = (final - first).days
    a, b = sorted(draw(st.lists(st.integers(0, days), min_size=2, max_size=2), label="period"))
    return now, first + dt.timedelta(days=a), first + dt.timedelta(days=b)


def run(examples):
    world = make_world()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,  # nothing written to the shared working tree
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def check(data):
        with transaction.atomic():
            last = make_history(data.draw, world)
            now, start, end = moments(data.draw, last)
            whole = compare(world, start, end, now)
            # A unit's own figures (unit_kpis, among its siblings) are its ranking row's.
            unit = data.draw(st.sampled_from(all_units()), label="unit")
            own = kpis.unit_kpis(unit, start, end, now=now)
            assert own.as_dict() == whole[kpis.Unit.of(unit).key].as_dict()
            # A period split in two: the additive counts add up.
            if start < end:
                cut = start + dt.timedelta(days=data.draw(st.integers(0, (end - start).days - 1)))
                left = compare(world, start, cut, now)
                right = compare(world, cut + dt.timedelta(days=1), end, now)
                for key, row in whole.items():
                    for name in ADDITIVE:
                        assert row.counts[name] == left[key].counts[name] + right[key].counts[name]
                    if row.whistle is not None:
                        for name in WHISTLE_ADDITIVE:
                            parts = left[key].whistle[name] + right[key].whistle[name]
                            assert row.whistle[name] == parts, (key, name)
            transaction.set_rollback(True)

    check()


def test_kpis_are_design_s5_for_random_histories():
    # KPI_EXAMPLES=500 for a long run; CI keeps EXAMPLES.
    run(int(os.environ.get("KPI_EXAMPLES") or EXAMPLES))
