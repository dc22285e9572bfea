"""Deadlines (时限): accept_by, respond_by, resolve_by from the time-limit table.

Emergency and utility limits run in clock time, the others in working days
(DESIGN §4). Overdue is derived here from stored deadlines and the clock;
nothing stores an "overdue" flag.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from gridgov.places.models import Level

from . import reference
from .models import (
    OPEN_STATUSES,
    WAITING_TO_ACCEPT,
    Status,
    TimeLimit,
    TimeLimitChange,
    Urgency,
    racing_deadline,
)
from .workdays import WorkCalendar

Unit = TimeLimit.Unit

# Used when staff have entered no row: Tianjin's sign-for limits, Beijing's answer limits.
DEFAULT_LIMITS = {
    Urgency.EMERGENCY: ((15, Unit.MINUTES), (1, Unit.HOURS), (2, Unit.HOURS)),
    Urgency.UTILITY: ((30, Unit.MINUTES), (4, Unit.HOURS), (24, Unit.HOURS)),
    Urgency.GENERAL: ((1, Unit.WORKDAYS), (2, Unit.WORKDAYS), (7, Unit.WORKDAYS)),
    Urgency.COMPLEX: ((1, Unit.WORKDAYS), (3, Unit.WORKDAYS), (15, Unit.WORKDAYS)),
}


@dataclass(frozen=True)
class Deadlines:
    accept_by: dt.datetime
    respond_by: dt.datetime
    resolve_by: dt.datetime


def limits_for(urgency, category, place=None):
    """The most specific time limit for a ticket of this category located at `place`: the
    category, then its parents, then urgency alone; at each step the row of the place's
    district before the city-wide one. So a city-wide limit for the category beats the
    district's general one: the category says more about the work than the district does."""
    chain = _lineage_ids(category)
    rows = reference.time_limits()
    district = district_id(place)
    wheres = (district, None) if district is not None else (None,)
    for key in [*chain, None]:
        row = next(filter(None, (rows.get((urgency, key, where)) for where in wheres)), None)
        if row is not None:
            return (
                (row.accept_value, row.accept_unit),
                (row.respond_value, row.respond_unit),
                (row.resolve_value, row.resolve_unit),
            )
    return DEFAULT_LIMITS[urgency]


def _lineage_ids(category):
    """Ids of the category and its parents, most specific first, from the cached category
    tree (reference.categories), whose parents are linked in memory: a ticket's category read
    without its parents (lifecycle's row lock) cost a query per level on every escalation.
    The category's own parents when the tree does not hold it as it is."""
    if category is None:
        return []
    cached = reference.categories().by_id.get(category.pk)
    if cached is not None and cached.parent_id == category.parent_id:
        category = cached
    return [c.pk for c in category.lineage()]


def district_id(place):
    """Id of the district `place` lies in (the root of its path), from the cached areas:
    no query."""
    if place is None:
        return None
    district = place.ancestor_at(Level.DISTRICT)
    return district.pk if district is not None else None


def add_limit(start, value, unit, calendar):
    if unit == Unit.MINUTES:
        return start + dt.timedelta(minutes=value)
    if unit == Unit.HOURS:
        return start + dt.timedelta(hours=value)
    return calendar.add_workdays(start, value)


# Urgencies whose time limits, and whose whistles' report-by, run in clock time.
CLOCK_URGENCIES = (Urgency.EMERGENCY, Urgency.UTILITY)


# The report-by a whistle gives when the street names no hours: an emergency or utility
# ticket 24 clock hours; any other 8 office hours, about the next working day (24 office
# hours would be three working days and more).
WHISTLE_CLOCK_HOURS = 24
WHISTLE_OFFICE_HOURS = 8


def default_whistle_hours(urgency):
    return WHISTLE_CLOCK_HOURS if urgency in CLOCK_URGENCIES else WHISTLE_OFFICE_HOURS


def whistle_report_by(urgency, start, hours, calendar=None):
    """The report-by of a whistle blown at `start` giving `hours`: clock hours on an
    emergency or utility ticket (a burst main is worked on at night too), else office hours
    on working days (workdays.add_office_hours), as nobody can report at 03:47."""
    if urgency in CLOCK_URGENCIES:
        return start + dt.timedelta(hours=hours)
    return (calendar or WorkCalendar.load()).add_office_hours(start, hours)


def compute_deadlines(urgency, category, start, calendar=None, place=None):
    """The deadlines of a ticket filed (or handed on) at `start`; `place` is where it lies,
    whose district's time limits apply (limits_for). In order (in_order): a row mixing clock
    time and working days can cross on some starts (limit_order_error), and a row written
    before that check may cross on every one."""
    calendar = calendar or WorkCalendar.load()
    accept, respond, resolve = limits_for(urgency, category, place)
    return in_order(
        add_limit(start, *accept, calendar),
        add_limit(start, *respond, calendar),
        add_limit(start, *resolve, calendar),
    )


def in_order(accept_by, respond_by, resolve_by):
    """Deadlines with respond_by no earlier than accept_by and resolve_by no earlier than
    respond_by: a unit is not asked to call the requester before it has to sign for the
    ticket, nor to resolve it before the call is due."""
    respond_by = max(respond_by, accept_by)
    return Deadlines(accept_by, respond_by, max(resolve_by, respond_by))


# --- the order of a row's limits: 签收, then 响应, then 办结 ------------------------------------

# Clock time against working days is compared on the deadlines a row gives to a ticket filed
# at 09:00 on a Monday of a week without holidays (Monday to Friday working days). Comparing
# only limits of the same kind would let 签收 1 working day with 响应 2 hours through, the
# slip this is for; refusing every mix that can cross on some start would refuse any
# working-day 签收 before a clock 响应 (a holiday stretches working days without bound).
# Where an accepted mix still crosses (a Friday evening, before a holiday), compute_deadlines
# puts the deadlines in order.
PROBE_DAY_LEFT = dt.timedelta(hours=14, minutes=59, seconds=59)  # 09:00 to 23:59:59

RESPOND_BEFORE_ACCEPT = gettext_noop(
    "The response limit (%(respond)s) is shorter than the accept limit (%(accept)s): a unit "
    "would have to contact the requester before it has to sign for the ticket. Give a "
    "response limit no shorter than the accept limit."
)
RESOLVE_BEFORE_RESPOND = gettext_noop(
    "The resolve limit (%(resolve)s) is shorter than the response limit (%(respond)s): a "
    "ticket would be due to be resolved before its requester is due to be contacted. Give a "
    "resolve limit no shorter than the response limit."
)
MIXED_UNITS = gettext_noop(
    "(Clock time and working days are compared on a ticket filed on a Monday at 09:00 in a "
    "week without holidays.)"
)


def probe_span(value, unit):
    """How long a limit runs for a ticket filed on a Monday at 09:00 in a week without
    holidays: a working-day limit ends at the end of its last working day (add_workdays)."""
    if unit == Unit.MINUTES:
        return dt.timedelta(minutes=value)
    if unit == Unit.HOURS:
        return dt.timedelta(hours=value)
    # The k-th working day after a Monday: Tuesday to Friday are 1 to 4 days on, and each
    # further five a week on.
    weeks, rest = divmod(value, 5)
    return dt.timedelta(days=7 * weeks + rest) + PROBE_DAY_LEFT


def limit_words(value, unit):
    """2 自然小时, 1 工作日: a limit in the active language."""
    return f"{value} {Unit(unit).label}"


def limit_order_error(accept, respond, resolve):
    """(field, message in the active language) when a row's 响应时限 is shorter than its
    签收时限 or its 办结时限 shorter than its 响应时限, else None. Each limit is (value, unit);
    a missing part (the field's own error says so) is not compared."""
    from django.utils.translation import gettext

    stages = {"accept": accept, "respond": respond, "resolve": resolve}
    if any(v is None or u not in Unit.values for v, u in stages.values()):
        return None
    words = {stage: limit_words(*limit) for stage, limit in stages.items()}
    for earlier, later, field, message in (
        ("accept", "respond", "respond_value", RESPOND_BEFORE_ACCEPT),
        ("respond", "resolve", "resolve_value", RESOLVE_BEFORE_RESPOND),
    ):
        if probe_span(*stages[later]) >= probe_span(*stages[earlier]):
            continue
        said = gettext(message) % words
        kinds = {stages[s][1] == Unit.WORKDAYS for s in (earlier, later)}
        if len(kinds) > 1:
            said = f"{said}{gettext(MIXED_UNITS)}"
        return field, said
    return None


def overdue_stage(ticket, now=None):
    """Which deadline an open ticket has missed: 'accept', 'respond', 'resolve' or None."""
    if ticket.status not in OPEN_STATUSES:
        return None
    now = now or timezone.now()
    if (
        ticket.status in (Status.DISPATCHED, Status.ESCALATED)
        and ticket.accept_by
        and now > ticket.accept_by
    ):
        return "accept"
    if ticket.contacted_at is None and ticket.respond_by and now > ticket.respond_by:
        return "respond"
    if ticket.resolve_by and now > ticket.resolve_by:
        return "resolve"
    return None


def overdue_q(now=None):
    """Queryset filter for open tickets past any of their deadlines."""
    now = now or timezone.now()
    return Q(status__in=OPEN_STATUSES) & (
        Q(status__in=(Status.DISPATCHED, Status.ESCALATED), accept_by__lt=now)
        | Q(contacted_at__isnull=True, respond_by__lt=now)
        | Q(resolve_by__lt=now)
    )


# --- the time-limit table, as each user sees and writes it -----------------------------------


def visible_limits(user):
    """The city-wide rows and those of the districts the user works in (street, community
    and grid staff too: their tickets run on their district's overrides; a department
    handler the district its department serves); every row for a superuser. The
    time-limit page and GET /api/v1/time-limits/ list these; who may write which is
    rules.py's `tickets.manage_time_limits`."""
    limits = TimeLimit.objects.select_related("category__parent__parent", "place")
    return limits.filter(_city_or_own_district(user, "place"))


def visible_changes(user):
    """The change record of the limits a user sees (visible_limits): the city's changes and
    those of the districts they work in; GET /api/v1/time-limit-changes/."""
    changes = TimeLimitChange.objects.select_related("changed_by", "district")
    return changes.filter(_city_or_own_district(user, "district"))


def _city_or_own_district(user, field):
    """Q: `field` (a district, or a place under one) is null (the city's) or in the user's
    area, a department handler's being the district their department serves."""
    from gridgov.people.models import Department
    from gridgov.people.scope import scope_for, scope_q

    from .rules import VIEW_ROLES

    in_area = scope_q(user, field, VIEW_ROLES, ancestors=True)
    departments = scope_for(user).department_ids
    if departments:
        served = Department.objects.filter(pk__in=departments, place__isnull=False)
        paths = served.values_list("place__path", flat=True)
        in_area |= Q(**{f"{field}__path__in": sorted({_district_path(p) for p in paths})})
    return in_area | Q(**{f"{field}__isnull": True})


def _district_path(path):
    """'/D/S/C/' -> '/D/': a district is the root of the place tree."""
    return "/" + path.strip("/").split("/")[0] + "/"


def writable_districts(user):
    """The districts a user may set time limits for: their own as district staff (every
    one for a superuser)."""
    from gridgov.people.models import Role
    from gridgov.people.scope import filter_by_scope
    from gridgov.places.models import Place

    districts = Place.objects.filter(level=Level.DISTRICT)
    return filter_by_scope(districts, user, "", roles={Role.DISTRICT_STAFF}).order_by("path")


# Why a write is refused: the city's rows are the superusers', a district's its own staff's.
LIMITS_READ_ONLY = gettext_noop(
    "Time limits are set by district staff for their district and by superusers for the "
    "whole city; street, community and grid staff may only view them."
)
CITY_LIMIT_REFUSED = gettext_noop(
    "Only a superuser may change the city-wide time limits; district staff set their "
    "district's own."
)
DISTRICT_LIMIT_REFUSED = gettext_noop("Only the staff of %(district)s may set its time limits.")
CALENDAR_REFUSED = gettext_noop("Calendar days are set by district staff and superusers.")


def limit_refusal(user, limit):
    """(message id, params): why `user` may not write `limit` (check the permission first)."""
    if not user.has_perm("tickets.manage_time_limits"):
        return LIMITS_READ_ONLY, {}
    if limit.place_id is None:
        return CITY_LIMIT_REFUSED, {}
    return DISTRICT_LIMIT_REFUSED, {"district": limit.place.name}


LIMIT_TAKEN = gettext_lazy(
    "A time limit for this urgency and category exists already for this district "
    "(or for the whole city)."
)


def limit_taken(urgency, category, place=None, exclude=None):
    """Whether another time limit (not `exclude`) already covers this urgency and category
    in this district (no place: the whole city)."""
    limits = TimeLimit.objects.filter(urgency=urgency, category=category, place=place)
    return limits.exclude(pk=exclude.pk).exists() if exclude is not None else limits.exists()


# --- the change record, and a district's return to the city's limits ----------------------

NO_OWN_LIMITS = gettext_noop(
    "%(district)s has no time limits of its own: it follows the city-wide ones already; "
    "nothing was changed."
)
NAME_A_LIMITS_DISTRICT = gettext_noop(
    "Name the district that returns to the city-wide time limits (district)."
)


class NothingToReturn(ValueError):
    """follow_city: the district has no limits of its own."""


def limit_values(limit):
    """A time limit's values as the change record keeps them."""
    values = {
        "urgency": limit.urgency,
        "category": limit.category.code if limit.category_id else None,
    }
    for stage in ("accept", "respond", "resolve"):
        values[stage] = [getattr(limit, f"{stage}_value"), getattr(limit, f"{stage}_unit")]
    return values


def record_change(action, user, district, limits, before=(), reason="", now=None):
    """A TimeLimitChange row: `limits` and `before` are TimeLimit rows (or values)."""

    def values(rows):
        return [row if isinstance(row, dict) else limit_values(row) for row in rows]

    return TimeLimitChange.objects.create(
        action=action,
        at=now or timezone.now(),
        changed_by=user if user is not None and user.pk else None,
        district=district,
        limits=values(limits),
        before=values(before),
        reason=reason,
    )


def save_limit(user, pk, save, reason=""):
    """Run `save` (→ the saved TimeLimit) and keep it in the change record with the values
    it replaced (those of row `pk`, read first; None: a new limit) and why (`reason`,
    optional), in one transaction: the page, the API and the admin all save limits this
    way."""
    with transaction.atomic():
        before = [limit_values(TimeLimit.objects.get(pk=pk))] if pk else []
        saved = save()
        record_change(
            TimeLimitChange.Action.SAVED, user, saved.place, [saved], before, reason=reason
        )
    return saved


def remove_limits(user, limits, delete, reason=""):
    """Keep each of `limits` in the change record (with why: `reason`, optional), then run
    `delete`, in one transaction."""
    with transaction.atomic():
        for limit in limits:
            record_change(TimeLimitChange.Action.REMOVED, user, limit.place, [limit], reason=reason)
        delete()


def follow_city(user, district, reason="", now=None):
    """Return `district` to the city-wide time limits (恢复使用全市设置): its own rows are
    removed, their values kept in a TimeLimitChange (who, when, what was in force). Tickets
    filed from then on run on the city's limits; deadlines already given stay (a ticket's
    deadlines are stored on it). Who may is rules.py's `tickets.manage_time_limits` on the
    district's row, checked by the caller. Raises NothingToReturn when it has none."""
    with transaction.atomic():
        own = TimeLimit.objects.filter(place=district).select_related("category")
        rows = list(own.order_by("urgency", "category__code", "id"))
        if not rows:
            raise NothingToReturn(district)
        change = record_change(
            TimeLimitChange.Action.FOLLOWS_CITY, user, district, rows, reason=reason, now=now
        )
        TimeLimit.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return change


# --- the deadline a ticket races now ---------------------------------------------------------


def racing(ticket):
    """The deadline the ticket races now (see racing_expr, its database twin)."""
    if ticket.status in WAITING_TO_ACCEPT:
        return ticket.accept_by
    if ticket.status == Status.RESOLVED:
        return ticket.resolved_at
    if ticket.contacted_at is None and ticket.respond_by:
        return ticket.respond_by
    return ticket.resolve_by


def shown_due(ticket, now=None):
    """The deadline a list shows counting down for an open ticket that has missed none
    (overdue_stage): racing(), except a 签收时限 passed while the ticket waits at the desk
    (受理/退单). That one counts against nobody, since dispatching sets the unit's anew, so
    the list said 已超时 2 日 of a ticket neither marked nor counted overdue (the tickets
    map said 1 件超时 over two such rows): the requester's next deadline is shown instead."""
    due = racing(ticket)
    now = now or timezone.now()
    if ticket.status in (Status.RECEIVED, Status.RETURNED) and due and due < now:
        if ticket.contacted_at is None and ticket.respond_by:
            return ticket.respond_by
        return ticket.resolve_by
    return due


def racing_expr(*whens):
    """racing() as a database expression, for sorting a queue or a list; `whens` first
    (models.racing_deadline: without `whens`, the expression of an index)."""
    return racing_deadline(*whens)


def with_due(queryset, report_due=None, summoned_only=None):
    """Annotate `due`, the deadline the ticket races now. With `report_due` (an expression:
    queues.report_due) and `summoned_only` (a Q: the user's department is summoned, its unit
    does not hold the ticket), such a ticket races the summons' report-by instead."""
    whens = []
    if report_due is not None:
        queryset = queryset.annotate(
            report_due=report_due,
            summoned_only=Case(When(summoned_only, then=Value(True)), default=Value(False)),
        )
        whens.append(When(summoned_only=True, then=F("report_due")))
    return queryset.annotate(due=racing_expr(*whens))
