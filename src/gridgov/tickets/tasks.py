"""Celery tasks of the tickets app: the deadline sweep, notifications, imports.

Without a broker (GRIDGOV_BROKER_URL unset) they run in the calling process.
The sweep is scheduled by `settings.CELERY_BEAT_SCHEDULE` and is also
`gridgov sweep`.
"""

from celery import shared_task


@shared_task(name="gridgov.tickets.sweep")
def sweep_task(remind=True):
    """督办/升级/提醒 over every open ticket; returns the report summary."""
    from . import sweep

    return sweep.run(remind=remind).summary()


@shared_task(name="gridgov.tickets.notify_dispatch", ignore_result=True)
def notify_dispatch(ticket_id, owner_place_id=None, owner_department_id=None, dispatched_at=None):
    from . import notify

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

    notice = notify.send(ticket_id, kind, key)
    return notice.pk if notice else None


@shared_task(bind=True, name="gridgov.tickets.import")
def import_task(
    self, path, mapping=None, channel="hotline", user_id=None, delete_after=False, dry_run=False
):
    """Import an uploaded 12345 file (imports.py); returns the report as a dict
    (`format_error` instead when the file cannot be read or lacks a column). While it
    runs, its state is PROGRESS with {phase, done, total}, for the upload page."""
    import os

    from django.contrib.auth import get_user_model

    from . import imports

    def progress(phase, done, total):
        if not self.request.is_eager:
            self.update_state(state="PROGRESS", meta={"phase": phase, "done": done, "total": total})

    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        report = imports.import_file(
            path,
            mapping=mapping,
            channel=channel,
            actor=actor,
            dry_run=dry_run,
            progress=progress,
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
