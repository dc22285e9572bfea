"""网格巡查、入户走访: patrol tasks and records, door-to-door visits, in scope.

- A patrol task is a checklist for one grid, walked every `every_days` days. Staff of
  the grid or above plan tasks; the grid's workers (or the task's assignee) see
  which are due and record a walk. A hazard found on the walk becomes a ticket
  with channel `patrol` in the same transaction (intake.create_ticket), linked
  from the record.
- A visit logs who called on a household, when, and what was heard. Grid workers,
  sent-down cadres (驻村/下沉干部) and community staff visit households in their
  area; Party members visit in the area of their organisation or home community.
  A demand heard on a visit becomes a ticket with channel `visit`.
- Households not visited for GRIDGOV_VISIT_PERIOD_DAYS (default 90) are listed per grid.

Every function takes the acting user and refuses (PatrolError, 403) what lies
outside the user's scope: a grid worker acts only in their own grid.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import sheets
from gridgov.people.models import Household, PartyMember, Person, Role
from gridgov.people.scope import (
    PERSONAL_DATA_ROLES,
    REGISTRY_ROLES,
    filter_by_scope,
    scope_for,
    scope_q,
)
from gridgov.places.models import Level, Place

from . import intake
from .models import Channel, Nature, PatrolRecord, PatrolTask, Visit

PATROL_ROLES = {Role.GRID_WORKER, Role.MICRO_GRID_WORKER}
# Whose area's households are listed for visiting (party members visit too, but their
# area is their organisation's, not a role's: they log visits without the list).
VISIT_AREA_ROLES = PATROL_ROLES | {Role.CADRE, Role.COMMUNITY_STAFF}
# Office staff who visit a household in their area (visit capacity "staff").
OFFICE_VISITOR_ROLES = {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_STAFF}
PLAN_ROLES = {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_STAFF}
VIEW_ROLES = REGISTRY_ROLES
MAX_CHECKLIST = 50
RESULTS = ("ok", "issue", "skipped")


class Capacity:
    GRID_WORKER = "grid_worker"
    CADRE = "cadre"
    PARTY_MEMBER = "party_member"
    STAFF = "staff"


VISIT_CAPACITIES = (Capacity.GRID_WORKER, Capacity.CADRE, Capacity.PARTY_MEMBER, Capacity.STAFF)


class PatrolError(Exception):
    """`errors` maps fields to messages; status 400 (bad input) or 403 (outside scope)."""

    def __init__(self, errors, status_code=400):
        super().__init__(errors)
        self.errors = errors if isinstance(errors, dict) else {"detail": errors}
        self.status_code = status_code


def _refuse(message=None):
    return PatrolError(message or _("Outside your area."), status_code=403)


# --- patrol tasks ------------------------------------------------------------------------


def may_plan(user, grid):
    return scope_for(user).covers(grid, PLAN_ROLES)


def walks(user):
    """`user.has_perm("tickets.walk_patrols")`, asked once a request: the main menu, the
    workbench's links and the patrol page all ask, and for anyone but a grid or micro-grid
    worker the rule looks for a patrol task of theirs each time. Kept in the scope's
    per-request memo (scope_for), so forget_scope drops it too."""
    if not getattr(user, "is_authenticated", False):
        return False
    memo = scope_for(user).memo
    if "walks_patrols" not in memo:
        memo["walks_patrols"] = user.has_perm("tickets.walk_patrols")
    return memo["walks_patrols"]


def may_patrol(user, task):
    if task.assignee_id and task.assignee_id == user.pk:
        return True
    return scope_for(user).covers(task.grid, PATROL_ROLES)


def visible_tasks(user):
    if not getattr(user, "is_authenticated", False):
        return PatrolTask.objects.none()
    query = scope_q(user, "grid", VIEW_ROLES) | Q(assignee=user)
    return PatrolTask.objects.filter(query).select_related("grid", "assignee")


def _grid(value):
    grid = value if isinstance(value, Place) else Place.objects.filter(code=value).first()
    if grid is None or grid.level != Level.GRID:
        raise PatrolError({"grid": _("Unknown grid %(g)s.") % {"g": value}})
    return grid


def _checklist(items):
    if not isinstance(items, list | tuple) or not items:
        raise PatrolError({"checklist": _("A checklist needs at least one item.")})
    cleaned = [str(item).strip() for item in items]
    if any(not item or len(item) > 200 for item in cleaned) or len(cleaned) > MAX_CHECKLIST:
        raise PatrolError(
            {"checklist": _("At most %(n)s items of 1 to 200 characters.") % {"n": MAX_CHECKLIST}}
        )
    if len(set(cleaned)) != len(cleaned):
        raise PatrolError({"checklist": _("Checklist items must differ.")})
    return cleaned


def create_task(user, grid, title, checklist, every_days=1, assignee=None):
    grid = _grid(grid)
    if not may_plan(user, grid):
        raise _refuse(_("Only staff of this grid or above plan its patrols."))
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise PatrolError({"title": _("A title of 1 to 200 characters.")})
    every_days = _every_days(every_days)
    if assignee is not None and not scope_for(assignee).covers(grid, PATROL_ROLES):
        raise PatrolError({"assignee": _("The assignee must be a grid worker of this grid.")})
    return PatrolTask.objects.create(
        grid=grid,
        title=title,
        checklist=_checklist(checklist),
        every_days=every_days,
        assignee=assignee,
    )


def change_task(user, task, title, checklist, every_days=1, active=True):
    """Change a task's title, checklist, schedule or whether it is walked; walks already
    recorded keep the results they were given."""
    if not may_plan(user, task.grid):
        raise _refuse(_("Only staff of this grid or above plan its patrols."))
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise PatrolError({"title": _("A title of 1 to 200 characters.")})
    task.title = title
    task.checklist = _checklist(checklist)
    task.every_days = _every_days(every_days)
    task.active = bool(active)
    task.save(update_fields=["title", "checklist", "every_days", "active"])
    return task


def plannable_grids(user):
    """The grids whose patrols this user plans."""
    return _grids_under(user, PLAN_ROLES)


def plannable_tasks(user):
    """The patrol tasks of the grids this user plans (plannable_grids)."""
    if not getattr(user, "is_authenticated", False):
        return PatrolTask.objects.none()
    return PatrolTask.objects.filter(scope_q(user, "grid", PLAN_ROLES)).select_related("grid")


def _grids_under(user, roles):
    """The grids under the places where the user holds one of `roles`."""
    grids = Place.objects.filter(level=Level.GRID)
    return filter_by_scope(grids, user, place_field="", roles=roles).order_by("path")


def _every_days(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 365:
        raise PatrolError({"every_days": _("Every 1 to 365 days.")})
    return value


def _local_date(value):
    return timezone.localtime(value).date()


def due_tasks(user, now=None):
    """Tasks this user walks that are due today: [(task, last walked, due on)], most
    overdue first. Due when never walked, or `every_days` after the last walk's date."""
    now = now or timezone.now()
    today = _local_date(now)
    scope = scope_for(user)
    query = Q(assignee=user)
    for path in scope.paths(PATROL_ROLES):
        query |= Q(grid__path__startswith=path)
    if scope.everything:
        query = Q()
    last = PatrolRecord.objects.filter(task=OuterRef("pk")).order_by("-at").values("at")[:1]
    tasks = (
        PatrolTask.objects.filter(query, active=True)
        .select_related("grid", "assignee")
        .annotate(last_at=Subquery(last))
        .order_by("grid__path", "id")
    )
    due = []
    for task in tasks:
        due_on = (
            today
            if task.last_at is None
            else _local_date(task.last_at) + dt.timedelta(days=task.every_days)
        )
        if due_on <= today:
            due.append((task, task.last_at, due_on))
    due.sort(key=lambda item: (item[2], item[0].pk))
    return due


def record_patrol(user, task, results=None, note="", hazard=None, now=None, photos=()):
    """Record one walk of `task`; a `hazard` dict becomes a `patrol` ticket in one step.

    hazard: title, description, category (code), optional urgency, nature (default
    report), address / lat+lng / place (default: the task's grid), requester fields;
    None (or False) for none. An empty one is refused, not taken for none.
    photos: uploaded files of the hazard, filed with its ticket (checked by intake).
    """
    now = now or timezone.now()
    if not may_patrol(user, task):
        raise _refuse(_("Only the grid's workers record its patrols."))
    if not task.active:
        raise PatrolError({"task": _("This patrol task is no longer active.")})
    results = results or {}
    if not isinstance(results, dict):
        raise PatrolError({"results": _("Results map checklist items to ok, issue or skipped.")})
    unknown = sorted(set(results) - set(task.checklist))
    if unknown:
        raise PatrolError(
            {"results": _("Not on the checklist: %(i)s") % {"i": sheets.listing(unknown)}}
        )
    if any(value not in RESULTS for value in results.values()):
        raise PatrolError({"results": _("Each result is one of: ok, issue, skipped.")})
    if hazard is not None and hazard is not False and not hazard:
        # An empty hazard ({}, "") was taken for none and the walk recorded: a client that
        # meant to report one was not told. As the page refuses 发现隐患 ticked and empty.
        raise PatrolError(
            {"hazard": _("The hazard is empty: describe it, or send none to record the walk.")}
        )
    with transaction.atomic():
        ticket = None
        if hazard:
            ticket = _ticket_from(
                hazard,
                user,
                now,
                channel=Channel.PATROL,
                nature=Nature.REPORT,
                place=task.grid,
                photos=photos,
            )
        return PatrolRecord.objects.create(
            task=task, by=user, at=now, results=results, note=note or "", ticket=ticket
        )


def _ticket_from(demand, user, now, channel, nature, place, requester=None, photos=()):
    if not isinstance(demand, dict):
        raise PatrolError({"ticket": _("Describe the matter: title, description, category.")})
    data = {
        key: demand[key]
        for key in (
            "title",
            "description",
            "category",
            "urgency",
            "address",
            "lat",
            "lng",
            "requester_name",
            "requester_phone",
            "anonymous",
        )
        if demand.get(key) not in (None, "")
    }
    data.update(channel=channel, nature=demand.get("nature") or nature)
    if not any(k in data for k in ("address", "lat", "lng")):
        data["place"] = demand.get("place") or place.code
    if requester is not None:
        data["requester"] = requester
        data.setdefault("requester_name", requester.name)
        data.setdefault("requester_phone", requester.phone)
    try:
        return intake.create_ticket(data, actor=user, now=now, photos=photos).ticket
    except intake.IntakeError as exc:
        raise PatrolError({f"ticket.{k}": v for k, v in exc.errors.items()}) from None


# --- visits ------------------------------------------------------------------------------


def may_visit(user):
    """Whether `user` visits households in some capacity (visit_capacity decides which
    household): grid workers, cadres, office staff, and Party members (党员入户)."""
    scope = scope_for(user)
    roles = PATROL_ROLES | {Role.CADRE} | OFFICE_VISITOR_ROLES
    if scope.everything or scope.has_role(roles):
        return True
    return bool(user.pk) and PartyMember.objects.filter(person__user=user).exists()


def visit_capacity(user, household):
    """In which capacity `user` may visit `household`, or None."""
    building = household.building
    scope = scope_for(user)
    if scope.everything:
        return Capacity.STAFF
    if scope.covers(building, PATROL_ROLES):
        return Capacity.GRID_WORKER
    if scope.covers(building, {Role.CADRE}):
        return Capacity.CADRE
    member = PartyMember.objects.filter(person__user=user).select_related(
        "organization__place", "home_community"
    )
    for m in member:
        areas = [m.organization.place, m.home_community]
        if any(area and building.path.startswith(area.path) for area in areas):
            return Capacity.PARTY_MEMBER
    if scope.covers(building, OFFICE_VISITOR_ROLES):
        return Capacity.STAFF
    return None


def visible_visits(user):
    if not getattr(user, "is_authenticated", False):
        return Visit.objects.none()
    query = scope_q(user, "household__building", VIEW_ROLES) | Q(visitor=user)
    return Visit.objects.filter(query).select_related("household__building", "visitor", "ticket")


def earlier_visits(user, household, limit=5):
    """The household's latest visits, newest first, for whoever knocks next (hear_only)."""
    visits = household.visits.order_by("-at").select_related(
        "visitor", "ticket", "household__building"
    )[:limit]
    return hear_only(user, list(visits))


def hear_only(user, visits):
    """`visits` with what was heard blanked where `user` may not read it. It is free text
    about a family (names, illness, quarrels): for those who may see the household's
    personal data, and for its own writer; others (a sent-down cadre, a Party member) keep
    when and by whom."""
    scope = scope_for(user)
    for visit in visits:
        mine = visit.visitor_id is not None and visit.visitor_id == user.pk
        if not mine and not scope.covers(visit.household.building, PERSONAL_DATA_ROLES):
            visit.heard = ""
    return visits


def log_visit(user, household, heard="", at=None, demand=None, now=None):
    """Log a visit; a `demand` dict (title, description, category, nature default help,
    requester: a member's person id) becomes a `visit` ticket in the same transaction."""
    now = now or timezone.now()
    at = at or now
    if at > now + dt.timedelta(minutes=5):
        raise PatrolError({"at": _("A visit cannot be logged in the future.")})
    capacity = visit_capacity(user, household)
    if capacity is None:
        raise _refuse(_("You may not visit households outside your area."))
    heard = (heard or "").strip()
    if len(heard) > 4000:
        raise PatrolError({"heard": _("At most 4,000 characters.")})
    requester = None
    if demand and demand.get("requester"):
        requester = Person.objects.filter(pk=demand["requester"], household=household).first()
        if requester is None:
            raise PatrolError({"ticket.requester": _("Not a member of this household.")})
    with transaction.atomic():
        ticket = None
        if demand:
            demand = {"description": heard, **demand}
            ticket = _ticket_from(
                demand,
                user,
                now,
                channel=Channel.VISIT,
                nature=Nature.HELP,
                place=household.building,
                requester=requester,
            )
        return Visit.objects.create(
            household=household, visitor=user, role=capacity, at=at, heard=heard, ticket=ticket
        )


def visit_period_days():
    return int(getattr(settings, "GRIDGOV_VISIT_PERIOD_DAYS", 90))


def unvisited_households(grid, days=None, now=None):
    """Households in `grid` with no visit in the last `days` days (default the setting),
    never-visited first, annotated with `last_visit`."""
    return _not_visited(Household.objects.filter(building__path__startswith=grid.path), days, now)


def households_to_visit(user, days=None, now=None):
    """unvisited_households over the user's own visiting area (VISIT_AREA_ROLES' places)."""
    households = filter_by_scope(
        Household.objects.all(), user, place_field="building", roles=VISIT_AREA_ROLES
    )
    return _not_visited(households, days, now)


def unvisited_in(user, grid=None, days=None, now=None):
    """The households to visit (households_to_visit) of the user's area, or of the part of
    it in `grid`: the list the visits page shows and `GET visits/unvisited/` answers. Who
    may ask, for which grid, is rules.py's `tickets.visit_households`."""
    households = households_to_visit(user, days, now)
    if grid is not None:
        households = households.filter(building__path__startswith=grid.path)
    return households


def visiting_grids(user):
    """The grids of the user's visiting area, to narrow the list of households by."""
    return _grids_under(user, VISIT_AREA_ROLES)


def _not_visited(households, days=None, now=None):
    now = now or timezone.now()
    days = visit_period_days() if days is None else int(days)
    since = now - dt.timedelta(days=days)
    return (
        households.select_related("building__parent")
        .annotate(last_visit=Max("visits__at"))
        .filter(Q(last_visit__isnull=True) | Q(last_visit__lt=since))
        # Shorter numbers first, so room 201 comes before 1303 (text alone puts 1303 first).
        .order_by(
            F("last_visit").asc(nulls_first=True),
            "building__path",
            Length("unit"),
            "unit",
            Length("room"),
            "room",
        )
    )
