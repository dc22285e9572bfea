"""API keys, jurisdictions, the per-key rate limit and the request log.

The rate limit counts the caller's rows in `RequestLog` over the last minute,
so it holds across processes and web nodes without a shared cache: a key's
own limit (`ApiKey.rate_limit`), or `GRIDGOV_OPEN311_ANON_PER_MINUTE` per IP
address for calls without a key. Refused calls are logged (staff see them)
but do not count.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gridgov.places.models import Level, Place

from .models import ApiKey, Jurisdiction, RequestLog, hash_key

WINDOW = dt.timedelta(minutes=1)
# Log rows older than this are pruned now and then (a 1-in-PRUNE_EVERY chance per call).
PRUNE_EVERY = 500


def anon_per_minute():
    return int(getattr(settings, "GRIDGOV_OPEN311_ANON_PER_MINUTE", 120))


def log_retention_days():
    return int(getattr(settings, "GRIDGOV_OPEN311_LOG_DAYS", 90))


def new_raw_key():
    return secrets.token_urlsafe(24)


def issue_key(raw=None, **fields):
    """Create an ApiKey; returns (key, raw). The raw key is not stored anywhere."""
    raw = raw or new_raw_key()
    key = ApiKey(**fields)
    key.set_key(raw)
    key.save()
    return key, raw


def find_key(raw):
    """The ApiKey for a raw key string (revoked ones too), or None."""
    if not raw:
        return None
    return (
        ApiKey.objects.select_related("jurisdiction__place").filter(key_hash=hash_key(raw)).first()
    )


def revoke(key, user=None, now=None):
    if key.revoked_at is None:
        key.revoked_at = now or timezone.now()
        key.revoked_by = user if getattr(user, "pk", None) else None
        key.save(update_fields=["revoked_at", "revoked_by"])
    return key


# --- jurisdictions ------------------------------------------------------------------------


def find_jurisdiction(identifier):
    """The active Jurisdiction for a jurisdiction_id, or None.

    One per street by default: a street's code works as its jurisdiction_id
    until staff give the street a jurisdiction of their own (the row is made
    on first use).
    """
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    found = Jurisdiction.objects.select_related("place").filter(identifier=identifier).first()
    if found is not None:
        return found if found.active else None
    street = Place.objects.filter(code=identifier, level=Level.STREET).first()
    if street is None or Jurisdiction.objects.filter(place=street).exists():
        return None
    return ensure_jurisdiction(street)


def ensure_jurisdiction(street):
    with transaction.atomic():
        jurisdiction, _created = Jurisdiction.objects.get_or_create(
            place=street, defaults={"identifier": street.code, "name": street.name}
        )
    return jurisdiction


def ensure_street_jurisdictions():
    """A jurisdiction for every street that has none; returns them all."""
    for street in Place.objects.filter(level=Level.STREET, open311_jurisdiction__isnull=True):
        if not Jurisdiction.objects.filter(identifier=street.code).exists():
            ensure_jurisdiction(street)
    return list(Jurisdiction.objects.select_related("place"))


def in_jurisdiction_q(jurisdiction, place_field="place", fallback_field="owner_place"):
    """Tickets located inside the jurisdiction (or, without a location, owned inside it)."""
    path = jurisdiction.place.path
    return Q(**{f"{place_field}__path__startswith": path}) | Q(
        **{f"{place_field}__isnull": True, f"{fallback_field}__path__startswith": path}
    )


# --- rate limit and log -----------------------------------------------------------------


def over_limit(key, ip, now=None):
    """Seconds to wait when the caller used up its minute, else 0."""
    now = now or timezone.now()
    since = now - WINDOW
    rows = RequestLog.objects.filter(at__gt=since).exclude(status=429)
    if key is not None:
        rows, limit = rows.filter(api_key=key), key.rate_limit
    else:
        rows, limit = rows.filter(api_key__isnull=True, ip=ip), anon_per_minute()
    if limit <= 0:
        return 0
    times = list(rows.order_by("-at").values_list("at", flat=True)[:limit])
    if len(times) < limit:
        return 0
    # The oldest call of the last `limit` leaves the window at times[-1] + WINDOW.
    return max(1, int((times[-1] + WINDOW - now).total_seconds()) + 1)


def log_call(request, key, endpoint, fmt, status, ticket=None, now=None):
    from gridgov.people.personal_data import client_ip

    now = now or timezone.now()
    query = "&".join(
        f"{name}={value}"
        for name, values in request.GET.lists()
        if name != "api_key"
        for value in values
    )
    row = RequestLog.objects.create(
        api_key=key,
        ip=client_ip(request),
        method=request.method[:8],
        endpoint=endpoint[:32],
        format=(fmt or "")[:8],
        query=query[:500],
        status=status,
        ticket=ticket,
        at=now,
    )
    if key is not None:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    if row.pk % PRUNE_EVERY == 0:
        prune_log(now)
    return row


def prune_log(now=None):
    cutoff = (now or timezone.now()) - dt.timedelta(days=log_retention_days())
    return RequestLog.objects.filter(at__lt=cutoff).delete()[0]
