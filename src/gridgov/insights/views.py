"""Pages: hot issues (list, map, trend), the classifier status, and the possible
duplicates shown on a ticket's page and beside the intake forms, for staff."""

import operator
import re
from functools import reduce

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.places import addresses
from gridgov.places.models import Level, Place
from gridgov.tickets import lifecycle
from gridgov.tickets.models import OPEN_STATUSES, Ticket
from gridgov.tickets.templatetags.tickets_workbench import display_name

from . import hotissues, issuemap, services, training
from . import intake as insights_intake
from .models import HotIssue, ModelVersion

REASONS = {
    "text": gettext_lazy("similar text"),
    "title": gettext_lazy("same title"),
    "building": gettext_lazy("same building"),
    "grid": gettext_lazy("same grid"),
    "requester": gettext_lazy("same requester"),
    "category": gettext_lazy("same kind of matter"),
}


def _require(request, perm, obj=None):
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


def _states(chosen):
    """The states to filter by. 已转议题 waits for the deliberation app (docs/insights.md):
    offered only once an issue is in it, else it was a choice that always listed nothing."""
    topic = HotIssue.State.TOPIC
    offered = chosen == topic or HotIssue.objects.filter(state=topic).exists()
    return [(value, label) for value, label in HotIssue.State.choices if value != topic or offered]


LISTED = 100  # hot issues on the list page, hottest first


@login_required
def hot_issues(request):
    _require(request, "insights.view_hotissue")
    state = request.GET.get("state", "new")
    notice = None
    if state not in (*HotIssue.State.values, "all"):
        # A mistyped or old link: the new ones, said so (it showed them with no word).
        notice = _("There is no state %(state)s among hot issues: %(shown)s are shown.") % {
            "state": state,
            "shown": HotIssue.State.NEW.label,
        }
        state = "new"
    listed = services.visible_hot_issues(request.user, None if state == "all" else state)
    issues = list(listed[:LISTED])
    # The rest were cut off unsaid: a district's list looked complete at 100.
    total = listed.count() if len(issues) == LISTED else len(issues)
    # Only issues with days to draw: with none the chart is left out for a note (a bare axis
    # was drawn on a grid worker's empty list).
    # A list in the table's order (hottest first), each line named by its issue's title (a
    # legend of "#12" named nothing); an object keyed by id was drawn in id order.
    trends = [
        {"id": i.pk, "name": i.title, "data": hotissues.daily_series(i.trend)}
        for i in issues[:10]
        if i.trend
    ]
    # The chart's numbers as a table, for a browser without JavaScript (it drew nothing): each
    # charted issue's days with demands, the quiet days being the chart's zeros.
    trend_table = [
        {"name": line["name"], "days": [(day, n) for day, n in line["data"] if n]}
        for line in trends
    ]
    topic = hotissues.monthly_topic(user=request.user)
    return render(
        request,
        "insights/hot_issues.html",
        {
            "issues": issues,
            "total": total,
            "state": state,
            # Said when the list is empty: "no hot issue here yet" under 已排除 read as if
            # there were none at all.
            "state_label": "" if state == "all" else HotIssue.State(state).label,
            "state_notice": notice,
            "states": [("all", _("All")), *_states(state)],
            "map_points": services.map_points(issues),
            "map_grids": _grid_outlines(issues),
            "trends": trends,
            "trend_table": trend_table,
            "topic": topic,
            "topic_tickets": _topic_tickets_url(topic, request.user),
            # When the hourly refresh last ran (every issue it finds gets its time): whether
            # this morning's tickets are in the list was anyone's guess.
            "refreshed_at": HotIssue.objects.aggregate(at=Max("refreshed_at"))["at"],
            "may_decide": request.user.has_perm("insights.decide_hotissue"),
        },
    )


def _topic_tickets_url(topic, user):
    """The area's ticket list filtered to the monthly topic's tickets (its category, area and
    months), for those who have that list: the topic named "17 tickets" and no way to read
    them."""
    if topic is None or topic["place"] is None or not user.has_perm("tickets.use_workbench"):
        return None
    first_month = topic["per_month"][0][0]  # "2026-09"
    query = {
        "category": topic["category"].code,
        "place": topic["place"].code,
        "date_from": f"{first_month}-01",
    }
    return f"{reverse('tickets:list')}?{urlencode(query)}"


@login_required
def hot_issue(request, pk):
    _require(request, "insights.view_hotissue")
    issue = HotIssue.objects.select_related("place", "category").filter(pk=pk).first()
    # A link from before the refresh regrouped it (the home page's), or another area's
    # issue: answered alike, so the page tells no one that an id exists elsewhere (the
    # API answers 404 for both).
    if issue is None or not request.user.has_perm("insights.view_hotissue", issue):
        messages.error(request, services.REGROUPED)
        return redirect("insights:hot-issues")
    # With their buildings and places: where each is, on the map and in words.
    tickets = list(
        services.visible_issue_tickets(issue, request.user).select_related("building", "place")
    )
    trend = hotissues.daily_series(issue.trend)
    # Where the tickets are (the list page had a map, the issue's own page none): only
    # those the user may see, at their masked points.
    ticket_map = issuemap.issue_map(issue, tickets)
    return render(
        request,
        "insights/hot_issue.html",
        {
            "issue": issue,
            "tickets": tickets,
            # The map's text alternative: each ticket's place in words, in the list.
            "ticket_rows": [(t, issuemap.where(t)) for t in tickets],
            "ticket_map": ticket_map,
            "next_steps": _next_steps(issue, tickets, request.user),
            # Fewer than its count when some lie outside the user's area: said, not left to
            # look like a miscount (工单 9 above a list of 3).
            "hidden": max(issue.ticket_count - len(tickets), 0),
            "trend": trend,
            # The bars as a table (without JavaScript there are none): the days with demands.
            "trend_days": [(day, n) for day, n in trend if n],
            "may_decide": request.user.has_perm("insights.decide_hotissue", issue),
            "decisions": services.decisions_for(issue),
            "history": issue.decisions.select_related("user"),
        },
    )


def _next_steps(issue, tickets, user):
    """What a confirmed hot issue leads to: its tickets stay with the units that own them
    (each listed with how many it holds, how many still open), read and exported from the
    area list filtered to them. The page offered nothing after 确认. A deliberation topic
    (议题) is for when that app exists (docs/insights.md)."""
    if issue.state != HotIssue.State.CONFIRMED:
        return None
    owners = {}
    for t in tickets:
        unit = t.owner
        row = owners.setdefault(unit.pk if unit else None, {"unit": unit, "total": 0, "open": 0})
        row["total"] += 1
        row["open"] += t.status in OPEN_STATUSES
    listed = None
    if tickets and user.has_perm("tickets.use_workbench"):
        query = urlencode({"hot": issue.pk})
        listed = {
            "list": f"{reverse('tickets:list')}?{query}",
            "export": f"{reverse('tickets:export')}?{query}",
        }
    rows = sorted(owners.values(), key=lambda r: (-r["open"], -r["total"]))
    return {"owners": rows, "links": listed}


@login_required
@require_POST
def decide(request, pk):
    _require(request, "insights.decide_hotissue")
    issue = HotIssue.objects.select_related("place").filter(pk=pk).first()
    if issue is None:
        # The hourly refresh regrouped it while its page was open: a bare 404 said nothing
        # of why, nor where to go.
        messages.error(request, services.REGROUPED)
        return redirect("insights:hot-issues")
    _require(request, "insights.decide_hotissue", issue)
    try:
        services.decide(
            issue, request.POST.get("action"), request.user, request.POST.get("note", "")
        )
    except services.DecisionError as exc:
        messages.error(request, str(exc))
        if not HotIssue.objects.filter(pk=issue.pk).exists():  # regrouped meanwhile
            return redirect("insights:hot-issues")
    else:
        messages.success(request, _("Saved: %(state)s.") % {"state": issue.get_state_display()})
    return redirect("insights:hot-issue", pk=issue.pk)


OUTLINED_GRIDS = 300


def _grid_outlines(issues):
    """GeoJSON of the grids around the located issues (those of their communities): drawn
    under the circles, which stood on a blank background with nothing to tell where they
    were."""
    communities = set()
    for issue in issues:
        place = issue.place
        if place is None or place.lat is None or place.lng is None:
            continue
        area = place.ancestor_at(Level.COMMUNITY) if place.level != Level.STREET else place
        if area is not None:
            communities.add(area.path)
    if not communities:
        return None
    grids = Place.objects.filter(level=Level.GRID, boundary__isnull=False).filter(
        reduce(operator.or_, (Q(path__startswith=path) for path in sorted(communities)))
    )
    features = [
        {"type": "Feature", "geometry": boundary, "properties": {"name": name}}
        for name, boundary in grids.order_by("path").values_list("name", "boundary")[
            :OUTLINED_GRIDS
        ]
    ]
    return {"type": "FeatureCollection", "features": features} if features else None


# The kinds of text the scores are broken down by (classifier._by_kind), as shown.
TEXT_KINDS = {
    "title": gettext_lazy("titles"),
    "body": gettext_lazy("bodies"),
    "whole": gettext_lazy("title and body"),
}


def _method_display(method):
    """The stored evaluation method ('3-fold cross-validation') in the reader's language."""
    match = re.fullmatch(r"(\d+)-fold cross-validation", method or "")
    if match:
        return _("%(k)s-fold cross-validation") % {"k": match.group(1)}
    return method or ""


def _version_notes(versions):
    """{version: its note as shown}: "by <login>" names the person as the rest of the page
    does (由 district 发起 showed a login beside 区级工作人员 in the changes below)."""
    logins = {v.note[3:] for v in versions if (v.note or "").startswith("by ")}
    users = {}
    if logins:
        found = get_user_model().objects.filter(username__in=logins)
        users = {user.get_username(): user for user in found}
    notes = {}
    for v in versions:
        user = users.get(v.note[3:]) if (v.note or "").startswith("by ") else None
        notes[v.version] = (
            _("by %(name)s") % {"name": display_name(user)} if user else v.note_display
        )
    return notes


def _version_rows(versions, active):
    """The versions with their scores beside the one in use (training.comparison: over the
    categories both know when one has a category more)."""
    rows = []
    notes = _version_notes(versions)
    for v in versions:
        compared = None
        if active is not None and not v.active:
            compared = training.comparison(v.metrics, active.metrics)
        rows.append(
            {
                "v": v,
                "note": notes[v.version],
                "accuracy": (v.metrics or {}).get("accuracy"),
                "macro_f1": (v.metrics or {}).get("macro_f1"),
                "delta": compared["delta"] if compared else None,
                "shared": bool(compared and compared["shared"]),
                "new_labels": sorted((compared or {}).get("new_labels", {}).items()),
            }
        )
    return rows


@login_required
def classifier(request):
    _require(request, "insights.view_classifier")
    status = services.classifier_status()
    metrics = status["metrics"]
    chart = {
        "labels": metrics.get("labels", []),
        "confusion": metrics.get("confusion", []),
    }
    # The heatmap as a table, for a browser without JavaScript: a row per true category.
    confusion_rows = list(zip(chart["labels"], chart["confusion"], strict=False))
    by_kind = [
        (TEXT_KINDS.get(kind, kind), m) for kind, m in (metrics.get("by_kind") or {}).items()
    ]
    return render(
        request,
        "insights/classifier.html",
        {
            "status": status,
            "metrics": metrics,
            "method": _method_display(metrics.get("method")),
            "per_class": sorted((metrics.get("per_class") or {}).items()),
            "by_kind": by_kind,
            "chart": chart,
            "confusion_rows": confusion_rows,
            "versions": _version_rows(status["versions"], status["active"]),
            "tolerance": training.tolerance(),
            "may_retrain": request.user.has_perm("insights.retrain_classifier"),
            "may_activate": request.user.has_perm("insights.activate_classifier"),
        },
    )


@login_required
@require_POST
def retrain(request):
    _require(request, "insights.retrain_classifier")
    from . import predictor
    from .tasks import retrain as task

    if not training.has_news() and predictor.load_active()[1] is not None:
        # Each click trained the same data again: a copy of the version in use, which pushed
        # the oldest version kept for a rollback out (training.prune_versions keeps five).
        latest = ModelVersion.objects.order_by("-version").first()
        messages.info(
            request,
            _(
                "No staff correction since v%(v)s was trained: retraining would give the same "
                "version again and push out an older one kept for going back. Not retrained."
            )
            % {"v": latest.version},
        )
        return redirect("insights:classifier")

    result = task.delay(note=f"by {request.user.get_username()}", user_id=request.user.pk)
    if not result.ready():
        messages.success(request, _("Retraining started; reload this page in a minute."))
        return redirect("insights:classifier")
    record = ModelVersion.objects.filter(version=result.get()["version"]).first()
    if record is not None and record.active:
        messages.success(
            request,
            _("v%(v)s was trained and is now in use (macro-F1 %(f1)s).")
            % {"v": record.version, "f1": record.metrics.get("macro_f1")}
            + (" " + record.comparison_display if record.comparison_display else ""),
        )
    elif record is not None:
        messages.warning(
            request,
            _("v%(v)s was trained and kept, not in use.") % {"v": record.version}
            + " "
            + record.review_display,
        )
    return redirect("insights:classifier")


@login_required
@require_POST
def activate(request, version):
    """Put an earlier (or kept back) version in use: a rollback, recorded with who and when."""
    _require(request, "insights.activate_classifier")
    record = get_object_or_404(ModelVersion, version=version)
    if record.active:
        messages.info(request, _("v%(v)s is already in use.") % {"v": record.version})
        return redirect("insights:classifier")
    try:
        training.activate(record, user=request.user)
    except training.ActivationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("v%(v)s is now in use.") % {"v": record.version})
    return redirect("insights:classifier")


def _duplicate_rows(found, user=None):
    """Rows for the panels; with `user`, whether they may record the caller's urging."""
    return [
        {
            "ticket": t,
            "score": d.score,
            "reasons": [REASONS[r] for r in d.reasons],
            "same_caller": "requester" in d.reasons,
            "place_unknown": d.place_unknown,
            "may_urge": user is not None and "supervise" in lifecycle.allowed_actions(t, user),
        }
        for d, t in found
    ]


@login_required
@require_GET
def ticket_duplicates(request, code):
    """htmx, on a ticket's page: open tickets that look like the same matter, to merge into."""
    _require(request, "insights.find_duplicates")
    ticket = get_object_or_404(Ticket.objects.select_related("place"), code=code)
    if not request.user.has_perm("tickets.view_ticket", ticket):
        raise Http404
    found = services.duplicates_of(ticket, request.user) if ticket.is_open else []
    return render(
        request,
        "insights/_duplicates.html",
        {
            "ticket": ticket,
            "rows": _duplicate_rows(found),
            "may_merge": "merge" in lifecycle.allowed_actions(ticket, request.user),
        },
    )


@login_required
@require_GET
def intake_duplicates(request):
    """htmx, beside the intake forms: open tickets that look like what the operator is
    typing (same text, building or caller), so the caller can be told where theirs stands.
    The caller's own open tickets are always listed (重复来电), even before any text."""
    _require(request, "insights.find_duplicates")
    get = request.GET
    title = get.get("title", "").strip()
    text = " ".join((title, get.get("description", "").strip())).strip()
    phone = get.get("requester_phone", "").strip()
    rows = []
    if text or phone:
        address = get.get("address", "").strip()
        found = addresses.resolve_address(address) if address else None
        place = insights_intake.demand_place(
            text,
            (found.building or found.area) if found else None,
            area_only=found is not None and found.building is None,
        )
        category = insights_intake.demand_category(
            text, insights_intake.category_of(get.get("category", "").strip() or None)
        )
        rows = _duplicate_rows(
            services.visible_duplicates(
                request.user,
                text,
                place=place,
                phone=phone,
                callers=True,
                category=category,
                title=title,
            ),
            request.user,
        )
    return render(
        request, "insights/_intake_duplicates.html", {"rows": rows, "text": text or phone}
    )
