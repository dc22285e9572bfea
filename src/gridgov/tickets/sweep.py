"""The deadline sweep (督办、升级、提醒、待回访): a Celery beat task and `gridgov sweep`.

Correctness never depends on the timer: "overdue" is derived from the stored
deadlines and the clock (sla.overdue_q), so a sweep that runs late, twice or
not at all changes no answer about a ticket. What the sweep does:

1. For each open ticket past a deadline, record a `supervise` event (督办) through
   lifecycle.perform, once per stage (accept, respond, resolve) per holder, for
   deadlines that passed while that holder had the ticket: a run that finds the
   event already written does nothing.
2. Escalate (上报) a ticket overdue for more than GRIDGOV_ESCALATION_GRACE_HOURS
   (default 24) — counted from the missed deadline, and never sooner than the
   grace period after the current holder received it (an escalation keeps the
   requester's deadlines, so a ticket that arrives overdue goes on up one grace
   period later unless resolved) — one level up the ladder
   网格 → 社区 → 街道 (a department's ticket goes to the street where it lies),
   through lifecycle.perform(ticket, "escalate", None): a system act. Nothing
   goes above the street; there the street whistles. While an extension request
   (always made before resolve_by passed) waits for a decision, a missed resolve_by
   counts for escalation from the requested deadline, but at most one grace period
   later: the unit asked in time and is not passed over for the approver's delay,
   and the approver gets one grace period more to decide, not the months a request
   may ask for. The missed deadline is still supervised (overdue is overdue).
3. Remind the owner's handlers of accept_by and resolve_by deadlines coming within
   GRIDGOV_REMINDER_HOURS (default 2), once per deadline (notify.py). Only reminders
   with somebody to tell (a handler's address, or the webhook) are sent and counted.
4. List the callbacks due (回访): resolved tickets resolved before the last working day.
"""

import datetime as dt
import functools
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_noop

from gridgov.core import versions
from gridgov.places.models import Level

from . import lifecycle, routing
from .models import OPEN_STATUSES, Extension, Notice, Status, Ticket, TicketEvent
from .sla import overdue_q
from .workdays import WorkCalendar

log = logging.getLogger(__name__)

ESCALATABLE = lifecycle.TRANSITIONS["escalate"][0]
# Tickets a unit holds (not waiting at a dispatch desk): their deadlines are the unit's.
HELD = tuple(s for s in OPEN_STATUSES if s not in (Status.RECEIVED, Status.RETURNED))
REPORT_LIMIT = 200  # codes listed per section of the report; the counts are complete
CHUNK = 500
# Stored as message ids, translated when shown (like lifecycle's system reasons).
SUPERVISE_REASON = gettext_noop("Overdue: supervised by the deadline sweep.")
ESCALATE_REASON = gettext_noop("Overdue past the grace period: escalated by the deadline sweep.")
# Owners with nothing above them on the ladder (routing.next_level_up gives None).
TOP_LEVELS = (Level.STREET, Level.DISTRICT)


def grace():
    return dt.timedelta(hours=float(getattr(settings, "GRIDGOV_ESCALATION_GRACE_HOURS", 24)))


def reminder_lead():
    return dt.timedelta(hours=float(getattr(settings, "GRIDGOV_REMINDER_HOURS", 2)))


@dataclass
class SweepReport:
    now: dt.datetime
    overdue: int = 0
    supervised: list = field(default_factory=list)  # (code, stage)
    escalated: list = field(default_factory=list)  # (code, from unit, to unit)
    # The same escalations with each unit as {kind, code, name}: department and place
    # codes may look alike, so people read names.
    escalated_units: list = field(default_factory=list)
    reminded: list = field(default_factory=list)  # (code, kind)
    callbacks_due: list = field(default_factory=list)
    callbacks_due_count: int = 0
    errors: list = field(default_factory=list)

    def summary(self):
        return {
            "now": self.now.isoformat(),
            "overdue": self.overdue,
            "supervised": len(self.supervised),
            "escalated": len(self.escalated),
            "reminded": len(self.reminded),
            "callbacks_due": self.callbacks_due_count,
            "errors": len(self.errors),
            "escalations": [list(e) for e in self.escalated[:REPORT_LIMIT]],
            "escalations_named": [
                {"ticket": code, "from": before, "to": after}
                for code, before, after in self.escalated_units[:REPORT_LIMIT]
            ],
            "callbacks": self.callbacks_due[:REPORT_LIMIT],
        }


def run(now=None, remind=True):
    """One sweep; see the module docstring. Returns a SweepReport."""
    # One read of the reference data's versions for the whole sweep (as the Celery task gets
    # from its task scope), not one per cached lookup of every act: `gridgov sweep` read them
    # about five times per overdue ticket.
    with versions.scope():
        return _run(now or timezone.now(), remind)


def _run(now, remind):
    report = SweepReport(now=now)
    report.overdue = Ticket.objects.filter(overdue_q(now)).count()
    candidates = (
        Ticket.objects.filter(overdue_q(now))
        .filter(candidates_q(now))
        .select_related("owner_place", "owner_department", "place", "category")
        .order_by("id")
    )
    chunk = []
    for ticket in candidates.iterator(chunk_size=CHUNK):
        chunk.append(ticket)
        if len(chunk) == CHUNK:
            _sweep_chunk(chunk, now, report)
            chunk = []
    _sweep_chunk(chunk, now, report)
    if remind:
        _remind(now, report)
    due = callbacks_due(now)
    report.callbacks_due = list(due.values_list("code", flat=True)[:REPORT_LIMIT])
    report.callbacks_due_count = due.count()
    return report


def candidates_q(now):
    """Q: the overdue tickets a sweep at `now` may act on, a superset of those `due` acts on
    (it still decides each): a missed deadline, not missed already when the holder received
    the ticket, that no supervise event of this holder after it covers; or a holder with a
    level above it (escalation's other conditions are left to `due`). Most overdue tickets
    of a city sit at the street, supervised: reading and screening every one of them in
    Python took seconds a sweep."""
    received = Coalesce("dispatched_at", "created_at")
    escalatable = Q(status__in=ESCALATABLE) & (
        Q(owner_department__isnull=False)
        | Q(owner_place__isnull=True)
        | ~Q(owner_place__level__in=TOP_LEVELS)
    )
    missed = {
        "accept": Q(status__in=(Status.DISPATCHED, Status.ESCALATED), accept_by__lt=now),
        "respond": Q(contacted_at__isnull=True, respond_by__lt=now),
        "resolve": Q(resolve_by__lt=now),
    }
    unsupervised = Q()
    for stage, missed_q in missed.items():
        deadline = f"{stage}_by"
        supervised = TicketEvent.objects.filter(
            # _supervised's test: this holder (null-safe: ids are positive), stage, after it.
            Exact(
                Coalesce("owner_place_id", Value(0)), Coalesce(OuterRef("owner_place_id"), Value(0))
            ),
            Exact(
                Coalesce("owner_department_id", Value(0)),
                Coalesce(OuterRef("owner_department_id"), Value(0)),
            ),
            Exact(KeyTextTransform("stage", "data"), Value(stage)),
            ticket_id=OuterRef("pk"),
            action="supervise",
            at__gt=OuterRef(deadline),
        )
        unsupervised |= missed_q & Q(**{f"{deadline}__gte": received}) & ~Exists(supervised)
    return escalatable | unsupervised


def missed_stages(ticket, now):
    """[(stage, deadline)] of every deadline an open ticket has missed, earliest stage first
    (sla.overdue_stage names only the first)."""
    if ticket.status not in OPEN_STATUSES:
        return []
    missed = []
    if ticket.status in (Status.DISPATCHED, Status.ESCALATED) and ticket.accept_by:
        if now > ticket.accept_by:
            missed.append(("accept", ticket.accept_by))
    if ticket.contacted_at is None and ticket.respond_by and now > ticket.respond_by:
        missed.append(("respond", ticket.respond_by))
    if ticket.resolve_by and now > ticket.resolve_by:
        missed.append(("resolve", ticket.resolve_by))
    return missed


def escalation_clock(missed, pending_until=None):
    """When the escalation grace period starts: the earliest missed deadline; a missed
    resolve_by with an extension request pending counts from the requested deadline, but
    from one grace period after resolve_by at the latest."""

    def start(stage, deadline):
        if stage != "resolve" or pending_until is None:
            return deadline
        return max(deadline, min(pending_until, deadline + grace()))

    return min(start(stage, deadline) for stage, deadline in missed)


def pending_extensions(ticket_ids):
    """{ticket id: requested deadline} of the extension requests awaiting a decision."""
    return dict(
        Extension.objects.filter(
            ticket_id__in=ticket_ids, state=Extension.State.PENDING
        ).values_list("ticket_id", "requested_until")
    )


def supervisions_of(ticket_ids):
    """{ticket id: {(owner, stage, at)}} of the tickets' supervise events (the stages already
    supervised, by holder), in one query; see _needs_action."""
    done = defaultdict(set)
    rows = TicketEvent.objects.filter(ticket_id__in=ticket_ids, action="supervise").values_list(
        "ticket_id", "owner_place_id", "owner_department_id", "data", "at"
    )
    for ticket_id, place_id, department_id, data, at in rows:
        done[ticket_id].add(((place_id, department_id), (data or {}).get("stage"), at))
    return done


def _supervised(supervisions, stage, owner, deadline):
    """Has this stage of this deadline been supervised while this unit held the ticket?"""
    return any(o == owner and st == stage and at > deadline for o, st, at in supervisions)


# Tickets locked and acted on in one transaction: a ticket's own transaction, row lock and
# reads cost as much again as its acts (the first sweep of a city's backlog took minutes).
# Small, so a person acting on one of them waits a second at most.
ACT_GROUP = 25


def _sweep_chunk(tickets, now, report):
    """Screen a chunk in memory (one query for its supervisions); lock and act only on
    the tickets that need a supervision or an escalation, so a steady-state run over many
    overdue tickets costs a few queries per chunk."""
    if not tickets:
        return
    done = supervisions_of([t.pk for t in tickets])
    pending = pending_extensions([t.pk for t in tickets])
    due = [t for t in tickets if _needs_action(t, now, done[t.pk], pending.get(t.pk))]
    for start in range(0, len(due), ACT_GROUP):
        _act_on(due[start : start + ACT_GROUP], now, report)


def _needs_action(ticket, now, supervisions, pending_until=None):
    stages, escalate = due(ticket, now, supervisions, pending_until)
    return bool(stages) or escalate


def due(ticket, now, supervisions, pending_until=None):
    """What a sweep at `now` would do to the ticket as it stands: ([stages it would
    supervise], whether it would escalate), judged from its holder, its deadlines, its
    supervise events (`supervisions`, see supervisions_of) and a pending extension's date."""
    missed = missed_stages(ticket, now)
    if not missed:
        return [], False
    owner = (ticket.owner_place_id, ticket.owner_department_id)
    # When the holder got the ticket; a deadline already missed then is not theirs.
    received = ticket.dispatched_at or ticket.created_at
    stages = [
        stage
        for stage, deadline in missed
        if deadline >= received and not _supervised(supervisions, stage, owner, deadline)
    ]
    earliest = escalation_clock(missed, pending_until)
    top = ticket.owner_place is not None and ticket.owner_place.level in TOP_LEVELS
    escalate = (
        ticket.status in ESCALATABLE
        and now >= max(earliest, received) + grace()
        and (ticket.owner_department_id is not None or not top)
    )
    return stages, escalate


def next_due(ticket, after, supervisions, pending_until=None, escalate=True):
    """The first sweep run later than `after` that would act on the ticket as it stands, or
    None: runs fall every GRIDGOV_SWEEP_MINUTES on the clock. Each deadline and each stage's
    end of grace proposes a run; `due` decides. For replaying the sweep over a past period
    (the demo's history); `escalate=False` asks for supervisions only."""
    missed = missed_stages(ticket, dt.datetime.max.replace(tzinfo=dt.UTC))
    if not missed:
        return None
    received = ticket.dispatched_at or ticket.created_at
    proposed = {deadline for _stage, deadline in missed}
    if escalate:
        proposed |= {max(escalation_clock([m], pending_until), received) + grace() for m in missed}
    # A proposed moment on a run itself is that run's (an escalation one grace period after
    # the sweep escalated it to this holder, say), not the next one's.
    tick = dt.timedelta(microseconds=1)
    for at in sorted({_run_after(max(at - tick, after)) for at in proposed}):
        stages, escalates = due(ticket, at, supervisions, pending_until)
        if stages or (escalate and escalates):
            return at
    return None


def _run_after(moment):
    """The first sweep run strictly after `moment`, runs falling every GRIDGOV_SWEEP_MINUTES
    counted from the epoch (so on the hour for any divisor of 60)."""
    every = dt.timedelta(minutes=float(getattr(settings, "GRIDGOV_SWEEP_MINUTES", 10)))
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return epoch + ((moment - epoch) // every + 1) * every


def sweep_ticket(ticket, now, supervisions, pending_until=None, escalate=True):
    """What a run at `now` does to one ticket (its supervisions and escalation, stamped
    `now`), without the locking of a run's groups: for a ticket nobody acts on meanwhile,
    as in the past the demo replays. `supervisions` as supervisions_of reads them;
    `escalate=False` supervises only. → a SweepReport of what was done."""
    ticket.pending_until = pending_until
    return _handle_overdue(
        ticket, now, supervisions, escalate, functools.partial(lifecycle.perform, ticket)
    )


def _act_on(tickets, now, report, escalate=True):
    """Supervise and escalate a group of screened tickets in one transaction: their rows
    locked first, in id order (as a merge locks its pair), so two sweeps running at once
    cannot both act; then, under the locks, their supervisions and pending extension
    requests read again. A ticket's acts write its row once (lifecycle.Acts) and stand or
    fall together (a savepoint): one a person changed meanwhile is skipped, the others go
    ahead."""
    ids = sorted(t.pk for t in tickets)
    codes = {t.pk: t.code for t in tickets}
    with transaction.atomic():
        pending = Extension.objects.filter(ticket=OuterRef("pk"), state=Extension.State.PENDING)
        query = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related(*lifecycle.LOCK_JOINED)
            .annotate(pending_until=Subquery(pending.values("requested_until")[:1]))
            .order_by("pk")
        )
        locked = {ticket.pk: ticket for ticket in query.filter(pk__in=ids)}
        # As lifecycle.lock_ticket: after waiting for a lock, PostgreSQL gives the ticket as
        # the other act left it but its joined rows as they were; read those again (locked).
        stale = [pk for pk, ticket in locked.items() if lifecycle.joined_stale(ticket)]
        if stale:
            locked.update({ticket.pk: ticket for ticket in query.filter(pk__in=stale)})
        supervisions = supervisions_of(ids)
        for pk in ids:
            if pk not in locked:
                continue
            try:
                # Under this lock, without a savepoint or a read of their own: each act
                # writes its event, the ticket's row is written once they are all done.
                with transaction.atomic():
                    acts = lifecycle.Acts(locked[pk])
                    done = _handle_overdue(
                        locked[pk], now, supervisions[pk], escalate, acts.perform
                    )
                    acts.save()
            except lifecycle.LifecycleError as exc:  # e.g. a person acted on it meanwhile
                report.errors.append((codes[pk], exc.message))
                log.info("sweep skipped %s: %s", codes[pk], exc.message)
                continue
            report.supervised += done.supervised
            report.escalated += done.escalated
            report.escalated_units += done.escalated_units


def _handle_overdue(ticket, now, supervisions, escalate, perform):
    """Supervise a ticket's missed deadlines not supervised yet, and escalate it when due
    (and `escalate`), each act through `perform(action, actor, **params)` (lifecycle.perform
    of the ticket, or lifecycle.Acts.perform when the caller holds its lock); → what was
    done (a SweepReport's lists)."""
    acts = SweepReport(now=now)
    stages, escalates = due(ticket, now, supervisions, ticket.pending_until)
    for stage in stages:
        perform("supervise", None, now=now, stage=stage, reason=SUPERVISE_REASON)
        acts.supervised.append((ticket.code, stage))
    if escalate and escalates and routing.next_level_up(ticket) is not None:
        before = ticket.owner
        perform("escalate", None, now=now, reason=ESCALATE_REASON)
        # perform gave `ticket` its new owner (the place or department itself).
        acts.escalated.append((ticket.code, before.code, ticket.owner.code))
        acts.escalated_units.append((ticket.code, unit_info(before), unit_info(ticket.owner)))
    return acts


def unit_info(owner):
    from gridgov.people.models import Department

    kind = "department" if isinstance(owner, Department) else "place"
    return {"kind": kind, "code": owner.code, "name": owner.name}


def _remind(now, report):
    from . import notify
    from .tasks import notify_deadline

    soon = now + reminder_lead()
    owner = ("owner_place_id", "owner_department_id")
    due = {
        "accept_due": Ticket.objects.filter(
            status__in=(Status.DISPATCHED, Status.ESCALATED), accept_by__gt=now, accept_by__lte=soon
        ).values_list("id", "code", "accept_by", *owner),
        "resolve_due": Ticket.objects.filter(
            status__in=HELD, resolve_by__gt=now, resolve_by__lte=soon
        ).values_list("id", "code", "resolve_by", *owner),
    }
    # Without a broker the task runs here, directly: going through .delay() would open a
    # broker connection for nothing (kombu's "No hostname was supplied" warning).
    eager = notify_deadline.app.conf.task_always_eager
    for kind, rows in due.items():
        rows = list(rows)
        sent = defaultdict(set)
        for ticket_id, key in Notice.objects.filter(
            kind=kind, ticket_id__in=[r[0] for r in rows]
        ).values_list("ticket_id", "key"):
            sent[ticket_id].add(key)
        for ticket_id, code, deadline, place_id, department_id in rows:
            key = deadline.isoformat()
            if key in sent[ticket_id] or not notify.has_audience(place_id, department_id):
                continue  # reminded already, or nobody to tell (no Notice would be kept)
            try:
                if eager:
                    if notify_deadline.run(ticket_id, kind, key) is None:
                        continue  # claimed meanwhile by another sweep
                else:
                    notify_deadline.delay(ticket_id, kind, key)
            except Exception:  # a broker outage: the next sweep tries again
                log.exception("could not send the %s reminder of %s", kind, code)
                continue
            report.reminded.append((code, kind))


def last_workday(today, calendar=None):
    """The last working day on or before `today`."""
    calendar = calendar or WorkCalendar.load()
    day = today
    for _step in range(40):
        if calendar.is_workday(day):
            return day
        day -= dt.timedelta(days=1)
    return today


def callbacks_due(now=None):
    """Tickets waiting for their callback: resolved before the last working day (a callback
    is due the working day after resolution), and tickets merged into one resolved then
    whose requester has not been called back (all requesters are called back)."""
    now = now or timezone.now()
    day = last_workday(timezone.localtime(now).date())
    start = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
    resolved = Q(status=Status.RESOLVED, resolved_at__lt=start)
    return Ticket.objects.filter(resolved | lifecycle.merged_callback_q(start)).order_by(
        Coalesce(
            "resolved_at",
            *(
                "merged_into__" * hops + "resolved_at"
                for hops in range(1, lifecycle.LISTED_MERGE_HOPS + 1)
            ),
        ),
        "id",
    )
