"""Notifications to the owner's handlers (on dispatch, and before deadlines) and to the
requester (when their demand is resolved, so they can rate it).

- Dispatch (派单, designation, escalation): Django signals on `Ticket` (a new
  ticket saved already dispatched) and `TicketEvent` (a dispatch, designate or
  escalate event) queue `tasks.notify_dispatch` with `transaction.on_commit`, so
  nothing is sent for a rolled-back transaction and intake is not slowed: the
  task runs in a Celery worker (in-process when no broker is configured).
- Deadline reminders (accept_by, resolve_by within GRIDGOV_REMINDER_HOURS): sent
  by the sweep (sweep.py).
- Resolved (办结): a `resolve` event queues `tasks.notify_resolved` the same way. The
  requester is told by email when they have a login with an address: the one named as
  requester, and the one who reported it themselves (随手拍, mini-program). The mail
  carries the reply and the link to 我的诉求, where they rate it (评价). Nobody is told
  when the requester has no login (a hotline caller: the dispatch desk calls them back).

Each notification is claimed once as a `Notice` row (unique per ticket, kind
and key), then sent by email (Django's email backend, to the handlers' user
addresses) and, when GRIDGOV_WEBHOOK_URL is set, as a JSON POST to that URL.
Sending failures are logged, never raised: the ticket's handling does not
depend on them.

The webhook goes only to http(s) and to a public address, checked on the address the
connection is made to (whatever the host name resolves to, now): not to loopback,
private, link-local (169.254.169.254, the cloud's instance metadata), carrier-grade NAT,
multicast or reserved ones, unless GRIDGOV_WEBHOOK_ALLOWED_NETWORKS names their network
(an intranet receiver: "10.20.0.0/16"; a proxy in HTTP(S)_PROXY is such an address
too). A redirect is not followed: it is the receiver's error (urllib would have
followed a 302 to the POST with a GET, to wherever it pointed).

One delivery takes at most WEBHOOK_DEADLINE_S seconds in all (connecting, sending, the
answer's status line and headers), whatever each read takes: WEBHOOK_TIMEOUT_S bounds a
single socket operation only, so a receiver trickling its answer a byte at a time
would otherwise hold the worker for ever. When the time is up the socket is shut down
and the delivery counts as timed out, even if a 200 had come before the headers ended.

A delivery that got no answer (connection refused or reset, a timeout, a name that did
not resolve) or a 5xx is tried again by the `notify_webhook` task (tasks.py) through
Celery's retry, WEBHOOK_RETRIES times at most, after WEBHOOK_BACKOFF_S seconds and twice
as long each time after (30 s, 1, 2, 4, 8 min); never after a 4xx or a redirect (the
receiver refused it: sending it again gets the same answer), nor an address or URL the
webhook may not go to, nor once the notice is stale: the ticket moved on (signed for,
passed to another unit, its deadline met or moved, its callback made), so nobody has
that to do any more. The payload's `notice` is the same on every try, for the receiver
to drop a repeat (a timed-out try may have arrived). Without a broker (the demo) a
webhook is tried once, in the request: nothing would wait for the backoff.

Deliveries are signed (X-Gridgov-Signature: sha256=HMAC-SHA256 of the body with
GRIDGOV_WEBHOOK_SECRET). With DEBUG off (production) a webhook without a secret is not
sent at all ("error: refused unsigned", logged as an error; `gridgov check` reports it):
the receiver could not tell our notices from anyone's. A key derived from SECRET_KEY
was not chosen: the receiver would need it, and handing it out would mean handing out
material derived from the key that signs sessions.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
import weakref
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.people.masking import scrub_text
from gridgov.people.models import Role, RoleAssignment
from gridgov.places.models import Place

from .models import SELF_SERVICE_CHANNELS, Notice, Status, Ticket, TicketEvent
from .rules import OFFICE_ROLE

log = logging.getLogger(__name__)

HOLD_ACTIONS = ("dispatch", "designate", "escalate")
KINDS = ("dispatch", "accept_due", "resolve_due")
WEBHOOK_TIMEOUT_S = 5  # one socket operation
WEBHOOK_DEADLINE_S = 15  # one delivery, all of it
WEBHOOK_RETRIES = 5  # tries after the first, for no answer or a 5xx
WEBHOOK_BACKOFF_S = 30  # before the first retry; doubled for each one after


# --- hooks --------------------------------------------------------------------------------


def _queue(task_name, ticket_id, *args, mark=None):
    """Run the Celery task (tasks.py) once the transaction commits; in-process, without the
    task machinery, when no broker is configured.

    `mark` (a dispatch's, _queue_dispatch): run in-process while it is still the ticket's
    in `_unwritten`, the task is told the ticket is still held (`held`), and does not read
    it again. A worker's run (a broker) always reads it: the ticket may have moved since.
    """
    from . import tasks

    task = getattr(tasks, task_name)

    def send():
        try:
            if task.app.conf.task_always_eager:
                held = mark is not None and _unwritten.get(ticket_id) is mark
                task.run(ticket_id, *args, **({"held": True} if held else {}))
            else:
                task.delay(ticket_id, *args)
        except Exception:  # neither a broker outage nor a mail error may break the act
            log.exception("the %s of ticket %s failed", task_name, ticket_id)

    transaction.on_commit(send)


class _Mark:
    __slots__ = ("__weakref__",)


# Ticket id → the mark of the dispatch notice queued last in this process on the write that
# handed the ticket over, while nothing has written the ticket since (the receivers below
# drop it on any later save of the ticket or event on it). Weak: only the queued callback
# holds the mark, so a rolled-back transaction's entries go with its callbacks.
_unwritten = weakref.WeakValueDictionary()


def _queue_dispatch(ticket_id, owner_place_id, owner_department_id, dispatched_at):
    # Queued by the write that gave the ticket to this owner, open: until another write,
    # the ticket is held by it.
    mark = _unwritten[ticket_id] = _Mark()
    _queue(
        "notify_dispatch",
        ticket_id,
        owner_place_id,
        owner_department_id,
        dispatched_at.isoformat(),
        mark=mark,
    )


@receiver(post_save, sender=TicketEvent, dispatch_uid="gridgov.tickets.notify.event")
def _on_event(sender, instance, created, raw=False, **kwargs):
    _unwritten.pop(instance.ticket_id, None)  # every act on a ticket writes an event
    if created and not raw and instance.action == "resolve":
        _queue("notify_resolved", instance.ticket_id, instance.pk)
    if created and not raw and instance.action in HOLD_ACTIONS:
        _queue_dispatch(
            instance.ticket_id, instance.owner_place_id, instance.owner_department_id, instance.at
        )


@receiver(post_save, sender=Ticket, dispatch_uid="gridgov.tickets.notify.ticket")
def _on_ticket(sender, instance, created, raw=False, **kwargs):
    _unwritten.pop(instance.pk, None)
    # Intake may save a new ticket already dispatched, writing its events in bulk.
    if created and not raw and instance.status == Status.DISPATCHED and instance.dispatched_at:
        _queue_dispatch(
            instance.pk,
            instance.owner_place_id,
            instance.owner_department_id,
            instance.dispatched_at,
        )


# --- who ----------------------------------------------------------------------------------

# owner (place id, department id) → (expires at, [(username, email)]); dropped whenever a
# login or a role assignment is saved in this process, else kept HANDLERS_TTL_S seconds.
_handlers_cache = {}
HANDLERS_TTL_S = 60


@receiver(post_save, sender=RoleAssignment, dispatch_uid="gridgov.tickets.notify.roles")
@receiver(post_delete, sender=RoleAssignment, dispatch_uid="gridgov.tickets.notify.roles-del")
@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="gridgov.tickets.notify.user")
def _forget_handlers(**kwargs):
    _handlers_cache.clear()


def handlers(owner_place_id, owner_department_id):
    """[(username, email)] of the active users handling tickets for this owner: the
    office role of the place's level, or the department's handlers."""
    key = (owner_place_id, owner_department_id)
    cached = _handlers_cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    User = get_user_model()
    users = User.objects.filter(is_active=True, role_assignments__active=True)
    if owner_department_id:
        users = users.filter(
            role_assignments__role=Role.DEPARTMENT_HANDLER,
            role_assignments__department_id=owner_department_id,
        )
    elif owner_place_id:
        level = Place.objects.filter(pk=owner_place_id).values_list("level", flat=True).first()
        role = OFFICE_ROLE.get(level)
        users = users.filter(role_assignments__role=role, role_assignments__place_id=owner_place_id)
        if role is None:
            users = users.none()
    else:
        users = users.none()
    found = list(users.distinct().order_by("id").values_list("username", "email"))
    _handlers_cache[key] = (time.monotonic() + HANDLERS_TTL_S, found)
    return found


def has_audience(owner_place_id, owner_department_id):
    """Would a notification to this owner reach anybody: the webhook, or a handler with an
    e-mail address? (`send` keeps no Notice otherwise, so callers need not queue one.)"""
    if getattr(settings, "GRIDGOV_WEBHOOK_URL", ""):
        return True
    return any(email for _name, email in handlers(owner_place_id, owner_department_id))


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def _title(ticket):
    """The title as notifications carry it: a hotline ticket filed without one takes the
    caller's first words ("我叫张三，电话138…"), which are no business of a group chat or
    a mailbox (copies outside the access log), so phone, ID and e-mail are blanked out and
    the caller's name masked."""
    return scrub_text(ticket.title, (ticket.requester_name,))


def payload(ticket, kind, recipients=()):
    """What the webhook receives. No personal data: handlers read it in the workbench."""
    owner = ticket.owner
    return {
        "event": kind,
        "ticket": {
            "id": ticket.pk,
            "code": ticket.code,
            "title": _title(ticket),
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
        "recipients": [username for username, _email in recipients],
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
        "title": _title(ticket),
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


class WebhookRefused(OSError):
    """The webhook's URL or the address it resolves to is not one it may be sent to."""


def _allowed_networks():
    networks = []
    for entry in (getattr(settings, "GRIDGOV_WEBHOOK_ALLOWED_NETWORKS", "") or "").split(","):
        if entry.strip():
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                log.error("GRIDGOV_WEBHOOK_ALLOWED_NETWORKS: %r is not a network", entry)
    return networks


def may_post_to(address, allowed=None):
    """May the webhook connect to this IP address (a string)?"""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # without an IPv6 zone
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(ip in network for network in (_allowed_networks() if allowed is None else allowed)):
        return True
    return ip.is_global and not ip.is_multicast


class _Deadline:
    """The end of one delivery's time: when it comes, the sockets opened for the delivery
    are shut down, which ends whatever read or write is waiting on them."""

    def __init__(self, seconds):
        self.at = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets = []  # duplicates: TLS detaches the socket it wraps, not the connection
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def remaining(self):
        return self.at - time.monotonic()

    def watch(self, sock):
        with self._lock:
            if self.expired:
                raise TimeoutError("webhook deadline")
            self._sockets.append(sock.dup())

    def _expire(self):
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _connect(
    address,
    timeout=socket._GLOBAL_DEFAULT_TIMEOUT,
    source_address=None,
    deadline=None,
    **_kwargs,
):
    """socket.create_connection, to the resolved addresses the webhook may post to only: the
    check is on the address connected to, so a name resolving elsewhere a moment later
    (DNS rebinding) gains nothing. Within `deadline` (a _Deadline), if given."""
    host, port = address
    allowed, failure = _allowed_networks(), None
    for family, kind, proto, _name, sockaddr in socket.getaddrinfo(
        host, port, 0, socket.SOCK_STREAM
    ):
        if not may_post_to(sockaddr[0], allowed):
            failure = WebhookRefused(f"refused {sockaddr[0]}")
            continue
        if deadline is not None and deadline.remaining() <= 0:
            raise TimeoutError("webhook deadline")
        sock = socket.socket(family, kind, proto)
        try:
            if deadline is not None:
                deadline.watch(sock)
                if timeout is socket._GLOBAL_DEFAULT_TIMEOUT or timeout is None:
                    timeout = deadline.remaining()
                sock.settimeout(max(0.001, min(timeout, deadline.remaining())))
            elif timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            failure = exc
    raise failure or OSError(f"no address for {host}")


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, deadline=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = partial(_connect, deadline=deadline)


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, deadline=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = partial(_connect, deadline=deadline)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline=None):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):
        return self.do_open(partial(_HTTPConnection, deadline=self.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline=None):
        super().__init__()
        self.deadline = deadline

    def https_open(self, req):
        connection = partial(_HTTPSConnection, deadline=self.deadline)
        return self.do_open(connection, req, context=self._context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx


def _opener(deadline=None):
    return urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline), _NoRedirect)


TIMED_OUT = "error: timeout"
UNSIGNED = "error: refused unsigned"


def _unsigned_refused():
    return not settings.DEBUG and not (getattr(settings, "GRIDGOV_WEBHOOK_SECRET", "") or "")


def post_webhook(url, data):
    """POST `data` as JSON; returns a short status ("200", "error: …"). Never raises.
    Takes WEBHOOK_DEADLINE_S at most (TIMED_OUT when that was not enough)."""
    body = json.dumps(data, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "gridgov"}
    secret = getattr(settings, "GRIDGOV_WEBHOOK_SECRET", "") or ""
    if secret:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Gridgov-Signature"] = f"sha256={digest}"
    elif _unsigned_refused():
        log.error("webhook %s not sent: GRIDGOV_WEBHOOK_SECRET is not set", url)
        return UNSIGNED
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        log.warning("webhook %s refused: only http and https URLs", url)
        return f"error: refused {parts.scheme or '?'} URL"[:64]
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with _Deadline(WEBHOOK_DEADLINE_S) as deadline:
        try:
            with _opener(deadline).open(request, timeout=WEBHOOK_TIMEOUT_S) as response:
                status = str(response.status)
        except urllib.error.HTTPError as exc:
            status = f"error: HTTP {exc.code}"
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, WebhookRefused):
                log.warning("webhook %s %s: not a public address", url, exc.reason)
                return f"error: {exc.reason}"[:64]
            status = f"error: {type(exc.reason).__name__}"[:64]
        except Exception as exc:  # network, DNS, timeout: logged, never raised
            status = f"error: {type(exc).__name__}"[:64]
        # Shut down mid-answer, the headers simply end: a 200 then is no answer at all.
        if deadline.expired or status in ("error: TimeoutError", "error: timeout"):
            status = TIMED_OUT
    if status.startswith("error"):
        log.warning("webhook %s failed for %s: %s", url, data.get("event"), status)
    return status


def retryable(status):
    """Is a failed delivery worth another try: no answer (refused, reset, timed out, a
    name not resolved) or a 5xx? Never a 4xx or a redirect (the receiver's answer), nor
    a URL or address the webhook may not go to, nor a success."""
    if not status.startswith("error: "):
        return False
    what = status.removeprefix("error: ")
    if what.startswith("HTTP "):
        return what[5:6] == "5"
    return not what.startswith("refused")


def backoff(retries):
    """Seconds before retry number `retries` + 1 (0 for the first): 30 s, 1, 2, 4, 8 min."""
    return WEBHOOK_BACKOFF_S * 2**retries


def deliver_webhook(notice_id, data):
    """One try of a notice's webhook (the `notify_webhook` task's); its status, also
    written on the Notice. Nothing when the webhook was unset meanwhile."""
    url = getattr(settings, "GRIDGOV_WEBHOOK_URL", "") or ""
    if not url:
        return ""
    status = post_webhook(url, data)
    Notice.objects.filter(pk=notice_id).update(webhook_status=status)
    return status


@checks.register(checks.Tags.security)
def _check_webhook_signed(app_configs=None, **kwargs):
    if getattr(settings, "GRIDGOV_WEBHOOK_URL", "") and _unsigned_refused():
        return [
            checks.Error(
                "GRIDGOV_WEBHOOK_URL is set without GRIDGOV_WEBHOOK_SECRET: with DEBUG off, "
                "unsigned webhooks are not sent.",
                hint="Set GRIDGOV_WEBHOOK_SECRET to a long random string shared with the "
                "receiver, which checks X-Gridgov-Signature.",
                id="gridgov.tickets.E001",
            )
        ]
    return []


def send(ticket, kind, key, now=None, owner=None):
    """Claim and send one notification; returns the Notice, or None when already sent
    (or when there is nobody to tell and no webhook). `owner` (place id, department id)
    defaults to the ticket's current owner."""
    if kind not in KINDS:
        raise ValueError(kind)
    url = getattr(settings, "GRIDGOV_WEBHOOK_URL", "") or ""
    if owner is not None:
        recipients = handlers(*owner)
        if not url and not any(email for _name, email in recipients):
            return None  # nothing to do: not even the ticket is read
    ticket = _ticket(getattr(ticket, "pk", ticket))
    if ticket is None:
        return None
    if owner is None:
        recipients = handlers(ticket.owner_place_id, ticket.owner_department_id)
    addresses = [email for _name, email in recipients if email]
    if not addresses and not url:
        return None
    message = partial(_message, ticket, kind)
    if kind == "dispatch":  # the unit it tells, for the retries to check it still holds it
        owner = owner or (ticket.owner_place_id, ticket.owner_department_id)
    return _deliver(ticket, kind, key, addresses, message, recipients, url, now, owner)


def _ticket(pk):
    return (
        Ticket.objects.select_related("owner_place", "owner_department", "category", "grid")
        .filter(pk=pk)
        .first()
    )


def _deliver(ticket, kind, key, addresses, message, named, url, now=None, owner=None):
    """Claim (ticket, kind, key) once, then email `addresses` (`message()` gives subject
    and body, in the notification language) and post the webhook naming `named` (the
    `notify_webhook` task; `owner` for a dispatch); returns the Notice, or None when it
    was claimed before."""
    notice = claim(ticket, kind, key, now)
    if notice is None:
        return None
    if addresses:
        with translation.override(getattr(settings, "GRIDGOV_NOTIFY_LANGUAGE", "zh-hans")):
            subject, body = message()
        try:
            send_mail(subject, body, None, addresses, fail_silently=False)
        except Exception:
            log.exception("email for %s %s failed", ticket.code, kind)
    Notice.objects.filter(pk=notice.pk).update(recipients=addresses)
    status = ""
    if url:
        data = {**payload(ticket, kind, named), "notice": notice.pk}
        status = _queue_webhook(notice.pk, data, owner)
    notice.recipients, notice.webhook_status = addresses, status
    return notice


def _queue_webhook(notice_id, data, owner):
    """The webhook's first try: queued for a worker (which retries it), or, without a
    broker, tried once here. Returns the status known now ("queued" for a worker's)."""
    from . import tasks

    task = tasks.notify_webhook
    owner = list(owner) if owner else None
    if task.app.conf.task_always_eager:
        return task.run(notice_id, data, owner) or ""
    # Written before queueing: a worker quick to answer writes its status over it.
    Notice.objects.filter(pk=notice_id).update(webhook_status="queued")
    try:
        task.delay(notice_id, data, owner)
    except Exception:  # a broker outage may not break the notification
        log.exception("queueing the webhook of notice %s failed", notice_id)
        Notice.objects.filter(pk=notice_id).update(webhook_status="error: not queued")
        return "error: not queued"
    return "queued"


def requester_addresses(ticket):
    """[(username, email)] of the requester's logins with an address: the person named as
    requester, and whoever reported it themselves on a self-service channel."""
    User = get_user_model()
    who = Q(pk__in=[])
    if ticket.requester_id:
        who |= Q(person__pk=ticket.requester_id)
    if ticket.created_by_id and ticket.channel in SELF_SERVICE_CHANNELS:
        who |= Q(pk=ticket.created_by_id)
    users = User.objects.filter(who, is_active=True).exclude(email="")
    return list(users.order_by("id").values_list("username", "email"))


def send_resolved(ticket_id, event_id):
    """Tell the requester their demand was resolved (with the reply and the link to rate it);
    once per resolve event. Returns the Notice, or None when there is nobody to tell."""
    ticket = _ticket(ticket_id)
    if ticket is None:
        return None
    recipients = requester_addresses(ticket)
    url = getattr(settings, "GRIDGOV_WEBHOOK_URL", "") or ""
    if not recipients and not url:
        return None

    def message():
        reply = TicketEvent.objects.filter(pk=event_id).values_list("reason", flat=True).first()
        return _requester_message(ticket, reply or ticket.resolution)

    addresses = [email for _name, email in recipients]
    # The webhook names no requester: a login may be a phone number.
    return _deliver(ticket, "resolved", f"resolve:{event_id}", addresses, message, (), url)


def _requester_message(ticket, reply):
    link = reverse("tickets:mine-detail", args=[ticket.code])
    site = (getattr(settings, "GRIDGOV_SITE_URL", "") or "").rstrip("/")
    values = {
        "code": ticket.code,
        "title": ticket.title,
        "owner": str(ticket.owner or ""),
        "reply": reply,
        "link": site + link,
    }
    subject = _("Your demand %(code)s has been resolved") % values
    body = (
        _(
            "%(owner)s has resolved your demand %(code)s (%(title)s) and replies:\n\n%(reply)s"
            "\n\nIs it really resolved? Please rate the handling in My demands: %(link)s"
        )
        % values
    )
    return subject, body


def send_dispatch(ticket_id, owner_place_id=None, owner_department_id=None, dispatched_at=None):
    """The dispatch notification to the unit the ticket was given to at `dispatched_at`
    (default: its current owner and dispatch time); once per dispatch."""
    if dispatched_at is None:
        row = (
            Ticket.objects.filter(pk=ticket_id)
            .values_list("owner_place_id", "owner_department_id", "dispatched_at")
            .first()
        )
        if row is None or row[2] is None:
            return None
        owner_place_id, owner_department_id, dispatched_at = row
    if not isinstance(dispatched_at, str):
        dispatched_at = dispatched_at.isoformat()
    owner = (owner_place_id, owner_department_id)
    return send(ticket_id, "dispatch", f"dispatch:{dispatched_at}", owner=owner)
