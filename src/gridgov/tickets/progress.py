"""What a requester sees of their own demands (我的诉求): which are theirs, and the steps
of each told in plain words.

Only the steps that concern them are shown (filed, passed to a unit, signed for, contacted,
time extended, resolved with the reply, called back, reopened, closed, merged, answered).
Internal acts (returns, supervision, whistles, extension requests) and the names of staff
stay inside: the requester sees units, not people. The photos they added later are a step
of theirs (您补充了 2 张照片); photos staff added are not shown to them.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from .models import SELF_SERVICE_CHANNELS, Satisfaction, Status, Ticket, TicketEvent, TicketPhoto
from .photos import ADD_PHOTOS

PUBLIC_ACTIONS = (
    "create",
    "dispatch",
    "designate",
    "escalate",
    "accept",
    "contact",
    "approve-extension",
    "resolve",
    "answer",
    "callback",
    "reopen",
    "close",
    "merge",
)


# Internal steps the requester sees as the plain word for where their demand is: passed
# up a level it is still being handled (办理中); sent back to the desk it is still received.
PUBLIC_STATUS = {Status.ESCALATED: Status.IN_PROGRESS, Status.RETURNED: Status.RECEIVED}


def public_status(ticket):
    """The status a requester is shown (我的诉求, and the API of their demands)."""
    return PUBLIC_STATUS.get(ticket.status, ticket.status)


# The words a requester reads for a status, where the workbench's are jargon: 已派单 and
# 已签收 are steps of the desk, not news to someone waiting for a fix.
REQUESTER_STATUS_LABELS = {
    Status.DISPATCHED: pgettext_lazy("status, to a requester", "Passed to a unit"),
    Status.ACCEPTED: pgettext_lazy("status, to a requester", "Being handled"),
}


# Resolved and theirs to rate: 已办结 alone read as the end, and the list did not say that
# the demand waits for them.
AWAITING_RATING = pgettext_lazy("status, to a requester", "Resolved, awaiting your rating")


def requester_label(status, may_rate=False):
    """The requester's word for `status` (a public_status), or None for the usual label;
    `may_rate` (progress.may_rate) says the resolved demand waits for their rating."""
    label = AWAITING_RATING if may_rate else REQUESTER_STATUS_LABELS.get(status)
    return str(label) if label else None


def label_for(user, ticket):
    """The requester's word for where `ticket` stands, as `user` (its requester) reads it,
    or None for the status's usual label (我的诉求, the home page and the API alike)."""
    return requester_label(public_status(ticket), may_rate(user, ticket))


def _person_id(user):
    return getattr(getattr(user, "person", None), "pk", None)


def own_q(user):
    """Tickets naming the user (their person record) as requester, or that they reported
    themselves (随手拍, mini-program)."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    query = Q(created_by_id=user.pk, channel__in=SELF_SERVICE_CHANNELS)
    person_id = _person_id(user)
    if person_id:
        query |= Q(requester_id=person_id)
    return query


def own_tickets(user):
    return (
        Ticket.objects.filter(own_q(user))
        .select_related("category", "owner_place", "owner_department", "place", "grid")
        .order_by("-created_at", "-id")
    )


def own_ticket(user, code):
    """The user's own ticket with this code, or None (not theirs, or no such ticket)."""
    return own_tickets(user).filter(code=code).first()


def is_own(user, ticket):
    """The object twin of `own_q`."""
    if not user.is_authenticated:
        return False
    if ticket.created_by_id == user.pk and ticket.channel in SELF_SERVICE_CHANNELS:
        return True
    if ticket.requester_id is None:
        return False  # no person named: no need to look up the user's (a query per intake)
    person_id = _person_id(user)
    return bool(person_id) and ticket.requester_id == person_id


@dataclass
class Step:
    action: str
    at: object
    text: str
    detail: str = ""
    photos: list = field(default_factory=list)  # of the step (the result's, on resolve)


def photos(ticket):
    """The photos of a demand its requester sees: those attached when it was filed, and
    those of the steps shown to them (the result's). A photo is no personal data, but it
    is served only to whoever may see its ticket: staff through the workbench, the
    requester through their own demand, not another ticket's (a survivor's)."""
    return TicketPhoto.objects.filter(ticket=ticket).filter(
        Q(event__isnull=True) | Q(event__action__in=PUBLIC_ACTIONS)
    )


def _unit(event):
    unit = event.owner_department or event.owner_place
    return unit.name if unit else ""


def _step(event):
    unit = _unit(event)
    data = event.data or {}
    action = event.action
    if action == "create":
        return _("Your demand was received.")
    if action in ("dispatch", "designate", "escalate"):
        # An escalation is internal: to the requester it is passed to another unit.
        return _("Passed to %(unit)s.") % {"unit": unit} if unit else None
    if action == "accept":
        return _("%(unit)s took it on.") % {"unit": unit}
    if action == "contact":
        return _("%(unit)s contacted you.") % {"unit": unit}
    if action == "approve-extension":
        if not data.get("approved"):
            return None
        until = parse_datetime(data.get("until") or "")  # stored in UTC: the local day
        day = timezone.localtime(until).date().isoformat() if until else ""
        return _("More time was granted, until %(day)s.") % {"day": day}
    if action == "resolve":
        return _("%(unit)s resolved it and replied.") % {"unit": unit}
    if action == "answer":
        return _("Answered.")
    if action == "callback" and data.get("by_requester"):
        rating = Satisfaction(data["satisfaction"]).label if data.get("satisfaction") else ""
        if event.to_status == Status.REOPENED:
            return _("You rated it (%(rating)s): it is being handled again.") % {"rating": rating}
        return _("You rated it (%(rating)s); the demand is closed.") % {"rating": rating}
    if action == "callback":  # it closes the ticket or reopens it
        if event.to_status == Status.REOPENED:
            return _("We called you back: it is being handled again.")
        return _("We called you back about the result; the demand is closed.")
    if action == "reopen":
        return _("Taken up again.")
    if action == "close":
        return _("Closed.")
    if action == "merge":
        return _("Handled together with other demands about the same matter.")
    if action == ADD_PHOTOS:
        count = len(data.get("photos") or [])
        return ngettext("You added %(count)d photo.", "You added %(count)d photos.", count) % {
            "count": count
        }
    return None


def _events(ticket, after=None, viewer=None):
    # Photos added after filing: a step to whoever added them (staff's are not shown).
    shown = Q(action__in=PUBLIC_ACTIONS)
    if viewer is not None and viewer.pk:
        shown |= Q(action=ADD_PHOTOS, actor_id=viewer.pk)
    events = TicketEvent.objects.filter(shown, ticket=ticket)
    if after is not None:
        events = events.filter(at__gte=after)
    return (
        events.select_related("owner_place", "owner_department")
        .prefetch_related(Prefetch("photos", queryset=TicketPhoto.objects.order_by("id")))
        .order_by("at", "id")
    )


def steps(ticket, viewer=None):
    """The public steps of a ticket, oldest first, and the photos `viewer` (the requester
    reading them) added. A merged ticket goes on with the steps of the ticket it was merged
    into: the matter is handled there (not that one's own filing, merges or callbacks,
    which are another requester's)."""
    result = [_as_step(event, ticket, with_photos=True) for event in _events(ticket, viewer=viewer)]
    if ticket.status == Status.MERGED and ticket.closed_at:
        survivor = ticket.survivor()
        if survivor.pk != ticket.pk:
            theirs = ("create", "merge", "callback")
            result += [
                _as_step(event, survivor, with_photos=False)
                for event in _events(survivor, after=ticket.closed_at)
                if event.action not in theirs
            ]
    return [step for step in result if step is not None]


def _as_step(event, ticket, with_photos):
    text = _step(event)
    if not text:
        return None
    detail = event.reason if event.action == "resolve" else ""
    if event.action == "callback" and (event.data or {}).get("by_requester"):
        detail = event.reason  # their own words
    if event.action == "answer":
        detail = ticket.resolution
    # The photos they added are shown with the demand's own, at the top of its page.
    shown = list(event.photos.all()) if with_photos and event.action != ADD_PHOTOS else []
    return Step(event.action, event.at, text, detail, shown)


def may_rate(user, ticket):
    """The requester rates the result (评价): the callback, when it is due (a resolved
    ticket, or a merged one whose survivor is resolved) and theirs to answer."""
    from .lifecycle import allowed_actions  # lifecycle reads `is_own` from here

    return ticket.status in (Status.RESOLVED, Status.MERGED) and "callback" in allowed_actions(
        ticket, user
    )
