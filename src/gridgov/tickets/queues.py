"""My queue (我的待办): the tickets a user must act on, and its tabs.

Shared by the queue page and the dashboard's 接诉即办 panel, so both count alike.
"""

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _

from gridgov.people.models import Role
from gridgov.people.scope import NOTHING, scope_for

from . import sla
from .lifecycle import HANDLING, merged_callback_q
from .models import OPEN_STATUSES, Extension, Status, Summons, Ticket
from .rules import DISPATCH_ROLES, OFFICE_ROLE, SUPERVISOR_ROLES

S = Status

# Statuses in which the owning unit has something to do.
OWNER_STATUSES = (S.DISPATCHED, S.ESCALATED, S.ACCEPTED, S.IN_PROGRESS, S.REOPENED)
# Statuses in which the dispatch desk has something to do: route it, or call back.
DESK_STATUSES = (S.RECEIVED, S.RETURNED, S.RESOLVED)


def queue_q(user):
    """Tickets the user must act on: owned by one of their units, waiting at a dispatch desk
    they serve (to route or to call back), or with an extension request for them to decide."""
    scope = scope_for(user)
    if scope.everything:
        return Q(status__in=(*OWNER_STATUSES, *DESK_STATUSES)) | merged_callback_q()
    query = NOTHING
    # Owned by the user's unit (rules.is_owner_handler).
    if scope.department_ids:
        query |= Q(owner_department_id__in=sorted(scope.department_ids), status__in=OWNER_STATUSES)
    for level, role in OFFICE_ROLE.items():
        paths = scope.paths_by_role.get(role)
        if paths:
            query |= Q(
                owner_department__isnull=True,
                owner_place__level=level,
                owner_place__path__in=sorted(paths),
                status__in=OWNER_STATUSES,
            )
    # A whistle summoned one of the user's departments, which has not reported yet.
    if scope.department_ids:
        summoned = Summons.objects.filter(
            whistle__ticket=OuterRef("pk"),
            department_id__in=sorted(scope.department_ids),
            reported_at__isnull=True,
        )
        query |= Q(Exists(summoned))
    # The dispatch desk (rules.is_dispatcher): route it, or call the requester back.
    desk = Q()
    for path in scope.paths(DISPATCH_ROLES):
        desk |= Q(place__path__startswith=path) | Q(
            place__isnull=True, owner_place__path__startswith=path
        )
    if desk:
        query |= desk & (Q(status__in=DESK_STATUSES) | merged_callback_q())
    # Extension requests for the unit above the owner (rules.is_above_owner).
    above = Q()
    for path in scope.paths(SUPERVISOR_ROLES):
        above |= Q(owner_department__isnull=True, owner_place__path__startswith=path) & ~Q(
            owner_place__path=path
        )
    for path in scope.paths({Role.STREET_STAFF, Role.DISTRICT_STAFF}):
        above |= Q(owner_department__isnull=False, place__path__startswith=path)
    if above:
        pending = Extension.objects.filter(ticket=OuterRef("pk"), state=Extension.State.PENDING)
        query |= above & Q(Exists(pending), status__in=OPEN_STATUSES)
    return query


QUEUE_TABS = (
    ("accept", Q(status__in=(S.DISPATCHED, S.ESCALATED))),
    ("dispatch", Q(status__in=(S.RECEIVED, S.RETURNED))),
    ("handling", Q(status__in=HANDLING)),
    ("callback", Q(status=S.RESOLVED) | merged_callback_q()),
    ("overdue", None),  # sla.overdue_q, at request time
    ("all", Q()),
)


def tab_labels():
    return {
        "accept": _("To accept"),
        "dispatch": _("To dispatch"),
        "handling": _("In hand"),
        "callback": _("To call back"),
        "overdue": _("Overdue"),
        "all": _("All"),
    }


def tab_filters(now):
    return {name: (q if q is not None else sla.overdue_q(now)) for name, q in QUEUE_TABS}


def counts(tickets, filters):
    """Tickets per tab of `tickets` (a queryset of the user's queue), in one query;
    `filters` from tab_filters."""
    return tickets.aggregate(**{name: Count("id", filter=q) for name, q in filters.items()})


def tabs(tab_counts, scope):
    """The tabs to show, with their counts: the dispatch tab only to dispatchers, or to
    anyone with something in it."""
    labels = tab_labels()
    return [
        {"name": name, "label": labels[name], "count": tab_counts[name]}
        for name, _q in QUEUE_TABS
        if name != "dispatch" or tab_counts[name] or scope.has_role(DISPATCH_ROLES)
    ]


def mine(user):
    return Ticket.objects.filter(queue_q(user))
