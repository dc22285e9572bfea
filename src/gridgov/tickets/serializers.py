"""Serializers for the tickets API: shapes only; rules live in intake.py and lifecycle.py.

Requester name and phone, and the exact address, are masked unless the view put the
unmasked values, obtained through `gridgov.people.personal_data.reveal` (which logs the
view), into the context under `revealed` ({ticket id: {field: value}}).
"""

import datetime as dt
import re
import threading

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import is_aware
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from gridgov.people.masking import mask_address, mask_name, mask_phone
from gridgov.people.models import Department
from gridgov.places.models import Level, Place

from . import intake, knowledge, lifecycle, progress, requester_text, routing, sla
from .models import (
    CalendarDay,
    Category,
    Channel,
    HomeLevel,
    KnowledgeAnswer,
    KnowledgeAnswerChange,
    Nature,
    RoutingRule,
    Satisfaction,
    Status,
    Summons,
    Ticket,
    TicketEvent,
    TimeLimit,
    TimeLimitChange,
    Urgency,
)
from .workdays import _library_is_workday

# A standard answer not reviewed for this long is flagged stale.
OVERDUE_STAGES = ("accept", "respond", "resolve")


# --- errors (the shape of gridgov.api.errors.error_body) ----------------------------------


class TicketErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField(help_text="中文")
    message_en = serializers.CharField(help_text="English")
    detail = serializers.JSONField(
        required=False,
        help_text="Field errors ({field: [messages]}), or for a refused action "
        "{reason, allowed, allowed_for_you, status, version}",
    )


class TicketErrorSerializer(serializers.Serializer):
    error = TicketErrorBodySerializer()


# --- small references -----------------------------------------------------------------------


class PlaceRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)


class CategoryRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    full_name = serializers.CharField()


class OwnerSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["place", "department"])
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField(
        allow_null=True, help_text="Place level of an office; null for a department"
    )


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null for the requester's own login")
    username = serializers.CharField()
    name = serializers.CharField(help_text="Display name (full name, else username)")


class DepartmentRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


def viewer(context):
    """The user the answer is for (the request's), or None: then free text is scrubbed."""
    request = context.get("request")
    return getattr(request, "user", None)


# The ticket's free text: as written to its holding unit and its requester, scrubbed for
# every other viewer (requester_text.text_for; docs/permissions.md).
TICKET_TEXT_FIELDS = ("title", "description", "resolution")
# The schema's word on the requester's free text (requester_text.text_for, docs/permissions.md).
AS_THE_VIEWER_READS = (
    "As written for the holding unit, the requester and a desk the demand waits for; "
    "scrubbed for other viewers (phones, IDs, room numbers → ***, 张三 → 张*)"
)


def shown_ticket_text(data, ticket, context):
    """`data`, a ticket's representation, with its free text as the viewer reads it."""
    shown = requester_text.text_for(viewer(context), ticket)
    if shown is not requester_text.as_written:
        for name in TICKET_TEXT_FIELDS:
            if data.get(name):
                data[name] = shown(data[name])
    return data


def place_ref(place):
    if place is None:
        return None
    return {"code": place.code, "name": place.name, "level": place.level}


def category_ref(category):
    if category is None:
        return None
    return {"code": category.code, "name": category.name, "full_name": category.full_name}


def owner_ref(place, department):
    if department is not None:
        return {
            "type": "department",
            "code": department.code,
            "name": department.name,
            "level": None,
        }
    if place is not None:
        return {"type": "place", "code": place.code, "name": place.name, "level": place.level}
    return None


def user_ref(user):
    if user is None:
        return None
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
    }


def actor_ref(user, ticket):
    """user_ref of who acted on `ticket`; the requester's own login (a resident's 随手拍,
    their rating) is "the requester": its name, and a username that is often a phone
    number, are the requester's personal data (shown in full only by the logged reveal)."""
    if user is not None and ticket is not None and ticket.is_requesters_account(user):
        return {"id": None, "username": "", "name": gettext("The requester")}
    return user_ref(user)


# --- tickets ----------------------------------------------------------------------------------


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    event = serializers.IntegerField(source="event_id", allow_null=True)

    def get_url(self, photo) -> str:
        # Served through the ticket's scope (TicketViewSet.photo), not as public media.
        url = reverse("ticket-photo", kwargs={"pk": photo.ticket_id, "photo_id": photo.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class CallbackSerializer(serializers.Serializer):
    resolved = serializers.BooleanField()
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    note = serializers.CharField(help_text=AS_THE_VIEWER_READS)
    owner = serializers.SerializerMethodField()
    by = serializers.SerializerMethodField()
    at = serializers.DateTimeField()

    @extend_schema_field(OwnerSerializer(allow_null=True))
    def get_owner(self, callback):
        return owner_ref(callback.owner_place, callback.owner_department)

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_by(self, callback):
        return actor_ref(callback.by, callback.ticket)

    def to_representation(self, callback):
        data = super().to_representation(callback)
        # The desk's note of what the requester said: scrubbed unless the viewer reads the
        # ticket's text as written.
        data["note"] = requester_text.shown_text(
            viewer(self.context), callback.ticket, data["note"]
        )
        return data


# Words staff write on a ticket (an extension's reason, a whistle's, a department's
# report) often quote the requester (已电话联系 139…): read as the ticket's own free text.
STAFF_WORDS = f"Staff's words, often quoting the requester. {AS_THE_VIEWER_READS}"


def shown_staff_words(data, name, ticket, context):
    """`data[name]`, words staff wrote on `ticket`, as the viewer reads the ticket's text."""
    data[name] = requester_text.shown_text(viewer(context), ticket, data[name])
    return data


class ExtensionSerializer(serializers.Serializer):
    requested_until = serializers.DateTimeField()
    reason = serializers.CharField(help_text=STAFF_WORDS)
    state = serializers.CharField()
    requested_by = serializers.SerializerMethodField()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    lapsed = serializers.BooleanField(
        help_text="Approved, then replaced by the new deadlines of a later reopening"
    )

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_requested_by(self, extension):
        return user_ref(extension.requested_by)

    def to_representation(self, extension):
        data = super().to_representation(extension)
        return shown_staff_words(data, "reason", extension.ticket, self.context)


class SummonsSerializer(serializers.Serializer):
    department = DepartmentRefSerializer()
    report_by = serializers.DateTimeField()
    reported_at = serializers.DateTimeField(allow_null=True)
    late = serializers.SerializerMethodField(
        help_text="Reported after report_by, or not reported and report_by has passed"
    )
    action = serializers.CharField(help_text=f"What the department reported doing. {STAFF_WORDS}")
    rating = serializers.IntegerField(allow_null=True, help_text="1 poor … 4 excellent")

    def get_late(self, summons) -> bool:
        return summons.is_late(_now(self.context))

    def to_representation(self, summons):
        data = super().to_representation(summons)
        return shown_staff_words(data, "action", summons.whistle.ticket, self.context)


class WhistleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    street = serializers.SerializerMethodField()
    reason = serializers.CharField(help_text=STAFF_WORDS)
    blown_by = serializers.SerializerMethodField()
    blown_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    summonses = SummonsSerializer(many=True)

    @extend_schema_field(PlaceRefSerializer)
    def get_street(self, whistle):
        return place_ref(whistle.street)

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_blown_by(self, whistle):
        return user_ref(whistle.blown_by)

    def to_representation(self, whistle):
        data = super().to_representation(whistle)
        return shown_staff_words(data, "reason", whistle.ticket, self.context)


def _now(context):
    now = context.get("now")
    if now is None:
        now = context["now"] = timezone.now()
    return now


class PrebuiltFieldsMixin:
    """A ModelSerializer rebuilds its fields from the model's meta on every use, and any
    serializer deep-copies them (together about a millisecond for a ticket, on every
    intake); build them once per class, copy them after.

    A field is copied by copying its attributes (`copy.copy` goes the slow generic way
    through `__reduce_ex__`): binding then sets its name and parent on the copy only. A
    nested serializer leaves its own fields behind, so it builds them for this copy when
    first asked. Fields holding a child (list serializers, list and many-related fields)
    get a copy of the child too, whose parent is this copy, not the prototype's (they
    were deep-copied: 139 → 92 µs for a ticket's detail fields).
    """

    def get_fields(self):
        cls = type(self)
        prototype = cls.__dict__.get("_prebuilt_fields")
        if prototype is None:
            prototype = super().get_fields()
            cls._prebuilt_fields = prototype
        return {name: _copy_field(field) for name, field in prototype.items()}

    @classmethod
    def validated(cls, data):
        """(validated_data, errors) of `cls(data=data)`, by a serializer the thread keeps with
        its fields bound, as `represent` does: copying and binding the intake's 16 fields
        was a third of the CPU of checking a demand (bench seed). Each call starts afresh
        (its own data; nothing of the call before), and leaves nothing behind."""
        kept = cls.__dict__.get("_kept_for_input")
        if kept is None:
            kept = cls._kept_for_input = threading.local()
        serializer = getattr(kept, "serializer", None)
        if serializer is None or getattr(kept, "busy", False):
            serializer = cls(data=data)
            if getattr(kept, "busy", False):
                serializer.is_valid()
                return serializer.validated_data, serializer.errors
            kept.serializer = serializer
        serializer.initial_data = data
        kept.busy = True
        try:
            serializer.is_valid()
            return serializer.validated_data, serializer.errors
        finally:
            kept.busy = False
            for name in ("initial_data", "_validated_data", "_errors", "_data"):
                serializer.__dict__.pop(name, None)

    @classmethod
    def represent(cls, instance, context):
        """`cls(instance, context=context).data`, by a serializer the thread keeps with its
        fields bound: copying and binding a new ticket's 47 fields was 40% of the CPU of
        the answer to an intake (bench seed). The fields hold no state of one call; the
        context, read from the root serializer, is this call's. A call made while the
        thread's serializer is at work (nested) gets a new one."""
        kept = cls.__dict__.get("_kept")
        if kept is None:
            kept = cls._kept = threading.local()
        if getattr(kept, "busy", False):
            return cls(instance, context=context).data
        serializer = getattr(kept, "serializer", None)
        if serializer is None:
            serializer = kept.serializer = cls(context=context)
        serializer.instance, serializer._context = instance, context
        serializer.__dict__.pop("_data", None)
        kept.busy = True
        try:
            return serializer.data
        finally:
            kept.busy = False


def _copy_field(field):
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    clone.__dict__.pop("fields", None)  # a nested serializer's bound fields (cached_property)
    for name in ("child", "child_relation"):  # a list's item field, a copy of its own
        if clone.__dict__.get(name) is not None:
            child = clone.__dict__[name] = _copy_field(clone.__dict__[name])
            child.parent = clone  # what binding it set differently on the prototype's
    return clone


class TicketListSerializer(PrebuiltFieldsMixin, serializers.ModelSerializer):
    category = serializers.SerializerMethodField()
    place = serializers.SerializerMethodField(help_text="The most specific place known")
    grid = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField(
        help_text="责任主体: a place's office or a department"
    )
    requester_name = serializers.SerializerMethodField(help_text="Masked unless revealed")
    requester_phone = serializers.SerializerMethodField(help_text="Masked unless revealed")
    overdue = serializers.SerializerMethodField(
        help_text="The deadline an open ticket has missed: accept, respond, resolve; null if none"
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "code",
            "external_id",
            "channel",
            "nature",
            "title",
            "category",
            "urgency",
            "status",
            "place",
            "grid",
            "owner",
            "requester_name",
            "requester_phone",
            "anonymous",
            "accept_by",
            "respond_by",
            "resolve_by",
            "overdue",
            "created_at",
            "version",
        ]
        read_only_fields = fields
        extra_kwargs = {name: {"help_text": AS_THE_VIEWER_READS} for name in TICKET_TEXT_FIELDS}

    @extend_schema_field(CategoryRefSerializer(allow_null=True))
    def get_category(self, ticket):
        return category_ref(ticket.category)

    @extend_schema_field(PlaceRefSerializer(allow_null=True))
    def get_place(self, ticket):
        return place_ref(ticket.place)

    @extend_schema_field(PlaceRefSerializer(allow_null=True))
    def get_grid(self, ticket):
        return place_ref(ticket.grid)

    @extend_schema_field(OwnerSerializer(allow_null=True))
    def get_owner(self, ticket):
        return owner_ref(ticket.owner_place, ticket.owner_department)

    def _revealed(self, ticket):
        return (self.context.get("revealed") or {}).get(ticket.pk)

    def to_representation(self, ticket):
        return shown_ticket_text(super().to_representation(ticket), ticket, self.context)

    def get_requester_name(self, ticket) -> str:
        revealed = self._revealed(ticket)
        return revealed["requester_name"] if revealed else mask_name(ticket.requester_name)

    def get_requester_phone(self, ticket) -> str:
        revealed = self._revealed(ticket)
        return revealed["requester_phone"] if revealed else mask_phone(ticket.requester_phone)

    @extend_schema_field(
        serializers.ChoiceField(choices=OVERDUE_STAGES, allow_null=True, read_only=True)
    )
    def get_overdue(self, ticket):
        return sla.overdue_stage(ticket, _now(self.context))


class TicketDetailSerializer(TicketListSerializer):
    building = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField(help_text="Masked unless revealed")
    lat = serializers.SerializerMethodField(help_text="The building's, or rounded, unless revealed")
    lng = serializers.SerializerMethodField(help_text="The building's, or rounded, unless revealed")
    requester_masked = serializers.SerializerMethodField(
        help_text="True when requester_name/phone are masked (use the requester endpoint)"
    )
    merged_into = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Null unless merged"
    )
    created_by = serializers.SerializerMethodField()
    photos = PhotoSerializer(many=True, read_only=True)
    callbacks = CallbackSerializer(many=True, read_only=True)
    extensions = serializers.SerializerMethodField()
    whistles = WhistleSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField(
        help_text="Actions the caller may take now (POST /tickets/{id}/{action}/)"
    )

    class Meta(TicketListSerializer.Meta):
        fields = [
            *TicketListSerializer.Meta.fields,
            "description",
            "address",
            "lat",
            "lng",
            "building",
            "requester_masked",
            "dispatched_at",
            "accepted_at",
            "contacted_at",
            "resolved_at",
            "closed_at",
            "return_count",
            "designated",
            "reopen_count",
            "resolution",
            "merged_into",
            "created_by",
            "updated_at",
            "photos",
            "callbacks",
            "extensions",
            "whistles",
            "allowed_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(PlaceRefSerializer(allow_null=True))
    def get_building(self, ticket):
        return place_ref(ticket.building)

    def get_requester_masked(self, ticket) -> bool:
        return self._revealed(ticket) is None

    def get_address(self, ticket) -> str:
        revealed = self._revealed(ticket)
        return revealed["address"] if revealed else ticket.masked_address()

    def _point(self, ticket):
        if self._revealed(ticket):
            return ticket.lat, ticket.lng
        return ticket.masked_point()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_lat(self, ticket):
        return self._point(ticket)[0]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_lng(self, ticket):
        return self._point(ticket)[1]

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_created_by(self, ticket):
        return actor_ref(ticket.created_by, ticket)

    @extend_schema_field(ExtensionSerializer(many=True))
    def get_extensions(self, ticket):
        extensions = lifecycle.extensions_of(ticket)
        # Most tickets have none (every new one): no list serializer built to say so.
        if not extensions:
            return []
        return ExtensionSerializer(extensions, many=True, context=self.context).data

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=lifecycle.ACTIONS))
    )
    def get_allowed_actions(self, ticket):
        request = self.context.get("request")
        return lifecycle.allowed_actions(ticket, request.user if request else None)


class SuggestionSerializer(serializers.Serializer):
    category = CategoryRefSerializer()
    score = serializers.FloatField(help_text="0 … 1, best first")


class ReportedPointSerializer(serializers.Serializer):
    lat = serializers.FloatField(help_text="As sent, to three decimals")
    lng = serializers.FloatField(help_text="As sent, to three decimals")
    grid = PlaceRefSerializer(allow_null=True, help_text="The grid it lies in; null: outside")
    note = serializers.CharField(help_text="What was done, in the request's language")


class TicketCreatedSerializer(TicketDetailSerializer):
    suggestions = serializers.SerializerMethodField(
        help_text="Category suggestions when the category was inferred from the text"
    )
    reported_point = serializers.SerializerMethodField(
        help_text="The lat/lng sent when they lie outside the grid of the building the "
        "address (or place code) names: not the ticket's point, which is the building's; "
        "kept in the create event. Null otherwise"
    )

    class Meta(TicketDetailSerializer.Meta):
        fields = [*TicketDetailSerializer.Meta.fields, "suggestions", "reported_point"]
        read_only_fields = fields

    @extend_schema_field(SuggestionSerializer(many=True))
    def get_suggestions(self, ticket):
        return _suggestions(self.context)

    @extend_schema_field(ReportedPointSerializer(allow_null=True))
    def get_reported_point(self, ticket):
        return _reported_point(self.context, ticket)

    @classmethod
    def represent_new(cls, ticket, context, photos=()):
        """The answer to an intake: `represent(ticket, context)` for a ticket just created
        (no callbacks, extensions or whistles yet; `photos`, the ones just stored), built
        here rather than by DRF's field-by-field machinery, which cost about as much CPU as
        writing the ticket (bench seed). The same answer, field for field and in the same
        order (a test compares the two); a field added to the serializer and not here
        fails loudly (KeyError) instead of going missing."""
        _known_empty(ticket, photos)
        revealed = (context.get("revealed") or {}).get(ticket.pk)
        if revealed:
            address, (lat, lng) = revealed["address"], (ticket.lat, ticket.lng)
            name, phone = revealed["requester_name"], revealed["requester_phone"]
        else:
            address, (lat, lng) = ticket.masked_address(), ticket.masked_point()
            name, phone = mask_name(ticket.requester_name), mask_phone(ticket.requester_phone)
        request = context.get("request")
        merged_into = ticket.merged_into
        values = {
            "id": ticket.pk,
            "code": ticket.code,
            "external_id": ticket.external_id,
            "channel": _choice(ticket.channel),
            "nature": _choice(ticket.nature),
            "title": ticket.title,
            "category": category_ref(ticket.category),
            "urgency": _choice(ticket.urgency),
            "status": _choice(ticket.status),
            "place": place_ref(ticket.place),
            "grid": place_ref(ticket.grid),
            "owner": owner_ref(ticket.owner_place, ticket.owner_department),
            "requester_name": name,
            "requester_phone": phone,
            "anonymous": bool(ticket.anonymous),
            "overdue": sla.overdue_stage(ticket, _now(context)),
            "version": ticket.version,
            "description": ticket.description,
            "address": address,
            "lat": lat,
            "lng": lng,
            "building": place_ref(ticket.building),
            "requester_masked": revealed is None,
            "return_count": ticket.return_count,
            "designated": bool(ticket.designated),
            "reopen_count": ticket.reopen_count,
            "resolution": ticket.resolution,
            "merged_into": merged_into.code if merged_into is not None else None,
            "created_by": actor_ref(ticket.created_by, ticket),
            "photos": PhotoSerializer(photos, many=True, context=context).data if photos else [],
            "callbacks": [],
            "extensions": [],
            "whistles": [],
            "allowed_actions": lifecycle.allowed_actions(ticket, request.user if request else None),
            "suggestions": _suggestions(context),
            "reported_point": _reported_point(context, ticket),
        }
        values.update(_datetimes(ticket, _NEW_TICKET_TIMES))
        return shown_ticket_text({name: values[name] for name in cls.Meta.fields}, ticket, context)


# The answer to an intake (TicketCreatedSerializer.represent_new): the datetimes of a ticket
# as its serializer's DateTimeFields give them, and its choices (ChoiceField: the value).
_DATETIME = serializers.DateTimeField()
_NEW_TICKET_TIMES = (
    "accept_by",
    "respond_by",
    "resolve_by",
    "created_at",
    "dispatched_at",
    "accepted_at",
    "contacted_at",
    "resolved_at",
    "closed_at",
    "updated_at",
)


def _datetimes(obj, names):
    """{name: as a DateTimeField gives it}, the time zone looked up once rather than per
    value; what is not aware ISO 8601 output goes through the field itself."""
    zone = timezone.get_current_timezone() if settings.USE_TZ else None
    iso = api_settings.DATETIME_FORMAT.lower() == ISO_8601
    shown = {}
    for name in names:
        value = getattr(obj, name)
        if value is None:
            shown[name] = None
        elif zone is not None and iso and isinstance(value, dt.datetime) and is_aware(value):
            text = value.astimezone(zone).isoformat()
            shown[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
        else:
            shown[name] = _DATETIME.to_representation(value)
    return shown


def _choice(value):
    return value if value in ("", None) else str(value)


def _suggestions(context):
    return [
        {"category": category_ref(category), "score": score}
        for category, score in context.get("suggestions") or []
    ]


def _reported_point(context, ticket):
    """intake.Location.reported_point as the answer to an intake shows it."""
    reported = context.get("reported_point")
    if not reported:
        return None
    grid = Place.objects.filter(code=reported["grid"]).first() if reported.get("grid") else None
    return {
        "lat": round(float(reported["lat"]), 3),
        "lng": round(float(reported["lng"]), 3),
        "grid": place_ref(grid),
        "note": intake.reported_point_note(reported, ticket.building),
    }


def _known_empty(ticket, photos):
    """A new ticket's related rows, as prefetch_related leaves them: querysets whose results
    are already there (its photos, the ones just stored); of none when there are none (half
    the CPU of the ticket's own): nothing filtered from them, as an action's guard does
    (allowed_actions), can exist either, so nothing is read back."""
    known = {"photos": photos, "callbacks": [], "extensions": [], "whistles": []}
    ticket._prefetched_objects_cache = {}
    for name, rows in known.items():
        if rows:
            queryset = getattr(ticket, name).all()
        else:
            queryset = _NO_ROWS[name]._chain()
        queryset._result_cache, queryset._prefetch_done = list(rows), True
        ticket._prefetched_objects_cache[name] = queryset


class _NoRows(dict):
    """name → `related model`.objects.none(), made once: each answer gets a copy of it
    (_chain, as every queryset method does), for a third of the CPU of making it anew
    (a manager's queryset, then none() copying it). Never evaluated itself."""

    def __missing__(self, name):
        self[name] = Ticket._meta.get_field(name).related_model.objects.none()
        return self[name]


_NO_ROWS = _NoRows()


class OptionalBooleanField(serializers.BooleanField):
    """A boolean that, when left out of a form, is absent rather than False."""

    default_empty_html = empty


_SURROGATE = re.compile("[\ud800-\udfff]")


class _NoSurrogates(ProhibitSurrogateCharactersValidator):
    """DRF's check, with one regex search first: its Python step per character took a
    fifth of the CPU of checking a demand (a 600-character description, bench seed)."""

    def __call__(self, value):
        if _SURROGATE.search(str(value)):
            super().__call__(value)  # its own message


class TextInput(serializers.CharField):
    """A CharField (same checks, same messages), checked for surrogates by _NoSurrogates."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            _NoSurrogates() if type(v) is ProhibitSurrogateCharactersValidator else v
            for v in self.validators
        ]


class TicketCreateSerializer(PrebuiltFieldsMixin, serializers.Serializer):
    """The intake fields; intake.create_ticket validates their meaning."""

    channel = serializers.ChoiceField(choices=Channel.choices)
    nature = serializers.ChoiceField(choices=Nature.choices)
    title = TextInput(max_length=200, required=False, allow_blank=True)
    description = TextInput(max_length=4000, required=False, allow_blank=True)
    address = TextInput(max_length=300, required=False, allow_blank=True)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    place = TextInput(
        max_length=64, required=False, allow_blank=True, help_text="Place code, instead of address"
    )
    requester_name = TextInput(max_length=100, required=False, allow_blank=True)
    requester_phone = TextInput(max_length=32, required=False, allow_blank=True)
    anonymous = OptionalBooleanField(required=False)
    category = TextInput(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="Category code; inferred from the text when left out",
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    answer = TextInput(
        required=False, allow_blank=True, help_text="Consultation answered on intake"
    )
    knowledge_answer = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of the standard answer used (知识库)"
    )
    external_id = TextInput(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="The sending platform's own case number (12345 工单编号); one ticket per "
        "channel and external_id: a second is refused with 409 external_id_exists",
    )

    def validate(self, attrs):
        if (attrs.get("answer") or attrs.get("knowledge_answer")) and attrs[
            "nature"
        ] != Nature.CONSULT:
            raise serializers.ValidationError(
                {"answer": [_("Only a consultation can be answered on intake.")]}
            )
        # One half of a point placed nothing and came back as an English "location" error.
        halves = {name: attrs.get(name) is not None for name in ("lat", "lng")}
        if halves["lat"] != halves["lng"]:
            missing = "lng" if halves["lat"] else "lat"
            raise serializers.ValidationError({missing: [_("Give lat and lng together.")]})
        return attrs


class TicketCreateMultipartSerializer(TicketCreateSerializer):
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="JPEG or PNG, ≤ 10 MB each, ≤ 9"
    )


class StepSerializer(serializers.Serializer):
    action = serializers.CharField()
    at = serializers.DateTimeField()
    text = serializers.CharField(help_text="The step in plain words, in the request's language")
    detail = serializers.CharField(help_text="The reply, on resolve and answer steps")


class MyTicketSerializer(serializers.ModelSerializer):
    """A requester's own demand (我的诉求): no staff, no internal steps, no personal data."""

    # What the requester is shown: internal steps (escalated, returned) in plain words.
    status = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()
    place = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField(help_text="The unit handling it")
    reply = serializers.CharField(source="resolution", help_text="The reply, once resolved")

    class Meta:
        model = Ticket
        fields = [
            "code",
            "channel",
            "title",
            "description",
            "status",
            "status_label",
            "place",
            "owner",
            "created_at",
            "resolve_by",
            "resolved_at",
            "closed_at",
            "reply",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=Status.choices))
    def get_status(self, ticket):
        return str(progress.public_status(ticket))

    def get_status_label(self, ticket) -> str:
        # As 我的诉求 words it for the requester asking (已办结，待您评价 when theirs to rate).
        user = self.context["request"].user
        return progress.label_for(user, ticket) or str(Status(progress.public_status(ticket)).label)

    @extend_schema_field(PlaceRefSerializer(allow_null=True))
    def get_place(self, ticket):
        return place_ref(ticket.place)

    @extend_schema_field(OwnerSerializer(allow_null=True))
    def get_owner(self, ticket):
        return owner_ref(ticket.owner_place, ticket.owner_department)


class MyTicketDetailSerializer(MyTicketSerializer):
    steps = StepSerializer(many=True, help_text="The steps that concern the requester")

    class Meta(MyTicketSerializer.Meta):
        fields = [*MyTicketSerializer.Meta.fields, "steps"]


# Keys of TicketEvent.data the API leaves out (see EventSerializer.get_data).
# request_digest: a keyed digest of the intake request, for Idempotency-Key replays only.
EVENT_DATA_NOT_SHOWN = {"duplicates", "request_digest"}


def _masked_value(name, value):
    if value is None or value == "":
        return value
    if name == "requester_name":
        return mask_name(value)
    if name == "requester_phone":
        return mask_phone(value)
    if name == "address":
        return mask_address(value)
    if name in ("lat", "lng"):
        return round(float(value), 3)  # as Ticket.masked_point: about 100 m, not the doorstep
    return value


def masked_changes(changes, shown=requester_text.as_written):
    """A correction's [old, new] values (lifecycle.correct) with the requester's name, phone
    and exact address masked: the timeline is not a reveal, and every viewer of the ticket
    reads it (a full view is GET /tickets/{id}/requester/, logged); its free text (title,
    description, reply) through `shown`, the viewer's version (requester_text.text_for)."""
    return {
        name: [
            shown(v)
            if name in TICKET_TEXT_FIELDS and isinstance(v, str)
            else _masked_value(name, v)
            for v in pair
        ]
        for name, pair in changes.items()
    }


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField(help_text="Null for acts of the system")
    owner = serializers.SerializerMethodField(help_text="Owner after the event")
    reason_text = serializers.SerializerMethodField(
        help_text="The reason as people read it: the system's own reasons (stored in `reason` "
        "as fixed English texts) in the request's language, typed reasons as `reason` shows them"
    )
    data = serializers.SerializerMethodField(help_text="What the event recorded")

    class Meta:
        model = TicketEvent
        fields = [
            "id",
            "action",
            "from_status",
            "to_status",
            "actor",
            "owner",
            "reason",
            "reason_text",
            "data",
            "at",
        ]
        read_only_fields = fields
        extra_kwargs = {"reason": {"help_text": f"Stored reason. {AS_THE_VIEWER_READS}"}}

    def get_reason_text(self, event) -> str:
        return self._shown(event)(lifecycle.reason_text(event.reason))

    def _shown(self, event):
        """The viewer's version of the ticket's free text: a typed reason is the reply on
        a resolve, the note of a contact or a callback, often the requester's words."""
        return requester_text.text_for(viewer(self.context), event.ticket)

    def to_representation(self, event):
        data = super().to_representation(event)
        data["reason"] = self._shown(event)(data["reason"])
        return data

    def get_data(self, event) -> dict:
        # The duplicates found at intake name other tickets, perhaps outside the viewer's
        # area, and whether the same caller is behind them: they are listed per viewer by
        # GET /api/v1/insights/duplicates/{code}/, not here.
        data = {k: v for k, v in (event.data or {}).items() if k not in EVENT_DATA_NOT_SHOWN}
        if isinstance(data.get("changes"), dict):
            data["changes"] = masked_changes(data["changes"], self._shown(event))
        if isinstance(data.get("reported_point"), dict):  # a phone's position: as masked_point
            point = data["reported_point"]
            data["reported_point"] = {
                **point,
                **{k: _masked_value(k, point.get(k)) for k in ("lat", "lng")},
            }
        return data

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_actor(self, event):
        return actor_ref(event.actor, event.ticket)

    @extend_schema_field(OwnerSerializer(allow_null=True))
    def get_owner(self, event):
        return owner_ref(event.owner_place, event.owner_department)


class ActionResultSerializer(serializers.Serializer):
    event = EventSerializer()
    ticket = TicketDetailSerializer()


class RequesterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    requester_name = serializers.CharField()
    requester_phone = serializers.CharField()
    address = serializers.CharField()
    anonymous = serializers.BooleanField()


# --- one request serializer per lifecycle action ------------------------------------------


class ActionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="The ticket version you saw; a different current version answers 409",
    )


class DispatchSerializer(ActionSerializer):
    unit = serializers.CharField(
        required=False,
        help_text="Place code of the office to dispatch to; 交办 (from accepted, in progress "
        "or reopened): required, an office below the holder covering the ticket's place",
    )
    department = serializers.CharField(
        required=False, help_text="Department code (instead of unit)"
    )
    reason = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(
        required=False,
        help_text="Category code: confirms or corrects the ticket's category (one the "
        "classifier was unsure of waits at the dispatch desk for this); routed by it",
    )

    def validate(self, attrs):
        # Both given, the department silently won: the ticket went where the caller did not
        # necessarily mean.
        if attrs.get("unit") and attrs.get("department"):
            raise serializers.ValidationError(
                {"department": [_("Give a unit or a department, not both.")]}
            )
        return attrs


class AcceptSerializer(ActionSerializer):
    note = serializers.CharField(required=False, allow_blank=True)


class ReturnSerializer(ActionSerializer):
    reason_code = serializers.ChoiceField(
        choices=[(k, str(v)) for k, v in lifecycle.RETURN_REASONS.items()]
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Required when reason_code is other"
    )


class DesignateSerializer(DispatchSerializer):
    pass


CONTACT_METHOD_CHOICE = _(
    "“{input}” is not a contact method: use phone, sms, wechat, visit or other."
)


class ContactSerializer(ActionSerializer):
    note = serializers.CharField(required=False, allow_blank=True)
    method = serializers.ChoiceField(
        choices=[(k, str(v)) for k, v in lifecycle.CONTACT_METHODS.items()],
        required=False,
        help_text="How the requester was reached: phone (default) 电话, sms 短信, wechat 微信, "
        "visit 上门走访, other 其他",
        error_messages={"invalid_choice": CONTACT_METHOD_CHOICE},
    )


class ExtendSerializer(ActionSerializer):
    until = serializers.DateTimeField(help_text="The requested new resolve_by")
    reason = serializers.CharField()


class ApproveExtensionSerializer(ActionSerializer):
    approve = OptionalBooleanField(required=False, help_text="false rejects; default true")
    reason = serializers.CharField(required=False, allow_blank=True)


class SuperviseSerializer(ActionSerializer):
    reason = serializers.CharField(required=False, allow_blank=True)
    stage = serializers.ChoiceField(choices=OVERDUE_STAGES, required=False)


class EscalateSerializer(ActionSerializer):
    reason = serializers.CharField(required=False, allow_blank=True)


class WhistleActionSerializer(ActionSerializer):
    departments = serializers.ListField(
        child=serializers.CharField(), allow_empty=False, help_text="Department codes to summon"
    )
    report_within_hours = serializers.FloatField(
        required=False,
        help_text="Office hours of working days (GRIDGOV_OFFICE_HOURS), default 8 (about the "
        "next working day); on an emergency or utility ticket clock hours, default 24",
    )
    reason = serializers.CharField()


class WhistleReportSerializer(ActionSerializer):
    department = serializers.CharField(help_text="Code of the reporting department")
    note = serializers.CharField(help_text="What the department did")


class WhistleRateSerializer(ActionSerializer):
    department = serializers.CharField()
    rating = serializers.ChoiceField(choices=Summons.Rating.choices)
    note = serializers.CharField(required=False, allow_blank=True)


class ResolveSerializer(ActionSerializer):
    reply = serializers.CharField(help_text="The reply to the requester")


class ResolveMultipartSerializer(ResolveSerializer):
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="JPEG or PNG, ≤ 10 MB each, ≤ 9"
    )


class AddPhotosSerializer(serializers.Serializer):
    photos = serializers.ListField(
        child=serializers.FileField(),
        allow_empty=False,
        help_text="JPEG or PNG, ≤ 10 MB each, ≤ 9",
    )


class PhotosAddedSerializer(serializers.Serializer):
    event = EventSerializer(help_text="The add-photos event: data.photos lists the ids")
    photos = PhotoSerializer(many=True)


class CallbackActionSerializer(ActionSerializer):
    resolved = OptionalBooleanField()
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    note = serializers.CharField(required=False, allow_blank=True)


class ReopenSerializer(ActionSerializer):
    reason = serializers.CharField()


class CloseSerializer(ActionSerializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Needed to close a resolved ticket"
    )


class MergeSerializer(ActionSerializer):
    into = serializers.CharField(help_text="Id or code of the surviving ticket")
    reason = serializers.CharField(required=False, allow_blank=True)


class AnswerSerializer(ActionSerializer):
    answer = serializers.CharField(required=False, allow_blank=True)
    knowledge_answer = serializers.IntegerField(required=False, help_text="Standard answer id")


ACTION_SERIALIZERS = {
    "dispatch": DispatchSerializer,
    "accept": AcceptSerializer,
    "return": ReturnSerializer,
    "designate": DesignateSerializer,
    "contact": ContactSerializer,
    "extend": ExtendSerializer,
    "approve-extension": ApproveExtensionSerializer,
    "supervise": SuperviseSerializer,
    "escalate": EscalateSerializer,
    "whistle": WhistleActionSerializer,
    "whistle-report": WhistleReportSerializer,
    "whistle-rate": WhistleRateSerializer,
    "resolve": ResolveSerializer,
    "callback": CallbackActionSerializer,
    "reopen": ReopenSerializer,
    "close": CloseSerializer,
    "merge": MergeSerializer,
    "answer": AnswerSerializer,
}
assert set(ACTION_SERIALIZERS) == set(lifecycle.ACTIONS), "one request serializer per action"


# --- reference data ---------------------------------------------------------------------------


class CategoryNodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    full_name = serializers.CharField()
    depth = serializers.IntegerField()
    home_level = serializers.ChoiceField(choices=HomeLevel.choices)
    default_urgency = serializers.ChoiceField(choices=Urgency.choices)
    grid_event = serializers.BooleanField()
    public = serializers.BooleanField(help_text="Listed as an Open311 service")
    public_space = serializers.BooleanField()
    active = serializers.BooleanField()
    children = serializers.SerializerMethodField()

    def get_children(self, node):
        return CategoryNodeSerializer(node["children"], many=True, context=self.context).data


CategoryNodeSerializer.get_children = extend_schema_field(CategoryNodeSerializer(many=True))(
    CategoryNodeSerializer.get_children
)


def category_tree(categories):
    """Nested dicts for CategoryNodeSerializer from a flat list of categories."""
    by_id = {c.pk: c for c in categories}
    nodes, roots = {}, []
    for category in categories:
        names, node = [], category
        while node is not None:
            names.append(node.name)
            node = by_id.get(node.parent_id)
        nodes[category.pk] = {
            "code": category.code,
            "name": category.name,
            "full_name": " / ".join(reversed(names)),
            "depth": category.depth,
            "home_level": category.home_level,
            "default_urgency": category.default_urgency,
            "grid_event": category.grid_event,
            "public": category.public,
            "public_space": category.public_space,
            "active": category.active,
            "children": [],
        }
    for category in categories:
        parent = nodes.get(category.parent_id)
        (parent["children"] if parent else roots).append(nodes[category.pk])
    return roots


class CodeField(serializers.SlugRelatedField):
    def __init__(self, queryset, **kwargs):
        super().__init__(slug_field="code", queryset=queryset, **kwargs)


class RoutingRuleSerializer(serializers.ModelSerializer):
    category = CodeField(Category.objects.all())
    place = CodeField(
        Place.objects.exclude(level=Level.BUILDING),
        allow_null=True,
        required=False,
        help_text="Tickets located under this place (null: everywhere)",
    )
    department = CodeField(Department.objects.all())
    category_name = serializers.CharField(source="category.full_name", read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True, allow_null=True)
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "category",
            "category_name",
            "place",
            "place_name",
            "department",
            "department_name",
            "note",
        ]
        validators = []  # uniqueness checked in validate(), also for rules without a place

    def validate(self, attrs):
        category = attrs.get("category", getattr(self.instance, "category", None))
        place = attrs.get("place", getattr(self.instance, "place", None))
        if routing.rule_taken(category, place, exclude=self.instance):
            raise serializers.ValidationError({"category": [routing.taken_message(place)]})
        return attrs


class TimeLimitChangeSerializer(serializers.ModelSerializer):
    """A row of the time limits' change record (sla.record_change): read-only."""

    district = serializers.CharField(source="district.code", allow_null=True, read_only=True)
    district_name = serializers.CharField(source="district.name", allow_null=True, read_only=True)
    changed_by = serializers.CharField(
        source="changed_by.username", allow_null=True, read_only=True
    )
    limits = serializers.ListField(
        child=serializers.DictField(),
        read_only=True,
        help_text="The saved limit's new values, or the removed limits' values: urgency, "
        "category (code or null), accept/respond/resolve as [value, unit]",
    )
    before = serializers.ListField(
        child=serializers.DictField(),
        read_only=True,
        help_text="What a save replaced ([] for a new limit and for removals)",
    )

    class Meta:
        model = TimeLimitChange
        fields = [
            "id",
            "action",
            "at",
            "changed_by",
            "district",
            "district_name",
            "limits",
            "before",
            "reason",
        ]
        read_only_fields = fields


class TimeLimitSerializer(serializers.ModelSerializer):
    category = CodeField(
        Category.objects.all(),
        allow_null=True,
        required=False,
        help_text="Category code (null: every category of this urgency)",
    )
    # Any place, so that a street's code is refused with its reason (not "no such place").
    place = CodeField(
        Place.objects.all(),
        allow_null=True,
        required=False,
        help_text="District code: the district's override (null: the whole city)",
    )
    place_name = serializers.CharField(source="place.name", read_only=True, allow_null=True)
    # Not a column of the limit: kept with the save in the change record (time-limit-changes).
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="Why (optional): kept with this change in the change record",
    )

    class Meta:
        model = TimeLimit
        fields = [
            "id",
            "urgency",
            "category",
            "place",
            "place_name",
            "accept_value",
            "accept_unit",
            "respond_value",
            "respond_unit",
            "resolve_value",
            "resolve_unit",
            "reason",
        ]
        extra_kwargs = {
            name: {"min_value": 1} for name in ("accept_value", "respond_value", "resolve_value")
        }
        validators = []  # uniqueness checked in validate(), also without a category

    def validate(self, attrs):
        urgency = attrs.get("urgency", getattr(self.instance, "urgency", None))
        category = attrs.get("category", getattr(self.instance, "category", None))
        place = attrs.get("place", getattr(self.instance, "place", None))
        error = TimeLimit.place_error(place)
        if error:
            raise serializers.ValidationError({"place": [error]})
        if sla.limit_taken(urgency, category, place, exclude=self.instance):
            raise serializers.ValidationError({"urgency": [sla.LIMIT_TAKEN]})
        # A PATCH of one part is checked against the row's other parts.
        order = sla.limit_order_error(
            *(
                tuple(
                    attrs.get(name, getattr(self.instance, name, None))
                    for name in (f"{stage}_value", f"{stage}_unit")
                )
                for stage in ("accept", "respond", "resolve")
            )
        )
        if order:
            raise serializers.ValidationError({order[0]: [order[1]]})
        return attrs


class CalendarDaySerializer(serializers.ModelSerializer):
    library_is_workday = serializers.SerializerMethodField(
        help_text="What the chinese-calendar library says (weekdays when it has no data)"
    )

    class Meta:
        model = CalendarDay
        fields = ["id", "date", "is_workday", "note", "library_is_workday"]
        # POST replaces the override of an existing date.
        extra_kwargs = {"date": {"validators": []}}

    def get_library_is_workday(self, day) -> bool:
        return _library_is_workday(day.date)


class KnowledgeAnswerSerializer(serializers.ModelSerializer):
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50
    )
    category = CodeField(Category.objects.all(), allow_null=True, required=False)
    reviewed_at = serializers.DateTimeField(
        read_only=True,
        help_text="Set to now when question, answer, keywords or category change, or with "
        "`reviewed`",
    )
    reviewed = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Confirm the answer still holds (仍然有效): moves reviewed_at",
    )
    stale = serializers.SerializerMethodField(
        help_text=f"Not reviewed for more than {knowledge.STALE_AFTER.days} days"
    )

    class Meta:
        model = KnowledgeAnswer
        fields = [
            "id",
            "question",
            "answer",
            "keywords",
            "category",
            "used_count",
            "reviewed_at",
            "reviewed",
            "stale",
            "active",
        ]
        read_only_fields = ["used_count"]

    def get_stale(self, answer) -> bool:
        return knowledge.is_stale(answer)

    # When the review date moves, and the change record, are knowledge.py's, as on the page.
    def create(self, validated_data):
        validated_data.pop("reviewed", None)
        return knowledge.save_answer(None, validated_data, **self._by())

    def update(self, instance, validated_data):
        reviewed = validated_data.pop("reviewed", False)
        return knowledge.save_answer(instance, validated_data, reviewed=reviewed, **self._by())

    def _by(self):
        return {"by": self.context["request"].user, "channel": KnowledgeAnswerChange.Channel.API}


class KnowledgeAnswerChangeSerializer(serializers.ModelSerializer):
    """A row of a standard answer's change record (knowledge.save_answer): read-only."""

    changed_by = serializers.CharField(
        source="changed_by.username", allow_null=True, read_only=True
    )
    before = serializers.DictField(
        read_only=True,
        help_text="The changed fields' values before ({} for an added answer): question, "
        "answer, keywords, category (code or null), active",
    )
    after = serializers.DictField(
        read_only=True, help_text="The same fields' values after the change"
    )

    class Meta:
        model = KnowledgeAnswerChange
        fields = ["id", "action", "at", "changed_by", "channel", "before", "after"]
        read_only_fields = fields


class FollowCitySerializer(serializers.Serializer):
    """Which district returns to the city-wide (全市) setting, and why: the query of DELETE
    kpis/weights/ and the body of POST time-limits/follow-city/."""

    district = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=(
            "The district's code. Left out: district staff return their own district; a "
            "superuser must name one."
        ),
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text="Why (optional)"
    )
