"""Notifications to the owner's handlers: on dispatch, and before deadlines.

- Dispatch (派单, designation, escalation): Django signals on `Ticket` (a new
  ticket saved already dispatched) and `TicketEvent` (a dispatch, designate or
  escalate event) queue `tasks.notify_dispatch` with `transaction.on_commit`, so
  nothing is sent for a rolled-back transaction and intake is not slowed: the
  task runs in a Celery worker (in-process when no broker is configured).
- Deadline reminders (accept_by, resolve_by within GRIDGOV_REMINDER_HOURS): sent
  by the sweep (sweep.py).

Each notification is claimed once as a `Notice` row (unique per ticket, kind
and key), then sent by email (Django's email backend, to the handlers' user
addresses) and, when GRIDGOV_WEBHOOK_URL is set, as a JSON POST to that URL.
Sending failures are logged, never raised: the ticket's handling does not
depend on them.
"""

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.people.models import Role

from .models import Notice, Status, Ticket, TicketEvent
from .rules import OFFICE_ROLE

log = logging.getLogger(__name__)

HOLD_ACTIONS = ("dispatch", "designate", "escalate")
KINDS = ("dispatch", "accept_due", "resolve_due")
WEBHOOK_TIMEOUT_S = 5


# --- hooks --------------------------------------------------------------------------------


def _queue_dispatch(ticket_id, event_id=None):
    from .tasks import notify_dispatch

    def send():
        try:
            notify_dispatch.delay(ticket_id, event_id)
        except Exception:  # a broker outage must not break the request that dispatched
            log.exception("could not queue the dispatch notification of ticket %s", ticket_id)

    transaction.on_commit(send)


@receiver(post_save, sender=TicketEvent, dispatch_uid="gridgov.tickets.notify.event")
def _on_event(sender, instance, created, raw=False, **kwargs):
    if created and not raw and instance.action in HOLD_ACTIONS:
        _queue_dispatch(instance.ticket_id, instance.pk)


@receiver(post_save, sender=Ticket, dispatch_uid="gridgov.tickets.notify.ticket")
def _on_ticket(sender, instance, created, raw=False, **kwargs):
    # Intake may save a new ticket already dispatched, writing its events in bulk.
    if created and not raw and instance.status == Status.DISPATCHED:
        _queue_dispatch(instance.pk)


# --- who, what ----------------------------------------------------------------------------


def handlers(ticket):
    """Active users handling tickets for the ticket's owner (office role, or department)."""
    User = get_user_model()
    users = User.objects.filter(is_active=True, role_assignments__active=True)
    if ticket.owner_department_id:
        users = users.filter(
            role_assignments__role=Role.DEPARTMENT_HANDLER,
            role_assignments__department_id=ticket.owner_department_id,
        )
    elif ticket.owner_place_id:
        role = OFFICE_ROLE.get(ticket.owner_place.level)
        if role is None:
            return []
        users = users.filter(
            role_assignments__role=role, role_assignments__place_id=ticket.owner_place_id
        )
    else:
        return []
    return list(users.distinct().order_by("id"))


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def payload(ticket, kind, recipients=()):
    """What the webhook receives. No personal data: handlers read it in the workbench."""
    owner = ticket.owner
    return {
        "event": kind,
        "ticket": {
            "id": ticket.pk,
            "code": ticket.code,
            "title": ticket.title,
            "status": ticket.status,
            "urgency": ticket.urgency,
            "category": ticket.category.code if ticket.category_id else None,
            "grid": ticket.grid.code if ticket.grid_id else None,
            "accept_by": _iso(ticket.accept_by),
            "respond_by": _iso(ticket.respond_by),
            "resolve_by": _iso(ticket.resolve_by),
        },
        "owner": {
            "kind": "department" if ticket.owner_department_id else "place",
            "code": owner.code,
            "name": owner.name,
        }
        if owner
        else None,
        "recipients": [u.username for u in recipients],
        "sent_at": _iso(timezone.now()),
    }


def _message(ticket, kind):
    if kind == "dispatch":
        subject = _("New ticket %(code)s: %(title)s")
        body = _("Ticket %(code)s was given to %(owner)s. Sign for it by %(accept_by)s.")
    elif kind == "accept_due":
        subject = _("Sign for ticket %(code)s by %(accept_by)s")
        body = _("Ticket %(code)s (%(title)s) has not been signed for; it is due %(accept_by)s.")
    else:
        subject = _("Ticket %(code)s must be resolved by %(resolve_by)s")
        body = _("Ticket %(code)s (%(title)s) is due %(resolve_by)s.")
    values = {
        "code": ticket.code,
        "title": ticket.title,
        "owner": str(ticket.owner or ""),
        "accept_by": _fmt(ticket.accept_by),
        "resolve_by": _fmt(ticket.resolve_by),
    }
    return subject % values, body % values


def _fmt(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


# --- sending ------------------------------------------------------------------------------


def claim(ticket, kind, key, now=None):
    """The Notice for (ticket, kind, key) if this caller is the first to claim it, else None."""
    try:
        with transaction.atomic():
            return Notice.objects.create(
                ticket=ticket, kind=kind, key=str(key)[:64], at=now or timezone.now()
            )
    except IntegrityError:
        return None


def post_webhook(url, data):
    """POST `data` as JSON; returns a short status ("200", "error: …"). Never raises."""
    body = json.dumps(data, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "gridgov"}
    secret = getattr(settings, "GRIDGOV_WEBHOOK_SECRET", "") or ""
    if secret:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Gridgov-Signature"] = f"sha256={digest}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:  # noqa: S310
            return str(response.status)
    except urllib.error.HTTPError as exc:
        log.warning("webhook %s answered %s for %s", url, exc.code, data.get("event"))
        return f"error: HTTP {exc.code}"
    except Exception as exc:  # network, DNS, timeout: logged, never raised
        log.warning("webhook %s failed for %s: %s", url, data.get("event"), exc)
        return f"error: {type(exc).__name__}"[:64]


def send(ticket, kind, key, now=None):
    """Claim and send one notification; returns the Notice, or None when already sent
    (or when there is nobody to tell and no webhook)."""
    if kind not in KINDS:
        raise ValueError(kind)
    ticket = (
        Ticket.objects.select_related("owner_place", "owner_department", "category", "grid")
        .filter(pk=getattr(ticket, "pk", ticket))
        .first()
    )
    if ticket is None:
        return None
    recipients = handlers(ticket)
    addresses = [u.email for u in recipients if u.email]
    url = getattr(settings, "GRIDGOV_WEBHOOK_URL", "") or ""
    if not addresses and not url:
        return None
    notice = claim(ticket, kind, key, now)
    if notice is None:
        return None
    if addresses:
        with translation.override(getattr(settings, "GRIDGOV_NOTIFY_LANGUAGE", "zh-hans")):
            subject, body = _message(ticket, kind)
        try:
            send_mail(subject, body, None, addresses, fail_silently=False)
        except Exception:
            log.exception("email for %s %s failed", ticket.code, kind)
    status = post_webhook(url, payload(ticket, kind, recipients)) if url else ""
    Notice.objects.filter(pk=notice.pk).update(recipients=addresses, webhook_status=status)
    notice.recipients, notice.webhook_status = addresses, status
    return notice


def send_dispatch(ticket_id, event_id=None):
    """The dispatch notification for a HOLD event (default: the ticket's latest)."""
    events = TicketEvent.objects.filter(ticket_id=ticket_id, action__in=HOLD_ACTIONS)
    event = (
        events.filter(pk=event_id).first() if event_id else events.order_by("-at", "-id").first()
    )
    if event is None:
        return None
    owner = (
        Ticket.objects.filter(pk=ticket_id)
        .values_list("owner_place_id", "owner_department_id")
        .first()
    )
    if owner != (event.owner_place_id, event.owner_department_id):
        return None  # handed on since: the later event tells the new owner
    return send(ticket_id, "dispatch", f"event:{event.pk}", now=event.at)
