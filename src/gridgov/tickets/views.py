"""The ticket workbench (工作台): HTML pages, Chinese by default, htmx for the small parts.

Thin by design. Filing goes through `intake.create_ticket`, every state change
through `lifecycle.perform`; which tickets a user sees comes from
`filters.visible_tickets` (the queryset mirror of `rules.sees_ticket`), which
actions they may take from `lifecycle.allowed_actions`, and a full view of the
requester's name and phone from `personal_data.reveal` (logged). A ticket
outside the user's scope is a 404.
"""

import datetime as dt
from collections import Counter
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.core.sheets import listing
from gridgov.people import personal_data
from gridgov.people.models import AccessLog, Department, Household
from gridgov.people.scope import filter_by_scope, scope_for, scope_q
from gridgov.places import addresses
from gridgov.places.models import Level, Place

from . import (
    exports,
    intake,
    knowledge,
    kpis,
    lifecycle,
    patrols,
    progress,
    queues,
    reference,
    requester_text,
    sla,
    timeline,
)
from . import photos as photo_files
from .classify import needs_confirmation, suggest_category
from .filters import category_subtree_ids, visible_tickets
from .forms import (
    ACTION_FORMS,
    ACTION_LABELS,
    DEADLINE_LABELS,
    OVERDUE_LABELS,
    AddPhotosForm,
    IntakeForm,
    RateForm,
    ReportForm,
    TicketFilterForm,
    note_dropped_photos,
)
from .models import (
    OPEN_STATUSES,
    Callback,
    Channel,
    Status,
    Summons,
    Ticket,
    TicketEvent,
    TicketPhoto,
    Whistle,
)
from .rules import VIEW_ROLES

S = Status
QUEUE_PER_PAGE = 50
LIST_PER_PAGE = 25
# Actions shown first and open, in this order; the rest are folded below.
PRIMARY_ACTIONS = (
    "approve-extension",  # offered only while a request waits for this decision
    "whistle-report",  # shown only while the user's department has yet to report
    "accept",
    "contact",
    "resolve",
    "callback",
    "dispatch",
    "designate",
    "answer",
)


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def _ticket_queryset():
    return Ticket.objects.select_related(
        "category",
        "category__parent",
        "place",
        "grid",
        "building",
        "owner_place",
        "owner_department",
        "created_by",
    )


REPORT_OVERDUE = gettext_lazy("Report overdue")
REPORT_BY = gettext_lazy("Report by")


def _mark(tickets, now):
    """Attach `overdue` (which deadline is missed) and `next_due` to each ticket."""
    for ticket in tickets:
        if getattr(ticket, "summoned_only", False) and ticket.report_due:
            # A summoned department races its report-by, not the owner's deadlines.
            ticket.overdue = "report" if now > ticket.report_due else None
            ticket.overdue_label = REPORT_OVERDUE
            ticket.next_due = ticket.report_due
            continue
        ticket.overdue = sla.overdue_stage(ticket, now)
        ticket.overdue_label = OVERDUE_LABELS.get(ticket.overdue, "")
        # The deadline missed, else the one the ticket races now.
        stage = ticket.overdue
        ticket.next_due = getattr(ticket, f"{stage}_by") if stage else sla.shown_due(ticket, now)
    return tickets


def _mark_late(tickets, now):
    """Attach `late_departments`: those summoned on the ticket and late to report, and
    `awaited_departments`: (names, report-by) of those still to report in time."""
    late = queues.late_departments(tickets, now)
    awaited = queues.awaited_departments(tickets, now)
    for ticket in tickets:
        ticket.late_departments = late.get(ticket.pk, ())
        ticket.awaited_departments = awaited.get(ticket.pk)


def _mark_escalated(tickets):
    """Attach `escalated_from` (the unit that passed it up), `escalated_by_sweep` and
    `escalation_reason` to the tickets passed up and not signed for yet: the unit above
    triages its 待签收 from the rows, not by opening each ticket."""
    waiting = {t.pk: t for t in tickets if t.status == S.ESCALATED}
    events = TicketEvent.objects.filter(ticket_id__in=list(waiting), action="escalate")
    for ticket_id, reason, data in events.order_by("at", "id").values_list(
        "ticket_id", "reason", "data"
    ):
        ticket = waiting[ticket_id]  # the latest escalation wins
        ticket.escalated_from = (data or {}).get("from", "")
        ticket.escalated_by_sweep = bool((data or {}).get("by_sweep"))
        ticket.escalation_reason = lifecycle.reason_text(reason)


# --- my queue ---------------------------------------------------------------------------


@login_required
@require_GET
def queue(request):
    if not request.user.has_perm("tickets.use_workbench"):
        return redirect("tickets:mine")  # residents, volunteers: the demands they reported
    query = (request.GET.get("q") or "").strip()
    if not queues.has_queue(request.user):
        # Community police, sent-down cadres, micro-grid workers hold for no unit and sit at
        # no desk: their 我的待办 was always empty, and 工单 opened on it. What they have is
        # their area's open tickets to follow (辖区工单, as the home page's panel links it).
        params = {"status": "open", **({"q": query} if query else {})}
        return redirect(f"{reverse('tickets:list')}?{urlencode(params)}")
    now = timezone.now()
    tab_filters = queues.tab_filters(now, request.user)

    def searched(tickets):  # each part of the queue, as the tab narrows the list below
        return requester_text.search(tickets, query, request.user)

    counts = queues.tab_counts(request.user, now, searched)
    scope = scope_for(request.user)
    asked = request.GET.get("tab")
    tab = asked or queues.default_tab(counts)
    notice = ""
    if tab not in tab_filters:
        # A mistyped tab (a link passed on, an old bookmark): the whole queue, said so.
        if asked:
            notice = _("There is no tab %(tab)s in your queue: all of it is shown.") % {
                "tab": asked
            }
        tab = "all"
    if query and not counts[tab] and counts["all"]:
        # Searched from one tab, found in another (a code typed on 待签收 for a ticket in
        # hand): open where it is, rather than 待办中没有符合条件的工单 beside its count.
        tab = queues.default_tab(counts)
    # Sort and page on ids alone, then load the page's tickets with their relations: joining
    # every relation of every ticket in scope before sorting took seconds at a city's size.
    # The tab filters each part of the queue (queues.mine says why).
    listed = queues.mine(request.user, within=tab_filters[tab])
    ordered = queues.in_order(request.user, requester_text.search(listed, query, request.user))
    paginator = Paginator(ordered.values_list("pk", flat=True), QUEUE_PER_PAGE)
    paginator.count = counts[tab]  # counted with the tabs already
    page = paginator.get_page(request.GET.get("page"))
    ids = list(page.object_list)
    rows = queues.rows(request.user, _ticket_queryset().filter(pk__in=ids))
    by_id = {ticket.pk: ticket for ticket in rows}
    page.object_list = [by_id[pk] for pk in ids if pk in by_id]
    _mark(page.object_list, now)
    _mark_late(page.object_list, now)
    _mark_escalated(page.object_list)
    return render(
        request,
        "tickets/queue.html",
        {
            "page": page,
            "tabs": queues.tabs(counts, scope),
            "tab": tab,
            "tab_notice": notice,
            "query": query,
            "now": now,
            "section": "queue",
        },
    )


# --- all tickets in my area -------------------------------------------------------------


def _area_places(user):
    """The places (any level) whose tickets `user` may narrow the area list to."""
    area = scope_q(user, place_field="", roles=VIEW_ROLES)
    # A department's tickets lie where it serves (its district or street): its handlers
    # narrow them to a street or community there; they were offered only 全部辖区.
    departments = Department.objects.filter(pk__in=sorted(scope_for(user).department_ids))
    for path in departments.exclude(place=None).values_list("place__path", flat=True):
        area |= Q(path__startswith=path)
    return Place.objects.filter(area)


def _filter_places(user):
    places = _area_places(user).filter(level__in=(Level.STREET, Level.COMMUNITY, Level.GRID))
    return places.order_by("path")[:300]


def _listed(request, now):
    """(the filter form, the visible tickets it selects): the area list and its export.

    Filters that are not valid select no ticket: the list and its export stay empty until
    they are corrected (the form says what is wrong beside each field). Dropping them all
    listed the whole area, and an export of "this community's overdue tickets" with a
    mistyped date held the whole street's.
    """
    places = list(_filter_places(request.user))
    form = TicketFilterForm(
        request.GET or None, places=places, area=_area_places(request.user), user=request.user
    )
    tickets = visible_tickets(request.user, _ticket_queryset())
    if form.is_bound and not form.is_valid():
        tickets = tickets.none()
    elif form.is_valid():
        d = form.cleaned_data
        tickets = requester_text.search(tickets, d["q"], request.user)
        if d["status"] == "open":
            tickets = tickets.filter(status__in=OPEN_STATUSES)
        elif d["status"] == "overdue":
            tickets = tickets.filter(sla.overdue_q(now))
        elif d["status"] == "supervised":
            supervised = TicketEvent.objects.filter(ticket=OuterRef("pk"), action="supervise")
            tickets = tickets.filter(Exists(supervised), status__in=OPEN_STATUSES)
        elif d["status"] == "whistled":
            tickets = tickets.filter(Exists(Whistle.objects.filter(ticket=OuterRef("pk"))))
        elif d["status"]:
            tickets = tickets.filter(status=d["status"])
        if d["category"]:
            tickets = tickets.filter(category_id__in=category_subtree_ids(d["category"]))
        if d["channel"]:
            tickets = tickets.filter(channel=d["channel"])
        if d["hot"]:
            tickets = tickets.filter(hot_issues=d["hot"])
        if d["place"]:
            path = Place.objects.filter(code=d["place"]).values_list("path", flat=True).first()
            tickets = tickets.filter(place__path__startswith=path) if path else tickets.none()
        tz = timezone.get_current_timezone()
        if d["date_from"]:
            since = dt.datetime.combine(d["date_from"], dt.time.min, tzinfo=tz)
            tickets = tickets.filter(created_at__gte=since)
        if d["date_to"]:
            until = dt.datetime.combine(d["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
            tickets = tickets.filter(created_at__lt=until)
    return form, tickets.order_by("-created_at", "-id")


@login_required
@permission_required("tickets.use_workbench", raise_exception=True)
@require_GET
def ticket_list(request):
    now = timezone.now()
    form, tickets = _listed(request, now)
    return _list_page(request, form, tickets, now)


def _list_page(request, form, tickets, now):
    """The area list; a 400 when the query has a parameter no filter reads (the form names
    it and the allowed ones): a street office would read the unfiltered list as filtered."""
    page = Paginator(tickets, LIST_PER_PAGE).get_page(request.GET.get("page"))
    _mark(page.object_list, now)
    _mark_late(page.object_list, now)
    # Offered to those whose work may show callers in full: handlers and dispatchers.
    contacts = request.user.has_perm("tickets.export_contacts")
    # What the export links carry: the filters on screen, never a purpose someone put in a link.
    filters = [
        (k, v) for k, values in request.GET.lists() if k not in ("page", "purpose") for v in values
    ]
    context = {"form": form, "page": page, "now": now, "section": "list", "filters": filters}
    return render(
        request,
        "tickets/list.html",
        {**context, "contacts": contacts, "query": urlencode(filters)},
        status=400 if form.unknown else 200,
    )


@login_required
@permission_required("tickets.use_workbench", raise_exception=True)
@require_GET
def ticket_export(request):
    """The area list as filtered, in Excel: requesters masked where the user may not see
    them in full, and any unmasked row logged (exports.py)."""
    now = timezone.now()
    form, tickets = _listed(request, now)
    if form.unknown:
        # A script or a hand-made link, not the list's own links: answered as the list is,
        # 400 naming the parameter, rather than a redirect a download would not show.
        return _list_page(request, form, tickets, now)
    with translation.override("zh-hans"):  # the sheet's words, whatever the UI language
        described = form.described()
    filters = request.GET.copy()
    purpose = filters.pop("purpose", [None])[-1]  # the export with contacts
    back = redirect(f"{reverse('tickets:list')}?{filters.urlencode()}")
    refusal = form.refusal()
    if refusal:
        # Never an export wider than asked: back to the list, where the fields say it too.
        messages.error(
            request,
            _("Not exported: a filter is not valid (%(errors)s). Correct it and export again.")
            % {"errors": refusal},
        )
        return back
    try:
        content = exports.export_tickets(
            tickets,
            request.user,
            request,
            now=now,
            channel=AccessLog.Channel.WEB_EXPORT,
            purpose=purpose,
            filters=described,
        )
    except exports.TooManyRows as exc:
        messages.error(
            request,
            _("More than %(n)s tickets: narrow the filters to export them.") % {"n": exc.count},
        )
        return back
    except exports.NoPurpose:
        messages.error(request, _("Say what the contacts are needed for (purpose)."))
        return back
    response = HttpResponse(content, content_type=exports.CONTENT_TYPE)
    response["Content-Disposition"] = exports.content_disposition(now)
    add_never_cache_headers(response)
    return response


# --- ticket detail ----------------------------------------------------------------------


def _still_visible(request, ticket):
    return visible_tickets(request.user).filter(pk=ticket.pk).exists()


def _go_to(request, url):
    """A redirect to `url`; for htmx a full page load (HX-Redirect), not a swap."""
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _ticket_or_404(request, code):
    ticket = visible_tickets(request.user, _ticket_queryset()).filter(code=code).first()
    # Outside the user's scope the ticket does not exist for them.
    if ticket is None or not request.user.has_perm("tickets.view_ticket", ticket):
        raise Http404
    return ticket


def _signed_at(ticket, events):
    """When the holder signed for the ticket. Reopening hands it back to the same unit
    signed (accepted_at becomes the reopening), weeks after the first round's 签收时限: the
    signing, not the reopening, answers that deadline."""
    if not ticket.reopen_count or ticket.accepted_at is None:
        return ticket.accepted_at  # (None: dispatched again, not signed yet)
    signed = [e.at for e in events if e.action == "accept"]
    return signed[-1] if signed else ticket.accepted_at


def _deadlines(ticket, now, events=()):
    if ticket.dispatched_at is None and ticket.status in (Status.ANSWERED, Status.CLOSED):
        return []  # answered on the spot (or closed at the desk): no unit raced a deadline
    if ticket.status == Status.MERGED:
        return []  # its deadlines stopped at the merge; the survivor's are the ones that run
    stage = sla.overdue_stage(ticket, now)
    rows = []
    for key, value, done in (
        ("accept", ticket.accept_by, _signed_at(ticket, events)),
        ("respond", ticket.respond_by, ticket.contacted_at),
        ("resolve", ticket.resolve_by, ticket.resolved_at),
    ):
        rows.append(
            {
                "key": key,
                "label": DEADLINE_LABELS[key],
                "value": value,
                "done": done,
                "overdue": stage == key,
            }
        )
    return rows


def _report_deadline(user, whistles, now):
    """For a department summoned by a whistle and yet to report: its 报到时限 (the earliest
    of its summonses'), first among the deadlines. The page showed only the owner's, on
    time, to a department its queue had just called 报到超时."""
    departments = scope_for(user).department_ids
    due = [
        summons.report_by
        for whistle in whistles
        for summons in whistle.summonses.all()
        if summons.department_id in departments and summons.reported_at is None
    ]
    if not due:
        return []
    report_by = min(due)
    return [{"key": "report", "label": REPORT_BY, "value": report_by, "overdue": now > report_by}]


def _with_decisions(extensions, events):
    """Each decided extension request with the decider's reason (`decision_reason`): the
    unit refused reads why beside its request, where it looks, not only in the timeline."""
    reasons = {e.at: e.reason_text for e in events if e.action == "approve-extension"}
    for x in extensions:
        x.decision_reason = reasons.get(x.decided_at, "") if x.decided_at else ""
    return extensions


# Offered to the holder of an escalated ticket before it signs for it, but after signing
# and sending it on: the same order as for a dispatched ticket.
AFTER_SIGNING = ("contact", "extend")


def _ordered_actions(ticket, allowed):
    """(primary actions, the others), in the order the page shows them."""
    primary = [a for a in PRIMARY_ACTIONS if a in allowed]
    rest = [a for a in allowed if a not in PRIMARY_ACTIONS]
    if ticket.status in (S.DISPATCHED, S.ESCALATED):
        later = [a for a in AFTER_SIGNING if a in allowed]
        primary = [a for a in primary if a not in later]
        rest = [a for a in rest if a not in later] + later
    elif ticket.status == S.RESOLVED and "close" in allowed and not ticket.reachable:
        # Nobody to call back (anonymous, no phone, no account to answer in 我的诉求): the
        # desk closes it with the reason, rather than a callback nobody answered.
        primary = ["close"] + [a for a in primary if a != "callback"]
        rest = [a for a in rest if a != "close"] + (["callback"] if "callback" in allowed else [])
    elif ticket.contacted_at and "contact" in primary:
        # The requester was reached: resolving comes next, a further call is folded below
        # (on a phone the contact form stood first and pushed 办结 down a screen).
        primary.remove("contact")
        rest.append("contact")
    return primary, rest


def _action_forms(request, ticket, bound=None):
    """One form per action the user may take now; `bound` replaces the one that failed."""
    allowed = lifecycle.allowed_actions(ticket, request.user)
    primary, rest = _ordered_actions(ticket, allowed)
    forms = []
    for action in primary + rest:
        if bound is not None and bound.action == action:
            form = bound
        else:
            form = ACTION_FORMS[action](ticket=ticket, user=request.user)
        if not form.usable:
            continue  # e.g. a department report by someone who reports for none
        form.primary = action in primary
        forms.append(form)
    if bound is not None and bound.action not in allowed:
        bound.primary = bound.action in PRIMARY_ACTIONS
        forms.insert(0, bound)  # keep the refusal visible although the action is gone
    return forms


def _survivor(ticket):
    """For a merged ticket: the ticket that handles the matter (status and reply, for
    telling the caller)."""
    if ticket.status != S.MERGED or not ticket.merged_into_id:
        return None
    survivor = ticket.survivor()
    return survivor if survivor.pk != ticket.pk else None


def _detail_context(request, ticket, bound=None, revealed=None, done=None):
    now = timezone.now()
    place_chain = []
    if ticket.place is not None:
        place_chain = [*ticket.place.ancestors(), ticket.place]
    whistles = list(
        Whistle.objects.filter(ticket=ticket)
        .select_related("street", "blown_by")
        .prefetch_related(
            Prefetch(
                "summonses",
                queryset=Summons.objects.select_related("department").order_by("department__code"),
            )
        )
        .order_by("blown_at")
    )
    for whistle in whistles:
        for summons in whistle.summonses.all():
            summons.late = summons.is_late(now)
    photos = list(TicketPhoto.objects.filter(ticket=ticket).order_by("uploaded_at", "id"))
    forms = _action_forms(request, ticket, bound)
    events = timeline.events(ticket)
    lifecycle.attach_rating_notes(whistles, events)
    deadlines = _report_deadline(request.user, whistles, now) + _deadlines(ticket, now, events)
    # The holding unit goes to the exact place (柳荫里2号楼3单元, not the building alone):
    # shown to its handlers without asking, each view logged as a reveal of the address.
    exact_address = None
    if revealed is None:
        exact_address = requester_text.exact_address(
            request.user, ticket, AccessLog.Channel.WEB, request
        )
    shown_address = (revealed or {}).get("address") or exact_address or ticket.masked_address()
    return {
        "ticket": ticket,
        "now": now,
        "overdue": sla.overdue_stage(ticket, now),
        "overdue_label": OVERDUE_LABELS.get(sla.overdue_stage(ticket, now), ""),
        "deadlines": deadlines,
        "place_chain": place_chain,
        "events": events,
        "intake_photos": [p for p in photos if p.event_id is None],
        "callbacks": list(
            Callback.objects.filter(ticket=ticket).select_related("by").order_by("at")
        ),
        "extensions": _with_decisions(lifecycle.extensions_of(ticket, events), events),
        "survivor": _survivor(ticket),
        "whistles": whistles,
        "primary_forms": [f for f in forms if f.primary],
        "other_forms": [f for f in forms if not f.primary],
        "open_action": bound.action if bound is not None else None,
        "can_reveal": request.user.has_perm(Ticket.PERSONAL_DATA_PERM, ticket),
        "revealed": revealed,
        "exact_address": exact_address,
        "shown_address": shown_address,
        "done": done,
        "duplicates": list(ticket.duplicates.only("code", "title")),
        "category_to_confirm": intake.category_to_confirm(ticket),
        "section": "detail",
        # The language switch returns to the page, not to the action's POST-only URL.
        "lang_next": reverse("tickets:detail", args=[ticket.code]),
    }


@login_required
@require_GET
def ticket_detail(request, code):
    try:
        ticket = _ticket_or_404(request, code)
    except Http404:
        # A resident following a link to their demand (a message, a staff page's address)
        # is sent to their own page of it; anyone else's, or no such code, stays 404 alike.
        if progress.own_ticket(request.user, code) is not None:
            return redirect("tickets:mine-detail", code)
        raise
    return render(request, "tickets/detail.html", _detail_context(request, ticket))


def _refusal_message(exc, action, ticket):
    """A lifecycle refusal in the user's words (the action named by its label)."""
    label = ACTION_LABELS.get(action, action)
    if isinstance(exc, lifecycle.NotAllowed):
        return _("You may not “%(action)s” this ticket, or it is outside your area.") % {
            "action": label
        }
    if isinstance(exc, lifecycle.InvalidTransition):
        sources = lifecycle.TRANSITIONS[action][0]
        current = Ticket.objects.filter(pk=ticket.pk).values_list("status", flat=True).first()
        if current not in sources:
            return _(
                "“%(action)s” is not possible while the ticket is %(status)s. "
                "Someone may have handled it meanwhile: reload the page."
            ) % {"action": label, "status": S(current).label if current else ""}
    return exc.message


# After these acts the desk or the unit usually goes on to the next ticket of that tab.
NEXT_TAB = {
    "callback": "callback",
    "dispatch": "dispatch",
    "accept": "accept",
    "return": "accept",  # 待签收 is gone through by signing for each ticket or returning it
    "whistle-report": "report",
    "approve-extension": "approve",
}


def _next_up(user, action, ticket):
    """(the next ticket of the tab this act works through, how many are left), or None:
    a desk calling back 20 requesters goes from one to the next without the queue."""
    tab = NEXT_TAB.get(action)
    if tab is None:
        return None
    waiting = queues.mine(user, within=queues.tab_filters(timezone.now(), user)[tab])
    waiting = waiting.exclude(pk=ticket.pk)
    first = queues.in_order(user, waiting).values_list("code", flat=True).first()
    if first is None:
        return None
    return {"code": first, "left": waiting.count(), "tab": tab, "label": queues.tab_labels()[tab]}


def _done_message(action, ticket, event):
    """What the page says after an action. A decided extension says which way it went and
    the deadline that holds (已完成：延期审批。 said neither)."""
    if action == "dispatch" and (event.data or {}).get("handed_down"):
        return _("Done: %(action)s.") % {"action": lifecycle.HAND_DOWN_LABEL}  # 交办, not 派单
    if action == "approve-extension":
        data = event.data or {}
        until = data.get("until") if data.get("approved") else data.get("previous")
        values = {"code": ticket.code}
        if until:
            values["until"] = timezone.localtime(dt.datetime.fromisoformat(until)).strftime(
                "%Y-%m-%d %H:%M"
            )
        if data.get("approved"):
            return _("Extension approved: %(code)s is now due by %(until)s.") % values
        if until:
            return _("Extension refused: %(code)s stays due by %(until)s.") % values
        return _("Extension refused for %(code)s.") % values
    if action == "whistle":
        return _whistled_message(ticket, event.data or {})
    if action == "escalate" and (event.data or {}).get("unit"):
        # To whom, and by when they sign (已完成：上报。 said neither).
        return _("%(code)s passed up to %(unit)s, to be signed for by %(by)s.") % {
            "code": ticket.code,
            "unit": event.data["unit"],
            "by": timezone.localtime(ticket.accept_by).strftime("%Y-%m-%d %H:%M"),
        }
    if action == "whistle-rate":
        return _rated_message(ticket, event.data or {})
    return _("Done: %(action)s.") % {"action": ACTION_LABELS.get(action, action)}


def _whistled_message(ticket, data):
    """Whom the whistle summoned and by when (已完成：吹哨。 said neither)."""
    codes = data.get("departments") or []
    names = Department.objects.filter(code__in=codes).order_by("code")
    by = timezone.localtime(dt.datetime.fromisoformat(data["report_by"]))
    return _("Whistle blown on %(code)s: %(departments)s to report by %(by)s.") % {
        "code": ticket.code,
        "departments": listing(names.values_list("name", flat=True)),
        "by": by.strftime("%Y-%m-%d %H:%M"),
    }


def _rated_message(ticket, data):
    """The rating given, and how many departments are left to rate on the ticket."""
    department = Department.objects.filter(code=data.get("department")).first()
    values = {
        "department": department.name if department else data.get("department"),
        "rating": Summons.Rating(data["rating"]).label,
        "n": lifecycle.rateable_summonses(ticket).count(),
    }
    if not values["n"]:
        return _("Rated %(department)s: %(rating)s.") % values
    return (
        ngettext(
            "Rated %(department)s: %(rating)s. %(n)s more department to rate.",
            "Rated %(department)s: %(rating)s. %(n)s more departments to rate.",
            values["n"],
        )
        % values
    )


@login_required
@require_POST
def ticket_action(request, code, action):
    ticket = _ticket_or_404(request, code)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404
    form = form_class(request.POST, request.FILES, ticket=ticket, user=request.user)
    status = 200
    if form.is_valid():
        try:
            with transaction.atomic():
                event = lifecycle.perform(
                    ticket,
                    action,
                    request.user,
                    expected_version=form.cleaned_data.get("version"),
                    **form.params(),
                )
                form.after(event)
        except lifecycle.LifecycleError as exc:
            form.refusal = _refusal_message(exc, action, ticket)
            status = exc.status_code
        else:
            done = _done_message(action, ticket, event)
            if not _still_visible(request, ticket):
                # Returned or escalated out of the user's scope (a department's return or
                # 上报): the ticket is a 404 to them now, so the answer is their queue, which
                # names the ticket done (已完成：退单。 on the queue did not say which).
                gone = _("Done: %(action)s (%(code)s); it has left your queue.")
                label = ACTION_LABELS.get(action, action)
                messages.success(request, gone % {"action": label, "code": ticket.code})
                return _go_to(request, reverse("tickets:queue"))
            if not _is_htmx(request):
                messages.success(request, done)
                return redirect("tickets:detail", code=ticket.code)
            ticket = _ticket_or_404(request, code)
            context = _detail_context(request, ticket, done=done)
            context["next_up"] = _next_up(request.user, action, ticket)
            return render(request, "tickets/_ticket.html", context)
    else:
        status = 400
    note_dropped_photos(form)
    ticket = _ticket_or_404(request, code)
    form.ticket = ticket
    context = _detail_context(request, ticket, bound=form)
    if _is_htmx(request):
        # htmx swaps only 2xx answers; the refusal is in the re-rendered form.
        return render(request, "tickets/_ticket.html", context)
    return render(request, "tickets/detail.html", context, status=status)


@login_required
@require_POST
def urge(request, code):
    """来电催办, from beside the intake form: the caller rings about a ticket still open, and
    the operator records it on that ticket (a `supervise` event) instead of filing another."""
    ticket = _ticket_or_404(request, code)
    try:
        times = lifecycle.urge(ticket, request.user)
    except lifecycle.LifecycleError as exc:
        return render(
            request,
            "tickets/_urged.html",
            {"ticket": ticket, "refusal": _refusal_message(exc, "supervise", ticket)},
        )
    return render(request, "tickets/_urged.html", {"ticket": ticket, "times": times})


@login_required
@require_POST
def reveal_requester(request, code):
    ticket = _ticket_or_404(request, code)
    try:
        revealed = personal_data.reveal(
            request.user,
            ticket,
            None,
            AccessLog.Channel.WEB,
            request,
            purpose=request.POST.get("purpose", "").strip() or _("handling the ticket"),
        )
    except personal_data.PersonalDataDenied:
        raise PermissionDenied(_("You may not see this requester's contact details.")) from None
    context = {"ticket": ticket, "revealed": revealed, "can_reveal": True}
    if _is_htmx(request):
        # The number shows in the 联系诉求人 (or 回访) form too, wherever it was asked for.
        allowed = lifecycle.allowed_actions(ticket, request.user)
        context["swap_contact"] = "contact" in allowed or "callback" in allowed
        response = render(request, "tickets/_requester.html", context)
    else:
        response = render(
            request, "tickets/detail.html", _detail_context(request, ticket, revealed=revealed)
        )
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def ticket_photo(request, code, pk):
    ticket = _ticket_or_404(request, code)
    return photo_files.file_response(TicketPhoto.objects.filter(ticket=ticket, pk=pk).first())


# --- intake -----------------------------------------------------------------------------


def _after_filing(request, ticket, created):
    if created:
        messages.success(request, _("Ticket %(code)s filed.") % {"code": ticket.code})
    else:
        messages.info(
            request, _("This form was already sent: ticket %(code)s.") % {"code": ticket.code}
        )
    if request.user.has_perm("tickets.view_ticket", ticket):
        return redirect("tickets:detail", code=ticket.code)
    return redirect("tickets:queue")


def _file(request, form, data):
    """File the ticket a valid intake form describes; None, with the reasons on the form,
    when intake refuses it."""
    try:
        return intake.create_ticket(
            data,
            actor=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
            photos=form.cleaned_data["photos"],
        )
    except intake.IdempotencyConflict as exc:
        # The page came back (the browser's Back) after it was filed, and was edited.
        form.add_error(
            None,
            _(
                "This form was already sent as ticket %(code)s; the changes since were not "
                "filed. To file another demand, open a new form."
            )
            % {"code": exc.ticket.code},
        )
        return None
    except intake.IntakeError as exc:
        form.add_intake_errors(exc.errors)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def new_ticket(request, channel):
    if not request.user.has_perm("tickets.file_on_channel", channel):
        raise PermissionDenied(_("Only intake staff may file demands here."))
    titles = {
        Channel.HOTLINE: _("New ticket: 12345 hotline"),
        Channel.WINDOW: _("New ticket: walk-in window"),
    }
    status = 200
    if request.method == "POST":
        form = IntakeForm(request.POST, request.FILES, channel=channel)
        if form.is_valid() and (result := _file(request, form, form.intake_data())):
            return _after_filing(request, result.ticket, result.created)
        note_dropped_photos(form)
        status = 400
    else:
        form = IntakeForm(channel=channel)
    return render(
        request,
        "tickets/intake.html",
        {"form": form, "channel": channel, "title": titles[channel], "section": f"new-{channel}"},
        status=status,
    )


def _route_preview(
    user, category_code, address, suggestions, place_code="", title="", text="", at_desk=True
):
    """Where the ticket would go if filed now, as intake decides it (intake.route_for): the
    category picked, else the top suggestion; the place the address names, else the one
    the text names (intake.located_by_text), else the place `place_code` names (a patrol's
    grid). A desk sees who will handle the call before filing it, and a wrong route while
    the caller is on the line."""
    category = reference.active_category(category_code) if category_code else None
    unsure = False
    if category is None and suggestions:
        category = suggestions[0][0]
        unsure = needs_confirmation(suggestions)  # it waits at the desk (intake.create_ticket)
    location = intake.Location()
    if address:
        found = addresses.resolve_address(address)
        if found.building is None and found.foreign:  # intake will refuse it: no route
            # What filing will say (intake.create_ticket): at a desk, with what to do next.
            message = intake.FOREIGN_ADDRESS_AT_DESK if at_desk else intake.FOREIGN_ADDRESS
            foreign = _(message) % {"p": found.foreign}
            return {"route": None, "category": category, "place": None, "foreign": foreign}
        if found.building or found.area:
            how = "address" if found.building else "address:area"
            location = intake.Location(place=found.building or found.area, how=how)
    if text and not place_code:
        # Filing reads the place from the text when the address names none (or only an
        # area): the preview said 派单台 and 地址尚未匹配 for a call filed to the grid.
        data = {"category": category_code or None}
        advice = intake.advise(title, text, data, location, place_only=True)
        location = intake.located_by_text(location, advice)
    place = location.place
    if place is None and place_code:
        place = Place.objects.filter(code=place_code).first()
    route = intake.route_for(category, place, user, unsure)
    return {
        "route": route,
        "category": category,
        "place": place,
        "unsure": unsure,
        "from_text": location.how == "text",
    }


def _visited_household(user, pk):
    """The household `pk` names if `user` may file a demand on a visit to it, else None."""
    if not pk.isdigit() or not user.has_perm("tickets.file_on_channel", Channel.VISIT):
        return None
    household = Household.objects.select_related("building").filter(pk=pk).first()
    if household is None or patrols.visit_capacity(user, household) is None:
        return None
    return household


@login_required
@require_GET
def intake_suggest(request):
    """htmx: category suggestions and standard answers for what the operator is typing,
    and where the ticket would be routed."""
    hazard = request.GET.get("for") == "hazard"
    visit = request.GET.get("for") == "visit"
    if hazard:
        # A patrol's hazard (its fields named hazard, hazard_category, hazard_address): the
        # categories and the route, the task's grid standing for a missing address. Filed
        # with 根据内容自动分类 it waited at the street's desk when the guess was unsure,
        # and the worker on the spot had not been told.
        request.GET = request.GET.copy()
        for name in ("description", "category", "address"):
            request.GET[name] = request.GET.get(
                f"hazard_{name}" if name != "description" else "hazard", ""
            )
        request.GET["answers"] = "0"
    may_route = request.user.has_perm("tickets.take_in") and (
        request.GET.get("answers", "1") == "1" or hazard
    )
    if visit:
        # A demand heard on 入户走访 (its fields heard, title, category): the categories and
        # the route, its place the household's building, as patrols.log_visit files it. A
        # cadre, who takes no calls in, had only the ~300-entry list and was not told that an
        # unsure guess waits at the street's desk. The route is shown to whoever may file a
        # demand on that visit: the visit's channel (rules.files_on_channel) and this
        # household (patrols.visit_capacity), as filing checks them.
        household = _visited_household(request.user, request.GET.get("household", ""))
        request.GET = request.GET.copy()
        request.GET["description"] = request.GET.get("heard", "")
        request.GET["address"] = ""
        request.GET["place"] = household.building.code if household else ""
        request.GET["answers"] = "0"
        may_route = household is not None
    text = " ".join(
        part for part in (request.GET.get("title", ""), request.GET.get("description", "")) if part
    )
    suggestions = suggest_category(text) if text.strip() else []
    picked = (request.GET.get("category") or "").strip()
    route = None
    if may_route:
        if intake.answered_on_the_spot(request.GET):
            # Filed now, it is closed with its answer: naming a unit or the desk was wrong.
            route = {"answered": True}
        elif text.strip() or picked:
            address = (request.GET.get("address") or "").strip()
            place = request.GET.get("place", "")
            route = _route_preview(
                request.user,
                picked,
                address,
                suggestions,
                place,
                title=request.GET.get("title", ""),
                text=request.GET.get("description", ""),
                at_desk=not (hazard or visit),
            )
    # An ancestor beside its own descendant says nothing more: keep the most specific.
    above = {a.pk for category, _score in suggestions for a in category.lineage()[1:]}
    suggestions = [(c, score) for c, score in suggestions if c.pk not in above]
    # The 随手拍 page asks for categories only, and shows nothing until there is one;
    # standard answers are for the staff who take demands in.
    compact = request.GET.get("answers", "1") != "1" or not request.user.has_perm("tickets.take_in")
    answers = [] if compact else knowledge.matches(text)
    return render(
        request,
        "tickets/_suggest.html",
        {
            "suggestions": suggestions,
            "answers": answers,
            "text": text.strip(),
            "compact": compact,
            "picked": picked,
            "route": route,
        },
    )


@login_required
@require_GET
def address_check(request):
    """htmx: what the typed address resolves to (building → grid → community → street)."""
    text = (request.GET.get("address") or "").strip()
    building, area, candidates = None, None, []
    chain, foreign = [], ""
    if text:
        result = addresses.resolve_address(text)
        building, area = result.building, result.area
        found = building or area
        if found is not None:
            chain = [p for p in found.ancestors() if p.level != Level.DISTRICT] + [found]
        if building is None:
            candidates = [place for place, _score in result.candidates[:5]]
            # Intake will refuse it (unless a position inside the area is sent): say so now.
            if result.foreign:
                # The intake desks' page asks for the next step to be said (?at=desk).
                at_desk = request.GET.get("at") == "desk"
                message = intake.FOREIGN_ADDRESS_AT_DESK if at_desk else intake.FOREIGN_ADDRESS
                foreign = _(message) % {"p": result.foreign}
    context = {"text": text, "building": building, "area": area, "chain": chain}
    context["foreign"] = foreign
    if not text and request.GET.get("lat") and request.GET.get("lng"):
        # 随手拍's 使用我的当前位置: where the phone stands, in place names (the page showed
        # bare coordinates), and a position outside the area said before the photos go.
        context["point"] = _point_check(request.GET["lat"], request.GET["lng"])
    return render(request, "tickets/_address.html", {**context, "candidates": candidates})


def _point_check(lat, lng):
    """The chain of places a position falls in (street → grid); empty outside the area."""
    from gridgov.places import geo

    try:
        found = geo.lookup_point(lat, lng)
    except geo.InvalidCoordinates:
        return []
    if not found.found:
        return []
    return [p for p in found.ancestors if p.level != Level.DISTRICT] + [found.grid]


# --- 随手拍 --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report(request):
    may_patrol = request.user.has_perm("tickets.file_on_channel", Channel.PATROL)
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, may_patrol=may_patrol)
        if form.is_valid() and (result := _file(request, form, form.intake_data())):
            ticket = result.ticket
            return render(
                request,
                "tickets/report_done.html",
                {
                    "ticket": ticket,
                    "may_view": request.user.has_perm("tickets.view_ticket", ticket),
                    # 我的诉求 shows his own demands only: a patrol finding outside his grid
                    # has no page of his to follow (its link answered 404).
                    "is_own": progress.is_own(request.user, ticket),
                    "section": "report",
                    # The phone's position was not where the address's building is.
                    "location_note": intake.reported_point_note(
                        result.location and result.location.reported_point, ticket.building
                    ),
                },
            )
        _say_what_is_wrong_with_the_photos(form)
        note_dropped_photos(form)
        status = 400
    else:
        form = ReportForm(may_patrol=may_patrol)
    return render(
        request, "tickets/report.html", {"form": form, "section": "report"}, status=status
    )


def _say_what_is_wrong_with_the_photos(form):
    """A report sent back for another reason (no description, no place) had only "the
    photos were not kept" on its photos: a file that is no photo, or one over 10 MB, was
    chosen again and refused only on the next try. Check them now and say why."""
    if form.files is None or form.has_error("photos"):
        return
    uploads = [f for f in form.files.getlist(form.add_prefix("photos")) if f]
    if not uploads:
        return
    try:
        photo_files.clean_all(uploads)
    except photo_files.PhotoError as exc:
        form.add_error("photos", [str(exc), _("The photos were not kept: choose them again.")])


# --- 我的诉求: a requester follows their own demands --------------------------------------

MINE_PER_PAGE = 20


@login_required
@require_GET
def my_tickets(request):
    paginator = Paginator(progress.own_tickets(request.user), MINE_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for ticket in page.object_list:
        ticket.public_status = progress.public_status(ticket)  # no internal statuses
        ticket.public_label = progress.label_for(request.user, ticket)
    return render(request, "tickets/mine.html", {"page": page, "section": "mine"})


def _own_ticket_or_404(request, code):
    ticket = progress.own_ticket(request.user, code)
    if ticket is None:
        raise Http404(_("No such demand of yours."))
    return ticket


def _my_photos(request, ticket):
    """What the requester sees of their demand's photos: those filed with it and those
    they added later (the result's are shown with their step)."""
    shown = photo_files.shown_to(ticket, request.user, sees_ticket=False)
    return shown.filter(Q(event=None) | Q(event__action=photo_files.ADD_PHOTOS))


def _my_ticket_page(request, ticket, rate_form=None, photos_form=None, status=200):
    may_rate = progress.may_rate(request.user, ticket)
    if may_rate and rate_form is None:
        rate_form = RateForm(ticket=ticket, user=request.user)
    may_add_photos = ticket.status not in (Status.CLOSED, Status.MERGED) and (
        request.user.has_perm("tickets.add_photos", ticket)
    )
    steps = progress.steps(ticket, viewer=request.user)
    public_status = progress.public_status(ticket)
    # What is rated, beside the questions: the reply was at the foot of the page, under them.
    reply = next((s for s in reversed(steps) if s.action == "resolve"), None) if may_rate else None
    return render(
        request,
        "tickets/mine_detail.html",
        {
            "ticket": ticket,
            "public_status": public_status,
            "public_label": progress.requester_label(public_status, may_rate),
            "steps": steps,
            "reply": reply,
            "intake_photos": list(_my_photos(request, ticket).order_by("id")),
            "may_view": request.user.has_perm("tickets.view_ticket", ticket),
            "rate_form": rate_form if may_rate else None,
            "photos_form": (photos_form or AddPhotosForm()) if may_add_photos else None,
            "section": "mine",
        },
        status=status,
    )


@login_required
@require_GET
def my_ticket(request, code):
    return _my_ticket_page(request, _own_ticket_or_404(request, code))


@login_required
@require_GET
def my_ticket_photo(request, code, pk):
    """A photo of the requester's own demand (progress.photos: filed with it, or the
    result's), for a requester who does not see the ticket in the workbench."""
    ticket = _own_ticket_or_404(request, code)
    shown = photo_files.shown_to(ticket, request.user, sees_ticket=False)
    return photo_files.file_response(shown.filter(pk=pk).first())


@login_required
@require_POST
def add_my_photos(request, code):
    """补充照片: the requester adds photos to their own demand while it is handled (the
    mini-program does the same through the API); the handling unit sees them in its
    timeline."""
    ticket = _own_ticket_or_404(request, code)
    form = AddPhotosForm(request.POST, request.FILES)
    if not form.is_valid():
        return _my_ticket_page(request, ticket, photos_form=form, status=400)
    try:
        photo_files.add(ticket, form.cleaned_data["photos"], request.user)
    except lifecycle.LifecycleError as exc:
        messages.error(request, exc.message)
        return redirect("tickets:mine-detail", code=ticket.code)
    messages.success(request, _("Your photos were added to the demand."))
    return redirect("tickets:mine-detail", code=ticket.code)


@login_required
@require_POST
def rate_my_ticket(request, code):
    """评价: the requester answers the callback questions about their resolved demand."""
    ticket = _own_ticket_or_404(request, code)
    form = RateForm(request.POST, ticket=ticket, user=request.user)
    if not form.is_valid():
        return _my_ticket_page(request, ticket, rate_form=form, status=400)
    try:
        lifecycle.perform(
            ticket,
            "callback",
            request.user,
            expected_version=form.cleaned_data.get("version"),
            **form.params(),
        )
    except lifecycle.LifecycleError as exc:
        messages.error(request, exc.message)
        return redirect("tickets:mine-detail", code=ticket.code)
    ticket.refresh_from_db(fields=["status"])
    if ticket.status == Status.REOPENED:
        said = _("Thank you for your rating. Your demand is handled again; follow it here.")
    elif ticket.status == Status.CLOSED:
        said = _("Thank you for your rating. Your demand is closed.")
    else:
        said = _("Thank you for your rating.")
    messages.success(request, said)
    return redirect("tickets:mine-detail", code=ticket.code)


# --- map of open tickets by grid ------------------------------------------------------------


@login_required
@permission_required("tickets.use_workbench", raise_exception=True)
@require_GET
def ticket_map(request):
    return render(request, "tickets/map.html", {"section": "map"})


@login_required
@permission_required("tickets.use_workbench", raise_exception=True)
@require_GET
def map_data(request):
    """GeoJSON of the grids in the user's scope with open and overdue ticket counts."""
    now = timezone.now()
    open_tickets = visible_tickets(request.user).filter(status__in=OPEN_STATUSES)
    per_grid = {
        row["grid_id"]: row
        for row in open_tickets.values("grid_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=sla.overdue_q(now)))
        .order_by()
    }
    unplaced = per_grid.pop(None, {"open": 0, "overdue": 0})
    grids = filter_by_scope(
        Place.objects.filter(level=Level.GRID), request.user, place_field="", roles=VIEW_ROLES
    )
    grids = Place.objects.filter(Q(pk__in=grids.values("pk")) | Q(pk__in=list(per_grid)))
    parents = dict(Place.objects.filter(pk__in=grids.values("parent_id")).values_list("pk", "name"))
    features = []
    for grid in grids.order_by("path"):
        counts = per_grid.get(grid.pk, {})
        features.append(
            {
                "type": "Feature",
                "id": grid.code,
                "geometry": grid.boundary,
                "properties": {
                    "code": grid.code,
                    "name": grid.name,
                    "community": parents.get(grid.parent_id, ""),
                    "open": counts.get("open", 0),
                    "overdue": counts.get("overdue", 0),
                    "lat": grid.lat,
                    "lng": grid.lng,
                },
            }
        )
    response = JsonResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "unplaced": {"open": unplaced["open"], "overdue": unplaced["overdue"]},
        }
    )
    patch_cache_control(response, private=True, no_cache=True)
    return response


@login_required
@permission_required("tickets.use_workbench", raise_exception=True)
@require_GET
def map_grid(request, code):
    """htmx: the open tickets of one grid (those the user may see), nearest deadline first."""
    grid = Place.objects.filter(code=code, level=Level.GRID).first()
    if grid is None:
        raise Http404
    now = timezone.now()
    tickets = sla.with_due(
        visible_tickets(request.user, _ticket_queryset()).filter(
            grid=grid, status__in=OPEN_STATUSES
        )
    ).order_by(F("due").asc(nulls_last=True), "id")
    tickets = _mark(list(tickets[:100]), now)
    counts = Counter("overdue" if t.overdue else "open" for t in tickets)
    return render(
        request,
        "tickets/_grid_tickets.html",
        {"grid": grid, "tickets": tickets, "now": now, "counts": counts},
    )


# --- KPI ranking ----------------------------------------------------------------------------

KPI_LEVELS = (Level.STREET, Level.COMMUNITY, Level.GRID, kpis.DEPARTMENT)


def _kpi_level_labels():
    return {
        Level.STREET: _("Streets"),
        Level.COMMUNITY: _("Communities"),
        Level.GRID: _("Grids"),
        kpis.DEPARTMENT: _("Departments"),
    }


def _period(request):
    """The chosen period (kpis.period): kpis.default_period when none is asked for (last
    month in a month's first days); a period that is not one falls back to this month and
    says why (a ranking of the wrong month read as the one asked for). Dates without a
    period (a link made by hand) are a custom period."""
    get = request.GET
    start, end = get.get("start"), get.get("end")
    choice = get.get("period") or ("custom" if start or end else kpis.default_period())
    try:
        return (choice, *kpis.period(choice, start, end), "")
    except kpis.BadPeriod:
        pass
    month = ("month", *kpis.period("month"))
    if choice not in dict(kpis.PERIODS):
        error = _("There is no period %(p)s. Showing this month.") % {"p": choice}
        return (*month, error)
    if start and kpis.day_or_none(start) is None:
        error = _("The first day, %(value)s, is not a date (e.g. 2026-11-27). Showing this month.")
        return (*month, error % {"value": start.strip()})
    if end and kpis.day_or_none(end) is None:
        error = _("The last day, %(value)s, is not a date (e.g. 2026-11-27). Showing this month.")
        return (*month, error % {"value": end.strip()})
    error = _(
        "A custom period's first day may not be after its last, and it spans at most "
        "%(n)s days. Showing this month."
    ) % {"n": kpis.MAX_PERIOD_DAYS}
    return (*month, error)


@login_required
@require_GET
def kpi_ranking(request):
    if not request.user.has_perm("tickets.view_kpis"):
        raise PermissionDenied(_("Your roles do not include the KPI ranking."))
    parents = kpis.ranking_parents(request.user)
    asked = request.GET.get("parent")
    parent = next((p for p in parents if p.code == asked), None)
    parent = parent or kpis.default_parent(request.user, parents)
    notices = []
    if asked and (parent is None or parent.code != asked):
        # Someone else's area, or a mistyped code: say whose ranking this is instead.
        notices.append(_("%(code)s is not an area you may rank.") % {"code": asked})
    level_labels = _kpi_level_labels()
    levels = []
    if parent is not None:
        below = {
            Level.DISTRICT: (Level.STREET, Level.COMMUNITY, Level.GRID),
            Level.STREET: (Level.COMMUNITY, Level.GRID),
            Level.COMMUNITY: (Level.GRID,),
        }[parent.level]
        levels = [(lvl, level_labels[lvl]) for lvl in (*below, kpis.DEPARTMENT)]
    level = request.GET.get("level")
    if level not in dict(levels):
        if level and levels:
            # Named as the page names levels (社区, not the parameter's "community").
            named = level_labels.get(level) or dict(Level.choices).get(level, level)
            notices.append(_("%(level)s cannot be compared here.") % {"level": named})
        level = kpis.default_level(request.user, [value for value, _label in levels])
    choice, start, end, period_error = _period(request)
    rows, district = [], None
    if parent is not None and level is not None:
        area = kpis.ranking_area(level, parent)
        rows = kpis.ranking(level, area, start, end)
        district = kpis.scoring_district(level, area)
    # Those compute() scored with: the ones in force in the units' district at the period's end.
    weights = kpis.period_weights(end, district=district)
    mine = set(scope_for(request.user).paths(VIEW_ROLES))
    mine_departments = scope_for(request.user).department_ids
    for row in rows:
        unit = row.unit
        if unit.kind == kpis.DEPARTMENT:
            row.is_mine = unit.id in mine_departments
        else:
            row.is_mine = any(path.rstrip("/").endswith("/" + unit.code) for path in mine)
    return render(
        request,
        "tickets/kpis.html",
        {
            "parents": parents,
            "parent": parent,
            "levels": levels,
            "level": level,
            "level_label": level_labels.get(level, ""),
            "periods": kpis.PERIODS,
            "period": choice,
            "period_error": period_error,
            # Opened early in the month on last month, unasked: say why it is not this month.
            "early_month": choice == "last_month" and "period" not in request.GET,
            "early_month_days": kpis.EARLY_MONTH_DAYS,
            "notices": notices,
            "start": start,
            "end": end,
            "rows": rows,
            "weights": weights,
            "weights_district": district,
            "weights_used": kpis.weights_used(level, weights),
            # The rates without which a unit has no score (kpis.composite).
            "scoring_rates": listing(
                label
                for name, label, _weight in kpis.weights_used(level, weights)[0]
                if name in kpis.HANDLING_RATES
            ),
            "is_departments": level == kpis.DEPARTMENT,
            "section": "kpis",
        },
    )
