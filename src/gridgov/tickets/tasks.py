"""Celery tasks of the tickets app: the deadline sweep, notifications, imports.

Without a broker (GRIDGOV_BROKER_URL unset) they run in the calling process (an upload of
the import page: in a thread of it, imports.run_in_background).
The sweep is scheduled by `settings.CELERY_BEAT_SCHEDULE` and is also
`gridgov sweep`.

None of them is acknowledged late, and only the webhook is retried by Celery: the sweep
runs again at its next beat (and is safe to run twice at once, see sweep.py), a
notification is claimed once before it is sent (notify.py), and uploads are imported
one after another, so the second of two at once finds the first one's rows imported
(imports.one_at_a_time). A notice's webhook (`notify_webhook`) is retried with backoff
when the receiver did not answer or answered 5xx, while the notice is still current
(notify.py says when).
"""

from celery import shared_task


@shared_task(name="gridgov.tickets.sweep")
def sweep_task(remind=True):
    """督办/升级/提醒 over every open ticket; returns the report summary."""
    from . import sweep

    return sweep.run(remind=remind).summary()


@shared_task(name="gridgov.tickets.notify_dispatch", ignore_result=True)
def notify_dispatch(
    ticket_id, owner_place_id=None, owner_department_id=None, dispatched_at=None, held=False
):
    """`held`: the caller knows the owner still holds the open ticket (notify._queue, run
    in-process right after the write that queued it), so it is not read again."""
    from . import notify

    if (
        dispatched_at is not None
        and not held
        and not _still_held(ticket_id, owner_place_id, owner_department_id)
    ):
        return None
    notice = notify.send_dispatch(ticket_id, owner_place_id, owner_department_id, dispatched_at)
    return notice.pk if notice else None


@shared_task(name="gridgov.tickets.notify_resolved", ignore_result=True)
def notify_resolved(ticket_id, event_id):
    from . import notify

    notice = notify.send_resolved(ticket_id, event_id)
    return notice.pk if notice else None


@shared_task(name="gridgov.tickets.notify_deadline", ignore_result=True)
def notify_deadline(ticket_id, kind, key):
    from . import notify

    if not _deadline_pending(ticket_id, kind, key):
        return None
    notice = notify.send(ticket_id, kind, key)
    return notice.pk if notice else None


# A delivery stops itself at notify.WEBHOOK_DEADLINE_S (15 s); the time limits are the
# backstop for what that cannot reach (a prefork worker's child is replaced at the hard one).
@shared_task(
    bind=True,
    name="gridgov.tickets.notify_webhook",
    ignore_result=True,
    soft_time_limit=45,
    time_limit=60,
)
def notify_webhook(self, notice_id, data, owner=None):
    """Post a notice's webhook; on no answer or a 5xx, retry (Celery's retry, backoff)
    up to notify.WEBHOOK_RETRIES times while the notice is current. Called directly
    (no broker) it tries once. Returns the last status."""
    from . import notify

    retries = self.request.retries or 0
    if retries and not _notice_current(notice_id, owner):
        return _stale(notice_id)
    status = notify.deliver_webhook(notice_id, data)
    if not notify.retryable(status) or self.request.called_directly:
        return status
    if retries >= notify.WEBHOOK_RETRIES:
        return status
    if not _notice_current(notice_id, owner):
        return _stale(notice_id)
    raise self.retry(countdown=notify.backoff(retries), max_retries=notify.WEBHOOK_RETRIES)


def _stale(notice_id):
    """Mark a failed webhook not retried because its notice is stale; the status."""
    from django.db.models import Value
    from django.db.models.functions import Concat, Left

    from .models import Notice

    suffix = " (stale)"
    Notice.objects.filter(pk=notice_id).exclude(webhook_status__endswith=suffix).update(
        webhook_status=Concat(Left("webhook_status", 64 - len(suffix)), Value(suffix))
    )
    return Notice.objects.filter(pk=notice_id).values_list("webhook_status", flat=True).first()


def _notice_current(notice_id, owner=None):
    """Is what a notice tells still so: a dispatch's unit still holds the open ticket, a
    reminder's deadline is still the ticket's and still to be met, a resolved ticket still
    waits for its callback?"""
    from .models import Notice, Status, Ticket

    notice = Notice.objects.filter(pk=notice_id).values_list("ticket_id", "kind", "key").first()
    if notice is None:
        return False
    ticket_id, kind, key = notice
    if kind == "dispatch":  # "sign for it": until it is signed for, by the unit it tells
        status = Ticket.objects.filter(pk=ticket_id).values_list("status", flat=True).first()
        return (
            owner is not None
            and status in REMINDED["accept_due"][1]
            and _still_held(ticket_id, *owner)
        )
    if kind == "resolved":
        status = Ticket.objects.filter(pk=ticket_id).values_list("status", flat=True).first()
        return status == Status.RESOLVED
    return kind in REMINDED and _deadline_pending(ticket_id, kind, key)


# A queued notification runs when a worker gets to it, perhaps after the ticket moved on
# (accepted, resolved, merged, passed to another unit): then it is about nothing anyone
# has to do, and is not sent.


def _still_held(ticket_id, owner_place_id, owner_department_id):
    """Is the ticket still open and held by the unit a dispatch notification tells?"""
    from .models import OPEN_STATUSES, Ticket

    row = (
        Ticket.objects.filter(pk=ticket_id)
        .values_list("status", "owner_place_id", "owner_department_id")
        .first()
    )
    return (
        row is not None
        and row[0] in OPEN_STATUSES
        and (row[1], row[2]) == (owner_place_id, owner_department_id)
    )


# Reminder kind → (the deadline it is about, the statuses in which that deadline runs):
# as the sweep chooses them (sweep._remind).
REMINDED = {
    "accept_due": ("accept_by", ("dispatched", "escalated")),
    "resolve_due": ("resolve_by", None),  # None: sweep.HELD
}


def _deadline_pending(ticket_id, kind, key):
    """Is the deadline a reminder is about (`key`: its time, ISO) still the ticket's, and
    still to be met (not signed for, not resolved, not merged)?"""
    from django.utils.dateparse import parse_datetime

    from .models import Ticket
    from .sweep import HELD

    if kind not in REMINDED:
        return True  # notify.send refuses it
    field, statuses = REMINDED[kind]
    row = Ticket.objects.filter(pk=ticket_id).values_list("status", field).first()
    if row is None:
        return False
    status, deadline = row
    return status in (statuses or HELD) and deadline == parse_datetime(str(key))


@shared_task(bind=True, name="gridgov.tickets.import")
def import_task(
    self,
    path,
    mapping=None,
    channel="hotline",
    user_id=None,
    delete_after=False,
    dry_run=False,
    skip_imported=False,
):
    """Import an uploaded 12345 file (imports.py); returns the report as a dict
    (`format_error` instead when the file cannot be read or lacks a column). While it
    runs, its state is PROGRESS with {phase, done, total}, for the upload page."""
    import os

    from django.contrib.auth import get_user_model

    from . import imports

    def progress(phase, done, total):
        meta = {"phase": phase, "done": done, "total": total}
        if not self.request.is_eager:
            self.update_state(state="PROGRESS", meta=meta)
        else:  # kept for the page if it runs in a thread of the web process (no broker)
            imports.background_progress(self.request.id, meta)

    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        report = imports.import_file(  # one upload after another (imports.one_at_a_time)
            path,
            mapping=mapping,
            channel=channel,
            actor=actor,
            dry_run=dry_run,
            progress=progress,
            skip_imported=skip_imported,
        )
    except (OSError, imports.ImportFormatError) as exc:
        return {"ok": False, "format_error": str(exc)}
    finally:
        if delete_after:
            try:
                os.unlink(path)
            except OSError:
                pass
    return report.as_dict()
