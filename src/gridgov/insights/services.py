"""Shared by the API and the pages: scoped hot-issue lists, decisions, classifier status."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.people.scope import ancestor_paths, scope_for

from .models import HotIssue, ModelVersion
from .rules import DECIDE_ROLES, VIEW_ROLES

DECISIONS = {
    "confirm": HotIssue.State.CONFIRMED,
    "dismiss": HotIssue.State.DISMISSED,
    "reopen": HotIssue.State.NEW,
}


class DecisionError(ValueError):
    pass


def visible_hot_issues(user, state=None):
    """Hot issues in the user's area (places under their subtrees, or above them for deciders)."""
    scope = scope_for(user)
    issues = HotIssue.objects.select_related("place", "category")
    if state:
        issues = issues.filter(state=state)
    if scope.everything:
        return issues
    query = Q(pk__in=[])
    for path in scope.paths(VIEW_ROLES):
        query |= Q(place__path__startswith=path)
    above = {a for p in scope.paths(DECIDE_ROLES) for a in ancestor_paths(p)}
    if above:
        query |= Q(place__path__in=sorted(above))
    if scope.has_role({Role.DISTRICT_STAFF, Role.HOTLINE_OPERATOR}):
        query |= Q(place__isnull=True)
    return issues.filter(query)


def decide(issue, action, user, note=""):
    if action not in DECISIONS:
        raise DecisionError(
            _("Unknown decision %(a)s: confirm, dismiss or reopen.") % {"a": action}
        )
    if action == "dismiss" and not (note or "").strip():
        raise DecisionError(_("Say why the hot issue is dismissed."))
    issue.state = DECISIONS[action]
    issue.decided_by = user
    issue.decided_at = timezone.now()
    issue.note = (note or "")[:300]
    issue.save(update_fields=["state", "decided_by", "decided_at", "note"])
    return issue


def classifier_status():
    """What the classifier status page and API show."""
    from . import predictor

    active = ModelVersion.objects.filter(active=True).order_by("-version").first()
    versions = list(ModelVersion.objects.order_by("-version")[:10])
    _version, model = predictor.load_active()
    metrics = (active.metrics if active else {}) or {}
    return {
        "active": active,
        "versions": versions,
        "loaded": model is not None,
        "backend": "model" if model is not None else "keywords",
        "metrics": metrics,
        "labels": metrics.get("labels", []),
        "confusion": metrics.get("confusion", []),
    }
