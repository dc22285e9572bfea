"""Pages: hot issues (list, map, trend) and the classifier status, for staff."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import hotissues, services
from .models import HotIssue


def _require(request, perm, obj=None):
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


@login_required
def hot_issues(request):
    _require(request, "insights.view_hotissue")
    state = request.GET.get("state", "new")
    if state not in (*HotIssue.State.values, "all"):
        state = "new"
    issues = list(
        services.visible_hot_issues(request.user, None if state == "all" else state)[:100]
    )
    points = [
        {
            "id": i.pk,
            "title": i.title,
            "heat": i.heat,
            "count": i.ticket_count,
            "lat": i.place.lat,
            "lng": i.place.lng,
            "place": i.place.name,
        }
        for i in issues
        if i.place is not None and i.place.lat is not None
    ]
    trends = {str(i.pk): i.trend for i in issues[:10]}
    return render(
        request,
        "insights/hot_issues.html",
        {
            "issues": issues,
            "state": state,
            "states": [("all", _("All")), *HotIssue.State.choices],
            "map_points": points,
            "trends": trends,
            "topic": hotissues.monthly_topic(),
            "may_decide": request.user.has_perm("insights.decide_hotissue"),
        },
    )


@login_required
def hot_issue(request, pk):
    issue = get_object_or_404(HotIssue.objects.select_related("place", "category"), pk=pk)
    _require(request, "insights.view_hotissue", issue)
    tickets = [
        t
        for t in issue.tickets.order_by("created_at")
        if request.user.has_perm("tickets.view_ticket", t)
    ]
    return render(
        request,
        "insights/hot_issue.html",
        {
            "issue": issue,
            "tickets": tickets,
            "trend": issue.trend,
            "may_decide": request.user.has_perm("insights.decide_hotissue", issue),
        },
    )


@login_required
@require_POST
def decide(request, pk):
    issue = get_object_or_404(HotIssue.objects.select_related("place"), pk=pk)
    _require(request, "insights.decide_hotissue", issue)
    try:
        services.decide(
            issue, request.POST.get("action"), request.user, request.POST.get("note", "")
        )
    except services.DecisionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Saved: %(state)s.") % {"state": issue.get_state_display()})
    return redirect("insights:hot-issue", pk=issue.pk)


@login_required
def classifier(request):
    _require(request, "insights.view_classifier")
    status = services.classifier_status()
    metrics = status["metrics"]
    chart = {
        "labels": metrics.get("labels", []),
        "confusion": metrics.get("confusion", []),
    }
    return render(
        request,
        "insights/classifier.html",
        {
            "status": status,
            "metrics": metrics,
            "per_class": sorted((metrics.get("per_class") or {}).items()),
            "by_kind": metrics.get("by_kind") or {},
            "chart": chart,
            "may_retrain": request.user.has_perm("insights.retrain_classifier"),
        },
    )


@login_required
@require_POST
def retrain(request):
    _require(request, "insights.retrain_classifier")
    from .tasks import retrain as task

    result = task.delay(note=f"by {request.user.get_username()}")
    if result.ready():
        messages.success(request, _("A new classifier version was trained."))
    else:
        messages.success(request, _("Retraining started; reload this page in a minute."))
    return redirect("insights:classifier")
