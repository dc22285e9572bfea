"""What Open311 shows of a category (a service) and of a ticket (a service request).

Privacy (DESIGN §8): no requester name, phone, e-mail, device or account
appears in any document; phone and ID numbers, e-mail addresses, QQ numbers and
WeChat IDs, the requester's own name (a Western name's parts also alone: John, Smith)
and room numbers are blanked out of the published texts, so are names the text
introduces (控告人…, 业主…), and only requests sent to Open311 itself or found on patrol
about public space publish their texts at all (Presenter.texts_published); private matters
(Category.private: 低保, 计生, lawsuits, reports of crimes or on officials) are
not published. A matter in private
space is placed at its grid only: the grid's representative point and the
grid's name stand in for the coordinates and the address. Only categories
marked `public_space` show the point as reported and the building.
"""

import re
from functools import cached_property

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.geometry import shape

from gridgov.people.masking import REDACTED, mask_cued_names
from gridgov.people.masking import scrub_text as scrub
from gridgov.places.models import Level
from gridgov.tickets import intake
from gridgov.tickets.models import FINAL_STATUSES, Channel, Nature, Status, Urgency

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's documents last changed shape (discovery's changeset).
CHANGESET = "2026-11-27T00:00:00+08:00"
DEFAULT_NATURE = Nature.REPORT

CLOSED, OPEN = "closed", "open"


def iso(value):
    """ISO 8601 in China time with its offset (2026-11-27T09:30:00+08:00), or None."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


# A digit, ASCII or full-width, and what may stand between the digits of a phone number.
_DIGIT = {d: f"[{d}{chr(0xFF10 + int(d))}]" for d in "0123456789"}
_PHONE_SEPARATORS = r"[\s\-.()（）]*"
_NOT_A_DIGIT_BEFORE, _NOT_A_DIGIT_AFTER = r"(?<![0-9０-９])", r"(?![0-9０-９])"
# Written before the number: a country code (+86, 0086) and an area code's bracket.
_PHONE_PREFIX = r"(?:[+＋]?\s*(?:00)?86[\s\-]*)?(?:[(（]\s*)?"
MIN_PHONE_DIGITS = 7  # shorter "phones" (110, an extension) would blank ordinary numbers


def _phone_numbers(phone):
    """The ways the requester's own phone number may be written: as given, without the
    country code, and a landline's local number without its area code (0731-88886666 is
    told to a neighbour as 88886666)."""
    digits = "".join(c for c in (phone or "") if c.isdigit() and c.isascii())
    national = digits
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
            national = digits[len(prefix) :]
            break
    numbers = {digits, national}
    if national.startswith("0") and len(national) >= 10:
        area = 3 if national[1] in "12" else 4  # 010, 02x; else 0xxx
        numbers.add(national[area:])
    return sorted((n for n in numbers if len(n) >= MIN_PHONE_DIGITS), key=len, reverse=True)


def blank_own_contacts(text, phone="", email=""):
    """`text` with the requester's own phone number (however it is spaced, dashed or
    bracketed, ASCII or full-width) and e-mail address blanked. The patterns of
    `scrub_text` find mobile numbers and landlines with their area code; a requester who
    writes the landline they gave as 88886666, or their mobile as 138.1234.1234, is
    found only by the number itself."""
    if not text:
        return text
    numbers = _phone_numbers(phone)
    if numbers:
        alternatives = "|".join(
            _PHONE_SEPARATORS.join(_DIGIT[d] for d in number) for number in numbers
        )
        pattern = f"{_NOT_A_DIGIT_BEFORE}{_PHONE_PREFIX}(?:{alternatives}){_NOT_A_DIGIT_AFTER}"
        text = re.sub(pattern, REDACTED, text)
    email = (email or "").strip()
    if len(email) >= 3:
        text = re.sub(re.escape(email), REDACTED, text, flags=re.IGNORECASE)
    return text


def open311_status(ticket_status):
    return CLOSED if ticket_status in FINAL_STATUSES else OPEN


# --- services ---------------------------------------------------------------------------


def service(category, children=()):
    names = [c.name for c in children]
    description = f"{category.name}：{'、'.join(names)}" if names else category.full_name
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": description,
        "metadata": True,
        "type": "realtime",
        # Words only: a co-occurrence ("安全出口+堵|锁") is the classifier's, no client's word.
        "keywords": ", ".join(w for w in category.keywords or [] if "+" not in w and "|" not in w),
        "group": category.top().name,
    }


def _values(choices):
    return [{"key": value, "name": str(label)} for value, label in choices]


def service_definition(category):
    urgency_default = category.default_urgency or Urgency.GENERAL
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "urgency",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("One key from the list; default: %(d)s.")
                % {"d": urgency_default},
                "order": 1,
                "description": _("How urgent is it?"),
                "values": _values(Urgency.choices),
            },
            {
                "variable": True,
                "code": "nature",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _(
                    "One key from the list; default: %(d)s. A request for help or a "
                    "complaint needs a phone number, so the office can call back."
                )
                % {"d": DEFAULT_NATURE},
                "order": 2,
                "description": _("What kind of request is it?"),
                "values": _values(Nature.choices),
            },
        ],
    }


# --- service requests -------------------------------------------------------------------

STATUS_NOTES = {
    Status.RECEIVED: gettext_lazy("Received; waiting to be dispatched."),
    Status.DISPATCHED: gettext_lazy("Dispatched to %(unit)s."),
    Status.RETURNED: gettext_lazy("Being re-dispatched."),
    Status.ACCEPTED: gettext_lazy("Accepted by %(unit)s."),
    Status.IN_PROGRESS: gettext_lazy("%(unit)s is working on it."),
    Status.ESCALATED: gettext_lazy("Escalated to %(unit)s."),
    Status.RESOLVED: gettext_lazy("Resolved by %(unit)s; waiting for the callback."),
    Status.REOPENED: gettext_lazy("Reopened; %(unit)s is working on it again."),
    Status.CLOSED: gettext_lazy("Closed."),
    Status.ANSWERED: gettext_lazy("Answered."),
    Status.MERGED: gettext_lazy("Duplicate of %(into)s."),
}

NOTE_TEXTS = {
    "create": gettext_lazy("Request received."),
    "dispatch": gettext_lazy("Dispatched to %(unit)s."),
    "accept": gettext_lazy("%(unit)s accepted the request."),
    "return": gettext_lazy("Returned by the unit for re-dispatch."),
    "designate": gettext_lazy("Assigned to %(unit)s."),
    "contact": gettext_lazy("The unit contacted the requester."),
    "extend": gettext_lazy("The unit asked for more time."),
    "approve-extension": gettext_lazy("The deadline was reviewed."),
    "supervise": gettext_lazy("Supervised by a higher office."),
    "escalate": gettext_lazy("Escalated to %(unit)s."),
    "whistle": gettext_lazy("The street summoned departments to the site."),
    "whistle-report": gettext_lazy("A summoned department reported back."),
    "whistle-rate": gettext_lazy("The street rated a department's response."),
    "resolve": gettext_lazy("Resolved: %(text)s"),
    "callback": gettext_lazy("The requester was asked whether it was resolved."),
    "reopen": gettext_lazy("Reopened."),
    "close": gettext_lazy("Closed."),
    "merge": gettext_lazy("Merged into %(into)s as a duplicate."),
    "answer": gettext_lazy("Answered: %(text)s"),
}
# Notes whose text is the unit's reply to the public.
REPLY_ACTIONS = {"resolve", "answer"}


def unit_name(place, department):
    """The owning unit's name; a grid's office is "<grid>网格" (grids are named for compounds)."""
    if department is not None:
        return department.name
    if place is None:
        return ""
    if place.level == Level.GRID and not place.name.endswith("网格"):
        return f"{place.name}网格"
    return place.name


class Presenter:
    """Builds request documents; caches grid points across the tickets of one answer."""

    def __init__(self, services):
        # category id -> the public category it is listed under (itself or an ancestor)
        self.services = services
        self._grid_points = {}

    def service_for(self, ticket):
        return self.services.get(ticket.category_id)

    def scrub(self, ticket, text):
        """A published text of `ticket` (its description, a reply) without the requester's
        name, phone number or e-mail address, nor any phone, ID or room number, nor a name
        the text introduces (我叫…, 控告人…)."""
        submission = getattr(ticket, "open311_submission", None)
        email = submission.email if submission is not None else ""
        text = blank_own_contacts(text, ticket.requester_phone, email)
        return mask_cued_names(scrub(text, (ticket.requester_name,)))

    def texts_published(self, ticket):
        """Whether the request's own words and the replies to it are published.

        Only what was written to this public interface itself, and what a grid worker wrote
        on patrol about public space (Category.public_space, as for the location). A caller
        to 12345, a window or a 随手拍 report did not write for the public, and their free
        text names whoever it is about (控告人潘平安, 业主王怀启, a neighbour) where no
        scrubbing can be sure to find them, even on a matter of public space. Other
        requests show service, status, unit, dates and grid.
        """
        if getattr(ticket, "open311_submission", None) is not None:
            return True
        if ticket.channel != Channel.PATROL:
            return False
        return any(node.public_space for node in self.services.lineage(ticket.category))

    def grid_point(self, grid):
        if grid.pk not in self._grid_points:
            point = (grid.lat, grid.lng) if grid.lat is not None and grid.lng is not None else None
            if point is None and grid.boundary:
                try:
                    inner = shape(grid.boundary).representative_point()
                    point = (round(inner.y, 6), round(inner.x, 6))
                except (ValueError, TypeError, AttributeError):
                    point = None
            self._grid_points[grid.pk] = point
        return self._grid_points[grid.pk]

    def location(self, ticket):
        """(address, address_id, lat, long) as may be published."""
        category = ticket.category
        public_space = bool(category and category.public_space)
        building, grid = ticket.building, ticket.grid
        if public_space:
            lat, lng = ticket.lat, ticket.lng
            if (lat is None or lng is None) and building is not None:
                lat, lng = building.lat, building.lng
            if building is not None:
                return building.address or building.name, building.code, lat, lng
            if lat is None and grid is not None:
                lat, lng = self.grid_point(grid) or (None, None)
            where = grid or ticket.place
            return (where.name if where else None), None, lat, lng
        if grid is not None:
            lat, lng = self.grid_point(grid) or (None, None)
            return grid.name, None, lat, lng
        place = ticket.place
        if place is not None and place.level != Level.BUILDING:
            return place.name, None, place.lat, place.lng
        return None, None, None, None

    def request(self, ticket, notes=False):
        service = self.service_for(ticket)
        unit = unit_name(ticket.owner_place, ticket.owner_department)
        address, address_id, lat, lng = self.location(ticket)
        submission = getattr(ticket, "open311_submission", None)
        published = self.texts_published(ticket)
        doc = {
            "service_request_id": ticket.code,
            "status": open311_status(ticket.status),
            "status_notes": self.status_notes(ticket, unit, published),
            "service_name": service.name if service else None,
            "service_code": service.code if service else None,
            "description": self.scrub(ticket, ticket.description) if published else None,
            "agency_responsible": unit or None,
            "service_notice": service_notice(ticket),
            "requested_datetime": iso(ticket.created_at),
            "updated_datetime": iso(ticket.updated_at),
            "expected_datetime": iso(ticket.resolve_by),
            "address": address,
            "address_id": address_id,
            "zipcode": None,
            "lat": lat,
            "long": lng,
            "media_url": (submission.media_url or None) if submission else None,
        }
        if notes:
            doc["notes"] = self.notes(ticket, published)
        return doc

    def status_notes(self, ticket, unit, published=True):
        template = STATUS_NOTES.get(ticket.status)
        if template is None:
            return None
        into = ticket.merged_into.code if ticket.merged_into_id else ""
        text = str(template) % {"unit": unit or _("the office"), "into": into}
        if published and ticket.status in (Status.CLOSED, Status.ANSWERED) and ticket.resolution:
            separator = "" if text.endswith("。") else " "
            text = f"{text}{separator}{self.scrub(ticket, ticket.resolution)}"
        return text

    def notes(self, ticket, published=True):
        notes = []
        for event in ticket.events.all():
            template = NOTE_TEXTS.get(event.action)
            if template is None:
                continue
            data = event.data or {}
            unit = unit_name(event.owner_place, event.owner_department)
            text = event.reason if published and event.action in REPLY_ACTIONS else ""
            description = str(template) % {
                "unit": unit or _("the office"),
                "into": data.get("into_code", ""),
                "text": self.scrub(ticket, text),
            }
            notes.append(
                {"datetime": iso(event.at), "description": description, "type": event.action}
            )
        return notes


def service_notice(ticket):
    if ticket.status in FINAL_STATUSES:
        return None
    if ticket.resolve_by is None:
        return _("Received; the office will reply.")
    return _("Received; to be resolved by %(when)s.") % {
        "when": timezone.localtime(ticket.resolve_by).strftime("%Y-%m-%d %H:%M")
    }


def created_notice(ticket, reported_point=None):
    """The POST answer's service_notice: the deadline, then, when the point sent with a
    building's address was not taken (intake.points_off_grid), why, in the words the API's
    answer and the 随手拍 page use, so the app can tell its user where the request lies."""
    notice = service_notice(ticket)
    note = intake.reported_point_note(reported_point, ticket.building)
    if not (notice and note):
        return notice or note or None
    return _("%(notice)s %(note)s") % {"notice": notice, "note": note}


class ServiceIndex:
    """The public categories, and for every category the public one it is listed under."""

    def __init__(self, categories):
        self.by_id = {c.pk: c for c in categories}
        self.public = [c for c in categories if c.public and c.active and not self.is_private(c)]

    def lineage(self, category):
        """The category, then its parent, up to the top level (none for None)."""
        node = category
        while node is not None:
            yield node
            node = self.by_id.get(node.parent_id)

    def is_private(self, category):
        """A private matter (Category.private), itself or under one: never published."""
        return any(node.private for node in self.lineage(category))

    @cached_property
    def listed_under(self):
        mapping = {}
        for category in self.by_id.values():
            if self.is_private(category):
                continue
            node = next((n for n in self.lineage(category) if n.public and n.active), None)
            if node is not None:
                mapping[category.pk] = node
        return mapping

    def get(self, category_id):
        return self.listed_under.get(category_id)

    def children(self, category):
        return sorted(
            (c for c in self.by_id.values() if c.parent_id == category.pk and c.active),
            key=lambda c: c.code,
        )

    def ids_listed_under(self, services):
        """The categories whose requests are listed under one of `services` or under a
        service below one: 网格事件 (GE) takes in its event types, each a service itself."""
        wanted = {s.pk for s in services}
        return [
            cid
            for cid, service in self.listed_under.items()
            if any(node.pk in wanted for node in self.lineage(service))
        ]
