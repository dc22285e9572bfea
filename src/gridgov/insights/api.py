"""Insights API under /api/v1/insights/: hot issues, monthly topic, classifier, duplicates.

- GET  insights/hot-issues/?state=new           hot issues in the caller's area, hottest first
- GET  insights/hot-issues/{id}/                one, with its tickets and trend
- POST insights/hot-issues/{id}/decision/       {"action": confirm|dismiss|reopen, "note": ""}
- GET  insights/monthly-topic/?months=3&level=community   每月一题
- GET  insights/classifier/                     version in use, metrics, confusion matrix
- POST insights/classifier/retrain/             retrain now (Celery task)
- POST insights/classify/                       {"text": …} → top-3 categories with scores
- GET  insights/duplicates/{code}/              tickets that look like the same matter
"""

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_noop as _noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.api.errors import bilingual_error
from gridgov.api.params import refuse_unknown_parameters
from gridgov.api.permissions import RulesPermission
from gridgov.tickets import requester_text
from gridgov.tickets.classify import suggest_category
from gridgov.tickets.models import Ticket

from . import hotissues, services, textprep
from .models import HotIssue, ModelVersion


class HotIssueSerializer(serializers.ModelSerializer):
    place = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    # The refresh's own note (a dismissed issue put back) in the reader's language.
    note = serializers.CharField(source="note_display", read_only=True)

    class Meta:
        model = HotIssue
        fields = [
            "id", "title", "place", "place_label", "category", "first_at", "last_at",
            "ticket_count", "requester_count", "reactions", "heat", "trend", "state",
            "decided_at", "note", "refreshed_at",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_place(self, obj):
        p = obj.place
        if p is None:
            return None
        return {"code": p.code, "name": p.name, "level": p.level, "lat": p.lat, "lng": p.lng}

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_category(self, obj):
        c = obj.category
        return {"code": c.code, "name": c.name} if c else None


class HotIssueDetailSerializer(HotIssueSerializer):
    tickets = serializers.SerializerMethodField()

    class Meta(HotIssueSerializer.Meta):
        fields = [*HotIssueSerializer.Meta.fields, "tickets"]

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_tickets(self, obj):
        """Only the tickets the caller may see (services.visible_issue_tickets), as on the
        page; without a request in the context, none."""
        request = self.context.get("request")
        if request is None:
            return []
        return [
            {
                "id": t.pk,
                "code": t.code,
                "title": requester_text.shown_text(request.user, t, t.title),
                "status": t.status,
                "created_at": t.created_at,
            }
            for t in services.visible_issue_tickets(obj, request.user)
        ]


class HotIssueList(APIView):
    permission_classes = [RulesPermission]
    rules_perms = {"GET": "insights.view_hotissue"}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "state",
                OpenApiTypes.STR,
                enum=HotIssue.State.values,
                description="Only issues in this state (default: every state)",
            )
        ],
        responses=HotIssueSerializer(many=True),
        summary="Hot issues in my area",
    )
    def get(self, request):
        refuse_unknown_parameters(request, "state")
        state = request.query_params.get("state") or None
        if state and state not in HotIssue.State.values:
            raise bilingual_error(400, "invalid", _noop("Unknown state %(s)s."), s=state)
        issues = services.visible_hot_issues(request.user, state).order_by("-heat")[:200]
        return Response(HotIssueSerializer(issues, many=True).data)


class HotIssueDetail(APIView):
    permission_classes = [RulesPermission]
    rules_perms = {"GET": "insights.view_hotissue"}

    def get_object(self):
        issue = HotIssue.objects.select_related("place", "category").filter(pk=self.kwargs["pk"])
        issue = issue.first()
        # Outside the caller's area the issue does not exist for them (403 told it did), as
        # for its decision.
        if issue is None or not self.request.user.has_perm("insights.view_hotissue", issue):
            raise bilingual_error(404, "not_found", _noop("No such hot issue."))
        return issue

    @extend_schema(responses=HotIssueDetailSerializer, summary="One hot issue with its tickets")
    def get(self, request, pk):
        refuse_unknown_parameters(request)
        issue = self.get_object()
        return Response(HotIssueDetailSerializer(issue, context={"request": request}).data)


class HotIssueDecision(APIView):
    permission_classes = [RulesPermission]
    rules_perms = {"POST": "insights.decide_hotissue"}

    @extend_schema(
        request=inline_serializer(
            "HotIssueDecision",
            {"action": serializers.CharField(), "note": serializers.CharField(required=False)},
        ),
        responses=HotIssueSerializer,
        summary="Confirm, dismiss or reopen a hot issue",
    )
    def post(self, request, pk):
        issue = get_object_or_404(HotIssue.objects.select_related("place", "category"), pk=pk)
        if not request.user.has_perm("insights.view_hotissue", issue):
            raise bilingual_error(404, "not_found", _noop("No such hot issue."))
        self.check_object_permissions(request, issue)
        try:
            services.decide(
                issue, request.data.get("action"), request.user, request.data.get("note", "")
            )
        except services.DecisionError as exc:
            raise bilingual_error(400, "invalid", str(exc)) from exc
        return Response(HotIssueSerializer(issue).data)


class MonthlyTopic(APIView):
    permission_classes = [RulesPermission]
    rules_perms = {"GET": "insights.view_hotissue"}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "months",
                OpenApiTypes.INT,
                default=3,
                description="Months looked back, 1 to 12 (a number outside is taken as 1 or 12)",
            ),
            OpenApiParameter(
                "level",
                OpenApiTypes.STR,
                enum=["street", "community", "grid"],
                default="community",
                description="Level of the area the topic is about",
            ),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="每月一题: the recurring category × area with the most tickets",
    )
    def get(self, request):
        refuse_unknown_parameters(request, "months", "level")
        try:
            months = min(max(int(request.query_params.get("months", 3)), 1), 12)
        except ValueError:
            raise bilingual_error(400, "invalid", _noop("months must be a whole number.")) from None
        level = request.query_params.get("level", "community")
        if level not in ("street", "community", "grid"):
            raise bilingual_error(400, "invalid", _noop("level must be street, community or grid."))
        topic = hotissues.monthly_topic(months=months, level=level, user=request.user)
        if topic is None:
            return Response({"topic": None})
        place = topic["place"]
        return Response(
            {
                "topic": {
                    "category": {"code": topic["category"].code, "name": topic["category"].name},
                    "place": {"code": place.code, "name": place.name} if place else None,
                    "total": topic["total"],
                    "per_month": topic["per_month"],
                }
            }
        )


def _version_data(v):
    if v is None:
        return None
    return {
        "version": v.version,
        "fingerprint": v.fingerprint,
        "examples": v.examples,
        "overrides": v.overrides,
        "train_seconds": v.train_seconds,
        "created_at": v.created_at,
        "active": v.active,
        "note": v.note,
        "macro_f1": (v.metrics or {}).get("macro_f1"),
        "review": v.review,  # kept_back: trained but not put in use (scored clearly lower)
    }


class ClassifierStatus(APIView):
    permission_classes = [RulesPermission]
    rules_perms = {"GET": "insights.view_classifier"}

    @extend_schema(
        responses=OpenApiTypes.OBJECT, summary="Classifier in use, its metrics and confusion matrix"
    )
    def get(self, request):
        refuse_unknown_parameters(request)
        status = services.classifier_status()
        return Response(
            {
                "backend": status["backend"],
                "active": _version_data(status["active"]),
                "metrics": status["metrics"],
                "versions": [_version_data(v) for v in status["versions"]],
            }
        )


class ClassifierRetrain(APIView):
    permission_classes = [RulesPermission]
    rules_perms = {"POST": "insights.retrain_classifier"}

    @extend_schema(
        request=None, responses=OpenApiTypes.OBJECT, summary="Retrain the classifier now"
    )
    def post(self, request):
        from .tasks import retrain

        result = retrain.delay(note=f"by {request.user.get_username()}", user_id=request.user.pk)
        if result.ready():
            return Response({"done": True, **result.get()}, status=201)
        return Response({"done": False, "task": result.id}, status=202)


class ClassifyText(APIView):
    permission_classes = [RulesPermission]
    rules_perms = {"POST": "insights.classify_text"}

    @extend_schema(
        request=inline_serializer("ClassifyText", {"text": serializers.CharField()}),
        responses=OpenApiTypes.OBJECT,
        summary="Top-3 categories for a demand's text",
    )
    def post(self, request):
        text = (request.data.get("text") or "").strip()
        if not text:
            raise bilingual_error(400, "invalid", _noop("Give the text to classify."))
        if not textprep.has_chinese(text):
            raise bilingual_error(400, "invalid", _noop("The text has no Chinese to classify."))
        suggestions = suggest_category(text, top=3)
        version = ModelVersion.objects.filter(active=True).first()
        return Response(
            {
                "backend": "model" if version else "keywords",
                "version": version.version if version else None,
                "suggestions": [
                    {"code": c.code, "name": c.name, "full_name": c.full_name, "score": s}
                    for c, s in suggestions
                ],
            }
        )


class Duplicates(APIView):
    permission_classes = [RulesPermission]
    rules_perms = {"GET": "insights.find_duplicates"}

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        summary="Open tickets that look like the same matter as this one",
    )
    def get(self, request, code):
        refuse_unknown_parameters(request)
        ticket = get_object_or_404(Ticket.objects.select_related("place"), code=code)
        if not request.user.has_perm("tickets.view_ticket", ticket):
            raise bilingual_error(404, "not_found", _noop("No such ticket."))
        return Response(
            [
                {
                    "code": d.code,
                    "title": requester_text.shown_text(request.user, t, t.title),
                    "score": d.score,
                    "reasons": d.reasons,
                }
                for d, t in services.duplicates_of(ticket, request.user)
            ]
        )


urlpatterns = [
    path("insights/hot-issues/", HotIssueList.as_view(), name="insights-hot-issues"),
    path("insights/hot-issues/<int:pk>/", HotIssueDetail.as_view(), name="insights-hot-issue"),
    path(
        "insights/hot-issues/<int:pk>/decision/",
        HotIssueDecision.as_view(),
        name="insights-hot-issue-decision",
    ),
    path("insights/monthly-topic/", MonthlyTopic.as_view(), name="insights-monthly-topic"),
    path("insights/classifier/", ClassifierStatus.as_view(), name="insights-classifier"),
    path("insights/classifier/retrain/", ClassifierRetrain.as_view(), name="insights-retrain"),
    path("insights/classify/", ClassifyText.as_view(), name="insights-classify"),
    path("insights/duplicates/<str:code>/", Duplicates.as_view(), name="insights-duplicates"),
]
