"""Operations API under /api/v1/: KPIs, patrols, visits, callbacks due, imports.

Thin views over kpis.py, patrols.py, sweep.py and imports.py. Scope is decided
there and by `gridgov.people.scope`: a unit, grid, household or ticket outside
the caller's area is refused (403) or not found (404), and nothing is written.

- GET  kpis/?level=grid&parent=CODE&start=&end=   ranking of sibling units
- GET  kpis/units/{code}/?start=&end=              one unit, ranked among its siblings
- GET, PUT kpis/weights/                            考核权重 in force, their history; a change
- GET  patrols/tasks/?grid=CODE, POST patrols/tasks/
- GET  patrols/due/                                 the caller's patrols due today
- GET, POST patrols/tasks/{id}/records/             walks; a hazard becomes a ticket
- GET  visits/?household=ID&grid=CODE, POST visits/ a heard demand becomes a ticket
- GET  visits/unvisited/?grid=CODE&days=90
- GET  callbacks/due/                               resolved tickets waiting for 回访
- POST imports/tickets/ (multipart: file, mapping, channel, dry_run, skip_imported;
  header Prefer: respond-async for 202 at once); GET imports/tickets/{task}/
"""

import json

from django.conf import settings
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.api.errors import MESSAGES, bilingual_error, coded_error
from gridgov.api.params import refuse_unknown_parameters
from gridgov.api.permissions import RulesPermission
from gridgov.core import sheets
from gridgov.people.models import Department, Household
from gridgov.people.scope import scope_q
from gridgov.places.models import Level, Place

from . import imports, kpis, patrols, sweep
from . import serializers as s
from .models import Channel, KpiWeights, PatrolRecord
from .rules import DISPATCH_ROLES

LIST_LIMIT = 500


# --- errors ---------------------------------------------------------------------------------

UNKNOWN_LEVEL = gettext_noop("level must be one of: district, street, community, grid, department")
UNKNOWN_PLACE = gettext_noop("Unknown place %(place)s")


def from_patrol_error(exc):
    detail = {k: [str(v)] for k, v in exc.errors.items()}
    if exc.status_code == 403:
        return coded_error(403, "permission_denied", detail)
    return coded_error(400, "invalid", detail)


# --- KPIs -----------------------------------------------------------------------------------


def period(request):
    try:
        return kpis.period(
            "custom", request.query_params.get("start"), request.query_params.get("end")
        )
    except kpis.BadPeriod as exc:
        raise bilingual_error(400, "invalid", str(exc)) from None


KPI_PARAMS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: 1st of month)"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included (default: today)"),
]


class KpiRowSerializer(serializers.Serializer):
    """One unit's KPIs (kpis.UnitKpi.as_dict)."""

    unit = serializers.DictField()
    period = serializers.DictField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rates = serializers.DictField(child=serializers.FloatField(allow_null=True))
    median_hours = serializers.DictField(child=serializers.FloatField(allow_null=True))
    whistle = serializers.DictField(required=False)
    score = serializers.FloatField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    of = serializers.IntegerField(help_text="Units ranked: those with a score")
    unranked = serializers.IntegerField(
        help_text="Units compared but not ranked: nothing to score in the period"
    )


class TicketRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    status = serializers.CharField()
    owner = serializers.CharField(allow_null=True)
    grid = serializers.CharField(allow_null=True)


class PatrolTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grid = serializers.CharField()
    grid_name = serializers.CharField()
    title = serializers.CharField()
    checklist = serializers.ListField(child=serializers.CharField())
    every_days = serializers.IntegerField()
    assignee = serializers.CharField(allow_null=True)
    active = serializers.BooleanField()
    last_walked = serializers.DateTimeField(allow_null=True, required=False)
    due_on = serializers.DateField(required=False)


class PatrolRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    task = serializers.IntegerField()
    by = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()
    results = serializers.DictField(child=serializers.CharField())
    note = serializers.CharField()
    ticket = TicketRefSerializer(allow_null=True)


class VisitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    household = serializers.IntegerField()
    building = serializers.CharField()
    visitor = serializers.CharField(allow_null=True)
    role = serializers.ChoiceField(choices=patrols.VISIT_CAPACITIES)
    at = serializers.DateTimeField()
    heard = serializers.CharField()
    ticket = TicketRefSerializer(allow_null=True)


class UnvisitedSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    building = serializers.CharField()
    address = serializers.CharField()
    last_visit = serializers.DateTimeField(allow_null=True)


class CallbackDueSerializer(TicketRefSerializer):
    title = serializers.CharField()
    resolved_at = serializers.DateTimeField()


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    source = serializers.CharField()
    ok = serializers.BooleanField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    dispatched = serializers.IntegerField()
    at_desk = serializers.IntegerField()
    resolved = serializers.IntegerField(required=False)  # handled on the platform, to call back
    closed = serializers.IntegerField(required=False)  # closed on the platform
    dry_run = serializers.BooleanField()
    skipped = serializers.IntegerField(required=False)
    already_imported = serializers.IntegerField(required=False)
    seconds = serializers.FloatField()
    phases = serializers.DictField(child=serializers.FloatField())
    mapping = serializers.DictField(child=serializers.CharField())
    error_count = serializers.IntegerField()
    errors = RowErrorSerializer(many=True)


def listing(name, item, **extra):
    return inline_serializer(name, {**extra, "results": item(many=True)})


@extend_schema(tags=["kpis"])
class KpiRankingView(APIView):
    permission_classes = [RulesPermission]
    rules_perms = {"GET": "tickets.view_kpis"}

    @extend_schema(
        summary="KPIs of sibling units, ranked (考核排名)",
        description=(
            "响应率, 解决率, 满意率, 按时办结率, composite score and rank of every unit at "
            "`level` under `parent` (all grids of a community, all communities of a street, "
            "departments of the district …), best first, as on the workbench's ranking page: "
            "`parent` is an area of yours or above it (default: your own area); another "
            "area is 403. Rates with a zero denominator are null; a unit with no score has "
            "`rank` null, and `of` counts the units ranked, `unranked` those with nothing "
            "to score. Definitions: docs/kpis.md."
        ),
        parameters=[
            OpenApiParameter("level", OpenApiTypes.STR, enum=list(kpis.LEVELS)),
            OpenApiParameter("parent", OpenApiTypes.STR, description="Place code above them"),
            *KPI_PARAMS,
        ],
        responses={
            200: inline_serializer(
                "KpiRanking",
                {
                    "level": serializers.CharField(),
                    "parent": serializers.CharField(allow_null=True),
                    "period": serializers.DictField(),
                    "weights": serializers.DictField(child=serializers.FloatField()),
                    "weights_district": serializers.CharField(
                        allow_null=True,
                        help_text="The district whose weights scored the units (null: the "
                        "deployment's, which rank districts)",
                    ),
                    "count": serializers.IntegerField(),
                    "results": KpiRowSerializer(many=True),
                },
            )
        },
    )
    def get(self, request):
        refuse_unknown_parameters(request, "level", "parent", "start", "end")
        level = request.query_params.get("level") or Level.GRID
        if level not in kpis.LEVELS:
            raise bilingual_error(400, "invalid", UNKNOWN_LEVEL)
        parents = kpis.ranking_parents(request.user)
        code = request.query_params.get("parent")
        if code:
            parent = Place.objects.filter(code=code).first()
            if parent is None:
                raise bilingual_error(400, "invalid", UNKNOWN_PLACE, place=code)
            if parent not in parents:
                raise coded_error(403, "permission_denied")
        else:
            parent = kpis.default_parent(request.user, parents)
        start, end = period(request)
        rows, district = [], None
        if parent is not None:
            area = kpis.ranking_area(level, parent)
            rows = kpis.ranking(level, area, start, end)
            district = kpis.scoring_district(level, area)
        results = [r.as_dict() for r in rows]
        return Response(
            {
                "level": level,
                "parent": parent.code if parent else None,
                "period": {"start": start.isoformat(), "end": end.isoformat()},
                "weights": kpis.period_weights(end, district=district),
                "weights_district": district.code if district else None,
                "count": len(results),
                "results": results,
            }
        )


@extend_schema(tags=["kpis"])
class KpiUnitView(APIView):
    permission_classes = [RulesPermission]
    rules_perms = {"GET": "tickets.view_kpis"}

    @extend_schema(
        summary="One unit's KPIs, ranked among its siblings",
        description="`code` is a place code (district to grid) or a department code.",
        parameters=KPI_PARAMS,
        responses={200: KpiRowSerializer},
    )
    def get(self, request, code):
        refuse_unknown_parameters(request, "start", "end")
        unit = Place.objects.filter(code=code).exclude(level=Level.BUILDING).first()
        if unit is None:
            unit = Department.objects.filter(code=code).select_related("place").first()
        if unit is None or not kpis.may_see_unit(request.user, unit):
            raise coded_error(404, "not_found")
        start, end = period(request)
        return Response(kpis.unit_kpis(unit, start, end).as_dict())


class KpiWeightsSerializer(serializers.Serializer):
    """New weights (each ≥ 0, relative: they need not total 100), why, and where."""

    response = serializers.FloatField(min_value=0, max_value=kpis.MAX_WEIGHT)
    resolution = serializers.FloatField(min_value=0, max_value=kpis.MAX_WEIGHT)
    satisfaction = serializers.FloatField(min_value=0, max_value=kpis.MAX_WEIGHT)
    on_time = serializers.FloatField(min_value=0, max_value=kpis.MAX_WEIGHT)
    whistle = serializers.FloatField(min_value=0, max_value=kpis.MAX_WEIGHT)
    reason = serializers.CharField(max_length=300)
    district = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text=(
            "Code of the district whose own weights these are; null or empty: the "
            "deployment's (全市, superusers only). Left out: district staff change their "
            "district's, superusers the deployment's."
        ),
    )


# What GET, PUT and DELETE answer (weights_data), declared so the schema describes it.
WEIGHTS_ANSWER = inline_serializer(
    "KpiWeightsAnswer",
    {
        "district": serializers.CharField(
            allow_null=True, help_text="The district asked for; null: the deployment's (全市)"
        ),
        "source": serializers.ChoiceField(
            choices=[kpis.DISTRICT_OWN, kpis.CITY, kpis.SETTINGS],
            help_text="Whose weights are in force there: the district's own, the "
            "deployment's, or the server's settings",
        ),
        "weights": serializers.DictField(child=serializers.FloatField()),
        "total": serializers.FloatField(),
        "settings_weights": serializers.DictField(child=serializers.FloatField()),
        "history": serializers.ListField(child=serializers.DictField()),
    },
)


def weights_data(user, district=None, filtered=False):
    """The weights in force in `district` (None: the deployment's) and the history: of that
    district (or the deployment's alone) when `filtered`, else every change the user may
    read (the deployment's and their districts'), each naming its district."""
    current, source = kpis.weights_in_force(district=district)
    rows = KpiWeights.objects.select_related("changed_by", "district")
    if filtered:
        rows = rows.filter(district=district)
    else:
        rows = rows.filter(Q(district__isnull=True) | Q(district__in=kpis.weights_districts(user)))
    history = [
        {
            "valid_from": timezone.localtime(row.valid_from).isoformat(),
            "district": row.district.code if row.district_id else None,
            "weights": row.as_dict(),
            "changed_by": row.changed_by.username if row.changed_by_id else None,
            "reason": row.reason,
            # A return to the deployment's weights: `weights` are the district's own that
            # it ended.
            "follows_city": row.follows_city,
        }
        for row in rows[:200]
    ]
    return {
        "district": district.code if district else None,
        "source": source,
        "weights": current,
        "total": sum(current.values()),
        "settings_weights": kpis.settings_weights(),
        "history": history,
    }


def weights_district(user, code, for_change=False):
    """The district a `district` parameter names ("" or None: the deployment's, None). An
    unknown code is 400; a district whose rankings the user does not see is 403."""
    if not code:
        return None
    district = Place.objects.filter(code=code, level=Level.DISTRICT).first()
    if district is None:
        raise bilingual_error(400, "invalid", kpis.NO_SUCH_DISTRICT, district=code)
    if not for_change and district not in kpis.weights_districts(user):
        raise coded_error(403, "permission_denied")
    return district


@extend_schema(tags=["kpis"])
class KpiWeightsView(APIView):
    """考核权重: read by whoever sees the rankings; a district's own set by its district
    staff, the deployment's (全市, scoring every district without its own and ranking the
    districts against each other) by superusers. Every change is a new row, kept:
    `history`, newest first; before the first one the server's `settings_weights` were in
    force. A change scores the current period and later ones; a period that ended before
    keeps the weights in force at its end."""

    permission_classes = [RulesPermission]
    # DELETE: who may return which district is asked of the district's row in delete(), to
    # say why a refusal (whose district it is).
    rules_perms = {
        "GET": "tickets.view_kpis",
        "PUT": "tickets.manage_kpi_weights",
        "DELETE": "tickets.view_kpis",
    }

    @extend_schema(
        summary="KPI weights in force and their history",
        parameters=[
            OpenApiParameter(
                "district",
                OpenApiTypes.STR,
                description=(
                    "A district's code: the weights in force there (its own, else the "
                    "deployment's) and its own changes only; empty: the deployment's and "
                    "its changes only. Left out: the deployment's weights and every change "
                    "you may read, each naming its district."
                ),
            )
        ],
        responses=WEIGHTS_ANSWER,
    )
    def get(self, request):
        refuse_unknown_parameters(request, "district")
        if "district" not in request.query_params:
            return Response(weights_data(request.user))
        district = weights_district(request.user, request.query_params["district"].strip())
        return Response(weights_data(request.user, district, filtered=True))

    @extend_schema(
        summary="Change the KPI weights from now on",
        request=KpiWeightsSerializer,
        responses=WEIGHTS_ANSWER,
        description=(
            "Every weight is required, ≥ 0 and ≤ 1000; at least one of response, resolution, "
            "satisfaction and on_time must be above 0. Weights are relative (the score divides "
            "by those of the rates a unit has), so they need not total 100. Weights equal to "
            "those in force there are refused (400). District staff change their district's "
            "own weights (another district's: 403); the deployment's (district null) are the "
            "superusers'."
        ),
    )
    def put(self, request):
        serializer = KpiWeightsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        if "district" in data:
            district = weights_district(user, (data["district"] or "").strip(), True)
        elif user.is_superuser:
            district = None
        else:
            own = kpis.own_districts(user)
            if len(own) != 1:
                raise bilingual_error(400, "invalid", kpis.NAME_A_DISTRICT)
            district = own[0]
        if not user.has_perm("tickets.manage_kpi_weights", KpiWeights(district=district)):
            raise coded_error(403, "permission_denied")
        try:
            kpis.change_weights(data, user, data["reason"], district=district)
        except kpis.BadWeights as exc:
            raise bilingual_error(400, "invalid", next(iter(exc.errors.values()))) from None
        return Response(weights_data(user, district, filtered=True))

    @extend_schema(
        summary="Return a district to the whole deployment's weights (恢复使用全市设置)",
        parameters=[s.FollowCitySerializer],
        request=None,
        # A DELETE defaults to 204 without a body; this one answers the weights now in force.
        responses={200: WEIGHTS_ANSWER},
        description=(
            "From now on the district's streets, communities, grids and departments are "
            "scored with the deployment's weights (全市), and later changes of those reach "
            "them. Nothing is deleted: the return is a row of the history (`follows_city` "
            "true, `weights` the district's own that it ended, who, when, why), and periods "
            "that ended before keep their scores. A district's staff return their own "
            "district, superusers any (another district's staff, street and community "
            "staff: 403). A district with no own weights in force, or the deployment itself: "
            "400, nothing written."
        ),
    )
    def delete(self, request):
        refuse_unknown_parameters(request, "district", "reason")
        user = request.user
        query = s.FollowCitySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if "district" in params:
            district = weights_district(user, params["district"].strip(), True)
        elif user.is_superuser:
            district = None
        else:
            own = kpis.own_districts(user)
            district = own[0] if len(own) == 1 else None
            if district is None and own:
                raise bilingual_error(400, "invalid", kpis.NAME_A_DISTRICT)
        if district is not None and not user.has_perm(
            "tickets.manage_kpi_weights", KpiWeights(district=district)
        ):
            raise bilingual_error(
                403, "permission_denied", kpis.DISTRICT_WEIGHTS_REFUSED, district=district.name
            )
        if district is None:
            if not user.has_perm("tickets.manage_kpi_weights"):
                raise bilingual_error(403, "permission_denied", kpis.WEIGHTS_READ_ONLY)
            raise bilingual_error(400, "invalid", kpis.CITY_FOLLOWS_NOTHING)
        try:
            kpis.follow_city(user, params.get("reason", "").strip(), district)
        except kpis.BadWeights as exc:
            message = next(iter(exc.errors.values()))
            raise bilingual_error(400, "invalid", message, district=district.name) from None
        return Response(weights_data(user, district, filtered=True))


# --- patrols ----------------------------------------------------------------------------------


def task_data(task, last_at=None, due_on=None):
    data = {
        "id": task.pk,
        "grid": task.grid.code,
        "grid_name": task.grid.name,
        "title": task.title,
        "checklist": task.checklist,
        "every_days": task.every_days,
        "assignee": task.assignee.username if task.assignee_id else None,
        "active": task.active,
    }
    if due_on is not None:
        data["last_walked"] = timezone.localtime(last_at).isoformat() if last_at else None
        data["due_on"] = due_on.isoformat()
    return data


def record_data(record):
    return {
        "id": record.pk,
        "task": record.task_id,
        "by": record.by.username if record.by_id else None,
        "at": timezone.localtime(record.at).isoformat(),
        "results": record.results,
        "note": record.note,
        "ticket": _ticket_ref(record.ticket),
    }


def _ticket_ref(ticket):
    if ticket is None:
        return None
    return {
        "id": ticket.pk,
        "code": ticket.code,
        "status": ticket.status,
        "owner": ticket.owner.code if ticket.owner else None,
        "grid": ticket.grid.code if ticket.grid_id else None,
    }


HAZARD = inline_serializer(
    "Demand",
    {
        "title": serializers.CharField(required=False),
        "description": serializers.CharField(required=False),
        "category": serializers.CharField(required=False, help_text="Category code"),
        "nature": serializers.CharField(required=False),
        "urgency": serializers.CharField(required=False),
        "address": serializers.CharField(required=False),
        "lat": serializers.FloatField(required=False),
        "lng": serializers.FloatField(required=False),
        "place": serializers.CharField(required=False, help_text="Place code"),
    },
)


@extend_schema(tags=["patrols"])
class PatrolTaskView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Patrol tasks in your area (网格巡查任务)",
        parameters=[OpenApiParameter("grid", OpenApiTypes.STR, description="Grid code")],
        responses={200: listing("PatrolTaskList", PatrolTaskSerializer)},
    )
    def get(self, request):
        refuse_unknown_parameters(request, "grid")
        tasks = patrols.visible_tasks(request.user).order_by("grid__path", "id")
        if request.query_params.get("grid"):
            tasks = tasks.filter(grid__code=request.query_params["grid"])
        return Response({"results": [task_data(t) for t in tasks[:LIST_LIMIT]]})

    @extend_schema(
        summary="Plan a patrol task: a checklist for a grid, every N days",
        request=inline_serializer(
            "PatrolTaskIn",
            {
                "grid": serializers.CharField(),
                "title": serializers.CharField(),
                "checklist": serializers.ListField(child=serializers.CharField()),
                "every_days": serializers.IntegerField(default=1),
                "assignee": serializers.CharField(required=False, help_text="Username"),
            },
        ),
        responses={201: PatrolTaskSerializer},
    )
    def post(self, request):
        if not request.user.has_perm("tickets.plan_patrols"):
            raise coded_error(403, "permission_denied")  # before the input says anything
        data = request.data
        assignee = None
        if data.get("assignee"):
            from django.contrib.auth import get_user_model

            assignee = get_user_model().objects.filter(username=data["assignee"]).first()
            if assignee is None:
                raise coded_error(400, "invalid", {"assignee": ["unknown user"]})
        try:
            task = patrols.create_task(
                request.user,
                data.get("grid"),
                data.get("title"),
                data.get("checklist"),
                data.get("every_days", 1),
                assignee,
            )
        except patrols.PatrolError as exc:
            raise from_patrol_error(exc) from None
        return Response(task_data(task), status=status.HTTP_201_CREATED)


@extend_schema(tags=["patrols"])
class PatrolDueView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Your patrols due today, most overdue first",
        responses={200: listing("PatrolDueList", PatrolTaskSerializer)},
    )
    def get(self, request):
        refuse_unknown_parameters(request)
        due = patrols.due_tasks(request.user)
        return Response({"results": [task_data(t, last, on) for t, last, on in due]})


@extend_schema(tags=["patrols"])
class PatrolRecordView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    def task(self, request, pk):
        return get_object_or_404(patrols.visible_tasks(request.user), pk=pk)

    @extend_schema(
        summary="Walks of a patrol task, latest first",
        responses={200: listing("PatrolRecordList", PatrolRecordSerializer)},
    )
    def get(self, request, pk):
        refuse_unknown_parameters(request)
        task = self.task(request, pk)
        records = PatrolRecord.objects.filter(task=task).select_related("by", "ticket__grid")
        records = records.select_related("ticket__owner_place", "ticket__owner_department")
        return Response({"results": [record_data(r) for r in records.order_by("-at")[:100]]})

    @extend_schema(
        summary="Record a walk; a hazard found becomes a `patrol` ticket in the same step",
        request=inline_serializer(
            "PatrolRecordIn",
            {
                "results": serializers.DictField(
                    child=serializers.ChoiceField(choices=patrols.RESULTS), required=False
                ),
                "note": serializers.CharField(required=False),
                "hazard": HAZARD,
            },
        ),
        responses={201: PatrolRecordSerializer},
    )
    def post(self, request, pk):
        task = self.task(request, pk)
        try:
            record = patrols.record_patrol(
                request.user,
                task,
                results=request.data.get("results"),
                note=request.data.get("note") or "",
                hazard=request.data.get("hazard"),
            )
        except patrols.PatrolError as exc:
            raise from_patrol_error(exc) from None
        return Response(record_data(record), status=status.HTTP_201_CREATED)


# --- visits -----------------------------------------------------------------------------------


def visit_data(visit):
    return {
        "id": visit.pk,
        "household": visit.household_id,
        "building": visit.household.building.code,
        "visitor": visit.visitor.username if visit.visitor_id else None,
        "role": visit.role,
        "at": timezone.localtime(visit.at).isoformat(),
        "heard": visit.heard,
        "ticket": _ticket_ref(visit.ticket),
    }


def _household_id(value):
    """A household's id as sent: a whole number, else 400 (the lookup raised a 500)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        value = None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise coded_error(
            400, "invalid", {"household": ["a household id (a whole number)"]}
        ) from None


@extend_schema(tags=["visits"])
class VisitView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Door-to-door visits in your area (入户走访)",
        parameters=[
            OpenApiParameter("household", OpenApiTypes.INT),
            OpenApiParameter("grid", OpenApiTypes.STR, description="Grid code"),
        ],
        responses={200: listing("VisitList", VisitSerializer)},
    )
    def get(self, request):
        refuse_unknown_parameters(request, "household", "grid")  # ?househld=3 listed them all
        visits = patrols.visible_visits(request.user).select_related(
            "ticket__owner_place", "ticket__owner_department", "ticket__grid"
        )
        if request.query_params.get("household"):
            visits = visits.filter(household_id=_household_id(request.query_params["household"]))
        if request.query_params.get("grid"):
            grid = Place.objects.filter(code=request.query_params["grid"]).first()
            if grid is None:
                raise coded_error(400, "invalid", {"grid": ["unknown grid"]})
            visits = visits.filter(household__building__path__startswith=grid.path)
        visits = patrols.hear_only(request.user, list(visits.order_by("-at", "-id")[:LIST_LIMIT]))
        return Response({"results": [visit_data(v) for v in visits]})

    @extend_schema(
        summary="Log a visit; a demand heard becomes a `visit` ticket in the same step",
        description=(
            "For those who visit households (grid workers, cadres, office staff, Party "
            "members); others 403. A household outside your visiting area is answered as an "
            "unknown one: 400 `household`: unknown household."
        ),
        request=inline_serializer(
            "VisitIn",
            {
                "household": serializers.IntegerField(),
                "heard": serializers.CharField(required=False),
                "at": serializers.DateTimeField(required=False),
                "demand": HAZARD,
            },
        ),
        responses={201: VisitSerializer},
    )
    def post(self, request):
        if not patrols.may_visit(request.user):  # before any lookup: says nothing of ids
            raise coded_error(403, "permission_denied")
        household = Household.objects.select_related("building").filter(
            pk=_household_id(request.data.get("household") or 0)
        )
        household = household.first()
        # A household outside the caller's visiting area reads as none: the answer must not
        # tell which household ids exist elsewhere (docs/permissions.md).
        if household is None or patrols.visit_capacity(request.user, household) is None:
            raise coded_error(400, "invalid", {"household": ["unknown household"]})
        at = request.data.get("at")
        if at:
            at = parse_datetime(str(at))
            if at is None:
                raise coded_error(400, "invalid", {"at": ["ISO 8601 date and time"]})
            if timezone.is_naive(at):
                at = timezone.make_aware(at)
        try:
            visit = patrols.log_visit(
                request.user,
                household,
                heard=request.data.get("heard") or "",
                at=at or None,
                demand=request.data.get("demand"),
            )
        except patrols.PatrolError as exc:
            raise from_patrol_error(exc) from None
        return Response(visit_data(visit), status=status.HTTP_201_CREATED)


@extend_schema(tags=["visits"])
class UnvisitedView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Households of a grid not visited for N days (default GRIDGOV_VISIT_PERIOD_DAYS)",
        description=(
            "For those who visit households (`tickets.visit_households`: grid and micro-grid "
            "workers, sent-down cadres, community staff) in their own area; the list of "
            "the visits page. Others 403, a grid outside your visiting area 403."
        ),
        parameters=[
            OpenApiParameter("grid", OpenApiTypes.STR, required=True),
            OpenApiParameter("days", OpenApiTypes.INT),
        ],
        responses={
            200: listing(
                "UnvisitedList",
                UnvisitedSerializer,
                grid=serializers.CharField(),
                days=serializers.IntegerField(),
                count=serializers.IntegerField(),
            )
        },
    )
    def get(self, request):
        refuse_unknown_parameters(request, "grid", "days")
        if not request.user.has_perm("tickets.visit_households"):
            raise coded_error(403, "permission_denied")
        grid = Place.objects.filter(code=request.query_params.get("grid") or "").first()
        if grid is None or grid.level != Level.GRID:
            raise coded_error(400, "invalid", {"grid": ["a grid code"]})
        if not request.user.has_perm("tickets.visit_households", grid):
            raise coded_error(403, "permission_denied")
        try:
            days = int(request.query_params.get("days") or patrols.visit_period_days())
        except ValueError:
            days = -1
        if not 1 <= days <= 3650:
            raise coded_error(400, "invalid", {"days": ["1 to 3650"]})
        rows = patrols.unvisited_in(request.user, grid, days)
        return Response(
            {
                "grid": grid.code,
                "days": days,
                "count": rows.count(),
                "results": [
                    {
                        "household": h.pk,
                        "building": h.building.code,
                        "address": str(h),
                        "last_visit": timezone.localtime(h.last_visit).isoformat()
                        if h.last_visit
                        else None,
                    }
                    for h in rows[:LIST_LIMIT]
                ],
            }
        )


# --- callbacks due ----------------------------------------------------------------------------


@extend_schema(tags=["tickets"])
class CallbacksDueView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Resolved tickets waiting for their callback (回访), oldest first",
        description="Resolved before the last working day; for dispatchers of their area.",
        responses={
            200: listing("CallbackDueList", CallbackDueSerializer, count=serializers.IntegerField())
        },
    )
    def get(self, request):
        refuse_unknown_parameters(request)
        query = scope_q(request.user, ("place", "owner_place"), roles=DISPATCH_ROLES)
        tickets = (
            sweep.callbacks_due()
            .filter(query)
            .select_related("owner_place", "owner_department", "grid")
        )
        return Response(
            {
                "count": tickets.count(),
                "results": [
                    {
                        **_ticket_ref(t),
                        "title": t.title,
                        "resolved_at": timezone.localtime(t.resolved_at).isoformat(),
                    }
                    for t in tickets[:LIST_LIMIT]
                ],
            }
        )


# --- imports ----------------------------------------------------------------------------------


@extend_schema(tags=["imports"])
class ImportView(APIView):
    permission_classes = [RulesPermission]
    rules_perms = {"POST": "tickets.import_tickets"}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Import a 12345 export (CSV or Excel), all or nothing",
        description=(
            "Runs the import as a Celery task. Without a broker it runs at once and answers "
            "201 with the report (200 for a dry run), or 400 with every bad row "
            "(row, column, message) and nothing written. With a broker it answers 202 with "
            "the task id and a `Location` header: poll GET imports/tickets/{task}/ until it "
            "answers 201 (200, 400) with the report, as above.\n\n"
            "`Prefer: respond-async` (RFC 7240): without a broker too, the import runs in a "
            "thread of the server and the answer is that 202 at once, with "
            "`Preference-Applied: respond-async`; a year's file no longer holds the request "
            "for minutes. A file refused before the import starts (not a CSV or Excel file, "
            "a bad `mapping` or `channel`, too large) is still refused at once (400, 413). "
            "Without the header, or with the background thread turned off "
            "(GRIDGOV_IMPORT_IN_BACKGROUND=0), the answer is the report, as without it."
        ),
        request={
            "multipart/form-data": inline_serializer(
                "ImportIn",
                {
                    "file": serializers.FileField(),
                    "mapping": serializers.CharField(
                        required=False, help_text='JSON {"field": "header"}'
                    ),
                    "channel": serializers.ChoiceField(choices=Channel.choices, required=False),
                    "dry_run": serializers.BooleanField(required=False),
                    "skip_imported": serializers.BooleanField(
                        required=False, help_text="leave out rows whose 工单编号 was imported"
                    ),
                },
            )
        },
        parameters=[
            OpenApiParameter(
                "Prefer",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="`respond-async`: answer 202 at once and run the import in the "
                "background, with or without a broker (RFC 7240)",
            ),
            OpenApiParameter(
                "Location",
                OpenApiTypes.URI,
                OpenApiParameter.HEADER,
                description="the import's status URL (GET imports/tickets/{task}/)",
                response=[202],
            ),
            OpenApiParameter(
                "Preference-Applied",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="`respond-async` when the request's Prefer asked for it",
                response=[202],
            ),
        ],
        responses={
            201: ImportReportSerializer,
            200: ImportReportSerializer,
            202: OpenApiResponse(
                inline_serializer(
                    "ImportQueued",
                    {"task": serializers.CharField(), "state": serializers.CharField()},
                ),
                description="Started: follow the Location header until it answers the report",
            ),
        },
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise coded_error(400, "invalid", {"file": ["a CSV or Excel file"]})
        if upload.size > settings.GRIDGOV_MAX_IMPORT_BYTES:
            raise coded_error(413, "payload_too_large")
        # As the page's form does: the import keeps only the suffixes it reads, so a .docx (a
        # zip) was reported as a damaged workbook once saved.
        problem = sheets.refusal(upload.read(), upload.name)
        upload.seek(0)
        if problem:
            raise coded_error(400, "invalid", {"file": [problem]})
        mapping = request.data.get("mapping") or None
        if mapping:
            try:
                mapping = json.loads(mapping)
            except json.JSONDecodeError:
                mapping = None
            if not isinstance(mapping, dict):
                raise coded_error(400, "invalid", {"mapping": ['JSON {"field": "header"}']})
        channel = request.data.get("channel") or Channel.HOTLINE
        if channel not in Channel.values:
            raise coded_error(400, "invalid", {"channel": list(Channel.values)})
        dry_run = str(request.data.get("dry_run", "")).lower() in ("1", "true", "yes")
        skip = str(request.data.get("skip_imported", "")).lower() in ("1", "true", "yes")
        respond_async = _prefers_respond_async(request)
        started = imports.start_import(
            request.user,
            upload,
            mapping=mapping,
            channel=channel,
            dry_run=dry_run,
            skip_imported=skip,
            # No broker: the import page's thread, so the answer need not wait for the import.
            background=respond_async,
        )
        if not started.done:
            status_url = request.build_absolute_uri(
                reverse("ticket-import-status", args=[started.task])
            )
            queued = Response(
                {"task": started.task, "state": started.state},
                status=202,
                headers={"Location": status_url},
            )
            if respond_async:
                queued["Preference-Applied"] = "respond-async"
            return queued
        # Ran in the request (no broker, and no header or the thread turned off): the
        # preference was not applied, so no Preference-Applied.
        return _import_response(started.report)


def _prefers_respond_async(request):
    """Does the request's Prefer header (RFC 7240: comma-separated preferences, each with
    optional ;parameters, names case-insensitive) ask for respond-async?"""
    for preference in request.headers.get("Prefer", "").split(","):
        name = preference.split(";", 1)[0].split("=", 1)[0].strip().lower()
        if name == "respond-async":
            return True
    return False


def _import_response(report):
    if "format_error" in report:
        return Response(
            {"error": {**_error_head("invalid"), "detail": {"file": [report["format_error"]]}}},
            status=400,
        )
    if not report["ok"]:
        return Response({"error": {**_error_head("invalid"), "detail": report}}, status=400)
    return Response(report, status=200 if report["dry_run"] else 201)


def _error_head(code):
    zh, en = MESSAGES[code]
    return {"code": code, "message": zh, "message_en": en}


@extend_schema(tags=["imports"])
class ImportStatusView(APIView):
    permission_classes = [RulesPermission]
    rules_perms = {"GET": "tickets.import_tickets"}

    @extend_schema(
        summary="State of an import task you started; its report when done",
        description=(
            "Only the user who started the import may follow it: another user's task is "
            "404, as an unknown one (its report names callers)."
        ),
        responses={200: ImportReportSerializer, 201: ImportReportSerializer},
    )
    def get(self, request, task):
        refuse_unknown_parameters(request)
        state = imports.import_state(task, request.user)
        if state is None:
            raise coded_error(404, "not_found")
        if not state.done:
            answer = {"task": task, "state": state.state}
            if state.progress is not None:  # {phase, done, total}: see tasks.import_task
                answer["progress"] = state.progress
            return Response(answer, status=202)
        if state.failed:
            return Response({"task": task, "state": state.state}, status=500)
        return _import_response(state.report)


urlpatterns = [
    path("kpis/", KpiRankingView.as_view(), name="kpi-ranking"),
    path("kpis/units/<str:code>/", KpiUnitView.as_view(), name="kpi-unit"),
    path("kpis/weights/", KpiWeightsView.as_view(), name="kpi-weights"),
    path("patrols/tasks/", PatrolTaskView.as_view(), name="patrol-tasks"),
    path("patrols/due/", PatrolDueView.as_view(), name="patrols-due"),
    path("patrols/tasks/<int:pk>/records/", PatrolRecordView.as_view(), name="patrol-records"),
    path("visits/", VisitView.as_view(), name="visits"),
    path("visits/unvisited/", UnvisitedView.as_view(), name="visits-unvisited"),
    path("callbacks/due/", CallbacksDueView.as_view(), name="callbacks-due"),
    path("imports/tickets/", ImportView.as_view(), name="ticket-import"),
    path("imports/tickets/<str:task>/", ImportStatusView.as_view(), name="ticket-import-status"),
]
