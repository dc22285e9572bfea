"""一网受理: one intake for every channel.

`create_ticket` validates a demand, resolves its location on the place tree,
classifies it, computes deadlines, routes it and dispatches it — or leaves it
at the street's dispatch desk — in one transaction. A retried submission with
the same Idempotency-Key returns the ticket created the first time.
"""

import functools
import json
import re
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from gridgov.core import locks
from gridgov.core.phones import is_phone
from gridgov.places import addresses, geo
from gridgov.places.models import Level, Place

from . import lifecycle, reference, routing, sla
from . import photos as photo_files
from .classify import LOW_CONFIDENCE, needs_confirmation, suggest_category
from .models import (
    SELF_SERVICE_CHANNELS,
    Category,
    Channel,
    Nature,
    Status,
    Ticket,
    TicketCounter,
    Urgency,
)
from .rules import DESK_CHANNELS

# Natures whose requester must be reachable, so the callback can happen.
NEEDS_CONTACT = {Nature.HELP, Nature.COMPLAINT}
# Channels where staff found the matter themselves: no requester to call back.
STAFF_CHANNELS = {Channel.PATROL}

# What a person types or pastes at intake, with the label an error names it by.
TEXT_FIELDS = {
    "title": gettext_lazy("Title"),
    "description": gettext_lazy("Description"),
    "address": gettext_lazy("Address"),
    "requester_name": gettext_lazy("Requester name"),
}
# Control characters a paste brings along unseen (Word, web pages, chat apps, terminals):
# the C0 set but tab, LF and CR, and DEL. Dropped at intake, so what is stored is what the
# operator saw on the screen. NUL is refused instead (clean_text).
INVISIBLE_CONTROLS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


TITLE_CHARS = 30  # a title made from the description: a line in a list, not a paragraph
_SENTENCE_END = re.compile(r"[。！？!?\n；;]")
_WORD = "[0-9A-Za-z@._-]"  # of a number, an e-mail address, an account name
_WORD_CHAR = re.compile(_WORD)
_TRAILING_WORD = re.compile(_WORD + "+$")


def title_from(description, fallback=""):
    """The first sentence of the description, at most TITLE_CHARS characters: the title of
    a demand given without one (a caller's words, an Open311 report, an imported row)."""
    text = (description or "").strip()
    if not text:
        return fallback
    first = _SENTENCE_END.split(text, maxsplit=1)[0].strip() or text
    if len(first) <= TITLE_CHARS:
        return first
    cut = first[: TITLE_CHARS - 1]
    if _WORD_CHAR.match(first[TITLE_CHARS - 1]):
        # A phone or ID number cut in two no longer looks like one to the masking of
        # notifications and Open311 (1101011…): the cut number is left out.
        cut = _TRAILING_WORD.sub("", cut)
    return cut + "…"


class IntakeError(Exception):
    """Bad input: `errors` maps field names to messages."""

    status_code = 400

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


# An address naming a district or street that is not ours (places.addresses.OurRegions).
FOREIGN_ADDRESS = gettext_noop("The address is in %(p)s, which is outside our area.")
# The same said to a desk taking the demand in (热线, 窗口), with what to do next.
FOREIGN_ADDRESS_AT_DESK = gettext_noop(
    "The address is in %(p)s, which is outside our area: check the address; if it is right, "
    "refer the demand to that area's 12345 hotline."
)
KEY_REUSED = gettext_noop(
    "This Idempotency-Key was already used for a different demand (ticket %(ticket)s); "
    "a new demand needs a new key. Nothing was filed."
)


class IdempotencyConflict(IntakeError):
    """An Idempotency-Key sent again with another demand than the one it filed: a client
    bug (a key reused, a form edited after it was sent) that a silent replay of the first
    ticket would hide (IETF draft-ietf-httpapi-idempotency-key-header: 422)."""

    status_code = 422

    def __init__(self, ticket):
        super().__init__({"idempotency_key": _(KEY_REUSED) % {"ticket": ticket.code}})
        self.ticket = ticket


EXTERNAL_ID_TAKEN = gettext_noop(
    "A demand with the external id %(external_id)s came in on this channel before "
    "(ticket %(ticket)s). Nothing was filed."
)
# To a sender who may not see that ticket (another area's, a resident's app): the refusal
# still stops a second ticket, but names none.
EXTERNAL_ID_TAKEN_UNNAMED = gettext_noop(
    "A demand with the external id %(external_id)s came in on this channel before. "
    "Nothing was filed."
)


class ExternalIdTaken(IntakeError):
    """A demand whose channel and external id (the sending platform's own case number) a
    ticket already has: the same case pushed twice, which the 12345 import refuses as
    "already imported". Unlike an Idempotency-Key, which replays its first answer to the
    same caller, this is refused (409) whoever sends it, naming the ticket it became only
    to an `actor` who may view it (`ticket` is None otherwise): the answer must not tell
    others which ticket, in which area, a case number became."""

    status_code = 409

    def __init__(self, ticket, external_id, actor=None):
        if actor is not None and not actor.has_perm("tickets.view_ticket", ticket):
            ticket = None
        if ticket is None:
            message = _(EXTERNAL_ID_TAKEN_UNNAMED) % {"external_id": external_id}
        else:
            message = _(EXTERNAL_ID_TAKEN) % {"external_id": external_id, "ticket": ticket.code}
        super().__init__({"external_id": message})
        self.ticket = ticket
        self.external_id = external_id


def _taken(channel, external_id):
    """The ticket that came in on `channel` with `external_id` before, if any (the same
    test as the import's: imports.TicketImport._check_already_imported)."""
    if not external_id:
        return None
    return (
        Ticket.objects.filter(channel=channel, external_id=external_id)
        .order_by("id")
        .only("id", "code")
        .first()
    )


def request_digest(data, photos=()):
    """What a request asked for, as a short keyed digest kept on the ticket's create event,
    so a retry can be told from another demand under the same key. Keyed (SECRET_KEY):
    the fields hold a phone number, which a plain hash would give away to anyone trying
    every number."""
    fields = sorted((name, str(value)) for name, value in data.items())
    files = [(getattr(f, "name", ""), getattr(f, "size", None)) for f in photos]
    payload = json.dumps([fields, files], ensure_ascii=False)
    return salted_hmac("gridgov.tickets.intake.request", payload).hexdigest()[:32]


def _replayed(key, digest):
    """The ticket an earlier request with this key filed, if any; refused when it was filed
    for another demand (tickets filed before digests were kept are taken as they are)."""
    existing = Ticket.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    filed = existing.events.filter(action="create").values_list("data", flat=True).first()
    if (filed or {}).get("request_digest", digest) != digest:
        raise IdempotencyConflict(existing)
    return IntakeResult(ticket=existing, created=False)


@dataclass
class Location:
    place: Place | None = None
    grid: Place | None = None
    building: Place | None = None
    how: str = "none"
    candidates: list = field(default_factory=list)
    # A point sent with a building (by address or code) that lies outside the building's
    # grid: {"lat", "lng", "grid": the code of the grid it lies in, None outside our area}.
    # Not the ticket's point (point_for): kept in the create event's data.
    reported_point: dict | None = None

    def point_for(self, lat, lng):
        """The ticket's (lat, lng): the point sent, unless it lies outside the building's
        grid (reported_point), then the building's own point (None, None when it has
        none). The map and Open311 then show the ticket where it is counted."""
        if self.reported_point is None:
            return lat, lng
        return self.building.lat, self.building.lng


# Where a point sent with a building lies when it is not in the building's grid
# (points_off_grid): outside every grid of ours.
OUTSIDE_AREA = -1


def points_off_grid(grid_ids, lats, lngs):
    """For points sent together with a building (by address or code) whose grid is
    `grid_ids[i]`: None where the point may be the ticket's, else where it lies instead:
    the id of another grid of ours, or OUTSIDE_AREA.

    The address decides the place when it names a building (a caller's phone, a
    resident's app, a 12345 platform send where they are, not where the matter is); a
    point is the ticket's only where it agrees with the building's grid: in or on it, or
    in no grid but within GRIDGOV_NEAREST_GRID_M of it (as a point alone is placed). When
    that grid has no boundary nothing can say the point is outside it, so it stays unless
    it lies in another grid. One function for every way in (intake, Open311 through it,
    the 12345 import a chunk of rows at once: one STRtree query for all, and a nearest-grid
    query for the few in no grid and too far from their own). Raises geo.InvalidCoordinates.
    """
    if not len(grid_ids):
        return []
    inside = geo.lookup_points(lats, lngs)  # checks the coordinates first
    distances = geo.distances_to_grids(grid_ids, lats, lngs)
    tolerance = float(settings.GRIDGOV_NEAREST_GRID_M)
    named = np.fromiter((g is not None for g in grid_ids), dtype=bool, count=len(grid_ids))
    # Whole arrays, not a loop over the rows (an import passes 5,000 at a time).
    on_own = distances == 0  # in or on its grid (where grids overlap, in another too)
    in_other = ~on_own & (inside >= 0)  # inside another grid of ours
    # Just outside its grid, or its grid has no boundary (NaN): the point stays.
    kept = on_own | (~in_other & ((distances <= tolerance) | (np.isnan(distances) & named)))
    verdicts = np.where(in_other, inside, OUTSIDE_AREA)
    # The nearest-grid lookup only for the rest, in no grid and too far from their own (few
    # in an import): a grid within GRIDGOV_NEAREST_GRID_M of the point, else outside our area.
    far = np.flatnonzero(~kept & ~in_other)
    if len(far):
        near = geo.lookup_points(
            np.asarray(lats, dtype=float)[far], np.asarray(lngs, dtype=float)[far], nearest=True
        )
        verdicts[far] = np.where(near >= 0, near, OUTSIDE_AREA)
    return [None if k else v for k, v in zip(kept.tolist(), verdicts.tolist(), strict=True)]


def reported_points(grid_ids, lats, lngs):
    """Location.reported_point of each point sent with a building in grid `grid_ids[i]`:
    {"lat", "lng", "grid": the code of the grid it lies in, None outside our area}, or None
    where the point is the ticket's (points_off_grid). One query for the grids' codes.
    Raises geo.InvalidCoordinates."""
    verdicts = points_off_grid(grid_ids, lats, lngs)
    others = {v for v in verdicts if v is not None and v != OUTSIDE_AREA}
    codes = dict(Place.objects.filter(pk__in=others).values_list("pk", "code")) if others else {}
    return [
        None if off is None else {"lat": float(lat), "lng": float(lng), "grid": codes.get(off)}
        for off, lat, lng in zip(verdicts, lats, lngs, strict=True)
    ]


# What the answer, the ticket's timeline and the 随手拍 page say of a reported_point.
POINT_OUTSIDE_AREA = gettext_noop(
    "The position sent (%(point)s) is outside our area: the ticket is located by the "
    "address, at %(building)s, and takes that building's position; the position sent is "
    "kept in the ticket's record."
)
POINT_IN_OTHER_GRID = gettext_noop(
    "The position sent (%(point)s) is in %(grid)s, not in the grid of %(building)s named "
    "by the address: the ticket is located by the address and takes that building's "
    "position; the position sent is kept in the ticket's record."
)


# Why a point typed in the admin (correct_point_refusal) may not be the ticket's.
POINT_INVALID = gettext_noop(
    "The latitude must be from -90 to 90 and the longitude from -180 to 180, not %(point)s."
)
POINT_HALF = gettext_noop("Give both the latitude and the longitude, or leave both empty.")
POINT_OUTSIDE_AREA_FOR = gettext_noop(
    "The position %(point)s is outside our area; the ticket is counted in %(where)s, so its "
    "position must lie in or next to it."
)
POINT_OUTSIDE_AREA_ANY = gettext_noop("The position %(point)s is outside our area.")
POINT_ELSEWHERE = gettext_noop(
    "The position %(point)s is in %(other)s, not in %(where)s, where the ticket is counted; "
    "its position must lie in or next to it."
)
POINT_WHERE_BUILDING = gettext_noop("%(grid)s (the grid of %(building)s)")


def correct_point_refusal(ticket, lat, lng):
    """Why (lat, lng) may not become `ticket`'s point in a correction (the admin), or ""
    when it may. A correction moves the point only: the building, grid and route stay, so
    the point must agree with them as intake's does (points_off_grid against the grid the
    ticket is counted in: in or on it, or in no grid within GRIDGOV_NEAREST_GRID_M, as a
    point alone is placed). A ticket in no grid: the point must lie in our area, and under
    its place when it has one (a community, a street). Both empty is no point at all."""
    if lat is None and lng is None:
        return ""
    if lat is None or lng is None:
        return _(POINT_HALF)
    try:
        lat, lng = geo.check_coordinates(lat, lng)
    except geo.InvalidCoordinates:
        return _(POINT_INVALID) % {"point": f"({lat}, {lng})"}
    point = f"({lat:.6f}, {lng:.6f})"
    if ticket.grid_id is not None:
        (off,) = points_off_grid([ticket.grid_id], [lat], [lng])
        if off is None:
            return ""
        where = ticket.grid.name
        if ticket.building_id is not None:
            building = ticket.building
            where = _(POINT_WHERE_BUILDING) % {
                "grid": where,
                "building": building.address or building.name,
            }
        if off == OUTSIDE_AREA:
            return _(POINT_OUTSIDE_AREA_FOR) % {"point": point, "where": where}
        other = Place.objects.filter(pk=off).values_list("name", flat=True).first()
        return _(POINT_ELSEWHERE) % {"point": point, "other": other, "where": where}
    found = geo.lookup_point(lat, lng)  # as resolve_location places a point alone
    if not found.found:
        if ticket.place_id is None:
            return _(POINT_OUTSIDE_AREA_ANY) % {"point": point}
        return _(POINT_OUTSIDE_AREA_FOR) % {"point": point, "where": ticket.place.name}
    grid = found.grid
    if ticket.place_id is None or grid.path.startswith(ticket.place.path):
        return ""
    return _(POINT_ELSEWHERE) % {"point": point, "other": grid.name, "where": ticket.place.name}


def reported_point_of(ticket):
    """The reported_point kept in the ticket's create event, or None."""
    data = ticket.events.filter(action="create").values_list("data", flat=True).first()
    return (data or {}).get("reported_point")


def reported_point_note(reported, building):
    """The sentence saying why the point sent is not the ticket's ("" for none)."""
    if not reported:
        return ""
    point = f"{reported['lat']:.3f}, {reported['lng']:.3f}"  # as masked_point: ~100 m
    where = (building.address or building.name) if building is not None else ""
    grid = None
    if reported.get("grid"):
        grid = Place.objects.filter(code=reported["grid"]).only("name").first()
    if grid is None:
        return _(POINT_OUTSIDE_AREA) % {"point": point, "building": where}
    return _(POINT_IN_OTHER_GRID) % {"point": point, "grid": grid.name, "building": where}


@dataclass
class IntakeResult:
    ticket: Ticket
    created: bool
    suggestions: list = field(default_factory=list)
    location: Location | None = None


def resolve_location(address="", lat=None, lng=None, place_code=None, foreign=FOREIGN_ADDRESS):
    """Building → grid → community → street, from whichever of the inputs is given;
    `foreign`: the message refusing an address outside our area."""
    errors = {}
    location = Location()
    if place_code:
        place = Place.objects.filter(code=place_code).first()
        if place is None:
            errors["place"] = _("Unknown place code %(c)s.") % {"c": place_code}
        else:
            location = Location(place=place, how="code")
    if address and location.place is None:
        result = addresses.resolve_address(address)
        if result.building is not None:
            building = result.building
            location = Location(place=building, building=building, how="address")
        else:
            if result.area is not None:  # a compound, community or street, but no building
                location = Location(place=result.area, how="address:area")
            location.candidates = [(b.code, score) for b, score in result.candidates[:5]]
            if result.foreign and lat is None and lng is None:  # a point inside would say more
                errors["address"] = _(foreign) % {"p": result.foreign}
    building = location.building
    if location.place is not None and location.place.level == Level.BUILDING:
        building = location.place  # a building's code decides as its address does
    if (lat is not None or lng is not None) and building is not None:
        # The building decides the place; the point is the ticket's only where it agrees.
        location.grid = building.ancestor_at(Level.GRID)
        try:
            (location.reported_point,) = reported_points(
                [location.grid.pk if location.grid is not None else None], [lat], [lng]
            )
        except geo.InvalidCoordinates as exc:
            errors["location"] = str(exc)
    elif lat is not None or lng is not None:
        try:
            found = geo.lookup_point(lat, lng)
        except geo.InvalidCoordinates as exc:
            errors["location"] = str(exc)
        else:
            if not found.found:
                errors["location"] = _("The location is outside our area.")
            else:
                location = Location(place=found.grid, grid=found.grid, how=f"point:{found.match}")
    if errors:
        raise IntakeError(errors)
    if location.place is not None:
        location.grid = location.grid or location.place.ancestor_at(Level.GRID)
        if location.place.level == Level.BUILDING:
            location.building = location.place
    return location


def answered_on_the_spot(data):
    """A consultation given its answer at intake: the desk that took it in closes it on
    filing, and no unit is sent (create_ticket, and the intake page's preview)."""
    return data.get("nature") == Nature.CONSULT and bool(
        (data.get("answer") or "").strip() or data.get("knowledge_answer")
    )


def advise(title, description, data, location, now=None, place_only=False):
    """Optional text intelligence (settings.GRIDGOV_INTAKE_ADVISOR): a place named in the
    text when none was given, and data for the create event (duplicates, model top);
    `place_only`: the place alone (the route preview, asked on every pause in typing)."""
    advisor = getattr(settings, "GRIDGOV_INTAKE_ADVISOR", None)
    if not advisor:
        return {}
    # Asked only when wanted, so an advisor written for five arguments still serves.
    extra = {"place_only": True} if place_only else {}
    return import_string(advisor)(title, description, data, location, now, **extra)


def located_by_text(location, advice):
    """The place the text names (advise) when the address gave none or only an area."""
    if advice.get("place") is not None and (
        location.place is None or location.how == "address:area"
    ):
        location = resolve_location(place_code=advice["place"].code)
        location.how = "text"
    return location


def next_codes(day, count=1):
    """Reserve `count` consecutive daily sequence numbers: GD20261127-000123.

    One atomic UPDATE … RETURNING (SQLite ≥ 3.35 and PostgreSQL), so concurrent
    intakes never share a number and nobody holds the counter row for long.
    """
    table = TicketCounter._meta.db_table
    sql = f'UPDATE {table} SET "last" = "last" + %s WHERE "day" = %s RETURNING "last"'
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Its own transaction commits without waiting for the WAL flush (synchronous_commit
        # off for this statement only), so intakes queue neither on the flush nor on the
        # row lock held through it (sampled under bench/intake.py, the commonest wait of a
        # busy backend). Nothing durable is lost: a ticket's own (synchronous) commit comes
        # later in the WAL and flushes this one with it; a number lost in a crash was on no
        # ticket.
        sql = (
            f'UPDATE {table} SET "last" = "last" + %s '
            "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async "
            'WHERE "day" = %s RETURNING "last"'
        )
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [count, day])
            row = cursor.fetchone()
        if row is not None:
            break
        try:
            with transaction.atomic():
                TicketCounter.objects.create(day=day, last=0)
        except IntegrityError:
            pass  # another intake created today's counter first
    last = row[0]
    stamp = day.strftime("%Y%m%d")
    return [f"GD{stamp}-{n:06d}" for n in range(last - count + 1, last + 1)]


def clean_text(data, errors):
    """`data` with the invisible control characters dropped from its text fields.

    An operator cannot see a vertical tab or an escape pasted with a caller's words, so
    refusing them would leave them hunting for nothing: they are dropped silently. A NUL
    is refused (400, a form error) naming the field: no keyboard or clipboard of text
    makes one, it means the text was damaged on its way (a wrong encoding, binary data),
    and dropping it would store the damage as if it were the caller's words; PostgreSQL
    cannot store it in text either.
    """
    cleaned = {}
    for name, label in TEXT_FIELDS.items():
        value = data.get(name)
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            errors[name] = _(
                "%(field)s contains a NUL character (U+0000), which no typed or pasted text has: "
                "the text was damaged on its way. Type or paste it again."
            ) % {"field": label}
        elif INVISIBLE_CONTROLS.search(value):
            cleaned[name] = INVISIBLE_CONTROLS.sub("", value)
    return {**data, **cleaned} if cleaned else data


@functools.cache
def _choice_values(choices):
    # Choices.values builds its list anew on every call (16 µs for Channel).
    return frozenset(choices.values)


def _clean_choice(value, choices, name, errors):
    try:
        known = value in _choice_values(choices)
    except TypeError:  # unhashable: no choice either
        known = False
    if not known:
        errors[name] = _("Unknown %(name)s %(value)s; one of: %(allowed)s") % {
            "name": name,
            "value": value,
            "allowed": ", ".join(choices.values),
        }
    return value


def validate(data, errors):
    channel = _clean_choice(data.get("channel"), Channel, "channel", errors)
    nature = _clean_choice(data.get("nature"), Nature, "nature", errors)
    if data.get("urgency"):
        _clean_choice(data["urgency"], Urgency, "urgency", errors)
    title = (data.get("title") or "").strip()
    description = (data.get("description") or "").strip()
    if not title and not description:
        errors["title"] = _("Say what the matter is: a title or a description.")
    if len(title) > 200:
        errors["title"] = _("The title may have at most 200 characters.")
    if len(description) > 4000:
        errors["description"] = _("The description may have at most 4,000 characters.")
    anonymous = bool(data.get("anonymous"))
    phone = (data.get("requester_phone") or "").strip()
    if (
        nature in NEEDS_CONTACT
        and channel not in STAFF_CHANNELS
        and not phone
        and not data.get("requester")
    ):
        errors["requester_phone"] = _(
            "A phone number is needed for a request for help or a complaint, so we can call back."
        )
    if phone and not is_phone(phone):
        errors["requester_phone"] = _(
            "A phone number has 7 to 15 digits (spaces, dashes and brackets allowed; "
            "+ before a country code)."
        )
    if anonymous and (data.get("requester_name") or data.get("requester")):
        errors["anonymous"] = _("An anonymous demand cannot name its requester.")
    # A blank category is none given: classified from the text, as the pages (their
    # 根据内容自动分类) and the API (category "" allowed, inferred when left out) mean it;
    # it went on as "" and crashed computing the deadlines.
    category = data.get("category") or None
    if category and not isinstance(category, Category):
        found = reference.active_category(category)
        if found is None:
            errors["category"] = _("Unknown category %(c)s.") % {"c": category}
        category = found
    return title or title_from(description), description or title, category


def _reporter_as_requester(data, actor):
    """A self-service report (随手拍, mini-program) naming no requester is the reporter's own:
    their person record becomes the requester, so they can be called back and follow it."""
    if data.get("channel") not in SELF_SERVICE_CHANNELS or actor is None or data.get("anonymous"):
        return data  # checked first: reading the person costs a query
    if data.get("requester") or data.get("requester_name") or data.get("requester_phone"):
        return data
    person = getattr(actor, "person", None)
    return data if person is None else {**data, "requester": person}


def create_ticket(data, actor=None, idempotency_key=None, photos=(), now=None):
    """Create (and route) a ticket from a dict of intake fields; see module docstring."""
    now = now or timezone.now()
    channel = data.get("channel")
    # Every way in (pages, API, patrols, visits) passes here; actor None is an integration
    # (Open311) that its own endpoint authenticated.
    if actor is not None and not actor.has_perm("tickets.file_on_channel", channel):
        raise lifecycle.NotAllowed(
            _("You may not take in demands on the channel %(channel)s.")
            % {"channel": dict(Channel.choices).get(channel, channel)}
        )
    key = f"{getattr(actor, 'pk', None) or 'anon'}:{idempotency_key}" if idempotency_key else None
    digest = request_digest(data, photos) if key else None
    if key and (replay := _replayed(key, digest)):
        return replay
    data = _reporter_as_requester(data, actor)
    errors = {}
    data = clean_text(data, errors)
    title, description, category = validate(data, errors)
    location = None
    try:
        location = resolve_location(
            address=(data.get("address") or "").strip(),
            lat=data.get("lat"),
            lng=data.get("lng"),
            place_code=data.get("place"),
            foreign=FOREIGN_ADDRESS_AT_DESK
            if data.get("channel") in DESK_CHANNELS
            else FOREIGN_ADDRESS,
        )
    except IntakeError as exc:
        errors.update(exc.errors)
    cleaned_photos = []
    try:
        cleaned_photos = photo_files.clean_all(photos)
    except photo_files.PhotoError as exc:
        errors["photos"] = str(exc)
    if errors:
        raise IntakeError(errors)
    external_id = (data.get("external_id") or "").strip()
    if taken := _taken(channel, external_id):  # refused before a code is spent on it
        raise ExternalIdTaken(taken, external_id, actor)

    advice = advise(title, description, data, location, now)
    location = located_by_text(location, advice)
    suggestions = []
    unsure = False  # the category is the model's guess, too unsure to send anyone by
    if category is None:
        suggestions = suggest_category(f"{title} {description}")
        if suggestions:
            category = suggestions[0][0]
            unsure = needs_confirmation(suggestions)
    urgency = data.get("urgency") or (category.default_urgency if category else Urgency.GENERAL)
    deadlines = sla.compute_deadlines(urgency, category, now, place=location.place)
    consult_answered = answered_on_the_spot(data)
    if consult_answered:  # the desk that took it in answers it: no unit handles it
        route = routing.Route(place=routing.intake_desk(actor), department=None)
    else:
        route = route_for(category, location.place, actor, unsure)
    # A requester named by their person record (a resident's own 随手拍, a visited household
    # member) is called back on the phone on record: the ticket keeps the name and phone of
    # the day, like a hotline caller's, so the unit can reach them.
    requester = data.get("requester")
    requester_name = (data.get("requester_name") or "").strip() or getattr(requester, "name", "")
    requester_phone = (data.get("requester_phone") or "").strip() or getattr(requester, "phone", "")
    point = location.point_for(data.get("lat"), data.get("lng"))
    # Reserved in its own short transaction, so the counter row is not held locked.
    code = next_codes(timezone.localtime(now).date())[0]
    try:
        with transaction.atomic():
            if external_id:
                # Two pushes of one case at once: the second waits for the first's commit,
                # then finds its ticket (SQLite runs one writing transaction at a time).
                locks.transaction_lock(f"gridgov.tickets.external_id:{channel}:{external_id}")
                if taken := _taken(channel, external_id):
                    raise ExternalIdTaken(taken, external_id, actor)
            ticket = Ticket(
                code=code,
                channel=data["channel"],
                nature=data["nature"],
                title=title,
                description=description,
                category=category,
                urgency=urgency,
                address=(data.get("address") or "").strip(),
                lat=point[0],
                lng=point[1],
                building=location.building,
                grid=location.grid,
                place=location.place,
                requester=requester,
                requester_name=requester_name,
                requester_phone=requester_phone,
                anonymous=bool(data.get("anonymous")),
                owner_place=route.place,
                owner_department=route.department,
                accept_by=deadlines.accept_by,
                respond_by=None,  # below: none when nobody can be contacted
                resolve_by=deadlines.resolve_by,
                idempotency_key=key,
                external_id=external_id,
                created_by=actor if getattr(actor, "pk", None) else None,
                created_at=now,
            )
            ticket.respond_by = lifecycle.respond_by_for(ticket, deadlines)
            lifecycle.open_ticket(
                ticket,
                actor if getattr(actor, "pk", None) else None,
                now,
                dispatch=not route.dispatch_desk and not consult_answered,
                data={
                    "location": location.how,
                    "address_candidates": location.candidates,
                    **(
                        {"reported_point": location.reported_point}
                        if location.reported_point
                        else {}
                    ),
                    "suggestions": [(c.code, s) for c, s in suggestions],
                    "route": "answered"
                    if consult_answered
                    else LOW_CONFIDENCE
                    if unsure
                    else routing.decided_by(route),
                    **({"score": suggestions[0][1]} if unsure else {}),
                    **advice.get("event_data", {}),
                    **({"request_digest": digest} if digest else {}),
                },
                route=route,
            )
            photo_files.attach(ticket, cleaned_photos)
            _after_intake(ticket, data, actor, route, now)
    except IntegrityError:
        # Lost a race with the same Idempotency-Key: the other request's ticket stands.
        if key and (replay := _replayed(key, digest)):
            return replay
        raise
    return IntakeResult(ticket=ticket, created=True, suggestions=suggestions, location=location)


def route_for(category, place, actor, unsure=False):
    """Where a demand filed by `actor` goes (create_ticket, and the intake page's preview):
    by the routing rules; a demand nobody knows where waits, unplaced, at the desk that took
    it in. `unsure`: the model barely knows what it is, so the dispatch desk of its place
    (as for what no rule covers) confirms the category before anyone is sent, rather than
    a wrong unit returning it a day later."""
    if unsure:
        desk = routing.dispatch_desk(place) if place is not None else None
        return routing.Route(
            place=desk or routing.intake_desk(actor), department=None, dispatch_desk=True
        )
    route = routing.route(category, place)
    if route.dispatch_desk and place is None:
        return routing.Route(place=routing.intake_desk(actor), department=None, dispatch_desk=True)
    return route


def category_to_confirm(ticket):
    """[(category, score)]: the model's suggestions for a ticket waiting at the dispatch
    desk because the model was unsure of its category (create event route "low_confidence"),
    for the desk to pick one when it dispatches; [] for any other ticket. Read once per
    ticket object (the page and its dispatch form both ask)."""
    if ticket.status != Status.RECEIVED:
        return []
    if getattr(ticket, "_category_to_confirm", None) is None:
        events = ticket.events.filter(action="create").values_list("data", flat=True)
        data = events.first() or {}
        found = []
        if data.get("route") == LOW_CONFIDENCE:
            found = [(reference.active_category(c), score) for c, score in data["suggestions"]]
        ticket._category_to_confirm = [(c, score) for c, score in found if c is not None]
    return ticket._category_to_confirm


def _after_intake(ticket, data, actor, route, now):
    """Answer a consultation on the spot, close a praise once passed on to the unit praised
    (routing already happened in open_ticket)."""
    if ticket.nature == Nature.PRAISE and ticket.status == Status.DISPATCHED:
        lifecycle.perform(ticket, "close", None, now=now, reason=lifecycle.PRAISE_REASON)
        return
    answer = (data.get("answer") or "").strip()
    knowledge_answer = data.get("knowledge_answer")
    if ticket.nature == Nature.CONSULT and (answer or knowledge_answer):
        lifecycle.perform(
            ticket, "answer", actor, now=now, answer=answer, knowledge_answer=knowledge_answer
        )
        lifecycle.perform(ticket, "close", None, now=now, reason=lifecycle.ANSWERED_REASON)
