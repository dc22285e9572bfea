"""The one place where a ticket changes state (DESIGN §4).

`perform(ticket, action, actor, **params)` checks the transition table and the
actor's permission (rules.py), applies the change under a row lock with a
version check (two concurrent transitions cannot both win), writes exactly one
`TicketEvent`, and updates deadlines. No other code assigns `Ticket.status`.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib import auth
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from gridgov.core import inserts
from gridgov.people.models import Department
from gridgov.people.scope import scope_for
from gridgov.places.models import Level, Place

from . import progress, reference, routing, sla
from .models import (
    HANDLING_STATUSES,
    OPEN_STATUSES,
    Callback,
    Extension,
    Nature,
    Satisfaction,
    Status,
    Summons,
    Ticket,
    TicketEvent,
    Whistle,
)
from .workdays import WorkCalendar

S = Status
MAX_RETURNS = 3
# Lazy: translated when shown, in the reader's language.
RETURN_REASONS = {
    "wrong_place": gettext_lazy("Not in our area"),
    "unclear_ownership": gettext_lazy("Ownership unclear"),
    "overlapping_duties": gettext_lazy("Overlapping duties"),
    "other": gettext_lazy("Other"),
}
# How the unit reached the requester (contact, 响应): these codes only, so the timeline and
# a system reading the events can tell a call from a visit.
CONTACT_METHODS = {
    "phone": gettext_lazy("Phone call"),
    "sms": gettext_lazy("Text message"),
    "wechat": gettext_lazy("WeChat"),
    "visit": gettext_lazy("Visit on site"),
    "other": gettext_lazy("Other"),
}
# Reasons the system writes are stored as message ids and translated when shown.
AUTO_DISPATCH_REASON = gettext_noop("Routed automatically.")
ANSWERED_REASON = gettext_noop("Answered on intake.")
MERGED_UNHAPPY_REASON = gettext_noop(
    "Reopened: the requester of a ticket merged into this one is not satisfied."
)
# Written on the survivor of a merge (action MERGE_IN), so its timeline shows the duplicate.
MERGED_IN_REASON = gettext_noop("Another ticket about the same matter was merged into this one.")
# A caller rang again only to hurry an open demand (来电催办): a supervise event, see urge().
URGE_REASON = gettext_noop("The requester called again to urge it (催办).")
# The close of a case imported closed from a 12345 platform export (imports.py).
IMPORTED_CLOSED_REASON = gettext_noop("Closed on the 12345 platform before the import.")
# A praise (表扬) is passed on to the unit praised and closed: nothing to handle, no deadline
# to run, no callback (see _close).
PRAISE_REASON = gettext_noop("Praise passed on to the unit praised; nothing to handle.")
# Message ids this module stores as `TicketEvent.reason`: translated when shown, unlike
# what people type (reason_text adds the deadline sweep's).
SYSTEM_REASONS = (
    AUTO_DISPATCH_REASON,
    ANSWERED_REASON,
    MERGED_UNHAPPY_REASON,
    MERGED_IN_REASON,
    URGE_REASON,
    IMPORTED_CLOSED_REASON,
    PRAISE_REASON,
)
MERGE_IN = "merge-in"  # an event row on the survivor, not a transition of its own
EDIT = "edit"  # a correction of the ticket's own fields (admin): an event row, not a transition
DEADLINE_FIELDS = ("accept_by", "respond_by", "resolve_by")
HANDLING = HANDLING_STATUSES
# Events that give the ticket to another holder.
HOLDER_CHANGES = ("dispatch", "designate", "escalate", "return")

# action -> (statuses it may start from, status it leads to; None keeps the status)
TRANSITIONS = {
    # From escalated: the unit it was passed up to sends it down again (no return counted).
    # From handling: 交办, the office holding it hands it to an office below (_hand_down).
    "dispatch": ((S.RECEIVED, S.RETURNED, S.ESCALATED, *HANDLING), S.DISPATCHED),
    "accept": ((S.DISPATCHED, S.ESCALATED), S.ACCEPTED),
    "return": ((S.DISPATCHED, S.ESCALATED), S.RETURNED),
    "designate": ((S.RETURNED, S.ESCALATED), S.DISPATCHED),
    "contact": ((*HANDLING, S.ESCALATED), None),
    "extend": ((*HANDLING, S.ESCALATED), None),
    "approve-extension": ((*HANDLING, S.ESCALATED), None),
    "supervise": (OPEN_STATUSES, None),
    # From escalated too: a unit that never signs for an escalated ticket is passed over.
    "escalate": ((S.DISPATCHED, *HANDLING, S.ESCALATED), S.ESCALATED),
    "whistle": ((S.DISPATCHED, S.RETURNED, *HANDLING, S.ESCALATED), None),
    "whistle-report": ((*OPEN_STATUSES, S.RESOLVED, S.CLOSED), None),
    "whistle-rate": ((*OPEN_STATUSES, S.RESOLVED, S.CLOSED), None),
    "resolve": (HANDLING, S.RESOLVED),
    # Leads to closed or reopened, by the answer. A merged ticket's requester is called back
    # too, once the ticket it was merged into is resolved: it stays merged (see _callback).
    "callback": ((S.RESOLVED, S.MERGED), None),
    "reopen": ((S.RESOLVED, S.CLOSED), S.REOPENED),
    # From dispatched: a praise only, once the unit praised has it (_guard, _close).
    "close": ((S.RESOLVED, S.ANSWERED, S.DISPATCHED), S.CLOSED),
    "merge": (
        (S.RECEIVED, S.DISPATCHED, S.RETURNED, S.ACCEPTED, S.IN_PROGRESS, S.ESCALATED),
        S.MERGED,
    ),
    "answer": ((S.RECEIVED,), S.ANSWERED),
}
ACTIONS = tuple(TRANSITIONS)
# What each action is called where people read it (workbench buttons, refusals, the API).
ACTION_LABELS = {
    "dispatch": pgettext_lazy("ticket action", "Dispatch"),
    "designate": pgettext_lazy("ticket action", "Designate"),
    "accept": pgettext_lazy("ticket action", "Accept"),
    "return": pgettext_lazy("ticket action", "Return"),
    "contact": pgettext_lazy("ticket action", "Contact requester"),
    "extend": pgettext_lazy("ticket action", "Request extension"),
    "approve-extension": pgettext_lazy("ticket action", "Decide extension"),
    "supervise": pgettext_lazy("ticket action", "Supervise"),
    "escalate": pgettext_lazy("ticket action", "Escalate"),
    "whistle": pgettext_lazy("ticket action", "Blow the whistle"),
    "whistle-report": pgettext_lazy("ticket action", "Department reports"),
    "whistle-rate": pgettext_lazy("ticket action", "Rate departments"),
    "resolve": pgettext_lazy("ticket action", "Resolve"),
    "callback": pgettext_lazy("ticket action", "Call back"),
    "reopen": pgettext_lazy("ticket action", "Reopen"),
    "close": pgettext_lazy("ticket action", "Close"),
    "merge": pgettext_lazy("ticket action", "Merge as duplicate"),
    "answer": pgettext_lazy("ticket action", "Answer"),
}
# A dispatch from handling (交办, _hand_down): named so where people read it.
HAND_DOWN_LABEL = pgettext_lazy("ticket action", "Hand down")
# The rules permission each action needs (rules.py), e.g. "tickets.accept_ticket".
PERMISSIONS = {action: f"tickets.{action.replace('-', '_')}_ticket" for action in ACTIONS}
# Acts the system itself performs (the deadline sweep).
# "reopen": the survivor of a merge, when a merged ticket's requester is not satisfied.
SYSTEM_ACTIONS = {"dispatch", "supervise", "escalate", "close", "reopen"}


class LifecycleError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message, **detail):
        super().__init__(message)
        self.message = message
        self.detail = detail


class InvalidTransition(LifecycleError):
    status_code = 409
    code = "conflict"


class NotAllowed(LifecycleError):
    status_code = 403
    code = "permission_denied"


class BadParameters(LifecycleError):
    status_code = 400
    code = "invalid"


def extensions_of(ticket, events=None):
    """The ticket's extension requests, oldest first; an approved one that a later reopening
    replaced is marked `lapsed` (the reopening set new deadlines), a pending one the ticket
    can no longer have decided `undecidable`. Uses what the caller
    prefetched (`extensions`) and `events` when given; reads only what is missing."""
    if "extensions" not in getattr(ticket, "_prefetched_objects_cache", {}):
        related = Extension.objects.select_related("requested_by", "decided_by")
        prefetch_related_objects([ticket], Prefetch("extensions", queryset=related))
    extensions = sorted(ticket.extensions.all(), key=lambda x: (x.requested_at, x.pk))
    approved = [x for x in extensions if x.state == Extension.State.APPROVED and x.decided_at]
    reopened = []
    if approved:
        if events is None:
            events = TicketEvent.objects.filter(ticket=ticket, to_status=S.REOPENED)
        reopened = [
            e.at for e in events if e.to_status == S.REOPENED and e.from_status != S.REOPENED
        ]
    # A request still pending once the ticket left handling (resolved, merged, closed) can
    # no longer be decided: shown as such, not as 待审批 for a decision nobody can take.
    decidable = ticket.status in TRANSITIONS["approve-extension"][0]
    for x in extensions:
        x.lapsed = x in approved and any(at >= x.decided_at for at in reopened)
        x.undecidable = x.state == Extension.State.PENDING and not decidable
    return extensions


def reason_text(reason):
    """An event's reason as people read it: the code's own reasons (message ids) translated,
    what people typed as typed, even when it happens to be a message id."""
    from . import sweep  # the sweep writes through this module

    system = {*SYSTEM_REASONS, sweep.SUPERVISE_REASON, sweep.ESCALATE_REASON}
    return _(reason) if reason and reason in system else reason


def urge(ticket, actor, now=None):
    """来电催办: the caller rings about a demand still open, recorded on it (a supervise
    event) instead of a new ticket; → how many times it has been urged."""
    perform(ticket, "supervise", actor, now=now, reason=URGE_REASON)
    return ticket.events.filter(action="supervise", reason=URGE_REASON).count()


def allowed_actions(ticket, user=None):
    """Actions valid in the ticket's state (and, with a user, permitted to them)."""
    actions = [a for a, (sources, _to) in TRANSITIONS.items() if ticket.status in sources]
    if user is not None:  # first: the guards may query, the permissions use the cached scope
        actions = _permitted(user, actions, ticket)
        if "whistle-report" in actions and not _awaits_report_from(ticket, user):
            # Its department reported (once), or its whistle closed: no longer theirs to do.
            # A second report still answers why (409 "already reported"), not 403.
            actions.remove("whistle-report")
    return [a for a in actions if _guard(ticket, a) is None]


def _permitted(user, actions, ticket):
    """[a for a in actions if user.has_perm(PERMISSIONS[a], ticket)], as Django's has_perm
    decides (an active superuser may; else the first backend that grants it, none after one
    that raises PermissionDenied), with the backends loaded once: has_perm loads them anew
    every time, a quarter of its cost, nine times for a ticket just dispatched."""
    if user.is_active and user.is_superuser:
        return list(actions)
    backends = [b for b in auth.get_backends() if hasattr(b, "has_perm")]
    permitted = []
    for action in actions:
        for backend in backends:
            try:
                if backend.has_perm(user, PERMISSIONS[action], ticket):
                    permitted.append(action)
                    break
            except PermissionDenied:
                break
    return permitted


def _awaits_report_from(ticket, user):
    """An open whistle on the ticket summoned one of `user`'s departments, not reported."""
    if user.is_superuser:
        return ticket.whistles.filter(
            closed_at__isnull=True, summonses__reported_at__isnull=True
        ).exists()
    return ticket.whistles.filter(
        closed_at__isnull=True,
        summonses__department_id__in=scope_for(user).department_ids,
        summonses__reported_at__isnull=True,
    ).exists()


RETURN_TOO_LATE = gettext_lazy("Returns are only possible within 1 working day of dispatch.")


def return_by(ticket):
    """Until when the unit a ticket was sent to may return it: 1 working day (DESIGN §4)."""
    return WorkCalendar.load().add_workdays(ticket.dispatched_at or ticket.created_at, 1)


def _guard(ticket, action, now=None):
    """State conditions beyond the table; returns why the action is refused, or None."""
    if action == "callback" and ticket.status == S.MERGED:
        return _merged_callback_refusal(ticket)
    if action == "dispatch" and ticket.status in HANDLING:
        # Only where an office below could take it. A grid or a department may not hand
        # down at all: rules.hands_down says so to all but a superuser, whom no rule stops.
        if not ticket.owner_has_offices_below:
            return _(
                "%(unit)s has no office below it to hand the ticket down to: handle it, "
                "return it or escalate it."
            ) % {"unit": _unit_name(ticket)}
        if not hand_down_units(ticket):
            return _(
                "Nothing below %(unit)s covers where the matter is: handle it, or escalate it."
            ) % {"unit": _unit_name(ticket)}
        return None
    if action == "dispatch" and ticket.return_count >= MAX_RETURNS:
        return _("Returned %(n)s times: the unit above must designate an owner.") % {
            "n": ticket.return_count
        }
    if action == "designate" and ticket.status == S.RETURNED and ticket.return_count < MAX_RETURNS:
        return _("Designation comes after %(n)s returns; dispatch it instead.") % {"n": MAX_RETURNS}
    if action == "return" and ticket.designated:
        return _("This ticket was designated; it can no longer be returned.")
    if action == "return" and (now or timezone.now()) > return_by(ticket):
        # Not offered once the window has passed (the form was, and refused what it sent).
        return str(RETURN_TOO_LATE)
    if action == "extend" and ticket.resolve_by and (now or timezone.now()) > ticket.resolve_by:
        # Not offered once the deadline has passed: the form was, and refused what it sent.
        return _("An extension must be requested before the deadline passes.")
    if action in ("approve-extension", "extend"):
        pending = ticket.extensions.filter(state=Extension.State.PENDING).exists()
        if action == "approve-extension" and not pending:
            return _("There is no pending extension request.")
        if action == "extend" and pending:
            return _("An extension request is already pending.")
    if action == "whistle-rate" or action == "whistle-report":
        if not ticket.whistles.exists():
            return _("No whistle was blown on this ticket.")
    if action == "whistle-rate" and not rateable_summonses(ticket, now).exists():
        return _(
            "No summoned department can be rated now: rate one once it has reported "
            "or its deadline has passed, and only once."
        )
    if action == "answer" and ticket.nature != Nature.CONSULT:
        # Answered on intake and closed with no unit involved: for a question only. A
        # complaint or a hazard waiting at the desk (its filer may be intake staff, a grid
        # worker's own patrol hazard) is dispatched, not closed by a reply.
        return _(
            "Only a consultation is answered at intake: dispatch it to the unit that handles it."
        )
    if action == "close" and ticket.status == S.DISPATCHED and ticket.nature != Nature.PRAISE:
        return _("Only a praise is closed without being handled; this one must be resolved.")
    if action == "contact" and not ticket.reachable:
        return _("Nobody to contact: the requester left no phone and has no account.")
    if action == "escalate" and routing.next_level_up(ticket) is None:
        return _("Nothing above the street: blow the whistle instead.")
    if action == "whistle" and _street_of(ticket) is None:
        return WHISTLE_NEEDS_STREET
    return None


@dataclass
class Change:
    """What a handler wants done: field updates, an event payload, follow-up work."""

    fields: dict
    to_status: str | None = None
    reason: str = ""
    data: dict | None = None
    after: object = None  # callable(ticket, event) run inside the transaction


def perform(ticket, action, actor=None, now=None, expected_version=None, **params):
    """Apply `action` to `ticket`; returns the written TicketEvent. (Acts on a ticket whose
    row the caller holds locked, several sharing one write of the row: Acts.)"""
    if action not in TRANSITIONS:
        raise BadParameters(_("Unknown action %(a)s.") % {"a": action}, allowed=list(ACTIONS))
    now = now or timezone.now()
    with transaction.atomic():
        if action == "merge":
            _lock_pair(ticket, params.get("into"))
        elif action == "callback":
            _lock_merge_chain(ticket.pk)
        row = lock_ticket(ticket.pk)
        event, fields = _apply(row, action, actor, now, expected_version, params)
    # The caller's object sees the new state.
    for name in ("version", *fields):
        setattr(ticket, name, getattr(row, name))
    return event


class Acts:
    """Acts on one ticket whose row lock the caller holds in its transaction, `ticket` read
    as lock_ticket reads it (the sweep, acting on a group of tickets it locked at once):
    each act is checked and applied as perform does, on the ticket as the acts before left
    it; `save` writes the ticket's row once for them all, with the values the last act left
    and the version counted once an act, then their events in one INSERT, in the order of
    the acts (the rows perform would write one by one). The sweep supervises a ticket's
    missed stages and escalates it: one UPDATE and one INSERT, not one of each an act.
    Nothing reads the row again or takes a savepoint: the acts stand or fall with the
    caller's transaction or savepoint. Not for merge and callback, which lock other rows
    first, nor for an act with follow-up work (Change.after), which might read the row
    before it is written, nor for dispatch and return, whose handlers read the ticket's
    events (an earlier act's is not written yet)."""

    REFUSED = {
        "merge": "locks its own rows",
        "callback": "locks its own rows",
        "dispatch": "reads the ticket's events, written only at save",
        "return": "reads the ticket's events, written only at save",
    }

    def __init__(self, ticket):
        if not transaction.get_connection().in_atomic_block:
            raise transaction.TransactionManagementError("a row lock lasts one transaction")
        self.ticket = ticket
        self.read_version = ticket.version
        self.fields = {}  # what the acts changed, to write
        self.events = []  # their events, to write

    def perform(self, action, actor=None, now=None, **params):
        """Apply `action` (see perform); returns its TicketEvent, written by `save`."""
        if action not in TRANSITIONS:
            raise BadParameters(_("Unknown action %(a)s.") % {"a": action}, allowed=list(ACTIONS))
        if action in self.REFUSED:
            raise ValueError(f"{action} {self.REFUSED[action]}")
        event, _fields = _apply(
            self.ticket,
            action,
            actor,
            now or timezone.now(),
            None,
            params,
            unwritten=self.fields,
            events=self.events,
        )
        return event

    def save(self):
        """Write the row, then the events: refused (InvalidTransition) when the row's
        version is no longer the one read, before any event is written."""
        if self.fields:
            acts = self.ticket.version - self.read_version
            _write_row(self.ticket.pk, self.read_version, self.fields, acts)
        if self.events:
            inserts.create_all(self.events)  # notify queues the escalation's notice
            self.events = []


def _apply(locked, action, actor, now, expected_version, params, unwritten=None, events=None):
    """The act on the locked row: the version the caller expects, the table's and the
    guards' refusals, the permission, the handler's change, the versioned update and the
    event; `locked` takes the new state. `unwritten` (Acts): a dict the changed fields go
    into, for the caller to write, instead of the update; `events` (Acts): a list the event
    goes into, unsaved, for the caller to write. → (event, fields changed)."""
    if expected_version is not None and locked.version != expected_version:
        raise InvalidTransition(
            _("The ticket was changed by someone else; reload it."),
            allowed=allowed_actions(locked),
        )
    from_status = locked.status
    sources, to_status = TRANSITIONS[action]
    refusal = None
    if from_status not in sources:
        refusal = _("“%(action)s” is not possible while the ticket is %(status)s.") % {
            "action": ACTION_LABELS[action],
            "status": locked.get_status_display(),
        }
    refusal = refusal or _guard(locked, action, now)
    if refusal:
        raise InvalidTransition(refusal, status=from_status, allowed=allowed_actions(locked))
    if actor is None:
        if action not in SYSTEM_ACTIONS:
            raise NotAllowed(_("Only a person may do this."))
    elif not actor.has_perm(PERMISSIONS[action], locked):
        raise NotAllowed(
            _("You may not “%(action)s” this ticket, or it is outside your area.")
            % {"action": ACTION_LABELS[action]}
        )
    change = HANDLERS[action](locked, actor, now, **params)
    to_status = change.to_status or to_status or from_status
    fields = {**change.fields, "status": to_status, "updated_at": now}
    if unwritten is None:
        _write_row(locked.pk, locked.version, fields, acts=1)
    elif change.after:
        raise ValueError(f"{action}'s follow-up might read the row before Acts.save writes it")
    else:
        unwritten.update(fields)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.version += 1
    event = TicketEvent(
        ticket=locked,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        owner_place_id=locked.owner_place_id,
        owner_department_id=locked.owner_department_id,
        reason=change.reason,
        data=change.data or {},
        at=now,
    )
    if events is None:
        event.save(force_insert=True)
    else:
        events.append(event)
    if change.after:
        change.after(locked, event)
    return event, fields


def _write_row(pk, read_version, fields, acts):
    """The versioned update of a ticket's row: `fields`, the version counted once an act;
    refused when the version is no longer the one the acts were judged on."""
    updated = Ticket.objects.filter(pk=pk, version=read_version).update(
        version=F("version") + acts, **fields
    )
    if updated != 1:  # lost a race the row lock could not prevent
        raise InvalidTransition(_("The ticket was changed by someone else; reload it."))


LOCK_JOINED = ("category", "place", "owner_place", "owner_department")


def lock_ticket(pk):
    """The ticket, its row locked (of=self: related rows stay readable by others), with the
    rows the rules and handlers read about it.

    On PostgreSQL a query that waited for the lock returns the ticket as the other act left
    it, but the joined rows as they were when it started: when that act handed the ticket
    to another unit, the old unit's row no longer matches the new owner id and comes back
    empty (owner_place None beside owner_place_id), so permissions and unit names were
    judged on no owner. The lock is held then, so reading again gives a consistent row."""
    query = Ticket.objects.select_for_update(of=("self",)).select_related(*LOCK_JOINED)
    locked = query.get(pk=pk)
    if joined_stale(locked):
        locked = query.get(pk=pk)
    return locked


def joined_stale(locked):
    """Did the locking query give a ticket whose joined rows (LOCK_JOINED) are those of
    before the act it waited for (lock_ticket)? Read it again, the lock held."""
    return any(
        getattr(locked, f"{name}_id") is not None and getattr(locked, name) is None
        for name in LOCK_JOINED
    )


def open_ticket(ticket, actor, now, dispatch, data=None, route=None):
    """Save a new ticket with its first status and events.

    A ticket a rule routed is dispatched at once (events `create` and
    `dispatch`); one that no rule covers stays `received` at the dispatch desk.
    `route`: the routing.Route that decided its owner, whose rule (or home level) the
    dispatch event names.
    """
    ticket.status = S.DISPATCHED if dispatch else S.RECEIVED
    if dispatch:
        ticket.dispatched_at = now
    common = {
        "ticket": ticket,
        "actor": actor,
        "owner_place_id": ticket.owner_place_id,
        "owner_department_id": ticket.owner_department_id,
        "at": now,
    }
    events = [
        TicketEvent(
            action="create", from_status="", to_status=S.RECEIVED, data=data or {}, **common
        )
    ]
    if dispatch:
        events.append(
            TicketEvent(
                action="dispatch",
                from_status=S.RECEIVED,
                to_status=S.DISPATCHED,
                reason=AUTO_DISPATCH_REASON,
                data={
                    "auto": True,
                    **_unit_data(routing.Route(ticket.owner_place, ticket.owner_department)),
                    **(routing.route_data(route) if route is not None else {}),
                },
                **{**common, "actor": None},
            )
        )
    # Model.save's signals, at a plain INSERT's cost; the events as bulk_create writes
    # them, for half the CPU, in the same statement on PostgreSQL.
    inserts.save_new(ticket, then=events, link="ticket")
    return events


# --- handlers: validate parameters, return the Change -------------------------------------


def _require(value, message):
    if value in (None, "", []):
        raise BadParameters(message)
    return value


def _resolve_unit(unit=None, department=None):
    """A place code or a department code (or id) named by the actor."""
    if department not in (None, ""):
        lookup = {"pk": department} if str(department).isdigit() else {"code": department}
        found = Department.objects.filter(**lookup).first()
        if found is None:
            raise BadParameters(_("Unknown department %(d)s.") % {"d": department})
        return routing.Route(place=None, department=found)
    if unit not in (None, ""):
        found = Place.objects.filter(code=unit).first()
        if found is None or found.level == Level.BUILDING:
            raise BadParameters(_("Unknown unit %(u)s.") % {"u": unit})
        return routing.Route(place=found, department=None)
    return None


def _owner_fields(route):
    """A hand-over (dispatch, designate, escalate): the new holder has not signed for it yet,
    whoever signed before (the events keep that)."""
    return {"owner_place": route.place, "owner_department": route.department, "accepted_at": None}


def _unit_data(route):
    if route.department is not None:
        return {"department": route.department.code, "unit": route.department.name}
    return {"place": route.place.code, "unit": route.place.name}


def _accept_by(ticket, now):
    calendar = WorkCalendar.load()
    (value, unit), _respond, _resolve = sla.limits_for(
        ticket.urgency, ticket.category, ticket.place
    )
    return sla.add_limit(now, value, unit, calendar)


def _dispatch(t, actor, now, unit=None, department=None, reason="", category=None):
    if t.status in HANDLING:
        return _hand_down(t, unit, department, reason, category, now)
    chosen = _confirmed_category(t, category)  # the desk confirms or corrects the category
    route = _resolve_unit(unit, department) or routing.route(t.category, t.place)
    if route.place is None and route.department is None:
        raise BadParameters(_("No unit to dispatch to."))
    if route.dispatch_desk and not (unit or department):
        raise BadParameters(_("No routing rule covers this ticket: name a unit or department."))
    if (
        t.status == S.RETURNED
        and not (unit or department)
        and _handed_back_by(t) == _owner_ids(route)
    ):
        # Back by the same rule to the unit that just returned it: a round trip that ends,
        # after three, in a designation.
        raise BadParameters(
            _("The routing rules would send it back to %(unit)s, which returned it: choose a unit.")
            % {"unit": _unit_data(route)["unit"]}
        )
    if (
        t.status == S.ESCALATED
        and not (unit or department)
        and _handed_back_by(t, "escalate") == _owner_ids(route)
    ):
        # The unit that passed it up could not handle it: sending it back down to them is
        # a choice to make by name (with instructions), not the rules' default.
        raise BadParameters(
            _(
                "The routing rules would send it back to %(unit)s, which held it before it "
                "was passed up: choose a unit."
            )
            % {"unit": _unit_data(route)["unit"]}
        )
    _check_sent_down(t, actor, route)
    fields = {**_owner_fields(route), "dispatched_at": now, "accept_by": _accept_by(t, now)}
    data = _sent_data(t, route)
    if not (unit or department):
        data.update(routing.route_data(route))  # which rule (or home level) chose the unit
    recount = False
    if chosen:
        fields["category"] = t.category
        data["category"] = chosen
        if t.status == S.RECEIVED:
            fields.update(_deadlines_for_category(t))
            recount = True
    _owed_no_sooner_than_signed(t, fields, now, data, recount)
    return Change(fields, reason=reason, data=data)


def hand_down_units(ticket):
    """交办 (小事不出网格): the place offices the office holding a ticket may hand it to:
    strictly below its own place and covering where the matter is (for a street, the
    community and the grid of the ticket's place); every office below for a ticket without
    a place. None for a department (it returns the ticket to the desk or asks for a
    whistle) or a grid (nothing below it)."""
    if not ticket.owner_has_offices_below:
        return []
    owner = ticket.owner_place
    if ticket.place is None:
        below = Place.objects.under(owner, include_self=False)
        return list(below.filter(level__in=(Level.STREET, Level.COMMUNITY, Level.GRID)))
    chain = [*ticket.place.ancestors(), ticket.place]
    return [
        p
        for p in chain
        if p.level != Level.BUILDING and p.path.startswith(owner.path) and p.pk != owner.pk
    ]


def _hand_down(t, unit, department, reason, category, now):
    """交办: the requester's respond_by and resolve_by stay (their time runs on); the unit
    below gets its own accept_by, and its return window from now. What the office held
    (status, signing, accept_by) is kept in the event's data: a return brings it back
    there (_return), not to the dispatch desk."""
    owner = t.owner_place
    if department not in (None, ""):
        raise NotAllowed(
            _(
                "A ticket is handed down to an office below yours, not to a department: "
                "return it to the dispatch desk, or ask the street to blow the whistle."
            )
        )
    if category not in (None, ""):
        raise BadParameters(_("Only the dispatch desk confirms the category."))
    route = _require(_resolve_unit(unit), _("Name the office below yours that takes it."))
    if not route.place.path.startswith(owner.path) or route.place.pk == owner.pk:
        raise NotAllowed(
            _("%(unit)s is not below %(owner)s: a ticket is handed down only within your area.")
            % {"unit": route.place.name, "owner": owner.name}
        )
    if route.place.pk not in {p.pk for p in hand_down_units(t)}:
        raise BadParameters(
            _("%(unit)s does not cover where the matter is (%(place)s).")
            % {"unit": route.place.name, "place": t.place.name if t.place else ""}
        )
    held = {"status": t.status}
    for name in ("accepted_at", "dispatched_at", "accept_by"):
        value = getattr(t, name)
        held[name] = _iso(value) if value else None
    fields = {**_owner_fields(route), "dispatched_at": now, "accept_by": _accept_by(t, now)}
    data = {
        **_unit_data(route),
        "handed_down": {"from": owner.name, "from_place": owner.code, "held": held},
    }
    return Change(fields, reason=reason, data=data)


def _handed_down_by(t, last=None):
    """The `handed_down` data of the 交办 that gave the ticket to its holder, or None when
    it came to them otherwise (dispatch, designation, escalation, a return). `last`: that
    event's (action, data), when read already (_last_hand_over)."""
    last = last or _last_hand_over(t)
    if last is None or last[0] != "dispatch":
        return None
    return (last[1] or {}).get("handed_down")


def _last_hand_over(t):
    """(action, data) of the event that gave the ticket to its holder, or None."""
    return (
        TicketEvent.objects.filter(ticket=t, action__in=HOLDER_CHANGES)
        .order_by("-at", "-id")
        .values_list("action", "data")
        .first()
    )


def _owed_no_sooner_than_signed(t, fields, now, data, recount=False):
    """A dispatch or designation (by the desk, or by the unit above sending an escalated
    ticket down) gives the unit its 签收 window from now (`fields["accept_by"]`); the
    requester's deadlines stay counted from intake (their time ran while the ticket waited),
    but none falls before that window's end: the unit owes first contact no sooner than its
    signature (respond_by, while nobody has contacted the requester, even one passed at the
    desk: nobody is charged for that), nor a resolution (a resolve_by still ahead; one that
    passed at the desk stays, the desk's miss, kpis). An escalation and a 交办 keep them
    as they are: passing a ticket within the ladder buys no time (_escalate). What moved
    goes in `data`: `deadlines` (before/after), and `raised`, the requester's deadlines the
    window replaced, which a return to the desk brings back (_return), also one by a unit
    the ticket was escalated to since (_owed_again). `recount`: the
    fields hold deadlines counted anew (a corrected category), recorded even when only
    accept_by moved."""
    accept_by = fields["accept_by"]
    raised = {}
    respond_by = fields.get("respond_by", t.respond_by)
    # Sent down from escalated, one already passed stays (kpis: not charged to units that
    # got the ticket after it passed). Raised, the unit that missed it, passed the ticket up
    # and got it back was scored on time for its late call, and the unit above that sent it
    # down was charged the miss instead.
    if (
        t.contacted_at is None
        and respond_by is not None
        and respond_by < accept_by
        and not (t.status == S.ESCALATED and respond_by < now)
    ):
        raised["respond_by"] = respond_by
    resolve_by = fields.get("resolve_by", t.resolve_by)
    if resolve_by is not None and now <= resolve_by < accept_by:
        raised["resolve_by"] = resolve_by
    fields.update(dict.fromkeys(raised, accept_by))
    moved = _deadline_change(t, fields)
    if moved and (recount or raised):
        data["deadlines"] = moved
    if raised:
        data["raised"] = {name: _iso(value) for name, value in raised.items()}


def _owed_again(t, now):
    """The requester's deadlines the hand-overs of this round raised to a unit's 签收 window,
    for the desk a return brings the ticket back to: `data.raised` of each dispatch and
    designation since the desk last sent it out (the desk's own, and one by a unit above
    sending an escalated ticket down; _round_raised), undone latest first, each only while
    its deadline is still as that hand-over left it. An escalation or a 交办 in between moves
    none (_escalate), so whichever unit returns the ticket (the one dispatched to, or one it
    was passed up to) the desk gets the requester's back. A resolve_by that passed while the
    units held it stays raised: brought back, it would be a unit's miss (kpis charges
    whoever held the ticket when it passed) though theirs was its accept_by and the ticket
    was returned in time; the desk owes the raised one."""
    current = {name: getattr(t, name) for name in ("respond_by", "resolve_by")}
    restored = {}
    for data in _round_raised(t):
        after = (data.get("deadlines") or {}).get("after") or {}
        for name, value in (data.get("raised") or {}).items():
            if current.get(name) is None or after.get(name) != _iso(current[name]):
                continue
            value = dt.datetime.fromisoformat(value)
            if name == "resolve_by" and value < now:
                continue
            restored[name] = current[name] = value
    return restored


# The hand-overs, and the events that reopened a ticket (a reopen, an unhappy callback).
HOLDER_CHANGES_OR_REOPENINGS = Q(action__in=HOLDER_CHANGES) | Q(
    action__in=("reopen", "callback"), to_status=S.REOPENED
)


def _round_raised(t):
    """The data of the dispatches and designations since the desk last sent `t` out, latest
    first, ending with the desk's own (from received or returned). Escalations and 交办
    (and returns to the office that handed down) are passed over; a reopening ends the
    walk: it started a round of its own, with fresh deadlines."""
    events = (
        TicketEvent.objects.filter(HOLDER_CHANGES_OR_REOPENINGS, ticket=t)
        .order_by("-at", "-id")
        .values_list("action", "from_status", "to_status", "data")
    )
    for action, from_status, to_status, data in events:
        if action not in HOLDER_CHANGES or (action == "return" and to_status == S.RETURNED):
            return  # a reopening, or a return to the desk: the round began after it
        if action in ("dispatch", "designate"):
            yield data or {}
            if from_status in (S.RECEIVED, S.RETURNED):
                return


def _deadlines_for_category(t):
    """A first dispatch that corrects the category the ticket was filed under (one the
    classifier was unsure of): the response and resolve deadlines become the corrected
    category's, counted from when the demand came in, as if it had been filed under it (the
    requester's time ran while it waited at the desk). Later hand-overs keep theirs."""
    deadlines = sla.compute_deadlines(t.urgency, t.category, t.created_at, place=t.place)
    return {"respond_by": respond_by_for(t, deadlines), "resolve_by": deadlines.resolve_by}


def respond_by_for(t, deadlines):
    """The response deadline (first contact with the requester), or None when nobody can
    be contacted: a hazard found on patrol, an anonymous caller who left no phone. No unit
    is judged for a response it cannot make (kpis), nor pressed for it (the sweep)."""
    return deadlines.respond_by if t.reachable else None


def _confirmed_category(t, code):
    """Put the category the dispatcher chose on `t` (routed and timed by it); → [old, new]
    codes when it changed, else None."""
    if code in (None, ""):
        return None
    category = reference.active_category(code)
    if category is None:
        raise BadParameters(_("Unknown category %(c)s.") % {"c": code})
    if category.pk == t.category_id:
        return None
    old = t.category.code if t.category_id else None
    t.category = category
    return [old, category.code]


def _owner_ids(route):
    return (
        route.place.pk if route.place is not None else None,
        route.department.pk if route.department is not None else None,
    )


def _handed_back_by(t, action="return"):
    """(owner_place_id, owner_department_id) of the unit that last returned the ticket (or
    passed it up, `action` "escalate"): the owner before that event."""
    last = (
        TicketEvent.objects.filter(ticket=t, action=action)
        .order_by("-at", "-id")
        .values_list("at", "id")
        .first()
    )
    if last is None:
        return None
    before = Q(at__lt=last[0]) | Q(at=last[0], id__lt=last[1])
    return (
        TicketEvent.objects.filter(before, ticket=t)
        .order_by("-at", "-id")
        .values_list("owner_place_id", "owner_department_id")
        .first()
    )


def _check_sent_down(t, actor, route):
    """An escalated ticket's holder that is no dispatch desk (a community) sends it only
    down its own area: to a place below it."""
    if t.status != S.ESCALATED or actor is None or actor.has_perm("tickets.dispatch_anywhere", t):
        return
    owner = t.owner_place
    below = (
        route.place is not None
        and owner is not None
        and route.place.path.startswith(owner.path)
        and route.place.pk != owner.pk
    )
    if not below:
        raise NotAllowed(_("An escalated ticket can only be sent down within your own area."))


def _sent_data(t, route):
    data = _unit_data(route)
    if t.status == S.ESCALATED:
        data["from_escalated"] = _unit_name(t)  # sent down by the unit it was passed up to
    return data


def _accept(t, actor, now, note=""):
    return Change({"accepted_at": now}, reason=note)


def _return(t, actor, now, reason_code=None, reason=""):
    _require(reason_code, _("A return needs a reason."))
    if reason_code not in RETURN_REASONS:
        raise BadParameters(
            _("Unknown return reason %(r)s.") % {"r": reason_code}, allowed=list(RETURN_REASONS)
        )
    if reason_code == "other":
        _require(reason.strip(), _("Describe the reason for the return."))
    if now > return_by(t):
        raise InvalidTransition(str(RETURN_TOO_LATE))
    last = _last_hand_over(t)
    handed = _handed_down_by(t, last)
    if handed is not None:
        return _return_to_hander(t, handed, reason_code, reason)
    fields = {
        "owner_place": _return_desk(t),
        "owner_department": None,
        "return_count": t.return_count + 1,
    }
    data = {"reason_code": reason_code, "returned_by": _unit_name(t), "returns": t.return_count + 1}
    # Back at the desk the requester's deadlines are as filed: the units' windows go with it,
    # also when the unit returning it got it by an escalation (_owed_again).
    fields.update(_owed_again(t, now))
    if moved := _deadline_change(t, fields):
        data["deadlines"] = moved
    return Change(fields, reason=reason or str(RETURN_REASONS[reason_code]), data=data)


def _return_to_hander(t, handed, reason_code, reason):
    """A ticket handed down (交办) goes back to the office that handed it, as it held it
    (handling, signed for), not to the dispatch desk: the office sorts it out within its
    area. Not counted towards the desk's MAX_RETURNS (no desk dispatched it)."""
    hander = Place.objects.get(code=handed["from_place"])
    held = handed["held"]
    fields = {"owner_place": hander, "owner_department": None}
    for name in ("accepted_at", "dispatched_at", "accept_by"):
        fields[name] = dt.datetime.fromisoformat(held[name]) if held.get(name) else None
    data = {"reason_code": reason_code, "returned_by": _unit_name(t), "returned_to": hander.name}
    return Change(
        fields,
        to_status=held["status"],
        reason=reason or str(RETURN_REASONS[reason_code]),
        data=data,
    )


def _return_desk(t):
    """Where a returned ticket waits: the dispatch desk of its place. One without a place has
    no desk of its own (routing's would be the district's): it goes back to the desk that
    sent it, or the street that dispatched it to its grid loses sight of it."""
    if t.place is not None:
        return routing.dispatch_desk(t.place)
    sent = (
        TicketEvent.objects.filter(ticket=t, action__in=("dispatch", "designate"))
        .order_by("-at", "-id")
        .values_list("at", "id")
        .first()
    )
    if sent is not None:
        before = Q(at__lt=sent[0]) | Q(at=sent[0], id__lt=sent[1])
        sender = (
            TicketEvent.objects.filter(before, ticket=t, owner_department=None)
            .exclude(owner_place=None)
            .order_by("-at", "-id")
            .values_list("owner_place", flat=True)
            .first()
        )
        desk = Place.objects.filter(pk=sender).first() if sender else None
        if desk is not None and desk.level in (Level.STREET, Level.DISTRICT):
            return desk
    return routing.dispatch_desk(None)


def _unit_name(t):
    owner = t.owner_department or t.owner_place
    return owner.name if owner else ""


def _designate(t, actor, now, unit=None, department=None, reason=""):
    route = _require(_resolve_unit(unit, department), _("Name the unit that must take the ticket."))
    _check_sent_down(t, actor, route)
    fields = {
        **_owner_fields(route),
        "designated": True,
        "dispatched_at": now,
        "accept_by": _accept_by(t, now),
    }
    data = _sent_data(t, route)
    _owed_no_sooner_than_signed(t, fields, now, data)
    return Change(fields, reason=reason, data=data)


def _contact(t, actor, now, note="", method="phone"):
    if method not in CONTACT_METHODS:
        raise BadParameters(
            _("Unknown contact method %(m)s: use %(allowed)s.")
            % {"m": method, "allowed": ", ".join(CONTACT_METHODS)},
            allowed=list(CONTACT_METHODS),
        )
    to = S.IN_PROGRESS if t.status in (S.ACCEPTED, S.REOPENED) else None
    fields = {} if t.contacted_at else {"contacted_at": now}
    on_time = bool(t.respond_by and now <= t.respond_by)
    return Change(fields, to_status=to, reason=note, data={"method": method, "on_time": on_time})


def _parse_dt(value, name):
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        from django.utils.dateparse import parse_datetime

        parsed = parse_datetime(str(value or ""))
    if parsed is None:
        raise BadParameters(_("%(name)s must be a date and time (ISO 8601).") % {"name": name})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _extend(t, actor, now, until=None, reason=""):
    until = _parse_dt(until, "until")
    _require(reason.strip(), _("An extension request needs a reason."))
    if t.resolve_by and until <= t.resolve_by:
        # Said with the deadline it must pass: the form shows only the date typed.
        raise BadParameters(
            _("The current deadline is %(d)s; the new deadline must be later.")
            % {"d": timezone.localtime(t.resolve_by).strftime("%Y-%m-%d %H:%M")}
        )
    if t.extensions.filter(state=Extension.State.PENDING).exists():
        raise InvalidTransition(_("An extension request is already pending."))

    def after(ticket, event):
        Extension.objects.create(
            ticket=ticket,
            requested_until=until,
            reason=reason,
            requested_by=actor,
            requested_at=now,
        )

    return Change({}, reason=reason, data={"until": _iso(until)}, after=after)


def _approve_extension(t, actor, now, approve=True, reason=""):
    pending = t.extensions.filter(state=Extension.State.PENDING).get()
    approve = approve not in (False, "false", "False", "0", 0, "no")
    if not approve:
        # The unit that asked reads why, and what to do now (it saw only 未批准).
        _require((reason or "").strip(), _("A refused extension needs a reason."))
    state = Extension.State.APPROVED if approve else Extension.State.REJECTED
    if approve and t.resolve_by and pending.requested_until <= t.resolve_by:
        # Asked before a reopening (or, in events before 2026-11-29, an escalation) gave
        # fresh, later deadlines: approving would move the deadline back.
        raise BadParameters(
            _("The requested deadline %(d)s is not later than the current one; reject it.")
            % {"d": timezone.localtime(pending.requested_until).strftime("%Y-%m-%d %H:%M")}
        )

    def after(ticket, event):
        Extension.objects.filter(pk=pending.pk).update(
            state=state, decided_by=actor, decided_at=now
        )

    fields = {"resolve_by": pending.requested_until} if approve else {}
    data = {"approved": approve, "until": _iso(pending.requested_until)}
    if t.resolve_by:
        data["previous"] = _iso(t.resolve_by)
    return Change(fields, reason=reason, data=data, after=after)


SUPERVISE_NEEDS_REASON = gettext_lazy("Say what you ask of the unit: a supervision needs a reason.")


def _supervise(t, actor, now, reason="", stage=""):
    # A person presses on the unit and must say for what; the sweep and 来电催办 (urge) write
    # their own reasons.
    if actor is not None:
        _require((reason or "").strip(), SUPERVISE_NEEDS_REASON)
    return Change({}, reason=reason, data={"stage": stage or sla.overdue_stage(t, now) or ""})


def _iso(moment):
    """An event's time in the deployment's zone: computed deadlines are local and those read
    from the database UTC, so one event's data mixed +08:00 and +00:00 for the same kind."""
    return timezone.localtime(moment).isoformat()


def _deadline_change(t, fields):
    """{"before": {...}, "after": {...}} of the deadlines `fields` move (ISO times), so no
    deadline changes without a trace in the event's data."""
    before, after = {}, {}
    for name in DEADLINE_FIELDS:
        if name in fields and fields[name] != getattr(t, name):
            old = getattr(t, name)
            before[name] = _iso(old) if old else None
            after[name] = _iso(fields[name]) if fields[name] else None
    return {"before": before, "after": after} if after else None


def _escalate(t, actor, now, reason=""):
    """Policy: passing a ticket up buys no time (DESIGN §4 gives escalation none). The unit
    above gets its own 签收 window (accept_by from the time-limit table, counted from now)
    and nothing more: respond_by and resolve_by are the requester's, moved only by an
    approved extension (a reopening starts a new round). Fresh deadlines here let an office
    hand a ticket down (交办) on the eve of its deadline and have it passed straight back,
    by its grid or by the sweep, with a week more. What was missed before stays missed:
    the KPIs charge it to whoever held the ticket then, and the sweep judges the unit above
    only from now (sweep.due). The event keeps the accept_by it replaced and, as `kept`,
    the requester's deadlines the unit above now owes. Those a late dispatch raised to the
    unit's 签收 window stay raised; if the unit above returns the ticket, the desk gets the
    requester's back, as from the unit dispatched to (_owed_again)."""
    target = routing.next_level_up(t)
    route = routing.Route(place=target, department=None)
    fields = {**_owner_fields(route), "dispatched_at": now, "accept_by": _accept_by(t, now)}
    data = {"from": _unit_name(t), **_unit_data(route), "by_sweep": actor is None}
    changed = _deadline_change(t, fields)
    if changed:
        data["deadlines"] = changed
    data["accept_by"] = _iso(fields["accept_by"])  # said even when no later than before
    kept = {"respond_by": t.respond_by if t.contacted_at is None else None}
    kept["resolve_by"] = t.resolve_by
    data["kept"] = {name: _iso(value) for name, value in kept.items() if value}
    return Change(fields, reason=reason, data=data)


WHISTLE_NEEDS_STREET = gettext_lazy("Only a ticket inside a street can be whistled.")


def _street_of(t):
    if t.place is not None:
        street = t.place.ancestor_at(Level.STREET)
        if street:
            return street
    if t.owner_place is not None:
        return t.owner_place.ancestor_at(Level.STREET)
    return None


def _whistle(t, actor, now, departments=None, report_within_hours=None, reason=""):
    codes = departments or []
    if isinstance(codes, str):
        codes = [c.strip() for c in codes.split(",") if c.strip()]
    _require(codes, _("Name at least one department to summon."))
    _require(reason.strip(), _("Say why the departments are summoned."))
    found = [_resolve_unit(department=c).department for c in codes]
    if report_within_hours in (None, ""):
        report_within_hours = sla.default_whistle_hours(t.urgency)
    try:
        hours = float(report_within_hours)
    except (TypeError, ValueError):
        raise BadParameters(_("report_within_hours must be a number.")) from None
    if not 0 < hours <= 24 * 30:
        raise BadParameters(_("report_within_hours must be between 0 and 720."))
    street = _street_of(t)  # _guard made sure there is one
    report_by = sla.whistle_report_by(t.urgency, now, hours)

    def after(ticket, event):
        whistle = Whistle.objects.create(
            ticket=ticket, street=street, reason=reason, blown_by=actor, blown_at=now
        )
        Summons.objects.bulk_create(
            [Summons(whistle=whistle, department=d, report_by=report_by) for d in found]
        )
        event.data["whistle"] = whistle.pk
        TicketEvent.objects.filter(pk=event.pk).update(data=event.data)

    data = {"departments": [d.code for d in found], "report_by": _iso(report_by)}
    return Change({}, reason=reason, data=data, after=after)


def _open_summons(t, department, waiting):
    """The department's summons this act is about: the oldest still `waiting` (a Q), else
    the newest, to say why not. A department summoned by two whistles reports (and is
    rated) on each in turn; taking the newest always left the first one open forever."""
    summonses = Summons.objects.filter(whistle__ticket=t, department__code=department)
    summonses = summonses.select_related("whistle", "department")
    summons = summonses.filter(waiting).order_by("whistle__blown_at", "pk").first()
    summons = summons or summonses.order_by("-whistle__blown_at", "-pk").first()
    if summons is None:
        raise BadParameters(_("Department %(d)s was not summoned.") % {"d": department})
    return summons


def _whistle_report(t, actor, now, department=None, note=""):
    summons = _open_summons(
        t, _require(department, _("Which department reports?")), Q(reported_at__isnull=True)
    )
    if actor is not None and not actor.has_perm(
        "tickets.report_for_department", summons.department
    ):
        raise NotAllowed(_("Only the summoned department reports for itself."))
    _require(note.strip(), _("Say what the department did."))
    if summons.reported_at:
        raise InvalidTransition(_("This department has already reported."))
    late = now > summons.report_by

    def after(ticket, event):
        Summons.objects.filter(pk=summons.pk).update(reported_at=now, action=note)
        whistle = summons.whistle
        if not whistle.summonses.filter(reported_at__isnull=True).exists():
            Whistle.objects.filter(pk=whistle.pk).update(closed_at=now)

    data = {"department": summons.department.code, "late": late}
    return Change({}, reason=note, data=data, after=after)


def _rateable_q(now):
    return Q(rating__isnull=True) & (Q(reported_at__isnull=False) | Q(report_by__lt=now))


def rateable_summonses(ticket, now=None):
    """Summonses the street may rate now: not rated yet, and reported or past their
    report-by deadline (a department is not judged before it could report)."""
    return Summons.objects.filter(_rateable_q(now or timezone.now()), whistle__ticket=ticket)


def attach_rating_notes(whistles, events):
    """Set `rating_note` on each summons of `whistles` (summonses prefetched, with their
    department) from `events`, the ticket's: the street's note on its rating is kept only
    in the whistle-rate event (its reason, written at the summons' rated_at), so the
    whistle panel showed the rating beside the department and the note only in the
    timeline."""
    notes = {
        ((event.data or {}).get("department"), event.at): event.reason
        for event in events
        if event.action == "whistle-rate"
    }
    for whistle in whistles:
        for summons in whistle.summonses.all():
            key = (summons.department.code, summons.rated_at)
            summons.rating_note = notes.get(key, "") if summons.rated_at else ""


def _whistle_rate(t, actor, now, department=None, rating=None, note=""):
    which = _require(department, _("Which department is rated?"))
    summons = _open_summons(t, which, _rateable_q(now))
    if summons.rating is not None:
        raise InvalidTransition(_("This department has already been rated."))
    if summons.reported_at is None and now <= summons.report_by:
        raise InvalidTransition(
            _("This department has not reported yet and its deadline has not passed.")
        )
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if rating not in Summons.Rating.values:
        raise BadParameters(_("Rating must be 1 (poor) to 4 (excellent)."))

    def after(ticket, event):
        # Only an unrated summons: of two raters at once, one wins (rating set once).
        rated = Summons.objects.filter(pk=summons.pk, rating__isnull=True).update(
            rating=rating, rated_at=now
        )
        if rated != 1:
            raise InvalidTransition(_("This department has already been rated."))

    return Change(
        {}, reason=note, data={"department": summons.department.code, "rating": rating}, after=after
    )


def _resolve(t, actor, now, reply=""):
    _require(reply.strip(), _("Resolving needs a reply to the requester."))
    fields = {"resolution": reply, "resolved_at": now}
    data = {"on_time": bool(t.resolve_by and now <= t.resolve_by)}
    if not t.contacted_at:  # the reply is the first contact: judged now, as a contact is
        fields["contacted_at"] = now
        if t.respond_by:  # else nobody could be contacted: no response to judge
            data["responded_on_time"] = now <= t.respond_by
    return Change(fields, reason=reply, data=data)


def awaits_merged_callback(ticket, survivor=None):
    """A merged ticket whose survivor is resolved, and whose requester has not been called
    back since: DESIGN §4, all requesters are called back."""
    survivor = survivor or ticket.survivor()
    if survivor.pk == ticket.pk or survivor.status not in (S.RESOLVED, S.CLOSED):
        return False
    if survivor.resolved_at is None:  # closed unresolved (a praise passed on): nothing to ask
        return False
    since = survivor.resolved_at
    return not Callback.objects.filter(ticket=ticket, at__gte=since).exists()


LISTED_MERGE_HOPS = 3  # merges of merges listed as due; deeper chains are rare


def merged_callback_q(resolved_before=None):
    """Queryset twin of `awaits_merged_callback`, for merge chains up to LISTED_MERGE_HOPS
    long. Each depth is its own EXISTS on the same ticket, so a query using this (the
    queue's counts) gains no joins over every ticket in scope, and each EXISTS joins its
    chain with inner joins from the merged tickets (the status index). In one EXISTS ORing
    the depths, the joins were outer ones, and PostgreSQL, running the EXISTS once as a
    hashed subplan, hashed every ticket for the deepest hop on each sweep and queue count."""
    found = Q(pk__in=[])
    for hops in range(1, LISTED_MERGE_HOPS + 1):
        survivor = "merged_into__" * hops
        due = {
            f"{survivor}status__in": (S.RESOLVED, S.CLOSED),
            f"{survivor}resolved_at__isnull": False,
        }
        if resolved_before is not None:
            due[f"{survivor}resolved_at__lt"] = resolved_before
        called = Callback.objects.filter(
            ticket=OuterRef("pk"), at__gte=OuterRef(f"{survivor}resolved_at")
        )
        chain = Ticket.objects.filter(~Exists(called), pk=OuterRef("pk"), status=S.MERGED, **due)
        found |= Q(Exists(chain))
    return Q(status=S.MERGED) & found


def _merged_callback_refusal(ticket):
    survivor = ticket.survivor()
    if survivor.status not in (S.RESOLVED, S.CLOSED) or survivor.resolved_at is None:
        return _("Ticket %(code)s, which this one was merged into, is not resolved yet.") % {
            "code": survivor.code
        }
    if not awaits_merged_callback(ticket, survivor):
        return _("The requester was already called back about this resolution.")
    return None


def _callback(t, actor, now, resolved=None, satisfaction=None, note=""):
    if resolved is None or satisfaction is None:
        raise BadParameters(_("A callback records both 'resolved' and 'satisfaction'."))
    resolved = resolved not in (False, "false", "False", "0", 0, "no")
    if satisfaction not in Satisfaction.values:
        raise BadParameters(
            _("Unknown satisfaction %(s)s.") % {"s": satisfaction},
            allowed=list(Satisfaction.values),
        )
    happy = resolved and satisfaction != Satisfaction.DISSATISFIED
    merged = t.status == S.MERGED
    # The unit judged: the one that resolved the matter (for a merged ticket, its survivor's).
    judged = t.survivor() if merged else t
    if merged:
        fields, to_status = {}, None  # the merged ticket stays merged
    else:
        fields = {"closed_at": now} if happy else _reopen_fields(t, now)
        to_status = S.CLOSED if happy else S.REOPENED

    def after(ticket, event):
        Callback.objects.create(
            ticket=ticket,
            resolved=resolved,
            satisfaction=satisfaction,
            note=note,
            owner_place_id=judged.owner_place_id,
            owner_department_id=judged.owner_department_id,
            by=actor,
            at=now,
        )
        if merged and not happy and judged.status in TRANSITIONS["reopen"][0]:
            # Unresolved for this requester: the matter is handled again, by the same unit.
            perform(
                judged,
                "reopen",
                None,
                now=now,
                reason=MERGED_UNHAPPY_REASON,
                after_callback_on=ticket.code,
            )

    data = {"resolved": resolved, "satisfaction": satisfaction}
    if merged:
        data["survivor"] = judged.code
    elif not happy:
        data.update(_reopen_data(t, fields))
    if actor is not None and progress.is_own(actor, t):
        data["by_requester"] = True  # rated in 我的诉求, not asked on the phone
    return Change(fields, to_status=to_status, reason=note, data=data, after=after)


def _reopen_fields(t, now):
    """Policy: a reopened ticket is handled again by the same unit with fresh response and
    resolution deadlines from the time-limit table, counted from the reopening. An
    extension approved in the earlier round lapses with it; `_reopen_data` says so."""
    deadlines = sla.compute_deadlines(t.urgency, t.category, now, place=t.place)
    return {
        "reopen_count": t.reopen_count + 1,
        "resolved_at": None,
        "closed_at": None,
        "accepted_at": now,
        "respond_by": respond_by_for(t, deadlines),
        "resolve_by": deadlines.resolve_by,
        "contacted_at": None,
    }


def _reopen_data(t, fields):
    """What reopening does to the deadlines, for the event's data: the old and new ones,
    and the approved extension (if the deadline was one) that no longer applies."""
    data = {}
    changed = _deadline_change(t, fields)
    if changed:
        data["deadlines"] = changed
    extension = (
        t.extensions.filter(state=Extension.State.APPROVED, requested_until=t.resolve_by)
        .order_by("-decided_at")
        .first()
        if t.resolve_by
        else None
    )
    if extension is not None:
        data["extension_lapsed"] = _iso(extension.requested_until)
    return data


def _reopen(t, actor, now, reason="", after_callback_on=None):
    _require(reason.strip(), _("Reopening needs a reason."))
    fields = _reopen_fields(t, now)
    data = {"after_callback_on": after_callback_on} if after_callback_on else {}
    data.update(_reopen_data(t, fields))
    return Change(fields, reason=reason, data=data)


def _close(t, actor, now, reason=""):
    if t.status == S.RESOLVED:
        _require(reason.strip(), _("Closing without a callback needs a reason."))
    if t.status == S.DISPATCHED:
        # A praise: its deadlines end with it, so no KPI counts it as unanswered or late;
        # the event keeps what they were.
        fields = {"closed_at": now, **dict.fromkeys(DEADLINE_FIELDS)}
        moved = _deadline_change(t, fields)
        return Change(
            fields,
            reason=reason.strip() or PRAISE_REASON,
            data={"deadlines": moved} if moved else {},
        )
    return Change({"closed_at": now}, reason=reason)


def _survivor_lookup(into):
    return {"pk": into} if str(into).isdigit() else {"code": into}


def _lock_pair(ticket, into):
    """Lock a merge's two tickets, lower id first: two desks merging A into B and B into A
    at once would otherwise each see the other ticket open, and leave none open."""
    other = (
        Ticket.objects.filter(**_survivor_lookup(into)).values_list("pk", flat=True) if into else []
    )
    ids = sorted({ticket.pk, *other})
    list(
        Ticket.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
        .values("pk")
    )


def _lock_merge_chain(pk, max_hops=10):
    """Lock a ticket and those it was merged into (Ticket.survivor), lower id first as
    _lock_pair does: a callback on a merged ticket may reopen its survivor. Locking the
    merged ticket, then the survivor, it deadlocked with a merge of the pair (a stale
    page) holding the survivor, the lower id, and waiting for the merged ticket."""
    ids, current = [pk], pk
    for _hop in range(max_hops):
        current = Ticket.objects.values_list("merged_into_id", flat=True).get(pk=current)
        if current is None:
            break
        ids.append(current)
    if len(ids) > 1:
        rows = Ticket.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
        list(rows.values("pk"))


def merge_refusal(survivor):
    """Why `survivor` cannot take a merge, or None: it must still be handled. Into a
    resolved (or closed) one, the merged requester would be called back with a reply
    to another demand, their own handled by nobody."""
    if survivor.status in OPEN_STATUSES:
        return None
    return _(
        "Ticket %(code)s is %(status)s: merge only into a ticket still being handled, or "
        "this requester is called back about a reply nobody made to their demand."
    ) % {"code": survivor.code, "status": survivor.get_status_display()}


def _merge(t, actor, now, into=None, reason=""):
    _require(into, _("Merge into which ticket?"))
    survivor = Ticket.objects.filter(**_survivor_lookup(into)).first()
    # Another area's ticket reads as no ticket: a dispatcher typing codes must not learn
    # which exist elsewhere (docs/permissions.md).
    if survivor is None or (
        actor is not None and not actor.has_perm("tickets.view_ticket", survivor)
    ):
        raise BadParameters(_("Unknown ticket %(t)s.") % {"t": into})
    if survivor.pk == t.pk:
        raise BadParameters(_("A ticket cannot be merged into itself."))
    if survivor.status not in OPEN_STATUSES:  # after the scope: says nothing of others'
        raise InvalidTransition(merge_refusal(survivor))

    def after(ticket, event):
        # The survivor's timeline tells of the duplicate too: an event row, no transition
        # (its status and version stay; its requester is still called back on its own).
        record(
            survivor,
            MERGE_IN,
            actor,
            now,
            reason=MERGED_IN_REASON,
            data={"merged": ticket.pk, "merged_code": ticket.code, "event": event.pk},
        )

    return Change(
        {"merged_into": survivor, "closed_at": now},
        reason=reason,
        data={"into": survivor.pk, "into_code": survivor.code},
        after=after,
    )


def _answer(t, actor, now, answer="", knowledge_answer=None):
    from .models import KnowledgeAnswer

    used = None
    if knowledge_answer:
        used = KnowledgeAnswer.objects.filter(pk=knowledge_answer, active=True).first()
        if used is None:
            raise BadParameters(_("Unknown standard answer."))
        answer = answer or used.answer
    _require((answer or "").strip(), _("An answer is needed."))

    def after(ticket, event):
        if used is not None:
            KnowledgeAnswer.objects.filter(pk=used.pk).update(used_count=F("used_count") + 1)

    data = {"knowledge_answer": used.pk if used else None}
    return Change(
        {"resolution": answer, "resolved_at": now, "contacted_at": now},
        reason=answer,
        data=data,
        after=after,
    )


HANDLERS = {
    "dispatch": _dispatch,
    "accept": _accept,
    "return": _return,
    "designate": _designate,
    "contact": _contact,
    "extend": _extend,
    "approve-extension": _approve_extension,
    "supervise": _supervise,
    "escalate": _escalate,
    "whistle": _whistle,
    "whistle-report": _whistle_report,
    "whistle-rate": _whistle_rate,
    "resolve": _resolve,
    "callback": _callback,
    "reopen": _reopen,
    "close": _close,
    "merge": _merge,
    "answer": _answer,
}


def correct(ticket, actor, values, now=None):
    """Correct fields of a ticket outside the lifecycle (title, category, Open311 `public` …,
    from the admin): under its row lock, only `values` written, one EDIT event with the old
    and new values, the version counted up, so nothing changes without a trace and a
    transition committed meanwhile is neither lost nor overwritten. → the changed fields."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        changes = {}
        for name, value in values.items():
            old = getattr(locked, name)
            if old != value:
                changes[name] = [_plain(old), _plain(value)]
                setattr(locked, name, value)
        if not changes:
            return []
        Ticket.objects.filter(pk=locked.pk).update(
            version=F("version") + 1, updated_at=now, **{n: values[n] for n in changes}
        )
        record(
            locked,
            EDIT,
            actor if getattr(actor, "pk", None) else None,
            now,
            data={"changes": changes},
        )
    return list(changes)


def record(ticket, action, actor, at, reason="", data=None):
    """An event row on `ticket` that changes no status (a merge into it, a correction,
    photos added): who, when, and the unit holding it then, as a transition's row has."""
    return TicketEvent.objects.create(
        ticket=ticket,
        action=action,
        from_status=ticket.status,
        to_status=ticket.status,
        actor=actor,
        owner_place_id=ticket.owner_place_id,
        owner_department_id=ticket.owner_department_id,
        reason=reason,
        data=data or {},
        at=at,
    )


def _plain(value):
    """A field's value as the event's JSON keeps it: a category by its code."""
    if hasattr(value, "code"):
        return value.code
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)
