"""Pages for work in the field, phone-first (网格巡查、入户走访): the patrols due today with
their checklists, a walk recorded with a hazard reported in the same step, the households
not visited lately, and a visit logged with a demand heard there. Who may do what, and
what a walk or a visit writes, is patrols.py's."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.people.masking import mask_name
from gridgov.people.models import Household, Person

from . import intake, patrols
from .filters import visible_tickets
from .forms import PatrolTaskForm, PatrolWalkForm, VisitForm, note_dropped_photos
from .models import PatrolRecord, Status, Ticket

LISTED = 50  # households listed to visit; the count says how many there are


def _require(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _add_errors(form, errors, fields=None):
    """PatrolError's fields (`ticket.description` …) onto the form's own fields, through
    `fields` (error key → form field; None: the keys are the form's field names)."""
    for key, message in errors.items():
        name = key if fields is None else fields.get(key)
        form.add_error(name if name in form.fields else None, message)


@login_required
@require_GET
def patrol_list(request):
    if not patrols.walks(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    due = [
        {"task": task, "last_at": last_at, "late_days": (today - due_on).days}
        for task, last_at, due_on in patrols.due_tasks(request.user)
    ]
    recent = _with_ticket_links(
        request.user,
        PatrolRecord.objects.filter(by=request.user)
        .select_related("task__grid", "ticket")
        .order_by("-at")[:10],
    )
    return render(
        request, "tickets/patrols.html", {"due": due, "recent": recent, "section": "patrols"}
    )


def _with_ticket_links(user, rows):
    """The rows (patrol records, visits), each with `ticket_url` set where the user may open
    the ticket it filed: a task's volunteer assignee, a Party member or a micro-grid worker
    filing beyond their building sees no ticket page, and the link answered 403."""
    rows = list(rows)
    # One query for the list: the rule (tickets.view_ticket) asked up to three a row.
    # visible_tickets is that rule as a queryset (test_visibility_properties holds them equal).
    filed = [row.ticket_id for row in rows if row.ticket_id is not None]
    opens = set()
    if filed:
        opens = set(
            visible_tickets(user, Ticket.objects.filter(pk__in=filed)).values_list("pk", flat=True)
        )
    for row in rows:
        may_open = row.ticket_id in opens
        row.ticket_url = reverse("tickets:detail", args=[row.ticket.code]) if may_open else ""
    return rows


HAZARD_FIELDS = {
    "ticket.description": "hazard",
    "ticket.title": "hazard",
    "ticket.category": "hazard_category",
    "ticket.address": "hazard_address",
    "ticket.location": "hazard_address",
    "ticket.place": "hazard_address",
    "ticket.photos": "hazard_photos",
}


def _confirmed(message, user, ticket, **values):
    """A confirmation naming the ticket just filed, its code a link to the ticket where the
    user may open it, so the worker can add to it or follow it from the message."""
    code = ticket.code
    if user.has_perm("tickets.view_ticket", ticket):
        code = format_html('<a href="{}">{}</a>', reverse("tickets:detail", args=[code]), code)
    values = {key: conditional_escape(value) for key, value in values.items()}
    # The message is a trusted catalogue string; every value in it is escaped above.
    return mark_safe(message % {**values, "code": conditional_escape(code)})


@login_required
@require_http_methods(["GET", "POST"])
def patrol_walk(request, pk):
    task = get_object_or_404(patrols.visible_tasks(request.user), pk=pk)
    if not patrols.may_patrol(request.user, task):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = PatrolWalkForm(request.POST, request.FILES, task=task)
        if form.is_valid():
            try:
                record = patrols.record_patrol(
                    request.user,
                    task,
                    results=form.results(),
                    note=form.cleaned_data["note"],
                    hazard=form.hazard_data(),
                    photos=form.cleaned_data["hazard_photos"],
                )
            except patrols.PatrolError as exc:
                _add_errors(form, exc.errors, HAZARD_FIELDS)
            else:
                if record.ticket is None:
                    text = _("Patrol recorded: %(task)s.") % {"task": task.title}
                else:
                    text = _confirmed(
                        _("Patrol recorded: %(task)s. The hazard was reported as ticket %(code)s."),
                        request.user,
                        record.ticket,
                        task=task.title,
                    )
                messages.success(request, text)
                return redirect("tickets:patrols")
        note_dropped_photos(form, "hazard_photos")
        status = 400
    else:
        form = PatrolWalkForm(task=task)
    return render(
        request,
        "tickets/patrol_walk.html",
        {"task": task, "form": form, "section": "patrols"},
        status=status,
    )


@login_required
@require_GET
def visit_list(request):
    _require(request, "tickets.visit_households")
    grids = list(patrols.visiting_grids(request.user)[:200])
    grid = next((g for g in grids if g.code == request.GET.get("grid")), None)
    households = patrols.unvisited_in(request.user, grid)
    recent = _with_ticket_links(
        request.user,
        patrols.visible_visits(request.user)
        .filter(visitor=request.user)
        .select_related("household__building__parent", "ticket")
        .order_by("-at")[:10],
    )
    return render(
        request,
        "tickets/visits.html",
        {
            "households": households[:LISTED],
            "count": households.count(),
            "days": patrols.visit_period_days(),
            "grids": grids if len(grids) > 1 else [],
            "grid": grid,
            "recent": recent,
            "section": "visits",
        },
    )


DEMAND_FIELDS = {
    "ticket.description": "heard",
    "ticket.title": "title",
    "ticket.category": "category",
    "ticket.requester": "requester",
    "ticket.requester_phone": "requester",
    "ticket.nature": "nature",
}


EARLIER_VISITS = 5


def _where_it_went(ticket):
    """Where a demand heard on a visit went, for the visitor who filed it: a cadre has no
    route preview, and a demand filed with 根据内容自动分类 that the classifier was unsure
    of waited at the street's desk (分类待确认) while the message said only its code."""
    if ticket.status != Status.RECEIVED:
        unit = ticket.owner_department or ticket.owner_place
        return _("Sent to %(unit)s.") % {"unit": unit.name} if unit else ""
    desk = ticket.owner_place.name if ticket.owner_place else ""
    if intake.category_to_confirm(ticket):
        return _(
            "The category was not certain: the dispatch desk of %(desk)s confirms it "
            "before anyone is sent."
        ) % {"desk": desk}
    return _("It waits at the dispatch desk of %(desk)s for a dispatcher.") % {"desk": desk}


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request, household):
    # Who visits no household is refused whatever the id; another area's household reads
    # as one that does not exist (403 beside 404 told that it did), as the API answers.
    if not patrols.may_visit(request.user):
        raise PermissionDenied
    household = Household.objects.select_related("building__parent").filter(pk=household)
    household = household.first()
    if household is None or patrols.visit_capacity(request.user, household) is None:
        raise Http404
    people = list(Person.objects.filter(household=household).order_by("id"))
    members = [(str(p.pk), mask_name(p.name)) for p in people]
    status = 200
    if request.method == "POST":
        form = VisitForm(request.POST, members=members)
        if form.is_valid():
            try:
                visit = patrols.log_visit(
                    request.user,
                    household,
                    heard=form.cleaned_data["heard"],
                    demand=form.demand_data(),
                )
            except patrols.PatrolError as exc:
                _add_errors(form, exc.errors, DEMAND_FIELDS)
            else:
                # Named with its compound, as the page heads it: "4栋 1单元 703室" alone
                # could be in any compound of the community.
                compound = household.building.parent
                label = f"{compound.name} {household}" if compound else str(household)
                if visit.ticket is None:
                    text = _("Visit logged: %(household)s.") % {"household": label}
                else:
                    text = _confirmed(
                        _("Visit logged: %(household)s. The demand was filed as ticket %(code)s."),
                        request.user,
                        visit.ticket,
                        household=label,
                    )
                    text = format_html("{} {}", text, _where_it_went(visit.ticket))
                messages.success(request, text)
                if not request.user.has_perm("tickets.visit_households"):
                    # A Party member visits households but has no list of them to visit
                    # (VISIT_AREA_ROLES): the list answered 403 after the visit was logged.
                    return redirect("tickets:visit-new", household=household.pk)
                return redirect("tickets:visits")
        status = 400
    else:
        form = VisitForm(members=members)
    # What was heard at the last visits, for whoever knocks next (only the time showed).
    earlier = patrols.earlier_visits(request.user, household, EARLIER_VISITS)
    return render(
        request,
        "tickets/visit_new.html",
        {
            "household": household,
            "members": len(members),
            # Whom the worker is calling on (masked, as in the requester list), and who needs
            # looking after: the page said only "4 名成员".
            "people": people,
            "last": earlier[0] if earlier else None,
            "earlier": earlier,
            "form": form,
            "section": "visits",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def patrol_plan(request, pk=None):
    """The patrol tasks of the grids the user plans, and a form to add one (or change the
    one `pk` names: its checklist, schedule, or whether it is walked at all)."""
    _require(request, "tickets.plan_patrols")
    grids = list(patrols.plannable_grids(request.user)[:500])
    tasks = patrols.plannable_tasks(request.user)
    task = get_object_or_404(tasks, pk=pk) if pk else None
    status = 200
    if request.method == "POST":
        form = PatrolTaskForm(request.POST, grids=grids)
        if form.is_valid():
            d = form.cleaned_data
            try:
                if task is None:
                    task = patrols.create_task(
                        request.user, d["grid"], d["title"], form.items(), d["every_days"]
                    )
                else:
                    patrols.change_task(
                        request.user, task, d["title"], form.items(), d["every_days"], d["active"]
                    )
            except patrols.PatrolError as exc:
                _add_errors(form, exc.errors)
            else:
                messages.success(request, _("Patrol task saved: %(task)s.") % {"task": task})
                return redirect("tickets:patrol-plan")
        status = 400
    elif task is not None:
        form = PatrolTaskForm(
            initial={
                "grid": task.grid.code,
                "title": task.title,
                "checklist": "\n".join(task.checklist),
                "every_days": task.every_days,
                "active": task.active,
            },
            grids=[task.grid],
        )
    else:
        form = PatrolTaskForm(grids=grids)
    rows = tasks.annotate(last_at=Max("records__at")).order_by("grid__path", "-active", "id")
    return render(
        request,
        "tickets/patrol_plan.html",
        {"form": form, "task": task, "tasks": rows[:500], "section": "patrol-plan"},
        status=status,
    )
