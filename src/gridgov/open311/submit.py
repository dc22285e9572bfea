"""POST requests: Open311 parameters → `tickets.intake.create_ticket`.

Routing, deadlines, classification and idempotency are intake's; this module
only checks and maps the parameters, so every parameter error is answered in
Open311's terms (400 with the parameter's name) and nothing is written when
anything is wrong.
"""

import math
import re
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.places.models import Level, Place
from gridgov.tickets import intake
from gridgov.tickets.models import Nature, Urgency

from .documents import DEFAULT_NATURE
from .formats import Open311Error
from .models import Submission

MAX_DESCRIPTION = 4000
ATTRIBUTE = re.compile(r"^attribute\[(?P<code>[^\]]+)\](?:\[\])?$")
ATTRIBUTES = {"urgency": Urgency, "nature": Nature}
# intake's field names → the Open311 parameter a client sent.
PARAMETER_FOR = {
    "title": "description",
    "description": "description",
    "requester_phone": "phone",
    "requester_name": "first_name",
    "anonymous": "first_name",
    "location": "lat/long",
    "address": "address_string",
    "place": "address_id",
    "category": "service_code",
    "urgency": "attribute[urgency]",
    "nature": "attribute[nature]",
    "photos": "media",
    "channel": "api_key",
    "idempotency_key": "Idempotency-Key",  # a header, not a parameter
}
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class Created:
    ticket: object
    submission: Submission
    created: bool
    # The point sent when it was not taken (intake.Location.reported_point), for the answer.
    reported_point: dict | None = None


def _one(params, name):
    return (params.get(name) or "").strip()


def requester_name(first, last):
    """Chinese names are family name first, without a space; others 'first last'."""
    if _CJK.search(first + last):
        return f"{last}{first}"
    return " ".join(p for p in (first, last) if p)


def _coordinate(raw, name, low, high, errors):
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        errors.append(
            _("%(name)s must be a number from %(low)s to %(high)s, not %(value)s.")
            % {"name": name, "low": low, "high": high, "value": raw}
        )
        return None
    return value


def parse(params, services, errors):
    """Check the parameters; returns the intake data (without the channel) and extras."""
    code = _one(params, "service_code")
    service = None
    if not code:
        errors.append(_("service_code is required."))
    else:
        service = services.get(code)
        if service is None:
            errors.append(
                _("service_code %(c)s is not a service here; GET services for the list.")
                % {"c": code}
            )

    lat_raw, long_raw = _one(params, "lat"), _one(params, "long")
    address_string, address_id = _one(params, "address_string"), _one(params, "address_id")
    lat = lng = None
    if lat_raw or long_raw:
        if not (lat_raw and long_raw):
            errors.append(_("lat and long go together: send both."))
        else:
            lat = _coordinate(lat_raw, "lat", -90, 90, errors)
            lng = _coordinate(long_raw, "long", -180, 180, errors)
    if not (lat_raw or long_raw or address_string or address_id):
        errors.append(_("A location is required: lat and long, address_string or address_id."))
    if address_id and not Place.objects.filter(code=address_id, level=Level.BUILDING).exists():
        errors.append(_("address_id %(a)s is not a known building code.") % {"a": address_id})
    if len(address_string) > 300:
        errors.append(_("address_string may have at most 300 characters."))

    description = _one(params, "description")
    if len(description) > MAX_DESCRIPTION:
        errors.append(
            _("description may have at most %(n)s characters; it has %(m)s.")
            % {"n": f"{MAX_DESCRIPTION:,}", "m": f"{len(description):,}"}
        )

    attributes = {}
    for name in params:
        match = ATTRIBUTE.match(name)
        if match is None:
            continue
        attr = match.group("code")
        choices = ATTRIBUTES.get(attr)
        value = _one(params, name)
        if choices is None:
            errors.append(
                _("Unknown attribute[%(a)s]; this service has: %(known)s.")
                % {"a": attr, "known": ", ".join(f"attribute[{k}]" for k in ATTRIBUTES)}
            )
        elif value and value not in choices.values:
            errors.append(
                _("attribute[%(a)s] must be one of %(allowed)s, not %(v)s.")
                % {"a": attr, "allowed": ", ".join(choices.values), "v": value}
            )
        elif value:
            attributes[attr] = value

    media_url = _one(params, "media_url")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            errors.append(_("media_url must be an http or https URL."))
        if len(media_url) > 1000:
            errors.append(_("media_url may have at most 1,000 characters."))

    first, last = _one(params, "first_name"), _one(params, "last_name")
    name = requester_name(first, last)
    if len(name) > 100:
        errors.append(_("first_name and last_name may have at most 100 characters together."))
    phone = _one(params, "phone")
    if len(phone) > 32:
        errors.append(_("phone may have at most 32 characters."))
    extras = {
        "email": _one(params, "email")[:254],
        "device_id": _one(params, "device_id")[:200],
        "account_id": _one(params, "account_id")[:200],
        "media_url": media_url,
    }
    if errors:
        return None, None, extras
    data = {
        "nature": attributes.get("nature", DEFAULT_NATURE),
        "title": intake.title_from(description, service.name),
        "description": description or service.name,
        "category": service.code,
        "address": address_string,
        "lat": lat,
        "lng": lng,
        "place": address_id or None,
        "requester_name": name,
        "requester_phone": phone,
    }
    if "urgency" in attributes:
        data["urgency"] = attributes["urgency"]
    return service, data, extras


def intake_errors(exc):
    """IntakeError's {field: message} as Open311 descriptions naming the parameters."""
    out = []
    for field, messages in exc.errors.items():
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            out.append(f"{PARAMETER_FOR.get(field, field)}: {message}")
    return out


def create(params, files, key, jurisdiction, services, idempotency_key=None, now=None):
    """Create the ticket for a POST /requests; raises Open311Error on bad input."""
    now = now or timezone.now()
    errors = []
    service, data, extras = parse(params, services, errors)
    uploads = files.getlist("media") if files else []
    if errors:
        raise Open311Error(400, *errors)
    data["channel"] = key.channel

    # Where is it? Checked before intake, so a request outside the jurisdiction writes nothing.
    try:
        where = intake.resolve_location(
            address=data["address"], lat=data["lat"], lng=data["lng"], place_code=data["place"]
        )
    except intake.IntakeError as exc:
        raise Open311Error(400, *intake_errors(exc)) from None
    if jurisdiction is not None:
        area = jurisdiction.place
        if where.place is None:
            # An address we cannot place: the jurisdiction's dispatch desk sorts it out.
            data["place"] = area.code
        elif not where.place.path.startswith(area.path):
            raise Open311Error(
                400,
                _("The location is outside jurisdiction %(j)s (%(name)s).")
                % {"j": jurisdiction.identifier, "name": jurisdiction.name},
            )

    replay_key = f"open311:{key.pk}:{idempotency_key}" if idempotency_key else None
    # No transaction around intake: it reserves the ticket number in a short one of its own.
    try:
        result = intake.create_ticket(
            data, actor=None, idempotency_key=replay_key, photos=uploads, now=now
        )
    except intake.IntakeError as exc:
        raise Open311Error(400, *intake_errors(exc)) from None
    ticket = result.ticket
    submission = Submission.objects.filter(ticket=ticket).first()
    if submission is None:
        submission = Submission.objects.create(
            token=str(uuid.uuid4()),
            api_key=key,
            jurisdiction=jurisdiction,
            service=service,
            ticket=ticket,
            created_at=now,
            **extras,
        )
    if result.created:
        reported = result.location.reported_point if result.location is not None else None
    else:  # a replay answers as the first request was answered
        reported = intake.reported_point_of(ticket)
    return Created(
        ticket=ticket, submission=submission, created=result.created, reported_point=reported
    )
