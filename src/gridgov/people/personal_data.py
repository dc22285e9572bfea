"""Full views of personal data: check, log, then reveal (DESIGN §8, PIPL).

Everything unmasked goes through `reveal`, so no full view escapes the log.
Other apps (tickets) declare on their model which fields are personal and
which permission unmasks them:

    class Ticket(models.Model):
        PERSONAL_DATA_FIELDS = ("requester_name", "requester_phone")
        PERSONAL_DATA_PERM = "tickets.view_requester"

and call `reveal(request.user, ticket, ["requester_phone"], "web", request)`.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from gridgov.places.models import Place

from .models import AccessLog


class PersonalDataDenied(PermissionDenied):
    """The user may see this object, but not its personal data unmasked."""


class PurposeRequired(ValueError):
    """A full view was asked for without saying why: the access log must record the
    purpose of every view (docs/permissions.md, 查看记录), so nothing is revealed."""


def clean_purpose(purpose):
    """The purpose as logged (trimmed, at most 200 characters), or "" when blank."""
    return (purpose or "").strip()[:200]


def client_ip(request):
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted
    # proxy rewrites it, and the proxy (gunicorn --forwarded-allow-ips) then
    # sets REMOTE_ADDR itself.
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def holds_something(value):
    """Whether a personal-data field holds anything to see (not None, not blank)."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


def _log_row(user, obj, fields, channel, request, purpose, place):
    """The AccessLog row of one full view of `fields` of `obj`, unsaved, listing only the
    fields that hold something; None when none does (nothing was seen in full)."""
    if channel not in AccessLog.Channel.values:
        raise ValueError(f"Unknown access channel {channel!r}")
    fields = [name for name in fields if holds_something(getattr(obj, name, None))]
    if place is None:
        candidate = getattr(obj, "place", None)
        place = candidate if isinstance(candidate, Place) else None
    return AccessLog(
        user=user if getattr(user, "is_authenticated", False) else None,
        subject_type=obj._meta.label_lower,
        subject_id=str(obj.pk),
        fields=fields,
        purpose=clean_purpose(purpose),
        channel=channel,
        ip=client_ip(request),
        place=place,
    )


def log_access(user, obj, fields, channel, request=None, purpose="", place=None):
    """Write the AccessLog row for one full view of `fields` of `obj`.

    Only the fields that hold something are listed: a ticket without an address had
    `address` in its log as if an exact address had been seen."""
    row = _log_row(user, obj, fields, channel, request, purpose, place)
    row.save()
    return row


LOG_BATCH = 1000  # rows an INSERT carries: a 20,000-row export is 20 statements


def log_accesses(user, views, channel, request=None, purpose=""):
    """Write the AccessLog rows of many full views at once: `views` is [(obj, fields,
    place)], each logged as log_access logs one (its own row, only the fields holding
    something), in one bulk insert, all or none. A view with no such field writes no row."""
    rows = [
        _log_row(user, obj, fields, channel, request, purpose, place)
        for obj, fields, place in views
    ]
    rows = [row for row in rows if row.fields]
    with transaction.atomic():
        return AccessLog.objects.bulk_create(rows, batch_size=LOG_BATCH)


def reveal(user, obj, fields=None, channel=AccessLog.Channel.API, request=None, *, purpose=""):
    """Return `{field: value}` unmasked, after checking the permission and logging the view.

    Raises PersonalDataDenied (a PermissionDenied) when the user lacks the
    object's PERSONAL_DATA_PERM, and PurposeRequired when `purpose` is blank;
    nothing is logged then. Callers whose purpose is implied by the page (a ticket's
    handler reaching its requester) pass it themselves, as tickets does.
    """
    allowed = tuple(getattr(obj, "PERSONAL_DATA_FIELDS", ()))
    perm = getattr(obj, "PERSONAL_DATA_PERM", None)
    if not allowed or not perm:
        raise ValueError(f"{obj._meta.label} declares no personal data")
    fields = tuple(fields) if fields else allowed
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"Not personal data of {obj._meta.label}: {sorted(unknown)}")
    if not user.has_perm(perm, obj):
        raise PersonalDataDenied
    # Checked after the permission: a caller without the right learns nothing more.
    if not clean_purpose(purpose):
        raise PurposeRequired
    # The log row is written before anything is returned: no log, no data.
    with transaction.atomic():
        log_access(user, obj, fields, channel, request, purpose)
    return {name: getattr(obj, name) for name in fields}
