"""HTML pages: landing page and dashboard, place browser, people registry.

Views stay thin: scope comes from `gridgov.people.scope`, permissions from
`rules` perms (see access.py), masking from `gridgov.people.masking`.
"""

from collections import Counter

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from gridgov.people.models import CheckIn, PartyMember, PartyOrganization, RoleAssignment
from gridgov.people.scope import REGISTRY_ROLES, STAFF_ROLES, filter_by_scope, scope_for
from gridgov.people.visibility import visible_check_ins
from gridgov.places.models import LEVELS, Level, Place

from . import access, check_in
from .places import build_nodes, expanded_codes_for, map_area

PEOPLE_PER_PAGE = 25
# 标记 on the people list: a community looks up its elderly living alone, its new-employment
# workers and the in-service Party members who have reported (报到) to it.
PEOPLE_MARKS = {
    "checked_in": Q(party_checked_in=True),
    "new_employment": Q(new_employment=True),
    "elderly": Q(lives_alone_elderly=True),
}
CHART_GRIDS = 20


def _work_paths(user):
    """Roots of the subtrees the user works in: shown as "mine" on maps and counted on the
    dashboard. Residents and volunteers are bound to places too, but do not govern them."""
    if not user.is_authenticated:
        return []
    return scope_for(user).paths(STAFF_ROLES)


def home(request):
    if not request.user.is_authenticated:
        counts = Place.objects.aggregate(
            communities=Count("id", filter=Q(level=Level.COMMUNITY)),
            grids=Count("id", filter=Q(level=Level.GRID)),
        )
        return render(request, "web/landing.html", {"counts": counts})
    return dashboard(request)


def dashboard(request):
    user = request.user
    scope = scope_for(user)
    assignments = (
        RoleAssignment.objects.filter(user=user, active=True)
        .select_related("place", "department")
        .order_by("role", "place__path")
    )
    places = filter_by_scope(Place.objects.all(), user, place_field="", roles=STAFF_ROLES)
    counts = None
    if scope.everything or _work_paths(user):
        counts = places.aggregate(
            communities=Count("id", filter=Q(level=Level.COMMUNITY)),
            grids=Count("id", filter=Q(level=Level.GRID)),
            buildings=Count("id", filter=Q(level=Level.BUILDING)),
        )
    people_count = None
    chart = None
    if access.may_use_registry(user):
        people = access.people_in_scope(user)
        people_count = people.count()
        chart = _people_by_grid(people, places)
    scope_places = list(Place.objects.filter(path__in=scope.paths()).order_by("path"))
    # Before the panels: it reads the login's person once for them too (我的诉求 asks for it).
    offer = check_in.offer(user)
    panels = [p for p in (panel(request) for panel in _dashboard_panels()) if p]
    # Residents and volunteers follow their own demands here; "workbench" is for those who
    # work on places, people or tickets (department handlers included).
    works = scope.everything or scope.has_role(STAFF_ROLES) or bool(scope.department_ids)
    return render(
        request,
        "web/dashboard.html",
        {
            "title": _("My workbench") if works else _("My demands and services"),
            "assignments": assignments,
            "everything": scope.everything,
            "counts": counts,
            "people_count": people_count,
            "scope_places": scope_places,
            "chart": chart,
            "panels": panels,
            "check_in": offer,
        },
    )


def _dashboard_panels():
    return [import_string(name) for name in settings.GRIDGOV_DASHBOARD_PANELS]


def _people_by_grid(people, places):
    """People per grid in scope (largest first), for the dashboard chart."""
    grid_depth = LEVELS.index(Level.GRID)
    per_grid = Counter()
    rows = list(people.values_list("place__path").annotate(n=Count("id")))
    for path, n in rows:
        codes = path.strip("/").split("/")
        if len(codes) > grid_depth:
            per_grid[codes[grid_depth]] += n
    if len(per_grid) < 2:
        return None  # one bar says nothing the people count does not
    top = per_grid.most_common(CHART_GRIDS)
    names = dict(
        places.filter(code__in=[code for code, _n in top], level=Level.GRID).values_list(
            "code", "name"
        )
    )
    # People registered at a community, street or district (staff records, mostly) are in the
    # people count but in no bar: said under the chart, or the bars fall short of the count.
    outside = sum(total for _path, total in rows) - sum(per_grid.values())
    return {
        "labels": [names.get(code, code) for code, _n in top],
        "values": [n for _code, n in top],
        "outside_note": ngettext(
            "%(n)s more person is registered outside every grid, at a community, street or "
            "district.",
            "%(n)s more people are registered outside every grid, at a community, street or "
            "district.",
            outside,
        )
        % {"n": outside}
        if outside
        else "",
        "title": _("People per grid")
        if len(per_grid) <= CHART_GRIDS
        else _("People per grid (top %(n)s)") % {"n": CHART_GRIDS},
        "height": 48 + 30 * len(top),
    }


# -- places ------------------------------------------------------------------


def _place_or_404(code):
    return get_object_or_404(Place.objects.select_related("parent"), code=code)


def _map_context(request, focus):
    """What the map draws: grids around the focus place, and buildings when zoomed in."""
    user = request.user
    area = map_area(focus) if focus else None
    # GeoJSON from the places API (public, like a map).
    geojson = reverse("place-geojson")
    grids_url = f"{geojson}?level=grid"
    buildings_url = None
    if area:
        grids_url += f"&under={area.code}"
        if area.level in (Level.COMMUNITY, Level.GRID):
            buildings_url = f"{geojson}?level=building&under={area.code}"
    scope_grids = []
    work_paths = _work_paths(user)
    if work_paths:
        grids = Place.objects.filter(level=Level.GRID).under_any(work_paths)
        if area:
            grids = grids.under(area)
        scope_grids = list(grids.values_list("code", flat=True))
    return {
        "grids_url": grids_url,
        "buildings_url": buildings_url,
        "scope_grids": scope_grids,
        "focus_code": focus.code if focus else "",
        "panel_url": reverse("web-place-panel", args=["__CODE__"]),
    }


def _detail_context(place):
    return {
        "place": place,
        "ancestors": place.ancestors(),
        "children": list(place.children.order_by("code")),
        "party_organizations": list(
            PartyOrganization.objects.filter(place=place).select_related("parent")
        ),
    }


@require_GET
def places_index(request):
    scope_paths = _work_paths(request.user)
    # Without ?focus, the map opens where the user works (or lives, or serves).
    own_paths = scope_paths or scope_for(request.user).paths()
    focus = None
    if request.GET.get("focus"):
        focus = _place_or_404(request.GET["focus"])
    elif own_paths:
        focus = Place.objects.filter(path=own_paths[0]).first()
    if focus is None:
        focus = Place.objects.filter(parent__isnull=True).order_by("code").first()
    # Open the tree down to the user's places, and the focus place itself.
    expanded = expanded_codes_for(list(scope_paths) + ([focus.path] if focus else []))
    if focus:
        expanded.add(focus.code)
    nodes = build_nodes(
        Place.objects.filter(parent__isnull=True),
        scope_paths,
        expanded,
        focus.code if focus else None,
    )
    context = {
        "nodes": nodes,
        "focus": focus,
        "map": _map_context(request, focus),
        "detail": _detail_context(focus) if focus else None,
    }
    return render(request, "web/places/index.html", context)


@require_GET
def place_children(request, code):
    place = _place_or_404(code)
    nodes = build_nodes(Place.objects.filter(parent=place), _work_paths(request.user))
    return render(request, "web/places/_nodes.html", {"nodes": nodes})


@require_GET
def place_panel(request, code):
    place = _place_or_404(code)
    return render(request, "web/places/_detail.html", _detail_context(place))


@require_GET
def place_detail(request, code):
    place = _place_or_404(code)
    context = _detail_context(place)
    context["map"] = _map_context(request, place)
    return render(request, "web/places/detail.html", context)


# -- people ------------------------------------------------------------------


def _registry_user(request):
    if not access.may_use_registry(request.user):
        raise PermissionDenied(_("Your roles do not include access to the people registry."))


@login_required
@require_GET
def people_list(request):
    _registry_user(request)
    people = (
        access.people_in_scope(request.user)
        .select_related("place", "place__parent", "household")
        .annotate(
            party_checked_in=Exists(
                CheckIn.objects.filter(person=OuterRef("pk"), kind=CheckIn.Kind.PARTY_MEMBER)
            )
        )
    )
    mark = request.GET.get("mark", "")
    if mark in PEOPLE_MARKS:
        people = people.filter(PEOPLE_MARKS[mark])
    place = None
    if request.GET.get("place"):
        place = Place.objects.filter(code=request.GET["place"]).first()
        people = people.filter(place__path__startswith=place.path) if place else people.none()
    query = request.GET.get("q", "").strip()
    if query:
        # Name and place only: searching by phone or ID number would let masked
        # viewers confirm personal data they are not allowed to see.
        people = people.filter(
            Q(name__icontains=query) | Q(place__name__icontains=query) | Q(place__code=query)
        )
    page = Paginator(people.order_by("place__path", "id"), PEOPLE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    filter_places = filter_by_scope(
        Place.objects.filter(level__in=[Level.COMMUNITY, Level.GRID]),
        request.user,
        place_field="",
        roles=REGISTRY_ROLES,
    ).order_by("path")
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "web/people/list.html",
        {
            "page": page,
            "query": query,
            "place": place,
            "mark": mark if mark in PEOPLE_MARKS else "",
            "filter_places": filter_places,
            "params": params.urlencode(),
        },
    )


def _person_or_404(request, pk):
    people = access.people_in_scope(request.user).select_related("place", "household")
    person = people.filter(pk=pk).first()
    # Outside the user's scope the person does not exist for them.
    if person is None or not access.can_view_person(request.user, person):
        raise Http404
    return person


def _person_context(request, person, revealed=None):
    party_member = PartyMember.objects.filter(person=person).select_related("organization").first()
    return {
        "person": person,
        "ancestors": person.place.ancestors() + [person.place],
        "party_member": party_member,
        # 报到: where and when they reported, as far as the viewer may see check-ins.
        "check_ins": visible_check_ins(request.user).filter(person=person),
        "can_reveal": access.can_view_personal_data(request.user, person),
        "revealed": revealed,
    }


@login_required
@require_GET
def person_detail(request, pk):
    _registry_user(request)
    person = _person_or_404(request, pk)
    return render(request, "web/people/detail.html", _person_context(request, person))


@login_required
@require_POST
def person_reveal(request, pk):
    _registry_user(request)
    person = _person_or_404(request, pk)
    purpose = request.POST.get("purpose", "")
    try:
        revealed = access.reveal_person(request, person, purpose)
    except PermissionDenied:
        raise PermissionDenied(_("You may not view this person's full personal data.")) from None
    except access.PurposeRequired:
        # Every full view is logged with why it was needed: nothing shown, nothing logged.
        context = _person_context(request, person)
        context["purpose_error"] = _(
            "Please give the purpose of viewing: it is recorded with every full view."
        )
        return render(request, "web/people/detail.html", context, status=400)
    context = _person_context(request, person, revealed)
    context["lang_next"] = reverse("web-person-detail", args=[person.pk])
    response = render(request, "web/people/detail.html", context)
    add_never_cache_headers(response)
    return response
