"""My queue (我的待办): the tickets a user must act on, and its tabs.

Shared by the queue page and the dashboard's 接诉即办 panel, so both count alike.
"""

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.utils.translation import gettext as _

from gridgov.people.models import Department, Role
from gridgov.people.scope import NOTHING, scope_for

from . import sla
from .classify import LOW_CONFIDENCE
from .lifecycle import HANDLING, merged_callback_q
from .models import OPEN_STATUSES, Extension, Status, Summons, Ticket, TicketEvent
from .rules import DESK_STATUSES, DISPATCH_ROLES, OFFICE_ROLE, SUPERVISOR_ROLES

S = Status

# Statuses in which the owning unit has something to do.
OWNER_STATUSES = (S.DISPATCHED, S.ESCALATED, S.ACCEPTED, S.IN_PROGRESS, S.REOPENED)
# Who blows whistles, and so follows up on the departments summoned (rules.is_street_staff).
WHISTLE_ROLES = {Role.STREET_STAFF, Role.DISTRICT_STAFF}


def held_q(scope, statuses=None):
    """Tickets held by one of the scope's units (rules.is_owner_handler), in `statuses` if
    given: each unit's part carries the status, so each is read through its own index."""
    status = Q(status__in=statuses) if statuses else Q()
    held = NOTHING
    if scope.department_ids:
        held |= Q(owner_department_id__in=sorted(scope.department_ids)) & status
    for level, role in OFFICE_ROLE.items():
        paths = scope.paths_by_role.get(role)
        if paths:
            held |= (
                Q(
                    owner_department__isnull=True,
                    owner_place__level=level,
                    owner_place__path__in=sorted(paths),
                )
                & status
            )
    return held


PARTS = ("owned", "summoned", "desk", "above", "whistled")


def _queue(user):
    """The user's queue by why a ticket is in it (_parts), with where the desk and the
    whistles are ("desk_at", "whistled_at": tab_filters narrows those by status). Worked out
    once per request and kept on the scope (scope_for caches it per request): a queue page
    asks five times (the menu, the counts, the tab filters, the list, its order), and each
    time read the departments serving the user's area again."""
    scope = scope_for(user)
    found = scope.memo.get("queue")
    if found is None:
        found = scope.memo["queue"] = _queue_of(scope)
    return found


def _parts(user):
    """The user's queue by why a ticket is in it: {"owned", "summoned", "desk", "above",
    "whistled"}, each a Q (NOTHING when it does not apply)."""
    found = _queue(user)
    return {name: found[name] for name in PARTS}


def _queue_of(scope):
    parts = dict.fromkeys(PARTS, NOTHING)
    parts["desk_at"] = parts["whistled_at"] = NOTHING
    if scope.everything:
        parts["owned"] = Q(status__in=OWNER_STATUSES)
        parts["desk"] = Q(status__in=DESK_STATUSES) | merged_callback_q()
        parts["whistled"] = Q(Exists(_awaited()))
        parts["desk_at"] = parts["whistled_at"] = Q()
        return parts
    parts["owned"] = held_q(scope, OWNER_STATUSES)
    # A whistle summoned one of the user's departments, which has not reported yet.
    if scope.department_ids:
        parts["summoned"] = Q(Exists(_unreported(scope)))
    # The dispatch desk (rules.is_dispatcher): route it, or call the requester back.
    desk = Q()
    for path in scope.paths(DISPATCH_ROLES):
        desk |= Q(place__path__startswith=path) | Q(
            place__isnull=True, owner_place__path__startswith=path
        )
    departments = _departments_serving(
        scope.paths(DISPATCH_ROLES | {Role.STREET_STAFF, Role.DISTRICT_STAFF})
    )
    if desk:
        # Unplaced and sent to a department: the desks where the department serves call the
        # requester back (rules._where).
        desk |= _unplaced_of_departments(departments, scope.paths(DISPATCH_ROLES))
        parts["desk_at"] = desk
        parts["desk"] = desk & (Q(status__in=DESK_STATUSES) | merged_callback_q())
    # Extension requests for the unit above the owner (rules.is_above_owner).
    above = Q()
    for path in scope.paths(SUPERVISOR_ROLES):
        above |= Q(owner_department__isnull=True, owner_place__path__startswith=path) & ~Q(
            owner_place__path=path
        )
    for path in scope.paths({Role.STREET_STAFF, Role.DISTRICT_STAFF}):
        above |= Q(owner_department__isnull=False, place__path__startswith=path)
    if above:
        above |= _unplaced_of_departments(
            departments, scope.paths({Role.STREET_STAFF, Role.DISTRICT_STAFF})
        )
        pending = Extension.objects.filter(ticket=OuterRef("pk"), state=Extension.State.PENDING)
        parts["above"] = above & Q(Exists(pending), status__in=OPEN_STATUSES)
    # Whistles blown in the user's street (or district) that still await a department: the
    # street follows up on who has not come (吹哨报到).
    whistled = Q()
    for path in scope.paths(WHISTLE_ROLES):
        whistled |= Q(place__path__startswith=path)
    if whistled:
        parts["whistled_at"] = whistled
        parts["whistled"] = whistled & Q(Exists(_awaited()))
    return parts


def _departments_serving(paths):
    """[(id, place path)] of the departments serving under `paths`, in one query for both
    parts that need them (departments are few, so their ids are read first)."""
    serving = Q()
    for path in paths:
        serving |= Q(place__path__startswith=path)
    if not serving:
        return []
    return list(Department.objects.filter(serving).values_list("pk", "place__path"))


def _unplaced_of_departments(departments, paths):
    """Tickets nobody could place, held by one of `departments` (_departments_serving) that
    serves under `paths` (rules._where puts them there)."""
    ids = sorted(pk for pk, place in departments if place.startswith(tuple(paths)))
    if not ids:
        return NOTHING
    return Q(place__isnull=True, owner_place__isnull=True, owner_department_id__in=ids)


def _awaited(before=None):
    """Summonses on the ticket row not reported yet (past their report-by when `before`)."""
    summonses = Summons.objects.filter(whistle__ticket=OuterRef("pk"), reported_at__isnull=True)
    return summonses if before is None else summonses.filter(report_by__lt=before)


def _unreported(scope):
    """The summonses of the user's departments still to report, for the ticket row."""
    return Summons.objects.filter(
        whistle__ticket=OuterRef("pk"),
        department_id__in=sorted(scope.department_ids),
        reported_at__isnull=True,
    )


def report_due(user):
    """Expression: the earliest report-by of the user's unreported summonses on a ticket
    (None without one): the deadline a summoned department races."""
    scope = scope_for(user)
    if not scope.department_ids:
        return None
    return Subquery(_unreported(scope).order_by("report_by").values("report_by")[:1])


def _with_due(user, tickets):
    """sla.with_due for the user: a ticket that summons one of their departments, and that
    their units do not hold, races the summons' report-by."""
    due = report_due(user)
    summoned_only = None if due is None else Q(report_due__isnull=False) & ~owned_q(user)
    return sla.with_due(tickets, due, summoned_only)


def in_order(user, tickets):
    """`tickets` nearest deadline first, as the queue lists them (annotated `due`)."""
    return _with_due(user, tickets).order_by(F("due").asc(nulls_last=True), "created_at", "id")


def rows(user, tickets):
    """The queue's rows: `due`, `pending_extension`, `category_unsure` (waiting at the desk
    for its category, intake.category_to_confirm), and for a department `to_report`."""
    pending = Extension.objects.filter(ticket=OuterRef("pk"), state=Extension.State.PENDING)
    unsure = TicketEvent.objects.filter(
        ticket=OuterRef("pk"), action="create", data__route=LOW_CONFIDENCE
    )
    tickets = _with_due(user, tickets).annotate(
        pending_extension=Exists(pending),
        category_unsure=Exists(unsure),  # shown while the ticket is received
        supervised=Exists(_pressed_on_owner()),
    )
    scope = scope_for(user)
    if scope.department_ids:
        tickets = tickets.annotate(to_report=Exists(_unreported(scope)))
    return tickets


def _pressed_on_owner():
    """督办 by a person (a unit above, the hotline, a caller's 来电催办) on the ticket row
    while its present owner held it: a grid's row did not say its community had pressed on
    it. The sweep's own supervisions are not counted: those rows are red already."""
    same_owner = Q(
        owner_department__isnull=False, owner_department_id=OuterRef("owner_department_id")
    ) | Q(owner_department__isnull=True, owner_place_id=OuterRef("owner_place_id"))
    return TicketEvent.objects.filter(
        same_owner, ticket=OuterRef("pk"), action="supervise", actor__isnull=False
    )


def late_departments(tickets, now):
    """{ticket id: names of the departments summoned on it and past their report-by without
    reporting}, for a page of rows: whoever follows up the whistle sees whom to chase
    without opening each ticket."""
    late = (
        Summons.objects.filter(
            whistle__ticket__in=[t.pk for t in tickets], reported_at__isnull=True, report_by__lt=now
        )
        .order_by("department__code")
        .values_list("whistle__ticket_id", "department__name")
    )
    names = {}
    for ticket_id, name in late:
        names.setdefault(ticket_id, []).append(name)
    return names


def awaited_departments(tickets, now):
    """{ticket id: ([names], earliest report-by)} of the departments summoned on it that
    have not reported and are not late yet: the street following its whistle sees on the
    row who is still to come and by when."""
    awaited = (
        Summons.objects.filter(
            whistle__ticket__in=[t.pk for t in tickets],
            reported_at__isnull=True,
            report_by__gte=now,
        )
        .order_by("department__code")
        .values_list("whistle__ticket_id", "department__name", "report_by")
    )
    found = {}
    for ticket_id, name, report_by in awaited:
        names, by = found.get(ticket_id, ([], report_by))
        if name not in names:
            names.append(name)
        found[ticket_id] = (names, min(by, report_by))
    return found


def queue_q(user):
    """Tickets the user must act on: owned by one of their units, waiting at a dispatch desk
    they serve (to route or to call back), summoning one of their departments, or with an
    extension request for them to decide."""
    query = NOTHING
    for part in _parts(user).values():
        query |= part
    return query


def desk_q(user):
    """The part of the queue waiting at a dispatch desk the user serves (rules.
    is_dispatcher_in_contact): to route, or to call the requester back."""
    return _parts(user)["desk"]


def owned_q(user):
    """The part of the queue the user's units hold (what they sign for and handle)."""
    return _parts(user)["owned"]


# The order of the tabs; the queue opens on the first of ACTIONABLE with something in it.
TAB_NAMES = (
    "accept",
    "report",
    "dispatch",
    "approve",
    "handling",
    "callback",
    "late_reports",
    "overdue",
    "all",
)
ACTIONABLE = ("accept", "report", "dispatch", "approve", "handling", "callback", "late_reports")


def tab_labels():
    return {
        "accept": _("To accept"),
        "report": _("Summoned: report"),
        "dispatch": _("To dispatch"),
        "approve": _("To approve"),
        "handling": _("In hand"),
        "callback": _("To call back"),
        "late_reports": _("Late to report"),
        "overdue": _("Overdue"),
        "all": _("All"),
    }


def tab_filters(now, user=None):
    """{tab: Q} over the user's queue. Signing for and handling are the owning unit's
    (a summoned department signs for nothing: it reports); 待审批 holds the extension
    requests the user decides; overdue is a missed deadline of the owner or a desk, or a
    summons of the user's departments past its report-by.

    Each tab names only the statuses it can hold, not the part's own (the owner's statuses,
    the desk's with its merged tickets awaiting a callback, the whistles awaiting anyone):
    the same tickets, but the counts' query carried the merged tickets' three EXISTS five
    times, and compiling and planning it took most of the counts' time on a city."""
    found = _queue(user) if user is not None else None
    # The units' tickets: held_q narrows each unit's part by the tab's statuses.
    scope = scope_for(user) if found else None
    if scope is None or scope.everything:

        def held(statuses):
            return Q(status__in=statuses)

    else:

        def held(statuses):
            return held_q(scope, statuses)

    # Routing and calling back are the dispatch desk's: a department summoned on a ticket
    # the owner has resolved (or returned) has nothing to call back (or dispatch).
    desk_at = found["desk_at"] if found else Q()
    to_dispatch = desk_at & Q(status__in=(S.RECEIVED, S.RETURNED))
    late = sla.overdue_q(now)
    if found:
        # Of the desk's statuses only those of to_dispatch are open (overdue_q's).
        late &= found["owned"] | to_dispatch | found["above"]
        if scope.department_ids:
            late |= Q(Exists(_unreported(scope).filter(report_by__lt=now)))
    return {
        "accept": held((S.DISPATCHED, S.ESCALATED)),
        "report": found["summoned"] if found else NOTHING,
        "dispatch": to_dispatch,
        "approve": found["above"] if found else NOTHING,
        "handling": held(HANDLING),
        # Not built for those at no desk (a department): the merged tickets' three EXISTS.
        "callback": NOTHING
        if desk_at is NOTHING
        else desk_at & (Q(status=S.RESOLVED) | merged_callback_q()),
        # Summoned departments past their report-by, for the street that blew the whistle
        # (awaited past its report-by is awaited: the whistled part's EXISTS goes).
        "late_reports": NOTHING
        if not found or found["whistled_at"] is NOTHING
        else found["whistled_at"] & Q(Exists(_awaited(now))),
        "overdue": late,
        "all": Q(),
    }


def counts(tickets, filters):
    """Tickets per tab of `tickets` (a queryset of the user's queue), in one query;
    `filters` from tab_filters."""
    return tickets.aggregate(**{name: Count("id", filter=q) for name, q in filters.items()})


def tab_counts(user, now, narrow=None):
    """{tab: tickets} of the user's queue, in one query: what `counts` gives over `mine`
    with tab_filters, `narrow` (a function of a queryset: the page's search) applied to
    each part of the queue.

    Each part's rows say which tabs they are in, in columns of plain tests on the row
    (_part_tabs), and a ticket is counted once a tab whichever parts hold it. Filtering the
    whole queue by each tab repeated the parts' tests in each tab's FILTER (the desk's
    merged tickets' three EXISTS five times): compiling and planning that query took most
    of a street's or a district's counts."""
    tabs_of = _part_tabs(user, now)
    selects = []
    for name, part in _parts(user).items():
        if part is NOTHING:
            continue
        tickets = Ticket.objects.filter(part)
        if narrow is not None:
            tickets = narrow(tickets)
        flags = {tab: _flag(tabs_of[name].get(tab)) for tab in TAB_NAMES if tab != "all"}
        selects.append(tickets.order_by().values(ticket=F("pk"), **flags))
    found = dict.fromkeys(TAB_NAMES, 0)
    if not selects:
        return found
    union = selects[0].union(*selects[1:], all=True) if len(selects) > 1 else selects[0]
    connection = connections[union.db]
    try:
        sql, params = union.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # every part narrowed to nothing
        return found
    quote = connection.ops.quote_name
    columns = [f"COUNT(DISTINCT {quote('ticket')})"] + [
        f"COUNT(DISTINCT CASE WHEN {quote(tab)} THEN {quote('ticket')} END)"
        for tab in TAB_NAMES
        if tab != "all"
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM ({sql}) parts", params)
        row = cursor.fetchone()
    names = ["all"] + [tab for tab in TAB_NAMES if tab != "all"]
    return {**found, **dict(zip(names, row, strict=True))}


def _flag(q):
    """A column of a part's rows: True, False (None) or a Q tested on the row."""
    if q is None or q is True:
        return Value(q is True, output_field=BooleanField())
    return ExpressionWrapper(q, output_field=BooleanField())


def _part_tabs(user, now):
    """{part: {tab: Q or True}}: the tabs (tab_filters) a ticket of each part of the queue
    is in. Tested on the part's own rows, a tab needs no more than its statuses or its
    EXISTS; a ticket is in a tab if one of its parts says so."""
    overdue = sla.overdue_q(now)
    tabs = {
        "owned": {
            "accept": Q(status__in=(S.DISPATCHED, S.ESCALATED)),
            "handling": Q(status__in=HANDLING),
            "overdue": overdue,
        },
        # The desk's statuses (and its merged tickets awaiting a callback): of those, the
        # received and returned are to dispatch, the resolved and merged to call back, and
        # only the first are open (overdue_q's).
        "desk": {
            "dispatch": Q(status__in=(S.RECEIVED, S.RETURNED)),
            "callback": Q(status__in=(S.RESOLVED, S.MERGED)),
            "overdue": overdue,
        },
        "above": {"approve": True, "overdue": overdue},
        "summoned": {"report": True},
        "whistled": {"late_reports": Q(Exists(_awaited(now)))},
    }
    scope = scope_for(user)
    if scope.department_ids:
        tabs["summoned"]["overdue"] = Q(Exists(_unreported(scope).filter(report_by__lt=now)))
    return tabs


def default_tab(tab_counts):
    """The first actionable tab with something in it, else 全部."""
    return next((name for name in ACTIONABLE if tab_counts.get(name)), "all")


def tabs(tab_counts, scope):
    """The tabs to show, with their counts: 待派单 and 待回访 only to dispatchers, 待报到 only
    to department handlers, 待审批 only to the units above others — or to anyone with
    something in them."""
    labels = tab_labels()
    shown_to = {
        "dispatch": scope.has_role(DISPATCH_ROLES),
        "callback": scope.has_role(DISPATCH_ROLES),  # the desks call back, not the units
        "report": bool(scope.department_ids),
        "approve": scope.has_role(SUPERVISOR_ROLES),
        "late_reports": False,  # only when a department is late
    }
    return [
        {"name": name, "label": labels[name], "count": tab_counts[name]}
        for name in TAB_NAMES
        if tab_counts[name] or shown_to.get(name, True)
    ]


def has_queue(user):
    """Whether anything can come into the user's queue at all: they hold for a unit, sit at
    a desk, or are the office above others. Community police, sent-down cadres and
    micro-grid workers do none of these: they follow their area's tickets (辖区工单)."""
    return any(part is not NOTHING for part in _parts(user).values())


def mine(user, within=None):
    """The user's queue (queue_q) as one `id IN (… UNION …)`: each part is read through its
    own indexes (status, owner, place), where one WHERE over the OR of the parts made
    PostgreSQL read every ticket of the city (the whistle parts' EXISTS leaves no index to
    combine), and then the page filters, counts and sorts only the tickets found.

    `within` (a tab's filter) is applied inside each part, not around the UNION: the tab
    filters repeat the parts' ORs, which PostgreSQL guessed matched a few dozen of a street's
    thousands of queued tickets, and it joined them to the UNION in a nested loop without an
    index (2.5 s for 待签收 or 已超时 on 200,000 tickets)."""
    parts = [part for part in _parts(user).values() if part is not NOTHING]
    if not parts:
        return Ticket.objects.none()
    if within is not None:
        parts = [part & within for part in parts]
    if len(parts) == 1:
        return Ticket.objects.filter(parts[0])
    found = [Ticket.objects.filter(part).order_by().values("pk") for part in parts]
    return Ticket.objects.filter(pk__in=found[0].union(*found[1:]))
