"""The tickets API under /api/v1/: thin views over intake.py and lifecycle.py.

- Tickets are read through `filters.visible_tickets`, so a ticket outside the
  caller's scope is a 404; an action the caller may not take is a 403, an
  action the ticket's state does not allow a 409 with the allowed actions, bad
  parameters a 400 — and nothing is written in any of those cases.
- Requester name and phone are masked in lists, in action answers and for
  callers without `tickets.view_requester`; the detail view and
  `/tickets/{id}/requester/` show them in full to entitled callers and write an
  AccessLog row each time (gridgov.people.personal_data.reveal).
- Reference data: categories (tree), routing rules, time limits, calendar
  overrides and the knowledge base, writable by street and district staff.
"""

import copy

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, permissions, renderers, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from gridgov.api.errors import bilingual_error, coded_error
from gridgov.api.params import page_parameters, refuse_unknown_parameters
from gridgov.people.models import AccessLog
from gridgov.people.personal_data import PersonalDataDenied, reveal
from gridgov.places.models import Level, Place

from . import (
    exports,
    filters,
    intake,
    knowledge,
    lifecycle,
    photos,
    progress,
    routing,
    sla,
    workdays,
)
from . import serializers as s
from .kpis import NO_SUCH_DISTRICT
from .models import (
    CalendarDay,
    Callback,
    Category,
    Extension,
    KnowledgeAnswer,
    RoutingRule,
    Summons,
    Ticket,
    TicketPhoto,
    TimeLimit,
    TimeLimitChange,
    Whistle,
)

# --- errors ---------------------------------------------------------------------------------

NO_EXPORT_PURPOSE = gettext_noop("Say what the contacts are needed for (purpose).")
NO_REQUESTER_RIGHT = gettext_noop(
    "Not allowed to see this requester's name and phone in full "
    "(only the owning unit's handlers and dispatchers)"
)
TOO_MANY_ROWS = gettext_noop("More than %(limit)s tickets; narrow the filters")
BAD_IDEMPOTENCY_KEY = gettext_noop("An Idempotency-Key may have at most 100 characters.")
NOT_ALLOWED_HERE = gettext_noop("Not allowed to change this setting for this place")


def invalid(errors):
    """400 with field errors {field: [messages]} in `error.detail`, like every 400 here."""
    return coded_error(400, "invalid", {k: [str(m) for m in v] for k, v in errors.items()})


def _as_lists(errors):
    return {k: v if isinstance(v, list | tuple) else [v] for k, v in errors.items()}


ERRORS = {
    400: OpenApiResponse(
        s.TicketErrorSerializer, description="Bad parameters: field errors in detail"
    ),
    401: OpenApiResponse(s.TicketErrorSerializer, description="Not signed in"),
    403: OpenApiResponse(s.TicketErrorSerializer, description="Not allowed"),
    404: OpenApiResponse(s.TicketErrorSerializer, description="Not found, or outside your area"),
    409: OpenApiResponse(
        s.TicketErrorSerializer,
        description="Not possible in the ticket's state (or it changed): detail.allowed lists "
        "the actions valid now, detail.allowed_for_you those you may take",
    ),
}


def errors(*codes):
    return {code: ERRORS[code] for code in codes}


class AnyAcceptedNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, answered at once for a request that accepts anything (no Accept
    header, or */*; no ?format= or format suffix): the first renderer, under its own media
    type, as DRF's loop concludes for it. Reading request.headers and query_params built
    both dictionaries on every intake (a sixtieth of its CPU, bench/intake_profile.py)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        first = renderers[0].media_type if renderers else ";"
        if (
            not format_suffix
            and not request.META.get("QUERY_STRING")
            and request.META.get("HTTP_ACCEPT", "*/*").strip() == "*/*"
            and ";" not in first
        ):
            return renderers[0], first
        return super().select_renderer(request, renderers, format_suffix)


class ImageRenderer(renderers.BaseRenderer):
    """Lets clients ask for a photo by Accept header; errors still come as JSON."""

    media_type = "image/*"
    format = "image"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return renderers.JSONRenderer().render(data)


class XlsxRenderer(renderers.BaseRenderer):
    """Lets clients ask for the sheet by Accept header; errors still come as JSON."""

    media_type = exports.CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


# --- tickets ----------------------------------------------------------------------------------

ACTION_SUMMARIES = {
    "dispatch": "派单: give the ticket to a unit (default: its route); 交办: the office "
    "handling it hands it to an office below it",
    "accept": "签收: the owning unit signs for the ticket",
    "return": "退单: the owning unit sends it back with a reason, within 1 working day",
    "designate": "指定: after 3 returns, the street names the owner; no more returns",
    "contact": "响应: first contact with the requester",
    "extend": "延期申请: ask for a later resolve_by, before it passes",
    "approve-extension": "延期审批: the unit above approves (or rejects) the request",
    "supervise": "督办: record pressure from above on an overdue ticket",
    "escalate": "上报: hand the ticket up one level (网格 → 社区 → 街道)",
    "whistle": "吹哨: the street summons departments, each with a report-by deadline",
    "whistle-report": "报到: a summoned department reports arrival and action",
    "whistle-rate": "评价: the street rates a summoned department's response (1-4)",
    "resolve": "办结: reply to the requester (JSON, or multipart with photos)",
    "callback": "回访: resolved? satisfied / basic / dissatisfied; closes or reopens",
    "reopen": "重启: reopen a resolved or closed ticket against the same unit",
    "close": "关闭: close a resolved (with a reason) or answered ticket",
    "merge": "合并: merge a duplicate into a surviving open ticket",
    "answer": "答复: answer a consultation from the knowledge base",
}
assert set(ACTION_SUMMARIES) == set(lifecycle.ACTIONS)

LIST_RELATED = ("category__parent__parent", "place", "grid", "owner_place", "owner_department")


def detail_queryset(queryset):
    return queryset.select_related(
        *LIST_RELATED, "building", "merged_into", "created_by"
    ).prefetch_related(
        Prefetch("photos", queryset=TicketPhoto.objects.order_by("id")),
        Prefetch(
            "callbacks",
            queryset=Callback.objects.select_related(
                "by", "owner_place", "owner_department"
            ).order_by("at", "id"),
        ),
        Prefetch("extensions", queryset=Extension.objects.select_related("requested_by")),
        Prefetch(
            "whistles",
            queryset=Whistle.objects.select_related("street", "blown_by")
            .prefetch_related(
                Prefetch(
                    "summonses",
                    queryset=Summons.objects.select_related("department").order_by("id"),
                )
            )
            .order_by("blown_at", "id"),
        ),
    )


def clean_photos(uploads):
    try:
        return photos.clean_all(uploads)
    except photos.PhotoError as exc:
        raise invalid({"photos": [str(exc)]}) from None


class TicketViewSet(viewsets.GenericViewSet):
    """诉求工单: intake, list, detail, timeline, requester, export and one endpoint per action."""

    queryset = Ticket.objects.all()
    serializer_class = s.TicketListSerializer
    filterset_class = filters.TicketFilter
    # A misspelt filter (?statuss=accepted) is a 400, not the whole area.
    filter_backends = [filters.KnownParamsFilterBackend]
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    content_negotiation_class = AnyAcceptedNegotiation
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        queryset = filters.visible_tickets(self.request.user)
        if self.action in ("list", "export"):
            queryset = filters.with_next_deadline(queryset.select_related(*LIST_RELATED))
            return queryset.order_by("-created_at", "-id")
        if self.action == "retrieve":
            return detail_queryset(queryset)
        return queryset.select_related("place", "owner_place", "owner_department")

    def context(self, **extra):
        return {"request": self.request, "now": timezone.now(), **extra}

    def detail_data(self, ticket_id, serializer_class=s.TicketDetailSerializer, **context):
        # Read afresh without scope: the caller has just acted on (or created) it.
        ticket = detail_queryset(Ticket.objects.all()).get(pk=ticket_id)
        return serializer_class.represent(ticket, self.context(**context))

    def created_data(self, ticket, suggestions, reported_point=None):
        """The answer to an intake, from the objects in hand: nothing to read back."""
        photos = list(ticket.photos.order_by("id")) if self.request.FILES else []
        context = self.context(suggestions=suggestions, reported_point=reported_point)
        return s.TicketCreatedSerializer.represent_new(ticket, context, photos)

    @extend_schema(
        summary="List tickets in your area",
        description=(
            "Requester data is always masked in lists. Filters combine with AND. A query "
            "parameter that is neither a filter nor page, page_size or format (a misspelt "
            "filter) is refused with 400 `unknown_parameter`, naming it (`detail.unknown`) "
            "and the allowed ones (`detail.allowed`)."
        ),
        responses={200: s.TicketListSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        data = s.TicketListSerializer(page, many=True, context=self.context()).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Take in a demand (一网受理)",
        description=(
            "Locates (address, lat+lng or place code), classifies (category inferred from the "
            "text when left out: see `suggestions`), computes deadlines, routes and dispatches "
            "the ticket — or leaves it at the street's dispatch desk. A consultation with "
            "`answer` or `knowledge_answer` is answered and closed at once. With an "
            "`Idempotency-Key`, a retry returns the ticket created first, with 200; the key "
            "sent with a different demand is refused with 422. `external_id` is the sending "
            "platform's own case number (12345 工单编号, a mini-program's id): a second demand "
            "with the same `channel` and `external_id` — from any caller, or imported before "
            "— is refused with 409 `external_id_exists`, and nothing is written; the ticket "
            "is named (in the message and `detail.ticket`) only to a caller who may view it."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Any unique string (≤ 100 characters) per submission",
            )
        ],
        request={
            "application/json": s.TicketCreateSerializer,
            "multipart/form-data": s.TicketCreateMultipartSerializer,
        },
        responses={
            201: s.TicketCreatedSerializer,
            200: OpenApiResponse(
                s.TicketCreatedSerializer, description="Retry with a known Idempotency-Key"
            ),
            **errors(400, 401, 403),
            409: OpenApiResponse(
                s.TicketErrorSerializer,
                description="A ticket has this channel and external_id already "
                "(external_id_exists): detail.ticket {id, code} if you may view it; "
                "nothing was written",
            ),
            422: OpenApiResponse(
                s.TicketErrorSerializer,
                description="The Idempotency-Key filed a different demand before "
                "(idempotency_key_reused); nothing was written",
            ),
        },
    )
    def create(self, request):
        data, errors = s.TicketCreateSerializer.validated(request.data)
        if errors:
            raise invalid(_as_lists(errors))
        data = {k: v for k, v in data.items() if v not in (None, "")}
        key = (request.headers.get("Idempotency-Key") or "").strip() or None
        if key and len(key) > 100:
            raise bilingual_error(400, "invalid", BAD_IDEMPOTENCY_KEY)
        try:
            result = intake.create_ticket(
                data,
                actor=request.user,
                idempotency_key=key,
                photos=request.FILES.getlist("photos"),
            )
        except intake.IdempotencyConflict as exc:
            # The ticket the key filed, for a client to follow up without parsing the message.
            raise bilingual_error(
                exc.status_code,
                "idempotency_key_reused",
                intake.KEY_REUSED,
                detail={"ticket": {"id": exc.ticket.pk, "code": exc.ticket.code}},
                ticket=exc.ticket.code,
            ) from None
        except intake.ExternalIdTaken as exc:
            # The same case pushed again: refused, naming the ticket it became to a caller
            # who may view it (unlike a retry under its Idempotency-Key, which is answered
            # with that ticket); to others without it, as for a ticket they cannot see.
            if exc.ticket is None:
                raise bilingual_error(
                    exc.status_code,
                    "external_id_exists",
                    intake.EXTERNAL_ID_TAKEN_UNNAMED,
                    detail={"external_id": exc.external_id},
                    external_id=exc.external_id,
                ) from None
            raise bilingual_error(
                exc.status_code,
                "external_id_exists",
                intake.EXTERNAL_ID_TAKEN,
                detail={
                    "ticket": {"id": exc.ticket.pk, "code": exc.ticket.code},
                    "external_id": exc.external_id,
                },
                external_id=exc.external_id,
                ticket=exc.ticket.code,
            ) from None
        except intake.IntakeError as exc:
            raise invalid(_as_lists(exc.errors)) from None
        except lifecycle.LifecycleError as exc:  # answering on intake was refused
            raise self.refusal(exc) from None
        if result.created:
            data = self.created_data(
                result.ticket, result.suggestions, result.location.reported_point
            )
        else:
            data = self.detail_data(
                result.ticket.pk,
                s.TicketCreatedSerializer,
                suggestions=_stored_suggestions(result.ticket),
                reported_point=intake.reported_point_of(result.ticket),
            )
        response = Response(data, status=status.HTTP_201_CREATED if result.created else 200)
        response["Location"] = request.build_absolute_uri(f"{result.ticket.pk}/")
        if not result.created:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(
        summary="One ticket with photos, callbacks, extensions, whistles and your actions",
        description=(
            "Requester name and phone, the exact address and point are shown in full to the "
            "owning unit's handlers and dispatchers, and every such view is written to the "
            "access log; others see them masked (`requester_masked`): the address as the "
            "building the ticket was resolved to (else its numbers starred), the point as "
            "the building's (else to three decimals)."
        ),
        responses={200: s.TicketDetailSerializer, **errors(401, 404)},
    )
    def retrieve(self, request, pk=None):
        ticket = self.get_object()
        revealed = {}
        if ticket.has_personal_data and request.user.has_perm(Ticket.PERSONAL_DATA_PERM, ticket):
            revealed[ticket.pk] = reveal(
                request.user,
                ticket,
                channel=AccessLog.Channel.API,
                request=request,
                purpose="ticket detail",
            )
        data = s.TicketDetailSerializer(ticket, context=self.context(revealed=revealed)).data
        response = Response(data)
        if revealed:
            response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="Timeline: every event with actor, owner and time",
        responses={200: s.EventSerializer(many=True), **errors(401, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def events(self, request, pk=None):
        # Actions without a filterset pass the ticket list's backend: each refuses here.
        refuse_unknown_parameters(request)
        ticket = self.get_object()
        events = ticket.events.select_related("actor", "owner_place", "owner_department").order_by(
            "at", "id"
        )
        return Response(s.EventSerializer(events, many=True, context=self.context()).data)

    @extend_schema(
        summary="My demands (我的诉求): those I reported myself or that name me as requester",
        description="Newest first, for any signed-in user: residents and volunteers too.",
        responses={200: s.MyTicketSerializer(many=True), **errors(401)},
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def mine(self, request):
        refuse_unknown_parameters(request, *page_parameters(self))
        page = self.paginate_queryset(progress.own_tickets(request.user))
        data = s.MyTicketSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="One of my demands with its steps (我的诉求)",
        description=(
            "The steps that concern the requester: received, passed to a unit, signed for, "
            "contacted, more time granted, resolved with the reply, called back, reopened, "
            "closed, merged. Internal acts and staff names are left out."
        ),
        parameters=[OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: s.MyTicketDetailSerializer, **errors(401, 404)},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"mine/(?P<code>[^/]+)",
        pagination_class=None,
        filterset_class=None,
    )
    def mine_detail(self, request, code=None):
        refuse_unknown_parameters(request)
        return Response(self.my_ticket_data(self.my_ticket(code)))

    @extend_schema(
        summary="Rate one of my resolved demands (评价)",
        description=(
            "The requester answers the callback questions themselves: `resolved` and "
            "`satisfaction` (satisfied / basic / dissatisfied), optional `note`. Satisfied "
            "or basically satisfied with a resolved demand closes it; otherwise it is "
            "reopened for its unit. A demand merged into another is rated once that one is "
            "resolved. Counts in the unit's KPIs like a callback."
        ),
        parameters=[OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH)],
        request=s.CallbackActionSerializer,
        responses={200: s.MyTicketDetailSerializer, **errors(400, 401, 404, 409)},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path=r"mine/(?P<code>[^/]+)/rate",
        pagination_class=None,
        filterset_class=None,
    )
    def mine_rate(self, request, code=None):
        ticket = self.my_ticket(code)
        serializer = s.CallbackActionSerializer(data=request.data)
        if not serializer.is_valid():
            raise invalid(_as_lists(serializer.errors))
        params = dict(serializer.validated_data)
        version = params.pop("version", None)
        try:
            lifecycle.perform(ticket, "callback", request.user, expected_version=version, **params)
        except lifecycle.LifecycleError as exc:
            raise self.refusal(exc, requester=True) from None
        return Response(self.my_ticket_data(self.my_ticket(code)))

    def my_ticket(self, code):
        ticket = progress.own_ticket(self.request.user, code)
        if ticket is None:
            raise Http404
        return ticket

    def my_ticket_data(self, ticket):
        ticket.steps = progress.steps(ticket, viewer=self.request.user)
        return s.MyTicketDetailSerializer(ticket, context={"request": self.request}).data

    @extend_schema(
        summary="A photo of the ticket",
        description="Photos are served through the ticket's scope, not as public media.",
        parameters=[OpenApiParameter("photo_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY),
            **errors(401, 404),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"photos/(?P<photo_id>[0-9]+)",
        pagination_class=None,
        filterset_class=None,
        renderer_classes=[renderers.JSONRenderer, ImageRenderer],
    )
    def photo(self, request, pk=None, photo_id=None):
        refuse_unknown_parameters(request)
        ticket, sees = self.photos_ticket(pk)
        shown = photos.shown_to(ticket, request.user, sees)
        return photos.file_response(get_object_or_404(shown, pk=photo_id))

    def photos_ticket(self, pk):
        """(ticket, whether the caller sees it) for the photo endpoints: a ticket in the
        caller's area, else one of their own demands (我的诉求: its requester, or the
        account that reported it, as a mini-program does), else 404."""
        ticket = self.get_queryset().filter(pk=pk).first()
        if ticket is not None:
            return ticket, True
        ticket = progress.own_tickets(self.request.user).filter(pk=pk).first()
        if ticket is None:
            raise Http404
        return ticket, False

    @extend_schema(
        methods=["GET"],
        summary="The ticket's photos",
        description=(
            "Every photo of the ticket, oldest first, each with `event`: null for those "
            "filed with it, else the event that added it (resolve, add-photos). Its "
            "requester, when the ticket is not in their area, sees those of 我的诉求 (filed "
            "with it, the result's) and the ones they added."
        ),
        responses={200: s.PhotoSerializer(many=True), **errors(401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add photos to a ticket after intake (补充照片)",
        description=(
            f"Multipart, one or more `photos` (at most {photos.MAX_PHOTOS}): JPEG or PNG, "
            "≤ 10 MB each, re-encoded, EXIF (GPS position included) removed, as at intake. "
            "For those who act on the ticket: the owning unit's handlers, the units above "
            "it, the dispatch desk, a summoned department, and its requester or the account "
            "that reported it (a mini-program); those who only see it get 403, others 404. "
            "Writes one `add-photos` event (data.photos: the photo ids) shown in the "
            "timeline. A closed or merged ticket is 409 with the reason; nothing is written "
            "on any error. The ticket's `updated_at` moves, its `version` does not."
        ),
        request={"multipart/form-data": s.AddPhotosSerializer},
        responses={201: s.PhotosAddedSerializer, **errors(400, 401, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="photos",
        url_name="photos",
        pagination_class=None,
        filterset_class=None,
        parser_classes=[MultiPartParser],
    )
    def ticket_photos(self, request, pk=None):
        ticket, sees = self.photos_ticket(pk)
        if request.method == "GET":
            refuse_unknown_parameters(request)
            shown = photos.shown_to(ticket, request.user, sees).order_by("id")
            return Response(s.PhotoSerializer(shown, many=True, context=self.context()).data)
        serializer = s.AddPhotosSerializer(data=request.data)
        if not serializer.is_valid():
            raise invalid(_as_lists(serializer.errors))
        cleaned = clean_photos(request.FILES.getlist("photos"))
        try:
            event, stored = photos.add(ticket, cleaned, request.user)
        except lifecycle.LifecycleError as exc:
            raise self.refusal(exc, ticket, requester=not sees) from None
        event = (
            type(event)
            .objects.select_related("actor", "owner_place", "owner_department", "ticket")
            .get(pk=event.pk)
        )
        data = {
            "event": s.EventSerializer(event, context=self.context()).data,
            "photos": s.PhotoSerializer(stored, many=True, context=self.context()).data,
        }
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Requester name, phone and the exact address in full (logged)",
        description=(
            "Needs `tickets.view_requester` for the ticket (owning unit's handlers, "
            "dispatchers); every call writes an access log row."
        ),
        parameters=[
            OpenApiParameter("purpose", OpenApiTypes.STR, description="Why the data is needed")
        ],
        responses={200: s.RequesterSerializer, **errors(401, 403, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def requester(self, request, pk=None):
        refuse_unknown_parameters(request, "purpose")
        ticket = self.get_object()
        try:
            values = reveal(
                request.user,
                ticket,
                channel=AccessLog.Channel.API,
                request=request,
                purpose=request.query_params.get("purpose", "").strip() or "requester",
            )
        except PersonalDataDenied:
            raise bilingual_error(403, "permission_denied", NO_REQUESTER_RIGHT) from None
        response = Response({"id": ticket.pk, "anonymous": ticket.anonymous, **values})
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="Excel export of the filtered list",
        operation_id="v1_tickets_export_xlsx",
        description=(
            f"Same filters as the list; at most {exports.MAX_ROWS} rows. Requester names "
            "and phones are masked, unless `purpose` says what the contacts are needed for: "
            "then rows you may see in full are in full, and each of those tickets is written "
            "to the access log with that purpose and the fields shown in full, as a reveal is."
        ),
        filters=True,
        parameters=[
            OpenApiParameter(
                "purpose",
                OpenApiTypes.STR,
                description="Export with contacts, for this purpose (logged; ≤ 200 characters)",
            )
        ],
        responses={
            (200, exports.CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="The .xlsx workbook"
            ),
            **errors(400, 401),
        },
    )
    def export(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        now = timezone.now()
        purpose = request.query_params.get("purpose")
        try:
            content = exports.export_tickets(
                queryset, request.user, request, now=now, purpose=purpose
            )
        except exports.TooManyRows as exc:
            raise bilingual_error(400, "too_many_rows", TOO_MANY_ROWS, limit=exc.count) from None
        except exports.NoPurpose:
            raise bilingual_error(400, "invalid", NO_EXPORT_PURPOSE) from None
        response = HttpResponse(content, content_type=exports.CONTENT_TYPE)
        response["Content-Disposition"] = exports.content_disposition(now)
        response["Cache-Control"] = "no-store"
        return response

    def run_action(self, request, name):
        ticket = self.get_object()
        serializer = s.ACTION_SERIALIZERS[name](data=request.data)
        if not serializer.is_valid():
            raise invalid(_as_lists(serializer.errors))
        params = dict(serializer.validated_data)
        version = params.pop("version", None)
        params.pop("photos", None)
        cleaned = clean_photos(request.FILES.getlist("photos")) if name == "resolve" else []
        try:
            with transaction.atomic():
                event = lifecycle.perform(
                    ticket, name, request.user, expected_version=version, **params
                )
                photos.attach(ticket, cleaned, event)
        except lifecycle.LifecycleError as exc:
            raise self.refusal(exc, ticket) from None
        event = (
            type(event)
            .objects.select_related("actor", "owner_place", "owner_department")
            .get(pk=event.pk)
        )
        return Response(
            {
                "event": s.EventSerializer(event, context=self.context()).data,
                "ticket": self.detail_data(ticket.pk),
            }
        )

    def refusal(self, exc, ticket=None, requester=False):
        """The ApiError for a lifecycle refusal: 409 with allowed actions, 403, or 400.
        `requester`: told why and where the demand is, not which staff acts (supervise,
        whistle, merge …) it is open to: those stay internal."""
        detail = {"reason": str(exc.message), **exc.detail}
        if isinstance(exc, lifecycle.InvalidTransition) and ticket is not None:
            fresh = Ticket.objects.select_related(
                "category", "place", "owner_place", "owner_department"
            ).get(pk=ticket.pk)
            detail.setdefault("allowed", lifecycle.allowed_actions(fresh))
            detail["allowed_for_you"] = lifecycle.allowed_actions(fresh, self.request.user)
            detail["status"] = fresh.status
            detail["version"] = fresh.version
        if requester:
            detail = {k: v for k, v in detail.items() if k in ("reason", "status")}
        return coded_error(exc.status_code, exc.code, detail)


def _stored_suggestions(ticket):
    """The suggestions made when the ticket was created (for an idempotent replay)."""
    created = ticket.events.filter(action="create").first()
    pairs = (created.data or {}).get("suggestions") or [] if created else []
    by_code = Category.objects.select_related("parent__parent").in_bulk(
        [code for code, _score in pairs], field_name="code"
    )
    return [(by_code[code], score) for code, score in pairs if code in by_code]


def _action_method(name):
    request = s.ACTION_SERIALIZERS[name]
    if name == "resolve":
        request = {
            "application/json": s.ResolveSerializer,
            "multipart/form-data": s.ResolveMultipartSerializer,
        }

    def handler(self, request, pk=None):
        return self.run_action(request, name)

    handler.__name__ = handler.__qualname__ = "act_" + name.replace("-", "_")
    handler.__doc__ = ACTION_SUMMARIES[name]
    handler = action(
        detail=True,
        methods=["post"],
        url_path=name,
        url_name=name,
        pagination_class=None,
        filterset_class=None,
    )(handler)
    return extend_schema(
        summary=ACTION_SUMMARIES[name],
        description=(
            f"Applies `{name}` through the ticket lifecycle. Optional `version`: the ticket "
            "version you saw (409 if it changed). Answers the event written and the ticket."
        ),
        request=request,
        responses={200: s.ActionResultSerializer, **errors(400, 401, 403, 404, 409)},
    )(handler)


for _name in lifecycle.ACTIONS:
    setattr(TicketViewSet, "act_" + _name.replace("-", "_"), _action_method(_name))

# One group in /api/docs/ (after the actions exist): the default tag put them among a
# hundred operations of every module under "v1".
TicketViewSet = extend_schema(tags=["tickets"])(TicketViewSet)


# --- reference data ---------------------------------------------------------------------------


class SettingsPermission(permissions.IsAuthenticated):
    """Reads need `tickets.view_settings`, writes the view's `manage_perm`."""

    def perm(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return "tickets.view_settings"
        return view.manage_perm

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.user.has_perm(self.perm(request, view))

    def has_object_permission(self, request, view, obj):
        return request.user.has_perm(self.perm(request, view), obj)


class SettingsViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [SettingsPermission]
    http_method_names = ["get", "post", "patch", "head", "options"]
    manage_perm = None  # each settings view names its own write permission

    def check_candidate(self, serializer):
        """Check the manage permission on the object as it would be saved."""
        candidate = copy.copy(serializer.instance) if serializer.instance else None
        if candidate is None:
            candidate = serializer.Meta.model()
        for name, value in serializer.validated_data.items():
            setattr(candidate, name, value)
        if not self.request.user.has_perm(self.manage_perm, candidate):
            raise self.refused(candidate)

    def refused(self, obj):
        """The 403 for a write the manage permission refuses on `obj`."""
        return bilingual_error(403, "permission_denied", NOT_ALLOWED_HERE)

    def perform_create(self, serializer):
        self.check_candidate(serializer)
        serializer.save()

    def perform_update(self, serializer):
        self.check_candidate(serializer)
        serializer.save()


SETTINGS_ERRORS = errors(400, 401, 403)


@extend_schema(tags=["categories"])
class CategoryTreeView(APIView):
    """The category tree (taxonomy plus grid event types) with home levels."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Category tree",
        parameters=[
            OpenApiParameter(
                "active", OpenApiTypes.BOOL, description="Only active categories (default: all)"
            )
        ],
        responses={200: s.CategoryNodeSerializer(many=True), **errors(401)},
    )
    def get(self, request):
        refuse_unknown_parameters(request, "active")
        categories = Category.objects.order_by("depth", "code")
        if request.query_params.get("active") in ("true", "1"):
            categories = categories.filter(active=True)
        tree = s.category_tree(list(categories))
        return Response(s.CategoryNodeSerializer(tree, many=True).data)


@extend_schema(tags=["routing-rules"])
class RoutingRuleViewSet(SettingsViewSet):
    """分类交办表: category × place → department. Listed: the rules that route tickets in
    your area (routing.visible_rules, as on the routing page); others are 404. Street staff
    write rules for places of their street, district staff also rules for everywhere."""

    queryset = RoutingRule.objects.none()  # per user: get_queryset
    serializer_class = s.RoutingRuleSerializer
    filterset_class = filters.RoutingRuleFilter
    manage_perm = "tickets.manage_routing"

    def get_queryset(self):
        return routing.visible_rules(self.request.user).order_by("category__code", "id")

    def perform_create(self, serializer):
        self.check_candidate(serializer)
        self.save_or_taken(serializer)

    def perform_update(self, serializer):
        self.check_candidate(serializer)
        self.save_or_taken(serializer)

    def save_or_taken(self, serializer):
        """Save, or the 400 validate() gives when another request saved a rule for the same
        category and place since it looked (the unique constraints refuse this one)."""
        try:
            with transaction.atomic():
                serializer.save()
        except IntegrityError:
            instance = serializer.instance
            place = serializer.validated_data.get("place", getattr(instance, "place", None))
            detail = {"category": [routing.taken_message(place)]}
            raise drf_serializers.ValidationError(detail) from None


class ExplainsReadOnly:
    """Settings every staff member reads and few write: a write by a reader is refused
    with who writes them (`read_only`), not DRF's bare "no permission"."""

    read_only = None  # message id

    def permission_denied(self, request, message=None, code=None):
        if request.user.is_authenticated and request.method not in permissions.SAFE_METHODS:
            raise bilingual_error(403, "permission_denied", self.read_only)
        super().permission_denied(request, message=message, code=code)


@extend_schema(tags=["time-limits"])
class TimeLimitViewSet(ExplainsReadOnly, SettingsViewSet):
    """时限表: deadlines by urgency and (optionally) category, for the whole city (`place`
    null) or overridden for a district. Listed: the city-wide rows and your district's
    (sla.visible_limits, as on the page); others are 404. District staff write their
    district's rows, superusers the city-wide ones too; everyone else reads."""

    queryset = TimeLimit.objects.none()  # per user: get_queryset
    serializer_class = s.TimeLimitSerializer
    filterset_class = filters.TimeLimitFilter
    manage_perm = "tickets.manage_time_limits"
    read_only = sla.LIMITS_READ_ONLY

    def get_queryset(self):
        return sla.visible_limits(self.request.user).order_by("urgency", "id")

    def check_object_permissions(self, request, obj):
        # Someone else's row (the city's): say whose it is.
        if request.method not in permissions.SAFE_METHODS:
            if not request.user.has_perm(self.manage_perm, obj):
                raise self.refused(obj)
        super().check_object_permissions(request, obj)

    def refused(self, obj):
        message, params = sla.limit_refusal(self.request.user, obj)
        return bilingual_error(403, "permission_denied", message, **params)

    # Every write is kept in the change record (sla.save_limit: who, when, what before, and
    # the body's `reason`, which is no column of the limit).
    def perform_create(self, serializer):
        reason = serializer.validated_data.pop("reason", "")
        self.check_candidate(serializer)
        sla.save_limit(self.request.user, None, serializer.save, reason)

    def perform_update(self, serializer):
        reason = serializer.validated_data.pop("reason", "")
        self.check_candidate(serializer)
        sla.save_limit(self.request.user, serializer.instance.pk, serializer.save, reason)

    @extend_schema(
        summary="Return a district to the city-wide time limits (恢复使用全市设置)",
        description=(
            "Removes every time limit of the district's own at once: tickets filed from now "
            "on run on the city-wide limits (and their later changes); deadlines already "
            "given to tickets are not recomputed. The removed rows' values are kept in the "
            "change record with who, when and why (`removed`). A district's staff return "
            "their own district (left out: theirs), superusers any; another district's "
            "staff 403, street, community and grid staff 403. A district with no limits of "
            "its own: 400, nothing written."
        ),
        request=s.FollowCitySerializer,
        responses={
            200: inline_serializer(
                "TimeLimitsFollowCity",
                {
                    "district": drf_serializers.CharField(),
                    "follows_city": drf_serializers.BooleanField(),
                    "at": drf_serializers.DateTimeField(),
                    "changed_by": drf_serializers.CharField(allow_null=True),
                    "reason": drf_serializers.CharField(),
                    "removed": drf_serializers.ListField(child=drf_serializers.DictField()),
                },
            ),
            **SETTINGS_ERRORS,
        },
    )
    @action(detail=False, methods=["post"], url_path="follow-city", filterset_class=None)
    def follow_city(self, request):
        query = s.FollowCitySerializer(data=request.data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        user = request.user
        code = (data.get("district") or "").strip()
        if code:
            district = Place.objects.filter(code=code, level=Level.DISTRICT).first()
            if district is None:
                raise bilingual_error(400, "invalid", NO_SUCH_DISTRICT, district=code)
        else:
            own = list(sla.writable_districts(user)) if not user.is_superuser else []
            if len(own) != 1:
                raise bilingual_error(400, "invalid", sla.NAME_A_LIMITS_DISTRICT)
            district = own[0]
        probe = TimeLimit(place=district)
        if not user.has_perm(self.manage_perm, probe):
            raise self.refused(probe)
        try:
            change = sla.follow_city(user, district, data.get("reason", "").strip())
        except sla.NothingToReturn:
            raise bilingual_error(
                400, "invalid", sla.NO_OWN_LIMITS, district=district.name
            ) from None
        return Response(
            {
                "district": district.code,
                "follows_city": True,
                "at": timezone.localtime(change.at).isoformat(),
                "changed_by": user.username,
                "reason": change.reason,
                "removed": change.limits,
            }
        )


@extend_schema(tags=["time-limits"])
class TimeLimitChangeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """时限变更记录: every save and removal of a time limit and every district's return to the
    city-wide limits (恢复使用全市设置), newest first: who, when, the values and what a save
    replaced. Listed for the limits you see (GET time-limits/): the city's changes and those
    of your district. Nothing here is written but by the changes themselves."""

    permission_classes = [SettingsPermission]
    manage_perm = "tickets.manage_time_limits"  # asked of writes, which answer 405 here
    serializer_class = s.TimeLimitChangeSerializer
    filter_backends = [filters.KnownParamsFilterBackend]  # ?distrct= is refused
    filterset_class = filters.TimeLimitChangeFilter
    queryset = TimeLimitChange.objects.none()  # per user: get_queryset

    def get_queryset(self):
        return sla.visible_changes(self.request.user).order_by("-at", "-id")


@extend_schema(tags=["calendar-days"])
class CalendarDayViewSet(
    ExplainsReadOnly, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Staff overrides of the working-day calendar (holidays, make-up workdays): read by
    staff, written by district staff and superusers (every street counts on them)."""

    read_only = sla.CALENDAR_REFUSED
    queryset = CalendarDay.objects.order_by("date")
    serializer_class = s.CalendarDaySerializer
    filterset_class = filters.CalendarDayFilter
    permission_classes = [SettingsPermission]
    manage_perm = "tickets.manage_calendar"

    @extend_schema(
        summary="Set the override of a date (replaces an existing one)",
        responses={
            201: s.CalendarDaySerializer,
            200: OpenApiResponse(s.CalendarDaySerializer, description="Replaced"),
            **SETTINGS_ERRORS,
        },
    )
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        day, created = workdays.set_override(data["date"], data["is_workday"], data.get("note"))
        return Response(
            self.get_serializer(day).data, status=status.HTTP_201_CREATED if created else 200
        )


@extend_schema(tags=["knowledge"])
class KnowledgeViewSet(ExplainsReadOnly, SettingsViewSet):
    """知识库: standard answers; `?q=` searches while typing, best match first. Read by all
    staff; written by district staff and superusers (every operator in the city is offered
    them), each write kept in the answer's change record."""

    queryset = KnowledgeAnswer.objects.select_related("category").order_by("-used_count", "id")
    serializer_class = s.KnowledgeAnswerSerializer
    filterset_class = filters.KnowledgeFilter
    manage_perm = "tickets.manage_knowledge"
    read_only = knowledge.READ_ONLY

    def refused(self, obj):
        return bilingual_error(403, "permission_denied", self.read_only)

    @extend_schema(
        summary="The answer's change record (修改记录), newest first",
        description=(
            "Who added, changed, took out of use, put back or confirmed the answer, when, "
            "through which channel (web page, API, admin), and the changed fields' values "
            "before and after. Times used (counted at intake) are not changes. Answers "
            "added before the record was kept have none from before."
        ),
        responses={200: s.KnowledgeAnswerChangeSerializer(many=True), **errors(401, 403, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def changes(self, request, pk=None):
        refuse_unknown_parameters(request)
        answer = self.get_object()
        return Response(
            s.KnowledgeAnswerChangeSerializer(knowledge.changes_of(answer), many=True).data
        )


router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("routing-rules", RoutingRuleViewSet, basename="routing-rule")
router.register("time-limits", TimeLimitViewSet, basename="time-limit")
router.register("time-limit-changes", TimeLimitChangeViewSet, basename="time-limit-change")
router.register("calendar-days", CalendarDayViewSet, basename="calendar-day")
router.register("knowledge", KnowledgeViewSet, basename="knowledge")

urlpatterns = [
    path(
        "tickets/export.xlsx",
        TicketViewSet.as_view(
            {"get": "export"},
            renderer_classes=[renderers.JSONRenderer, XlsxRenderer],
            detail=False,
            basename="ticket",
        ),
        name="ticket-export",
    ),
    path("categories/", CategoryTreeView.as_view(), name="category-tree"),
    *router.urls,
]
