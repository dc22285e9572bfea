"""考核指标: one module computes every KPI of a unit over a period (DESIGN §5, docs/kpis.md).

A unit (责任主体) is a place office (grid, community, street, district) or a
department. For a set of units and a period [start, end] (local dates, both
included) `compute` answers, per unit:

- 响应率 response = tickets whose requester was contacted by `respond_by` ÷ tickets
  dispatched to the unit in the period (a dispatch, designate or escalate event
  naming the unit as owner), `respond_by` being the one in force when the unit got the
  ticket. A contact counts for the unit when the unit made it, or when it had been made
  (in time) before the ticket reached the unit.
- 解决率 resolution = callbacks answering "resolved" ÷ callbacks made (the callback
  row keeps the unit judged).
- 满意率 satisfaction = callbacks satisfied or basically satisfied ÷ callbacks made.
- 按时办结率 on_time = tickets resolved by `resolve_by` ÷ tickets due in the period
  (`resolve_by` inside the period and already past), each charged to the unit
  holding the ticket when it was resolved, or when the deadline passed (a dispatch desk,
  for a ticket it never dispatched or had back), and to the offices that had handed it
  down to that unit (交办).
- whistle (departments only) = mean of the on-time report rate and the rating
  score ((rating − 1) ÷ 3) of the department's summonses of the period: reported in
  it, or not reported and due in it (report_by inside the period and already past).
- score = weighted mean × 100 of the rates that exist, with the weights in force at the
  period's end in the unit's district (考核权重, KpiWeights rows: the district's own, else
  the whole deployment's, which also score districts; before any, settings.
  GRIDGOV_KPI_WEIGHTS over the defaults response 30, resolution 35, satisfaction 35,
  on_time 0, whistle 10).
  The whistle rate only adjusts a score made of handling rates: a unit with no
  handling rate (nothing dispatched, due or called back) has no score.

A rate whose denominator is zero is None, never 0 or 1; a unit without a score is
not ranked and is listed after every scored unit. "Who held the ticket when" comes
from `TicketEvent` rows, which carry the owner after each event.
"""

import datetime as dt
import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections
from django.db.models import BigIntegerField, Case, Count, Func, JSONField, Q, TextField, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from gridgov.core.arrays import in_unnested
from gridgov.people.models import Department
from gridgov.places.models import Level, Place

from .models import (
    DEADLINE_RESETS,
    HANDLING_STATUSES,
    OPEN_STATUSES,
    RESETTING_ACTIONS,
    Callback,
    Satisfaction,
    Status,
    Summons,
    Ticket,
    TicketEvent,
)
from .sla import overdue_q

DEFAULT_WEIGHTS = {
    "response": 30,
    "resolution": 35,
    "satisfaction": 35,
    "on_time": 0,
    "whistle": 10,
}
RATES = tuple(DEFAULT_WEIGHTS)
# Rates judging how a unit handled its tickets; a score needs one of them. The whistle
# rate (departments only) adjusts such a score but never makes one on its own, else a
# department summoned once and handed nothing would be ranked above busy ones.
HANDLING_RATES = ("response", "resolution", "satisfaction", "on_time")
RATE_LABELS = {
    "response": _("Response rate"),
    "resolution": _("Resolution rate"),
    "satisfaction": _("Satisfaction rate"),
    "on_time": _("On-time rate"),
    "whistle": _("Whistle reports"),
}
# Events that hand a ticket to a unit (the unit is the event's owner).
HOLD_ACTIONS = ("dispatch", "designate", "escalate")
# A dispatch from handling is a 交办 (lifecycle._hand_down): the unit that handed the ticket
# down stays answerable for it (see _team).
HANDED_DOWN = Q(action="dispatch", from_status__in=HANDLING_STATUSES)
# A dispatch desk (派单台: a street's, else a district's, routing.dispatch_desk) holds a
# ticket without a hand-over: one received there (create) that no rule routed, and one sent
# back to it (return). Until it dispatches them their deadlines are its own (_answerable_at).
DESK_LEVELS = (Level.STREET, Level.DISTRICT)
DESK_ACTIONS = ("create", "return")
# Events that stand for the first contact with the requester.
CONTACT_ACTIONS = ("contact", "resolve", "answer")
DEPARTMENT = "department"
PLACE_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)
LEVELS = (*PLACE_LEVELS, DEPARTMENT)
COUNTS = (
    "dispatched",
    "accepted",
    "response_due",
    "responded",
    "resolved",
    "due",
    "resolved_on_time",
    "callbacks",
    "callbacks_resolved",
    "callbacks_satisfied",
    "supervised",
    "open_now",
    "overdue_now",
)


def settings_weights():
    """The weights of the server's settings over the defaults: those in force before the
    district first set its own (KpiWeights), so a deployment keeps its scores."""
    configured = getattr(settings, "GRIDGOV_KPI_WEIGHTS", None) or {}
    unknown = set(configured) - set(DEFAULT_WEIGHTS)
    if unknown:
        raise ValueError(f"GRIDGOV_KPI_WEIGHTS: unknown keys {sorted(unknown)}")
    return {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in configured.items()}}


def weight_history():
    """{district code or None: [(valid_from, weights)]} of every change made, newest first
    (None: the whole deployment's, 全市); weights None where a district returned to the
    deployment's (follows_city). Cached per process until one is added or a place changes
    (core.versions), since every ranking reads it."""
    from gridgov.core import versions

    from .models import KpiWeights

    def load():
        history = defaultdict(list)
        rows = KpiWeights.objects.select_related("district").order_by("-valid_from", "-id")
        for row in rows:
            code = row.district.code if row.district_id else None
            history[code].append((row.valid_from, None if row.follows_city else row.as_dict()))
        return dict(history)

    return versions.cached(("kpiweights", "places"), "history", load)


CITY, DISTRICT_OWN, SETTINGS = "city", "district", "settings"


def district_code(path):
    """The code of the district a place path lies in: the tree's roots are districts."""
    return path.strip("/").split("/")[0]


def weights_in_force(at=None, district=None):
    """(weights, source) in force at `at` (default now) in `district` (a Place, its code or
    None): the district's latest change made before `at` (source "district") unless that
    was a return to the whole deployment's, else the whole deployment's ("city"), else the
    server's settings ("settings")."""
    at = at or timezone.now()
    code = getattr(district, "code", district)
    history = weight_history()
    scopes = [(code, DISTRICT_OWN)] if code is not None else []
    for key, source in [*scopes, (None, CITY)]:
        w = next((w for valid_from, w in history.get(key, ()) if valid_from <= at), None)
        if w is not None:
            return dict(w), source
    return settings_weights(), SETTINGS


def weights(at=None, district=None):
    """The weights in force at `at` (default now) in `district` (weights_in_force)."""
    return weights_in_force(at, district)[0]


def period_weights(end, now=None, district=None):
    """The weights that score a period ending on `end` (a local date) in `district` (a
    Place or its code; None: the whole deployment's, which also rank districts against each
    other): those in force at its last moment, or now for a period still running. A later
    change leaves past periods' scores as they were published."""
    _since, until = period_bounds(end, end)
    now = now or timezone.now()
    return weights(at=min(until - dt.timedelta(microseconds=1), now), district=district)


def scoring_district(level, place):
    """The district whose weights score the units at `level` under (or at) `place`: its
    district. None for districts, which are ranked among themselves with the deployment's
    weights (one district's own would not compare them alike), or without a place."""
    if place is None or level == Level.DISTRICT:
        return None
    return place.ancestor_at(Level.DISTRICT)


def weights_districts(user):
    """The districts whose weights `user` reads: those their rankings lie in (every one for
    a superuser), by path."""
    from gridgov.people.scope import scope_for

    districts = Place.objects.filter(level=Level.DISTRICT).order_by("path")
    if scope_for(user).everything:
        return list(districts)
    codes = {p.path.strip("/").split("/")[0] for p in ranking_parents(user)}
    return list(districts.filter(code__in=sorted(codes)))


def own_districts(user):
    """The districts whose own weights `user` sets as district staff, by path."""
    from gridgov.people.models import Role
    from gridgov.people.scope import scope_for

    paths = scope_for(user).paths({Role.DISTRICT_STAFF})
    districts = Place.objects.filter(level=Level.DISTRICT, path__in=paths)
    return list(districts.order_by("path"))


NO_SUCH_DISTRICT = gettext_noop("There is no district with the code %(district)s.")
NAME_A_DISTRICT = gettext_noop(
    "You are district staff in more than one district: name the district whose weights "
    "change (district)."
)


MAX_WEIGHT = 1000
NO_HANDLING_WEIGHT = gettext_noop(
    "At least one of response, resolution, satisfaction and on-time rate needs a weight "
    "above 0: the whistle rate alone makes no score."
)
WEIGHTS_UNCHANGED = gettext_noop("These weights are in force already; nothing was changed.")


class BadWeights(ValueError):
    """Weights refused; `errors` maps a rate (or "__all__") to a message id."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def change_weights(values, user, reason, now=None, district=None):
    """Put new weights in force from now in `district` (a Place; None: the deployment's): a
    new KpiWeights row (earlier ones stay, and keep scoring the periods that ended under
    them). `values` holds every rate's weight, non-negative; they are relative (the score
    renormalises over the rates a unit has), so they need not total 100. Who may is
    rules.py's `tickets.manage_kpi_weights`, checked by the caller. Raises BadWeights."""
    from .models import KpiWeights

    w = {name: float(values[name]) for name in RATES}
    errors = {}
    for name, weight in w.items():
        if not 0 <= weight <= MAX_WEIGHT:
            errors[name] = gettext_noop("Ensure this value is between 0 and 1000.")
    if not errors and not any(w[name] > 0 for name in HANDLING_RATES):
        errors["__all__"] = NO_HANDLING_WEIGHT
    now = now or timezone.now()
    if not errors and w == weights(at=now, district=district):
        errors["__all__"] = WEIGHTS_UNCHANGED
    if errors:
        raise BadWeights(errors)
    return KpiWeights.objects.create(
        **w,
        valid_from=now,
        changed_by=user if user and user.pk else None,
        reason=reason,
        district=district,
    )


FOLLOWS_CITY_ALREADY = gettext_noop(
    "%(district)s has no weights of its own in force: it follows the whole deployment's "
    "already; nothing was changed."
)
DISTRICT_WEIGHTS_REFUSED = gettext_noop(
    "Only the district staff of %(district)s (or an administrator) may change its KPI "
    "weights or return it to the whole deployment's."
)
WEIGHTS_READ_ONLY = gettext_noop(
    "Only district staff change their district's KPI weights; the whole deployment's are "
    "changed by an administrator."
)
CITY_FOLLOWS_NOTHING = gettext_noop(
    "The whole deployment's weights follow nothing else: name a district."
)


def follow_city(user, reason, district, now=None):
    """Return `district` (a Place) to the whole deployment's weights (恢复使用全市设置) from
    now on: a KpiWeights row with follows_city, keeping as its rates the district's own
    weights in force until now (who, when, why and what ended), so periods that ended under
    them keep their scores. Refused (BadWeights) for 全市 itself and for a district with no
    own weights in force, where it would change nothing. Who may is rules.py's
    `tickets.manage_kpi_weights` on the district's row, checked by the caller."""
    from .models import KpiWeights

    if district is None:
        raise BadWeights({"__all__": CITY_FOLLOWS_NOTHING})
    now = now or timezone.now()
    own, source = weights_in_force(at=now, district=district)
    if source != DISTRICT_OWN:
        raise BadWeights({"__all__": FOLLOWS_CITY_ALREADY})
    return KpiWeights.objects.create(
        **own,
        valid_from=now,
        changed_by=user if user and user.pk else None,
        reason=reason,
        district=district,
        follows_city=True,
    )


def weights_used(level, w=None):
    """[(rate, label, weight)] of the rates that count in scores at `level`, and
    [(rate, label)] of those shown but weighted 0: what the ranking page states."""
    w = w or weights()
    names = RATES if level == DEPARTMENT else HANDLING_RATES
    used = [(name, RATE_LABELS[name], w[name]) for name in names if w[name] > 0]
    unweighted = [(name, RATE_LABELS[name]) for name in names if w[name] <= 0]
    return used, unweighted


@dataclass(frozen=True)
class Unit:
    kind: str  # "place" or "department"
    id: int
    code: str
    name: str
    level: str  # a place level, or "department"
    # The code of the district whose weights score the unit (scoring_district), from its
    # path: no query. None for a district.
    weights_district: str | None = field(default=None, compare=False)

    @property
    def key(self):
        return (self.kind, self.id)

    @classmethod
    def of(cls, obj):
        if isinstance(obj, Department):
            district = district_code(obj.place.path)
            return cls(DEPARTMENT, obj.pk, obj.code, obj.name, DEPARTMENT, district)
        district = None if obj.level == Level.DISTRICT else district_code(obj.path)
        return cls("place", obj.pk, obj.code, obj.name, obj.level, district)

    def as_dict(self):
        return {"kind": self.kind, "code": self.code, "name": self.name, "level": self.level}


def _key(place_id, department_id):
    if department_id:
        return (DEPARTMENT, department_id)
    if place_id:
        return ("place", place_id)
    return None


def _ratio(numerator, denominator):
    return None if not denominator else numerator / denominator


def _hours(micros):
    # As timedelta.total_seconds() / 3600: microseconds ÷ 10**6, then ÷ 3600 (the same float).
    return micros / 10**6 / 3600


def _median(values):
    return round(statistics.median(values), 2) if values else None


@dataclass
class UnitKpi:
    unit: Unit
    start: dt.date
    end: dt.date
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    rates: dict = field(default_factory=lambda: dict.fromkeys(RATES))
    durations: dict = field(default_factory=lambda: {"accept": [], "contact": [], "resolve": []})
    whistle: dict | None = None
    score: float | None = None
    rank: int | None = None
    # Units ranked (those with a score) and, of the units compared, those left unranked:
    # "4 / 11" read as fourth of eleven when three of them had nothing to score.
    of: int | None = None
    unranked: int = 0

    @property
    def medians(self):
        """Median hours from receiving the ticket to accepting, first contact, resolving."""
        return {name: _median(values) for name, values in self.durations.items()}

    def as_dict(self):
        data = {
            "unit": self.unit.as_dict(),
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "counts": dict(self.counts),
            "rates": {k: None if v is None else round(v, 4) for k, v in self.rates.items()},
            "median_hours": self.medians,
            "score": self.score,
            "rank": self.rank,
            "of": self.of,
            "unranked": self.unranked,
        }
        if self.whistle is not None:
            data["whistle"] = dict(self.whistle)
        return data


# One reckoning of a KPI period for the ranking page and the API: a year at most, so a
# typo in a year does not make a ranking read a decade of events.
MAX_PERIOD_DAYS = 366
PERIODS = (
    ("month", _("This month")),
    ("last_month", _("Last month")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("custom", _("Custom")),
)
BAD_PERIOD = gettext_noop("start and end must be dates (YYYY-MM-DD), start ≤ end, ≤ 366 days")


class BadPeriod(ValueError):
    """A custom period that is not one; str() is BAD_PERIOD (an English msgid)."""

    def __init__(self):
        super().__init__(BAD_PERIOD)


def period(choice="custom", start=None, end=None, today=None):
    """(start, end) local dates, both included, of a named period (this month so far, last
    month, this quarter or this year so far) or of custom dates (ISO strings or dates;
    missing ones default to the first of this month and today). Raises BadPeriod."""
    today = today or timezone.localdate()
    if choice == "month":
        return today.replace(day=1), today
    if choice == "last_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    if choice == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if choice == "year":
        return today.replace(month=1, day=1), today
    if choice != "custom":
        raise BadPeriod()
    start, end = _as_date(start, today.replace(day=1)), _as_date(end, today)
    if start is None or end is None or start > end or (end - start).days >= MAX_PERIOD_DAYS:
        raise BadPeriod()
    return start, end


# A month so far holds a day on the 1st and little more in the first days: nearly every
# figure is "—" (no ticket of the unit due or resolved yet). Until the month has this many
# days behind it, the pages open on last month, which a street office is judged by then.
EARLY_MONTH_DAYS = 5


def default_period(today=None):
    """The period a unit's home page and the ranking page open on when none is asked for:
    this month so far, or last month during the month's first EARLY_MONTH_DAYS days."""
    today = today or timezone.localdate()
    return "last_month" if today.day <= EARLY_MONTH_DAYS else "month"


def _as_date(value, default):
    if not value:
        return default
    if isinstance(value, dt.date):
        return value
    return day_or_none(value)


def day_or_none(value):
    """The date an ISO string names, or None: not one, or no such day (2026-02-30)."""
    try:
        return parse_date(str(value).strip())
    except ValueError:
        return None


def period_bounds(start, end):
    """Local dates [start, end] → aware datetimes [from, to)."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return since, until


def _owner_q(units, place_field="owner_place_id", department_field="owner_department_id"):
    place_ids = sorted(u.id for u in units if u.kind == "place")
    department_ids = sorted(u.id for u in units if u.kind == DEPARTMENT)
    query = Q(pk__in=[])
    if place_ids:
        query |= Q(**{f"{place_field}__in": place_ids})
    if department_ids:
        query |= Q(**{f"{department_field}__in": department_ids})
    return query


@dataclass(slots=True)
class _Event:
    action: str
    unit: tuple | None
    at: int  # microseconds since the epoch (_micros)
    data: dict


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _micros(moment):
    """An aware datetime (or None) as whole microseconds since the epoch: the counting
    compares moments as integers, which PostgreSQL sends as such (_EpochMicros)."""
    return None if moment is None else (moment - _EPOCH) // dt.timedelta(microseconds=1)


class _EpochMicros(Func):
    """A timestamp as whole microseconds since the epoch, computed by PostgreSQL (exact:
    EXTRACT gives a numeric). Decoding ~714,000 timestamps into Python datetimes took a
    third of a district's year ranking (3.5 s of 10 s); integers are read at once."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()

    def get_db_converters(self, connection):
        return []  # psycopg reads a bigint as an int: no int() called on every row


def compute(units, start, end, now=None, weights_=None):
    """KPIs for each unit (Place, Department or Unit) over [start, end]: a list of UnitKpi.

    Ranks are set among the given units (`rank`), so pass siblings to rank them.
    """
    now = now or timezone.now()
    units = [u if isinstance(u, Unit) else Unit.of(u) for u in units]
    by_key = {u.key: UnitKpi(unit=u, start=start, end=end) for u in units}
    if not units:
        return []
    since, until = period_bounds(start, end)
    due_until = min(until, now)
    owner_q = _owner_q(units)

    dispatched = TicketEvent.objects.filter(
        owner_q, action__in=HOLD_ACTIONS, at__gte=since, at__lt=until
    ).values("ticket_id")
    # Tickets held otherwise than by a hand-over in the period (before or after it, or at a
    # desk): with `dispatched`, every ticket the units held. Those handed over in the period
    # are counted through `dispatched` already, so looking among them again for tickets due
    # or handed over added nothing but made PostgreSQL hash them all and read every ticket
    # of the city for a year's deadlines (a district's departments: 24,000 held, 0.33 s).
    held = _held(units, outside=(since, until)).values("ticket_id")
    # Answered consultations stay in: one answered at the desk after waiting there is the
    # desk's (on time or late); one answered on intake is left out when counted.
    due = (
        Ticket.objects.filter(resolve_by__gte=since, resolve_by__lt=due_until, id__in=held)
        .exclude(status=Status.MERGED)
        .values("id")
    )
    # A deadline of an earlier round, missed in the period, when the current one is not:
    # only a hand-over that set fresh deadlines (escalated or reopened the ticket) keeps one.
    handed_over = TicketEvent.objects.filter(HANDOVER_Q, at__gte=since, ticket_id__in=held).values(
        "ticket_id"
    )
    # The tickets counted, as one list of ids: `id IN (a) OR id IN (b) OR …` made PostgreSQL
    # test every ticket of the city, and the events of `id IN (that)` were merge-joined with
    # every event of the city. Then tickets and their events are read and counted a chunk at
    # a time, so memory grows with the chunk, not with the period and the area.
    counted = dispatched.order_by().union(due.order_by(), handed_over.order_by())
    ids = sorted(row["ticket_id"] for row in counted)
    for at in range(0, len(ids), COUNT_CHUNK):
        _count_tickets(ids[at : at + COUNT_CHUNK], by_key, since, until, due_until, now)

    _count_callbacks(units, by_key, since, until)
    _count_now(units, by_key, since, until, now)
    _count_whistles(units, by_key, since, until, now)

    # Each unit with its district's weights: siblings share a district, so one ranking
    # compares like with like (districts themselves: the deployment's, scoring_district).
    by_district = {}
    for kpi in by_key.values():
        district = kpi.unit.weights_district
        if district not in by_district:
            by_district[district] = weights_ or period_weights(end, now, district)
        w = by_district[district]
        c = kpi.counts
        kpi.rates["response"] = _ratio(c["responded"], c["response_due"])
        kpi.rates["resolution"] = _ratio(c["callbacks_resolved"], c["callbacks"])
        kpi.rates["satisfaction"] = _ratio(c["callbacks_satisfied"], c["callbacks"])
        kpi.rates["on_time"] = _ratio(c["resolved_on_time"], c["due"])
        kpi.score = composite(kpi.rates, w)
    result = [by_key[u.key] for u in units]
    rank(result)
    return result


def _held(units, outside=None):
    """The events by which the units held a ticket: hand-overs to them, and for desks also
    receiving or having it back (DESK_ACTIONS; a grid or department is never a desk, so its
    ranking reads the hand-overs alone). Read from the owner indexes without the table.
    With `outside` (since, until): all but the hand-overs made in [since, until)."""
    desks = any(u.level in DESK_LEVELS for u in units)
    actions = (*HOLD_ACTIONS, *DESK_ACTIONS) if desks else HOLD_ACTIONS
    held = TicketEvent.objects.filter(_owner_q(units), action__in=actions).order_by()
    if outside is None:
        return held
    # Each kind as its own range, so PostgreSQL sees how few hand-overs lie outside a year
    # (it guessed 85% for a NOT around the period's, and read every ticket of the city).
    since, until = outside
    elsewhere = Q(action__in=HOLD_ACTIONS, at__lt=since) | Q(action__in=HOLD_ACTIONS, at__gte=until)
    if desks:  # first: most of a desk's events are tickets received (tested in this order)
        elsewhere = Q(action__in=DESK_ACTIONS) | elsewhere
    return held.filter(elsewhere)


COUNT_CHUNK = 5000  # tickets read and counted at a time (their events with them)


def _count_tickets(ids, by_key, since, until, due_until, now):
    """Handling and deadlines met of the tickets with these ids, from their events."""
    # Moments are compared as microseconds since the epoch: PostgreSQL sends them so; on
    # SQLite (small databases) the datetimes read are turned into them here.
    on_postgresql = connections["default"].vendor == "postgresql"

    def stamp(name):  # a moment's column as read: microseconds, or SQLite's datetime
        return _EpochMicros(name) if on_postgresql else name

    since, until, due_until, now = map(_micros, (since, until, due_until, now))
    fields = ("respond_by", "resolve_by", "resolved_at")
    tickets = (
        Ticket.objects.filter(in_unnested("id", ids))
        .order_by()
        .values_list("id", "status", *map(stamp, fields))
    )
    events = _chunk_events(ids, stamp, on_postgresql)
    for row in tickets:
        ticket = {"id": row[0], "status": row[1]}
        stamps = row[2:] if on_postgresql else map(_micros, row[2:])
        ticket.update(zip(fields, stamps, strict=True))
        evs = events.get(ticket["id"], [])
        if ticket["status"] == Status.MERGED or _answered_on_intake(evs):
            continue  # a duplicate merged away, or answered on the spot: no unit's work
        _count_handling(ticket, evs, by_key, since, until, now)
        _count_due(ticket, evs, by_key, since, due_until)


# A callback that closes a ticket (or one merged away) changes neither its owner nor its
# deadlines: no counting reads it (_team and _answerable_at skip an event of the owner
# before it; only a reopening's deadlines matter). Only those that reopened it are read.
SKIPPED_EVENTS = Q(action="callback") & ~DEADLINE_RESETS


def _chunk_events(ids, stamp, on_postgresql):
    """{ticket id: [_Event]} of the tickets with these ids, each in (at, id) order, without
    SKIPPED_EVENTS. Sorted here, a ticket's few at a time: PostgreSQL sorted a chunk's
    30,000 rows, about a sixth of reading them."""
    # Only contacts, hand-overs and the events that moved respond_by have data the counting
    # reads (on-time flags, earlier deadlines): the rest's is not sent nor decoded. Read as
    # text and decoded here only where there is some (no converter called on every row).
    data = Case(
        When(action__in=DATA_ACTIONS, then="data"),
        When(HANDED_DOWN, then="data"),
        When(MOVED_RESPOND_BY, then="data"),
        default=None,
        output_field=JSONField(),
    )
    rows = (
        TicketEvent.objects.filter(in_unnested("ticket_id", ids))
        .exclude(SKIPPED_EVENTS)
        .order_by()
        .values_list(
            "ticket_id",
            "action",
            "owner_place_id",
            "owner_department_id",
            stamp("at"),
            "id",
            Cast(data, TextField()),
        )
    )
    # Each text decoded once: contacts' flags ({"on_time": true}) repeat; the counting only
    # reads events' data, so events may share one dict. Likewise one unit tuple per owner.
    decoded = {None: {}, "": {}}
    owners = {}
    found = {}
    last, keyed = None, None
    for ticket_id, action, place_id, department_id, at, pk, text in rows:
        data = decoded.get(text)
        if data is None:
            data = decoded[text] = json.loads(text) or {}
        unit = owners.get((place_id, department_id), 0)
        if unit == 0:
            unit = owners[place_id, department_id] = _key(place_id, department_id)
        if not on_postgresql:
            at = _micros(at)
        if ticket_id != last:  # rows come a ticket at a time, mostly: not relied upon
            last = ticket_id
            keyed = found.get(ticket_id)
            if keyed is None:
                keyed = found[ticket_id] = []
        keyed.append((at, pk, _Event(action, unit, at, data)))
    events = {}
    for ticket_id, keyed in found.items():
        keyed.sort()  # by at, then id (unique: the events themselves are never compared)
        events[ticket_id] = [event for _at, _pk, event in keyed]
    return events


def composite(rates, w):
    """Weighted mean × 100 of the rates that exist (weights renormalised over them);
    None without a weighted handling rate (see HANDLING_RATES)."""
    if not any(rates.get(name) is not None and w.get(name, 0) > 0 for name in HANDLING_RATES):
        return None
    parts = [(w.get(name, 0), value) for name, value in rates.items() if value is not None]
    total = sum(weight for weight, _value in parts if weight > 0)
    if not total:
        return None
    return round(100 * sum(weight * value for weight, value in parts if weight > 0) / total, 2)


def rank(kpis):
    """Competition ranking by score (1, 2, 2, 4); unscored units get no rank. `of` is the
    number of units ranked, `unranked` the number compared but without a score."""
    scored = sorted((k for k in kpis if k.score is not None), key=lambda k: -k.score)
    previous, position = None, 0
    for index, kpi in enumerate(scored, start=1):
        if kpi.score != previous:
            position, previous = index, kpi.score
        kpi.rank = position
    for kpi in kpis:
        kpi.of, kpi.unranked = len(scored), len(kpis) - len(scored)
        if kpi.score is None:
            kpi.rank = None
    return kpis


def ordered(kpis):
    """Best first; unscored units last, by code."""
    return sorted(kpis, key=lambda k: (k.rank is None, k.rank or 0, k.unit.code))


def _answered_on_intake(evs):
    """A consultation answered as it was filed (intake's answer, at its create's moment),
    closed since or not: no unit's work. One that waited at a desk and was answered later
    is not: its answer counts as the desk's resolution, on time or late."""
    return len(evs) > 1 and evs[1].action == "answer" and evs[1].at == evs[0].at


def _response_unknown(first_contact):
    return (
        first_contact is not None
        and first_contact.action == "resolve"
        and first_contact.data.get("imported") is True
        and "responded_on_time" not in first_contact.data
    )


def _contact_on_time(event, respond_by):
    # Judged against respond_by at the time: a later reopening gives fresh deadlines and
    # must not turn a late first contact into an on-time one. `respond_by`: the one in force
    # then (_respond_by_in_force), for older events without the flag.
    if event.action == "contact" and "on_time" in event.data:
        return bool(event.data["on_time"])
    if "responded_on_time" in event.data:  # a resolve or answer that was the first contact
        return bool(event.data["responded_on_time"])
    return respond_by is not None and event.at <= respond_by


def _respond_by_in_force(evs, index, current):
    """The respond_by in force just after evs[index] (microseconds, or None): the one the
    first later event that moved it replaced (`data.deadlines.before`, lifecycle.
    _deadline_change: a dispatch raising it to the unit's 签收 window, a return bringing the
    requester's back, a reopening, a praise closed), else `current`, the ticket's. An event
    that moved it without saying so (older ones) is not seen: then, as before, the current
    one. _chunk_events reads the data of every event that says so (MOVED_RESPOND_BY)."""
    for event in evs[index + 1 :]:
        before = (event.data.get("deadlines") or {}).get("before") or {}
        if "respond_by" in before:
            value = before["respond_by"]
            return _micros(parse_datetime(value)) if value else None
    return current


def _team(evs, index, unit):
    """`unit` and the units it handed the ticket down to (交办) after evs[index], and those
    they handed it on to: a community whose grid called the requester has responded, as
    it answers for what it hands down within its area."""
    team = {unit}
    for before, event in zip(evs[index:], evs[index + 1 :], strict=False):
        if event.data.get("handed_down") and before.unit in team:
            team.add(event.unit)
    return team


def _count_handling(ticket, evs, by_key, since, until, now):
    """Dispatched, accepted, responded, resolved and the times to each, per unit.

    A ticket counts for the response rate once it can be judged: its requester was
    contacted, or its respond_by has passed. One dispatched a minute ago is not yet a
    miss (the walk saw grids ranked 0 for a ticket just received).
    """
    received = {}
    for index, event in enumerate(evs):
        if (
            event.action in HOLD_ACTIONS
            and event.unit in by_key
            and since <= event.at < until
            and event.unit not in received
        ):
            received[event.unit] = index
    if not received:
        return
    contact_index = next((i for i, e in enumerate(evs) if e.action in CONTACT_ACTIONS), None)
    first_contact = None if contact_index is None else evs[contact_index]
    # A case imported as handled on the 12345 platform: when its requester was first called
    # is unknown (only its reply's time is), so it cannot be judged for the response rate;
    # nor can one whose requester nobody could contact (no respond_by: lifecycle.respond_by_for),
    # nor a praise, whose deadlines ended when it was closed.
    unknown = _response_unknown(first_contact) or ticket["respond_by"] is None
    on_time = first_contact is not None and _contact_on_time(
        first_contact, _respond_by_in_force(evs, contact_index, ticket["respond_by"])
    )
    for unit, index in received.items():
        kpi = by_key[unit]
        c = kpi.counts
        c["dispatched"] += 1
        team = _team(evs, index, unit)
        got = evs[index].at
        # The unit is judged by the respond_by it got (a later dispatch to another unit, a
        # return, a reopening moves the ticket's: none of them is the unit's doing).
        respond_by = _respond_by_in_force(evs, index, ticket["respond_by"])
        # As the sweep: a response deadline that had passed before the unit got the ticket
        # (passed up, or sent down from escalated, after it ran out), with nobody having
        # called, is not the unit's miss; the unit is credited when it calls.
        inherited = (
            respond_by is not None
            and respond_by < got
            and (first_contact is None or first_contact.at >= got)
        )
        if unknown or respond_by is None:
            pass
        elif inherited:
            called = first_contact is not None and first_contact.unit in team
            c["response_due"] += called
            c["responded"] += called
        else:
            c["response_due"] += first_contact is not None or respond_by < now
            c["responded"] += on_time and (first_contact.at < got or first_contact.unit in team)
        hold_start = got
        seen = set()
        for event in evs[index + 1 :]:
            if event.unit != unit:
                continue
            if event.action in HOLD_ACTIONS:
                hold_start = event.at  # handed back to the unit after a return
                continue
            if event.action == "accept":
                name = "accept"
            elif event.action in ("contact", "resolve"):
                name = "contact"
            else:
                continue
            stages = (name, "resolve") if event.action == "resolve" else (name,)
            if unknown and event is first_contact:
                stages = ("resolve",)  # not a time to first contact
            for stage in stages:
                if stage not in seen:
                    seen.add(stage)
                    kpi.durations[stage].append(_hours(event.at - hold_start))
        c["accepted"] += "accept" in seen
        c["resolved"] += "resolve" in seen


def _answerable_at(evs, moment):
    """The units answering for a deadline at `moment`: the unit holding the ticket (owner of
    the last event by then: a dispatch desk for what it never dispatched), and the offices
    that handed it down to that unit (交办) and their own handers: as for the response
    (_team), an office answers for what it hands down within its area, so handing a ticket
    down on the eve of its deadline does not pass the miss to the grid alone. A ticket that
    comes back up (escalated, or returned to the office that handed it down) is that
    office's again; one sent elsewhere (the desk, a designation) is its new holder's."""
    chain = []
    for event in evs:
        if event.at > moment:
            break
        if chain and event.unit == chain[-1]:
            continue
        if chain and event.data.get("handed_down"):
            chain.append(event.unit)
        elif event.unit in chain:
            del chain[chain.index(event.unit) + 1 :]
        else:
            chain = [event.unit]
    return chain


# Events that can set a fresh resolve_by, and those that did (models.DEADLINE_RESETS): an
# escalation, or a reopening (also by an unhappy callback), whose data holds the old and new
# deadlines; a callback closing the ticket, or on a merged one, keeps none.
HANDOVER_ACTIONS = RESETTING_ACTIONS
HANDOVER_Q = DEADLINE_RESETS
# Events whose data the counting reads: contacts (on-time flags) and hand-overs (deadlines).
DATA_ACTIONS = (*CONTACT_ACTIONS, *HANDOVER_ACTIONS)
# And the other events that moved respond_by (_respond_by_in_force): a dispatch or
# designation that raised it, a return that brought it back, a praise closed. Few: most
# dispatches move no deadline, and their data (unit, rule) is not sent.
MOVED_RESPOND_BY = Q(
    action__in=("dispatch", "designate", "return", "close"),
    data__deadlines__before__has_key="respond_by",
)


def _count_missed_before_handover(evs, by_key, since, due_until):
    """A deadline missed in an earlier round stays missed: the fresh resolve_by that a
    reopening sets (an escalation too, in events before 2026-11-29) must not erase it
    (missing a deadline would improve the record). Charged to the units answering for the
    ticket when it passed (_answerable_at):
    - escalated (by the sweep, or by the unit itself) after its resolve_by had passed;
      escalating before the deadline is no miss (大事不出社区: passing it up in time);
    - reopened (by an unhappy callback, or a merged ticket's), where the round's
      resolution came after its resolve_by (a round resolved in time and reopened counts
      once, by the latest round)."""
    resolved_at = None
    for event in evs:
        if event.action == "resolve":
            resolved_at = event.at
        if event.action not in HANDOVER_ACTIONS:
            continue
        old = ((event.data.get("deadlines") or {}).get("before") or {}).get("resolve_by")
        old = _micros(parse_datetime(old)) if old else None
        if old is None or not since <= old < due_until:
            continue
        if event.action == "escalate" or resolved_at is None:
            finished = event.at
        else:
            finished = resolved_at
        if finished <= old:
            continue
        for unit in _answerable_at(evs, old):
            if unit in by_key:
                by_key[unit].counts["due"] += 1


def _count_due(ticket, evs, by_key, since, due_until):
    _count_missed_before_handover(evs, by_key, since, due_until)
    resolve_by = ticket["resolve_by"]
    if resolve_by is None or not since <= resolve_by < due_until:
        return
    resolved_at = ticket["resolved_at"]
    on_time = resolved_at is not None and resolved_at <= resolve_by
    for unit in _answerable_at(evs, resolved_at if on_time else resolve_by):
        if unit in by_key:
            by_key[unit].counts["due"] += 1
            by_key[unit].counts["resolved_on_time"] += on_time


def _count_callbacks(units, by_key, since, until):
    happy = (Satisfaction.SATISFIED, Satisfaction.BASIC)
    rows = (
        Callback.objects.filter(_owner_q(units), at__gte=since, at__lt=until)
        .values("owner_place_id", "owner_department_id")
        .annotate(
            n=Count("id"),
            resolved=Count("id", filter=Q(resolved=True)),
            satisfied=Count("id", filter=Q(satisfaction__in=happy)),
        )
        .order_by()
    )
    for row in rows:
        kpi = by_key.get(_key(row["owner_place_id"], row["owner_department_id"]))
        if kpi is not None:
            kpi.counts["callbacks"] += row["n"]
            kpi.counts["callbacks_resolved"] += row["resolved"]
            kpi.counts["callbacks_satisfied"] += row["satisfied"]


def _count_now(units, by_key, since, until, now):
    supervised = (
        TicketEvent.objects.filter(_owner_q(units), action="supervise", at__gte=since, at__lt=until)
        .values("owner_place_id", "owner_department_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in supervised:
        kpi = by_key.get(_key(row["owner_place_id"], row["owner_department_id"]))
        if kpi is not None:
            kpi.counts["supervised"] += row["n"]
    current = (
        Ticket.objects.filter(_owner_q(units), status__in=OPEN_STATUSES)
        .values("owner_place_id", "owner_department_id")
        .annotate(n=Count("id"), overdue=Count("id", filter=overdue_q(now)))
        .order_by()
    )
    for row in current:
        kpi = by_key.get(_key(row["owner_place_id"], row["owner_department_id"]))
        if kpi is not None:
            kpi.counts["open_now"] += row["n"]
            kpi.counts["overdue_now"] += row["overdue"]


def _count_whistles(units, by_key, since, until, now):
    """Summonses of the period: reported by report_by? rated how? (departments only).

    A summons belongs to the period it was reported in, or, unreported, the one its
    report-by falls in (docs/kpis.md): by report-by alone, a department that reported in
    March on a summons due in April counted in neither month's KPI until April ended."""
    department_ids = [u.id for u in units if u.kind == DEPARTMENT]
    if not department_ids:
        return
    for unit_id in department_ids:
        by_key[(DEPARTMENT, unit_id)].whistle = {
            "summoned": 0,
            "reported_on_time": 0,
            "late": 0,
            "rated": 0,
            "mean_rating": None,
        }
    ratings = defaultdict(list)
    of_period = Q(reported_at__gte=since, reported_at__lt=until) | Q(
        reported_at__isnull=True, report_by__gte=since, report_by__lt=until
    )
    summonses = Summons.objects.filter(of_period, department_id__in=department_ids).values(
        "department_id", "report_by", "reported_at", "rating"
    )
    for row in summonses:
        reported = row["reported_at"]
        if reported is None and row["report_by"] >= now:
            continue  # not due yet
        w = by_key[(DEPARTMENT, row["department_id"])].whistle
        w["summoned"] += 1
        if reported is not None and reported <= row["report_by"]:
            w["reported_on_time"] += 1
        else:
            w["late"] += 1
        if row["rating"]:
            w["rated"] += 1
            ratings[row["department_id"]].append(row["rating"])
    for unit_id in department_ids:
        kpi = by_key[(DEPARTMENT, unit_id)]
        w = kpi.whistle
        values = ratings.get(unit_id, [])
        w["mean_rating"] = round(statistics.fmean(values), 2) if values else None
        parts = [
            _ratio(w["reported_on_time"], w["summoned"]),
            (statistics.fmean(values) - 1) / 3 if values else None,
        ]
        parts = [p for p in parts if p is not None]
        kpi.rates["whistle"] = statistics.fmean(parts) if parts else None


# --- units and rankings -------------------------------------------------------------------


def units_at(level, parent=None):
    """Places at `level` under `parent` (a Place), or departments serving under it."""
    if level == DEPARTMENT:
        departments = Department.objects.select_related("place").order_by("code")
        if parent is not None:
            departments = departments.filter(place__path__startswith=parent.path)
        return list(departments)
    if level not in PLACE_LEVELS:
        raise ValueError(f"unknown level {level}")
    places = Place.objects.filter(level=level).order_by("path")
    if parent is not None:
        places = places.filter(path__startswith=parent.path).exclude(pk=parent.pk)
    return list(places)


def siblings(unit_obj):
    """The units a unit is ranked among: same level, same parent (departments: all of
    the same jurisdiction)."""
    if isinstance(unit_obj, Department):
        return list(
            Department.objects.filter(place_id=unit_obj.place_id)
            .select_related("place")
            .order_by("code")
        )
    if unit_obj.parent_id is None:
        return list(Place.objects.filter(level=unit_obj.level, parent=None).order_by("path"))
    return list(Place.objects.filter(parent_id=unit_obj.parent_id).order_by("path"))


# --- whose rankings a user sees -------------------------------------------------------------

# Areas whose units are ranked: a district's streets, a street's communities, a community's
# grids (and each area's departments, see ranking_area).
PARENT_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY)


def ranking_parents(user):
    """Areas whose units the user may compare: the places of their roles and the areas
    above them (a grid worker sees their grid among the community's grids; rankings are
    published among units, 排名通报), and a department's jurisdiction."""
    from gridgov.people.models import Role
    from gridgov.people.scope import scope_for

    from .rules import VIEW_ROLES

    scope = scope_for(user)
    places = Place.objects.filter(level__in=PARENT_LEVELS)
    if scope.everything:
        return list(places.order_by("path")[:200])
    query = Q()
    for path in scope.paths(VIEW_ROLES | {Role.DEPARTMENT_HANDLER}):
        query |= Q(path__startswith=path) | Q(code__in=path.strip("/").split("/"))
    departments = Department.objects.filter(pk__in=sorted(scope.department_ids))
    for department in departments:
        query |= Q(pk=department.place_id)
    if not query:
        return []
    return list(places.filter(query).order_by("path")[:200])


def default_parent(user, parents):
    """The area a ranking opens on: the user's own, else the nearest one above it."""
    from gridgov.people.scope import scope_for

    from .rules import VIEW_ROLES

    if not parents:
        return None
    own_paths = scope_for(user).paths(VIEW_ROLES)
    own = [p for p in parents if p.path in own_paths]
    return own[0] if own else max(parents, key=lambda p: len(p.path))


def default_level(user, levels):
    """The units a ranking compares first, of `levels`: a department handler with no place
    of their own looks for their department among the departments; others for the units
    right below the area."""
    from gridgov.people.scope import scope_for

    from .rules import VIEW_ROLES

    if not levels:
        return None
    scope = scope_for(user)
    if DEPARTMENT in levels and scope.department_ids and not scope.paths(VIEW_ROLES):
        return DEPARTMENT
    return levels[0]


def ranking_area(level, parent):
    """Where the units ranked under `parent` are taken from: departments serve a whole
    district, so those of the district the area lies in."""
    if level == DEPARTMENT and parent is not None:
        return parent.ancestor_at(Level.DISTRICT) or parent
    return parent


def may_see_unit(user, unit_obj):
    """A unit's figures are the user's to see when its ranking is (its parent area, for a
    department its jurisdiction, is one of ranking_parents)."""
    area = unit_obj.place if isinstance(unit_obj, Department) else unit_obj.parent
    if area is None:
        return False
    return any(p.pk == area.pk or p.path.startswith(area.path) for p in ranking_parents(user))


def ranking(level, parent, start, end, now=None):
    """KPIs of all units at `level` under `parent`, ranked, best first."""
    return ordered(compute(units_at(level, parent), start, end, now=now))


def unit_kpis(unit_obj, start, end, now=None):
    """One unit's KPIs, ranked among its siblings."""
    kpis = compute(siblings(unit_obj), start, end, now=now)
    key = Unit.of(unit_obj).key
    return next(k for k in kpis if k.unit.key == key)
