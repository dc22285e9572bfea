"""Pages for the reference data street and district staff keep: the routing table (分类交办表:
which department handles a category where; the rules listed and the places offered are
routing.py's `visible_rules` and `writable_places`, as in the API, and who may write which
rule is rules.py's `tickets.manage_routing`), the time limits and calendar overrides the
deadlines run on (时限表, sla.py and workdays.py: read by all staff, written by district
staff for their district and by superusers for the whole city), the knowledge base (知识库: standard
answers, how often used, which are stale; knowledge.py), and the KPI weights (考核权重: read by
whoever sees the ranking, a district's changed by its staff, the whole deployment's by
superusers, every change kept; kpis.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Q, When
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gridgov.places.models import Level, Place

from . import knowledge, kpis, reference, routing, sla, workdays
from .forms import (
    CalendarDayForm,
    KnowledgeAnswerForm,
    KpiWeightsForm,
    RoutingRuleForm,
    TimeLimitForm,
)
from .models import (
    CalendarDay,
    Category,
    KnowledgeAnswer,
    KnowledgeAnswerChange,
    KpiWeights,
    RoutingRule,
    TimeLimit,
    TimeLimitChange,
    Urgency,
)
from .workdays import _library_is_workday


@login_required
@require_http_methods(["GET", "POST"])
def routing_rules(request, pk=None):
    """The table, and a form to add a rule (or change the one `pk` names)."""
    user = request.user
    if not user.has_perm("tickets.manage_routing"):
        raise PermissionDenied
    visible = routing.visible_rules(user).order_by("category__code", "place__path")
    rule = get_object_or_404(visible, pk=pk) if pk else None
    if rule is not None and not user.has_perm("tickets.manage_routing", rule):
        raise PermissionDenied  # e.g. a district-wide rule, for street staff
    # Offer "everywhere" (全区) to whoever may write a rule without a place.
    everywhere = user.has_perm("tickets.manage_routing", RoutingRule(place=None))
    places = list(routing.writable_places(user)[:500])
    initial = {}
    if rule is not None:
        initial = {
            "category": rule.category.code,
            "place": rule.place.code if rule.place else "",
            "department": rule.department.code,
            "note": rule.note,
        }
    status = 200
    if request.method == "POST" and rule is not None and request.POST.get("delete"):
        # Removed from its change page (the permission on the rule was checked above): a
        # rule set by mistake could only be pointed elsewhere, never taken back.
        values = routing.rule_words(rule)
        rule.delete()
        messages.success(
            request,
            _(
                "Routing rule removed: demands of %(category)s in %(place)s no longer go to "
                "%(department)s by this rule; tickets already sent keep their owner."
            )
            % values,
        )
        return redirect("tickets:routing-rules")
    if request.method == "POST":
        form = RoutingRuleForm(request.POST, places=places, everywhere=everywhere)
        if form.is_valid():
            d = form.cleaned_data
            candidate = rule or RoutingRule()
            candidate.category = d["category_obj"]
            candidate.place = d["place_obj"]
            candidate.department = d["department_obj"]
            candidate.note = d["note"]
            if not user.has_perm("tickets.manage_routing", candidate):
                form.add_error("place", _("Not allowed to change this setting for this place"))
            elif routing.rule_taken(
                candidate.category, candidate.place, exclude=rule
            ) or not routing.save_rule(candidate):
                form.add_error("category", routing.taken_message(candidate.place))
            else:
                # In words, with what it changes (the rule's str() is for logs: "… @ * → …").
                messages.success(
                    request,
                    _(
                        "Routing rule saved: demands of %(category)s in %(place)s now go to "
                        "%(department)s; tickets already sent keep their owner."
                    )
                    % routing.rule_words(candidate),
                )
                return redirect("tickets:routing-rules")
        status = 400
    else:
        form = RoutingRuleForm(initial=initial, places=places, everywhere=everywhere)
    rules = [(r, user.has_perm("tickets.manage_routing", r)) for r in visible[:500]]
    return render(
        request,
        "tickets/routing_rules.html",
        {"form": form, "rules": rules, "rule": rule, "section": "routing"},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def knowledge_base(request, pk=None):
    """The standard answers, stale and most used first, and a form to add one (or change
    the one `pk` names, or confirm it still holds) for those who keep them; those who only
    read them (street staff) see the answer `pk` names and its change record."""
    if not request.user.has_perm("tickets.view_knowledge"):
        raise PermissionDenied
    may_manage = request.user.has_perm("tickets.manage_knowledge")
    if request.method == "POST" and not may_manage:
        raise PermissionDenied(_(knowledge.READ_ONLY))
    answer = get_object_or_404(KnowledgeAnswer, pk=pk) if pk else None
    status = 200
    if request.method == "POST" and request.POST.get("confirm") and answer is not None:
        knowledge.save_answer(answer, {}, reviewed=True, by=request.user, channel=WEB)
        messages.success(request, _("Confirmed as still correct: %(q)s") % {"q": answer})
        return redirect("tickets:knowledge")
    if request.method == "POST":
        form = KnowledgeAnswerForm(request.POST)
        if form.is_valid():
            was_active = answer.active if answer is not None else None
            saved = knowledge.save_answer(
                answer, form.answer_fields(), by=request.user, channel=WEB
            )
            # Retiring one says so: the operators stop being offered it (not just "saved").
            if was_active and not saved.active:
                said = _("Standard answer retired, no longer offered at intake: %(q)s")
            elif was_active is False and saved.active:
                said = _("Standard answer back in use, offered at intake again: %(q)s")
            else:
                said = _("Standard answer saved: %(q)s")
            messages.success(request, said % {"q": saved})
            return redirect("tickets:knowledge")
        status = 400
    elif answer is not None and may_manage:
        form = KnowledgeAnswerForm(
            initial={
                "question": answer.question,
                "answer": answer.answer,
                "keywords": " ".join(answer.keywords or []),
                "category": answer.category.code if answer.category else "",
                "active": answer.active,
            }
        )
    elif may_manage:
        form = KnowledgeAnswerForm()
    else:
        form = None
    answers = KnowledgeAnswer.objects.select_related("category")
    query = request.GET.get("q", "").strip()
    if query:
        answers = answers.filter(
            Q(question__icontains=query) | Q(answer__icontains=query) | Q(keywords__icontains=query)
        )
    if request.GET.get("stale"):
        answers = answers.filter(knowledge.stale_q())
    stale = Case(When(knowledge.stale_q(), then=0), default=1)
    rows = [
        (a, knowledge.is_stale(a))
        for a in answers.order_by(stale, "-active", "-used_count", "pk")[:300]
    ]
    return render(
        request,
        "tickets/knowledge.html",
        {
            "form": form,
            "may_manage": may_manage,
            "answer": answer,
            "changes": _knowledge_changes(answer) if answer is not None else [],
            "rows": rows,
            "query": query,
            "stale_count": KnowledgeAnswer.objects.filter(knowledge.stale_q()).count(),
            "stale_days": knowledge.STALE_AFTER.days,
            "section": "knowledge",
        },
        status=status,
    )


WEB = KnowledgeAnswerChange.Channel.WEB


def _knowledge_changes(answer):
    """An answer's change record for its page: (change, [(field label, before, after)])."""
    labels = {name: KnowledgeAnswerForm.base_fields[name].label for name in knowledge.TRACKED}
    codes = set()
    changes = list(knowledge.changes_of(answer)[:100])
    for change in changes:
        for values in (change.before, change.after):
            if values.get("category"):
                codes.add(values["category"])
    names = dict(Category.objects.filter(code__in=codes).values_list("code", "name"))

    def words(name, value):
        if name == "keywords":
            return "、".join(value or []) or "—"
        if name == "category":
            return names.get(value, value) if value else _("Any category")
        if name == "active":
            return _("Offered") if value else _("Not offered")
        return value or "—"

    return [
        (
            change,
            [
                (
                    labels[name],
                    words(name, change.before[name]) if name in change.before else None,
                    words(name, change.after.get(name)),
                )
                for name in knowledge.TRACKED
                if name in change.after
            ],
        )
        for change in changes
    ]


STAGES = ("accept", "respond", "resolve")


@login_required
@require_http_methods(["GET", "POST"])
def time_limits(request, pk=None):
    """The time-limit table (the city's rows and the user's district's: sla.visible_limits)
    and, for those who may write some (rules.py's `tickets.manage_time_limits`: district
    staff their district's, superusers the city's too), a form for one limit; the calendar
    overrides and, for district staff, a form to set one (POST `form=calendar`). Other
    staff read both."""
    user = request.user
    if not user.has_perm("tickets.view_settings"):
        raise PermissionDenied
    limit = get_object_or_404(sla.visible_limits(user), pk=pk) if pk else None
    if limit is not None and not user.has_perm("tickets.manage_time_limits", limit):
        raise PermissionDenied(_refusal(user, limit))
    may_write = user.has_perm("tickets.manage_time_limits")
    may_calendar = user.has_perm("tickets.manage_calendar")
    where = {
        "districts": list(sla.writable_districts(user)) if may_write else [],
        "city_wide": user.has_perm("tickets.manage_time_limits", TimeLimit(place=None)),
    }
    form = TimeLimitForm(initial=_limit_initial(limit), **where)
    day_form, status = CalendarDayForm(), 200
    if request.method == "POST" and request.POST.get("form") == "calendar-delete":
        # A day set by mistake goes back to what the library says (or to a weekday rule).
        if not may_calendar:
            raise PermissionDenied(_(sla.CALENDAR_REFUSED))
        try:
            date = parse_date(request.POST.get("date") or "")
        except ValueError:  # 2027-02-30
            date = None
        day = get_object_or_404(CalendarDay, date=date)
        day.delete()
        if workdays.library_knows(day.date):
            said = _("Calendar day removed: %(day)s follows the calendar library again.")
        else:
            said = _(
                "Calendar day removed: the calendar library has no data for %(year)s, so "
                "%(day)s counts as %(kind)s (Monday to Friday are working days)."
            )
        kind = _("a working day") if _library_is_workday(day.date) else _("a day off")
        messages.success(request, said % {"day": day.date, "year": day.date.year, "kind": kind})
        return redirect("tickets:time-limits")
    if request.method == "POST" and request.POST.get("form") == "follow-city":
        return _follow_city_limits(request, where["districts"])
    if request.method == "POST" and limit is not None and request.POST.get("delete"):
        # The district's own limit (checked above) removed: its tickets fall back on the
        # next broader limit, from the next ticket on. Its values stay in the record.
        reason = request.POST.get("reason", "").strip()[:300]
        sla.remove_limits(user, [limit], limit.delete, reason)
        messages.success(
            request,
            _(
                "Time limit removed: %(limit)s. Tickets filed from now on follow the next "
                "broader limit; tickets already filed keep their deadlines."
            )
            % {"limit": _limit_name(limit)},
        )
        return redirect("tickets:time-limits")
    if request.method == "POST" and request.POST.get("form") == "calendar":
        if not may_calendar:
            raise PermissionDenied(_(sla.CALENDAR_REFUSED))
        day_form = CalendarDayForm(request.POST)
        if day_form.is_valid():
            d = day_form.cleaned_data
            day, _created = workdays.set_override(d["date"], d["is_workday"], d["note"])
            messages.success(request, _("Calendar day saved: %(day)s") % {"day": day.date})
            return redirect("tickets:time-limits")
        status = 400
    elif request.method == "POST":
        if not may_write:
            raise PermissionDenied(_(sla.LIMITS_READ_ONLY))
        form = TimeLimitForm(request.POST, **where)
        if form.is_valid():
            d = form.cleaned_data
            # 响应 not shorter than 签收, 办结 not than 响应; said with the errors below.
            order = sla.limit_order_error(*((d[f"{s}_value"], d[f"{s}_unit"]) for s in STAGES))
            saved = limit or TimeLimit()
            saved.urgency, saved.category, saved.place = (
                d["urgency"],
                d["category_obj"],
                d["place_obj"],
            )
            if not user.has_perm("tickets.manage_time_limits", saved):
                form.add_error("place", _refusal(user, saved))
            elif sla.limit_taken(saved.urgency, saved.category, saved.place, exclude=limit):
                form.add_error("urgency", sla.LIMIT_TAKEN)
            if order:
                form.add_error(*order)  # drops the field from d: last
            elif not form.errors:
                for stage in STAGES:
                    setattr(saved, f"{stage}_value", d[f"{stage}_value"])
                    setattr(saved, f"{stage}_unit", d[f"{stage}_unit"])
                # What it replaced is read from the database, before the save.
                sla.save_limit(
                    user,
                    limit.pk if limit else None,
                    lambda: saved.save() or saved,
                    d["reason"],
                )
                messages.success(
                    request, _("Time limit saved: %(limit)s") % {"limit": _limit_name(saved)}
                )
                return redirect("tickets:time-limits")
        status = 400
    urgency_order = {value: i for i, value in enumerate(Urgency.values)}
    rows = sorted(
        (
            (
                t,
                [
                    (getattr(t, f"{s}_value"), TimeLimit.Unit(getattr(t, f"{s}_unit")).label)
                    for s in STAGES
                ],
                may_write and user.has_perm("tickets.manage_time_limits", t),
            )
            for t in sla.visible_limits(user).order_by("urgency", "category__code", "place__path")
        ),
        # Per urgency: the general rows, then each category's; the city's before a district's.
        key=lambda row: (
            urgency_order.get(row[0].urgency, 99),
            row[0].category.code if row[0].category else "",
            row[0].place_id is not None,
        ),
    )
    today = timezone.localdate()
    # What the library says, or None for a year it has no data for (it would only say
    # whether the date is a weekday, which is no judgement on a holiday).
    days = [
        (day, _library_is_workday(day.date) if workdays.library_knows(day.date) else None)
        for day in CalendarDay.objects.filter(date__gte=today.replace(month=1, day=1))
    ]
    # This year and the next, when the library lacks them: deadlines running into such a
    # year count its public holidays as working days unless staff set them here.
    first_year, last_year = workdays.library_years()
    unknown_years = [
        (year, sum(1 for day, _library in days if day.date.year == year))
        for year in (today.year, today.year + 1)
        if year > last_year
    ]
    # The districts whose own limits the user may give back (恢复使用全市设置), and the
    # changes of the limits they write (the city's and their districts').
    own_counts = {}
    changes = []
    if may_write:
        for t, _stages, editable in rows:
            if editable and t.place_id is not None:
                own_counts[t.place] = own_counts.get(t.place, 0) + 1
        changes = TimeLimitChange.objects.filter(
            Q(district__isnull=True) | Q(district__in=where["districts"])
        ).select_related("changed_by", "district")[:50]
    return render(
        request,
        "tickets/time_limits.html",
        {
            "form": form,
            "limit": limit,
            "rows": rows,
            "returnable": sorted(own_counts.items(), key=lambda item: item[0].path),
            "changes": [
                (c, [_limit_words(v) for v in c.limits], [_limit_words(v) for v in c.before])
                for c in changes
            ],
            "may_write": may_write,
            "day_form": day_form,
            "days": days,
            "library_years": (first_year, last_year),
            "unknown_years": unknown_years,
            "may_calendar": may_calendar,
            "section": "time-limits",
        },
        status=status,
    )


def _follow_city_limits(request, districts):
    """POST form=follow-city, district=CODE: the district's own limits removed at once
    (sla.follow_city), when the user may write them."""
    user = request.user
    code = request.POST.get("district", "").strip()
    district = next((d for d in districts if d.code == code), None)
    if district is None:
        probe = TimeLimit(place=Place.objects.filter(code=code, level=Level.DISTRICT).first())
        if probe.place is None:
            raise PermissionDenied(_(sla.LIMITS_READ_ONLY))
        raise PermissionDenied(_refusal(user, probe))
    reason = request.POST.get("reason", "").strip()[:300]
    try:
        change = sla.follow_city(user, district, reason)
    except sla.NothingToReturn:
        messages.error(request, _(sla.NO_OWN_LIMITS) % {"district": district.name})
    else:
        messages.success(
            request,
            _(
                "%(district)s follows the city-wide time limits again: its %(count)s own "
                "limits were removed (kept in the change record). Tickets filed from now on "
                "run on the city's limits; deadlines already given are not recomputed."
            )
            % {"district": district.name, "count": len(change.limits)},
        )
    return redirect("tickets:time-limits")


def _limit_words(values):
    """A recorded limit in words: 一般 · 楼道堆物 · 1 工作日 / 2 工作日 / 7 工作日."""
    category = reference.categories().by_code.get(values["category"])
    parts = [
        Urgency(values["urgency"]).label,
        category.full_name if category else (values["category"] or _("Every category")),
        " / ".join(f"{v} {TimeLimit.Unit(u).label}" for v, u in (values[s] for s in STAGES)),
    ]
    return " · ".join(str(p) for p in parts)


def _limit_name(limit):
    """Which limit, in words: 一般 · 全部分类 · 清风区 (its str() is for logs: 一般 · * · 清风区)."""
    category = limit.category.full_name if limit.category_id else _("Every category")
    return " · ".join(
        str(p)
        for p in (
            limit.get_urgency_display(),
            category,
            limit.place.name if limit.place_id else _("Whole city"),
        )
    )


def _refusal(user, limit):
    message, params = sla.limit_refusal(user, limit)
    return _(message) % params


def _limit_initial(limit):
    if limit is None:
        return {}
    initial = {
        "urgency": limit.urgency,
        "category": limit.category.code if limit.category else "",
        "place": limit.place.code if limit.place else "",
    }
    for stage in STAGES:
        initial[f"{stage}_value"] = getattr(limit, f"{stage}_value")
        initial[f"{stage}_unit"] = getattr(limit, f"{stage}_unit")
    return initial


def _weights_place(request, districts):
    """(district, notice) the page shows: the one `district` names (empty: the deployment's,
    全市), else the user's own district (district staff), else the district their area lies
    in, else the deployment's. A code not among `districts` falls back and says so."""
    data = request.POST if request.method == "POST" else request.GET
    notice = ""
    if "district" in data:
        code = data["district"].strip()
        if not code:
            return None, notice
        district = next((d for d in districts if d.code == code), None)
        if district is not None:
            return district, notice
        notice = _("%(code)s is not a district whose weights you may see.") % {"code": code}
    if request.user.is_superuser:
        return None, notice
    own = kpis.own_districts(request.user)
    district = next((d for d in own if d in districts), None)
    return district or (districts[0] if districts else None), notice


@login_required
@require_http_methods(["GET", "POST"])
def kpi_weights(request):
    """The weights in force in a district (or the whole deployment, 全市), that place's
    earlier changes (who, when, why), and for those who may set them (district staff their
    district's, superusers any and the deployment's: rules.py's `tickets.manage_kpi_weights`)
    a form to change them from now on (kpis.change_weights)."""
    user = request.user
    if not user.has_perm("tickets.view_kpis"):
        raise PermissionDenied(_("Your roles do not include the KPI ranking."))
    districts = kpis.weights_districts(user)
    district, notice = _weights_place(request, districts)
    may_change = user.has_perm("tickets.manage_kpi_weights", KpiWeights(district=district))
    current, source = kpis.weights_in_force(district=district)
    here = (
        reverse("tickets:kpi-weights")
        + "?"
        + urlencode({"district": getattr(district, "code", "")})
    )
    status = 200
    if request.method == "POST":
        if notice or not may_change:
            if not notice and district and user.has_perm("tickets.manage_kpi_weights"):
                # District staff, on another district: say whose it is.
                raise PermissionDenied(
                    _(kpis.DISTRICT_WEIGHTS_REFUSED) % {"district": district.name}
                )
            raise PermissionDenied(_(kpis.WEIGHTS_READ_ONLY))
    if request.method == "POST" and request.POST.get("form") == "follow-city":
        # 恢复使用全市设置: a row of the history too (kpis.follow_city), never a deletion.
        try:
            kpis.follow_city(user, request.POST.get("reason", "").strip()[:300], district)
        except kpis.BadWeights as exc:
            message = next(iter(exc.errors.values()))
            messages.error(request, _(message) % {"district": getattr(district, "name", "")})
        else:
            messages.success(
                request,
                _(
                    "%(district)s follows the whole deployment's weights again: they "
                    "score the current period and every later one, and later changes of "
                    "them apply there too. Periods that ended before keep their scores."
                )
                % {"district": district.name},
            )
        return redirect(here)
    if request.method == "POST":
        form = KpiWeightsForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                kpis.change_weights(d, user, d["reason"], district=district)
            except kpis.BadWeights as exc:
                for name, message in exc.errors.items():
                    form.add_error(None if name == "__all__" else name, _(message))
            else:
                messages.success(
                    request,
                    _(
                        "KPI weights changed: they score the current period and every later "
                        "one; periods that ended before keep the weights they had."
                    ),
                )
                return redirect(here)
        status = 400
    else:
        form = KpiWeightsForm(initial={**current, "district": getattr(district, "code", "")})
    changes = list(KpiWeights.objects.filter(district=district).select_related("changed_by")[:200])
    # Who may return the district to 全市's weights: whoever may change them, while the
    # district's own are in force.
    may_follow_city = may_change and district is not None and source == kpis.DISTRICT_OWN
    followed_since = changes[0].valid_from if changes and changes[0].follows_city else None
    rows = [
        {
            "change": change,
            "weights": [(kpis.RATE_LABELS[name], getattr(change, name)) for name in kpis.RATES],
            "total": sum(change.as_dict().values()),
        }
        for change in changes
    ]
    return render(
        request,
        "tickets/kpi_weights.html",
        {
            "form": form,
            "may_change": may_change,
            "may_follow_city": may_follow_city,
            "followed_since": followed_since,
            "district": district,
            "districts": districts,
            "notice": notice,
            "source": source,
            "current": [(name, kpis.RATE_LABELS[name], current[name]) for name in kpis.RATES],
            "total": sum(current.values()),
            "handling_total": sum(current[name] for name in kpis.HANDLING_RATES),
            "rows": rows,
            # Before the deployment's first change the settings' weights were in force
            # (since when is not known), before a district's its deployment's: said under
            # the history.
            "settings_weights": [
                (kpis.RATE_LABELS[name], weight) for name, weight in kpis.settings_weights().items()
            ],
            "section": "kpis",
        },
        status=status,
    )
