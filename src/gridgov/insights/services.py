"""Shared by the API and the pages: scoped hot-issue lists, decisions, classifier status,
the duplicates a user may be shown."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.people.scope import ancestor_paths, scope_for
from gridgov.tickets.filters import visible_tickets

from . import dedupe
from .models import HotIssue, HotIssueDecision, ModelActivation, ModelVersion
from .rules import DECIDE_ROLES, VIEW_ROLES

DECISIONS = {
    "confirm": HotIssue.State.CONFIRMED,
    "dismiss": HotIssue.State.DISMISSED,
    "reopen": HotIssue.State.NEW,
}


class DecisionError(ValueError):
    pass


# A decision on an issue the hourly refresh dropped (its tickets regrouped) while its page was open.
REGROUPED = _("This hot issue was regrouped by the latest refresh; reload the list.")


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


def visible_issue_tickets(issue, user):
    """The issue's tickets that `user` may see, oldest first: a hot issue can reach over
    places the user does not hold (a street-level issue seen by one community's staff),
    and its tickets keep their own scope (tickets.filters.visible_tickets). With their
    owners: the page says which unit has each."""
    tickets = issue.tickets.select_related("owner_place", "owner_department")
    return visible_tickets(user, tickets).order_by("created_at", "pk")


def map_points(issues):
    """The located issues as map markers, one per point: issues at the same place (two at
    魏家坡社区) were drawn on top of each other, only the last one to be seen or clicked.

    Each marker: lat, lng, the place's name (names, when different places share the point),
    count (issues), heat (the hottest, which sizes the marker) and the issues, hottest
    first (id, title, heat, tickets, place).
    """
    markers = {}
    for issue in issues:
        place = issue.place
        if place is None or place.lat is None or place.lng is None:
            continue
        marker = markers.setdefault((place.lat, place.lng), {"lat": place.lat, "lng": place.lng})
        marker.setdefault("issues", []).append(
            {
                "id": issue.pk,
                "title": issue.title,
                "heat": issue.heat,
                "tickets": issue.ticket_count,
                "place": place.name,
            }
        )
    points = []
    for marker in markers.values():
        listed = sorted(marker["issues"], key=lambda i: (-i["heat"], i["id"]))
        names = list(dict.fromkeys(i["place"] for i in listed))
        points.append(
            {
                **marker,
                "place": "、".join(names),
                "count": len(listed),
                "heat": listed[0]["heat"],
                "issues": listed,
            }
        )
    points.sort(key=lambda p: -p["heat"])
    return points


def visible_duplicates(
    user,
    text,
    place=None,
    requester=None,
    phone="",
    now=None,
    exclude=None,
    callers=False,
    category=None,
    resolved=True,
    title="",
    at=None,
):
    """[(dedupe.Candidate, Ticket)] of the open tickets that look like the same matter,
    best first, among those the user may see; with `callers` (intake), also the
    requester's own open tickets whatever their score (dedupe.find_duplicates); without
    `resolved`, only those still being handled; with `title` (beside the intake form),
    also near-identical titles; `at`: a filed ticket's time, the window around it
    (dedupe.find_duplicates).

    A match that rests on the requester (same person or phone) tells who filed the other
    ticket, which is personal data: it is kept for those who may see that ticket's
    requester, and for the dispatch desks, who take the calls and merge duplicates (they
    learn that the same caller is behind both, not the caller's name or phone). For anyone
    else that reason and its bonus are taken out, and the ticket stays only if the rest
    still reaches the threshold.
    """
    from gridgov.tickets.models import Ticket

    found = dedupe.find_duplicates(
        text,
        place=place,
        requester=requester,
        phone=phone,
        now=now,
        exclude=exclude,
        callers=callers,
        category=category,
        resolved=resolved,
        title=title,
        at=at,
    )
    if not found:
        return []
    tickets = Ticket.objects.select_related("owner_place", "owner_department", "category")
    tickets = tickets.in_bulk([d.ticket_id for d in found])
    shown = []
    for candidate in found:
        ticket = tickets.get(candidate.ticket_id)
        seen = _as_seen_by(user, ticket, candidate.reasons, candidate.score)
        if seen is not None:
            candidate.reasons, candidate.score = seen
            shown.append((candidate, ticket))
    shown.sort(key=lambda pair: (-pair[0].score, -pair[0].ticket_id))
    return shown


def _as_seen_by(user, ticket, reasons, score):
    """(reasons, score) of a duplicate match as `user` may see it, or None: the other ticket
    must be theirs to see, and the requester reason theirs to know (see visible_duplicates)."""
    from gridgov.tickets.models import Ticket
    from gridgov.tickets.rules import is_dispatcher

    if ticket is None or not user.has_perm("tickets.view_ticket", ticket):
        return None
    if (
        "requester" in reasons
        and not user.has_perm(Ticket.PERSONAL_DATA_PERM, ticket)
        and not is_dispatcher(user, ticket)
    ):
        reasons = [r for r in reasons if r != "requester"]
        score = round(score - dedupe.REQUESTER_BONUS, 3)
        if score < dedupe.min_score():
            return None
    return reasons, score


def duplicates_of(ticket, user):
    """visible_duplicates for an existing ticket (itself left out), to merge it into: tickets
    still being handled. A resolved one was listed among "open tickets" with a button to
    merge into it, which would close the newer demand unhandled: a demand made after the
    matter was reported done says it is back (the demo offered to merge 11-29's "修建搅拌厂，
    严重污染环境" into a resolved ticket of the 21st about that plant), and is handled on
    its own."""
    return visible_duplicates(
        user,
        dedupe.ticket_text(ticket),
        place=ticket.place,
        requester=ticket.requester_id,
        phone=ticket.requester_phone,
        at=ticket.created_at,
        exclude=ticket.pk,
        category=ticket.category,
        resolved=False,
    )


def decisions_for(issue):
    """The decisions that would change the issue's state (a confirmed one is not confirmed again)."""
    return [action for action, state in DECISIONS.items() if state != issue.state]


@transaction.atomic
def decide(issue, action, user, note=""):
    """Confirm, dismiss or reopen a hot issue; every decision is also a HotIssueDecision row."""
    if action not in DECISIONS:
        raise DecisionError(
            _("Unknown decision %(a)s: confirm, dismiss or reopen.") % {"a": action}
        )
    # Locked and read afresh: of two people deciding at once, the second sees the first's.
    try:
        locked = HotIssue.objects.select_for_update().get(pk=issue.pk)
    except HotIssue.DoesNotExist:  # the hourly refresh regrouped it while the page was open
        raise DecisionError(REGROUPED) from None
    if action not in decisions_for(locked):
        # Deciding it again would only overwrite who decided, and when.
        raise DecisionError(
            _("The hot issue is already %(state)s.") % {"state": locked.get_state_display()}
        )
    if action == "dismiss" and not (note or "").strip():
        raise DecisionError(_("Say why the hot issue is dismissed."))
    before = locked.state
    issue.state = DECISIONS[action]
    issue.decided_by = user
    issue.decided_at = timezone.now()
    issue.note = (note or "")[:300]
    issue.save(update_fields=["state", "decided_by", "decided_at", "note"])
    HotIssueDecision.objects.create(
        issue=issue,
        action=action,
        from_state=before,
        to_state=issue.state,
        user=user if getattr(user, "pk", None) else None,
        note=issue.note,
        at=issue.decided_at,
    )
    return issue


def classifier_status():
    """What the classifier status page and API show."""
    from . import predictor

    active = ModelVersion.objects.filter(active=True).order_by("-version").first()
    versions = list(ModelVersion.objects.order_by("-version")[:10])
    activations = list(ModelActivation.objects.select_related("activated_by")[:10])
    _version, model = predictor.load_active()
    metrics = (active.metrics if active else {}) or {}
    return {
        "active": active,
        "versions": versions,
        "activations": activations,
        "loaded": model is not None,
        "backend": "model" if model is not None else "keywords",
        "metrics": metrics,
        "labels": metrics.get("labels", []),
        "confusion": metrics.get("confusion", []),
    }
