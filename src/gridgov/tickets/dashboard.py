"""The 接诉即办 panel of the home page (`settings.GRIDGOV_DASHBOARD_PANELS`).

Staff see their queue by tab, this month's KPIs of their own units (last month's in a
month's first days) ranked among their siblings, and the ways in to intake; district staff
also see their streets ranked; residents and volunteers see the latest demands they reported.
"""

from django.utils import timezone

from gridgov.people.models import Department
from gridgov.people.scope import scope_for
from gridgov.places.models import Level, Place

from . import kpis, patrols, progress, queues
from .filters import visible_tickets
from .models import OPEN_STATUSES
from .rules import OFFICE_ROLE

MAX_UNITS = 3
LATEST_OWN = 3
# Streets of a district shown on its staff's home page, best first; the ranking page has all.
TOP_BELOW = 5


def _my_units(scope):
    """The place offices and departments the user works for, at most MAX_UNITS."""
    paths = sorted({p for role in OFFICE_ROLE.values() for p in scope.paths_by_role.get(role, ())})
    units = list(Place.objects.filter(path__in=paths).order_by("path")[:MAX_UNITS])
    room = MAX_UNITS - len(units)
    if room > 0 and scope.department_ids:
        departments = Department.objects.filter(pk__in=sorted(scope.department_ids))
        units += list(departments.select_related("place").order_by("code")[:room])
    return units


def _units_below(units, start, end, now):
    """The streets of the user's district, ranked in the period (kpis.ranking, as the ranking
    page opens for district staff), or None for anyone working at no district office.

    A district office is given no tickets, so its own row is mostly dashes: how its streets
    do is what it follows. Only districts: a street is a dispatch desk and answers for what it
    hands down (docs/kpis.md), so its own row, ranked among the district's streets, is the
    figure it is judged by, and its communities' ranking is one link away."""
    district = next((u for u in units if isinstance(u, Place) and u.level == Level.DISTRICT), None)
    if district is None:
        return None
    rows = kpis.ranking(Level.STREET, district, start, end, now=now)
    if not rows:
        return None
    return {
        "parent": district,
        "level": Level.STREET,
        "rows": rows[:TOP_BELOW],
        "total": len(rows),
    }


def _has_figures(row):
    return any(row.counts.values()) or any(rate is not None for rate in row.rates.values())


def panel(request):
    user = request.user
    staff = user.has_perm("tickets.use_workbench")
    # Staff follow their queue; what they filed for callers is not "my demands".
    own = [] if staff else list(progress.own_tickets(user)[:LATEST_OWN])
    for ticket in own:
        # As 我的诉求 shows it: the home page showed 已上报 where that page said 办理中.
        ticket.public_status = progress.public_status(ticket)
        ticket.public_label = progress.label_for(user, ticket)
    context = {
        "template": "tickets/_dashboard.html",
        "stylesheet": "tickets/tickets.css",
        "staff": staff,
        "own": own,
        "may_intake": user.has_perm("tickets.take_in"),
        "may_take_calls": user.has_perm("tickets.take_calls"),
        # 随手拍 is for residents, volunteers and those out in the grids, not for desks.
        # patrols.walks: asked once a request, the menu's answer shared.
        "may_report": not staff or patrols.walks(user),
    }
    if staff:
        scope = scope_for(user)
        now = timezone.now()
        if queues.has_queue(user):
            counts = queues.tab_counts(user, now)
            context["tabs"] = queues.tabs(counts, scope)
        else:
            # Community police, cadres: tabs of zeros that never fill (全部 0, with the
            # area's tickets next door) said there was nothing to see. What they have is
            # the area's tickets to follow, read only.
            context["tabs"] = None
            context["area_open"] = (
                visible_tickets(user).filter(status__in=OPEN_STATUSES).order_by().count()
            )
        # This month so far, or last month in the month's first days (one day of figures
        # on the 1st is a row of dashes): as the ranking page opens (kpis.default_period).
        today = timezone.localdate()
        choice = kpis.default_period(today)
        start, end = kpis.period(choice, today=today)
        units = _my_units(scope)
        rows = [kpis.unit_kpis(unit, start, end, now=now) for unit in units]
        # A unit to which nothing happened in the period (a district office, which is given
        # no tickets) was a row of dashes ranked —; the ranking page still lists it.
        context["kpis"] = [row for row in rows if _has_figures(row)]
        context["period"] = (start, end)
        context["period_choice"] = choice
        context["below"] = _units_below(units, start, end, now)
    return context


def fieldwork_panel(request):
    """网格巡查、入户走访 on the home page: the patrols due today and the households left
    to visit, for those who walk or visit."""
    user = request.user
    walks, visits = patrols.walks(user), user.has_perm("tickets.visit_households")
    if not (walks or visits):
        return None
    context = {"template": "tickets/_dashboard_fieldwork.html", "walks": walks, "visits": visits}
    if walks:
        context["due"] = [task for task, _last, _on in patrols.due_tasks(user)]
    if visits:
        context["to_visit"] = patrols.households_to_visit(user).count()
        context["days"] = patrols.visit_period_days()
    return context
