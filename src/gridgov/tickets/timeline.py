"""The ticket's timeline as the workbench shows it: each event's name and what its data
says (to whom it went, why, which deadlines moved), in the reader's language.

Requesters see their own, shorter account (progress.py).
"""

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from gridgov.people.models import Department

from . import intake, lifecycle, photos, routing
from .classify import LOW_CONFIDENCE, score_percent
from .forms import ACTION_LABELS, DEADLINE_LABELS, OVERDUE_LABELS
from .models import HomeLevel, Satisfaction, Summons, Ticket, TicketEvent
from .reference import categories

# Events that are no lifecycle action of their own.
EVENT_LABELS = {
    lifecycle.MERGE_IN: pgettext_lazy("ticket action", "Duplicate merged in"),
    lifecycle.EDIT: pgettext_lazy("ticket action", "Corrected"),
    photos.ADD_PHOTOS: pgettext_lazy("ticket action", "Photos added"),
}


def _department_names(events):
    codes = set()
    for event in events:
        data = event.data or {}
        codes.update(data.get("departments") or [])
        if data.get("department"):
            codes.add(data["department"])
    if not codes:
        return {}
    return dict(Department.objects.filter(code__in=codes).values_list("code", "name"))


def _category_name(code):
    category = categories().by_code.get(code) if code else None
    return category.full_name if category is not None else code or "—"


def _field_name(name):
    try:
        return str(Ticket._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def describe(event, departments):
    """Readable lines for an event's data (what the timeline shows under the action)."""
    data = event.data or {}
    lines = []
    unit = data.get("unit")
    action = event.action
    if action == lifecycle.EDIT:
        names = [_field_name(name) for name in data.get("changes") or {}]
        lines.append(_("Changed: %(fields)s") % {"fields": "、".join(names)})
    elif action == "create":
        if data.get("route") == "dispatch_desk":
            lines.append(_("No routing rule matched: waiting at the dispatch desk."))
        elif data.get("route") == LOW_CONFIDENCE:
            lines.append(
                _(
                    "Category to confirm: the classifier was unsure (best score %(score)s), "
                    "so the ticket waits at the dispatch desk."
                )
                % {"score": score_percent(data.get("score"))}
            )
        how = data.get("location") or ""
        if how == "address":
            lines.append(_("Located by the address."))
        elif how == "address:area":
            lines.append(_("The address names no known building: located at the place it names."))
        elif how.startswith("point"):
            lines.append(_("Located by the map position."))
        elif how == "none":
            lines.append(_("Location not found."))
        if data.get("reported_point"):
            lines.append(intake.reported_point_note(data["reported_point"], event.ticket.building))
    elif action in ("dispatch", "designate") and unit:
        text = _("To: %(unit)s") % {"unit": unit}
        # Not beside _routed_by's "no routing rule for this category here": it contradicted it.
        if data.get("auto") and not data.get("home_level"):
            text += _(" (by the routing rules)")
        lines.append(text)
        lines += _routed_by(data)
        if data.get("category"):
            names = [_category_name(code) for code in data["category"]]
            lines.append(_("Category: %(old)s → %(new)s") % {"old": names[0], "new": names[1]})
        if data.get("from_escalated"):
            lines.append(
                _("Sent down by %(unit)s, to which it had been escalated (not a return).")
                % {"unit": data["from_escalated"]}
            )
        if data.get("handed_down"):
            lines.append(
                _("Handed down by %(unit)s; the requester's deadlines stay.")
                % {"unit": data["handed_down"].get("from", "")}
            )
    elif action == "escalate":
        lines.append(
            _("From %(from)s to %(to)s") % {"from": data.get("from", ""), "to": unit or ""}
        )
        if data.get("by_sweep") and not event.reason:  # the sweep's reason says it
            lines.append(_("Escalated automatically: overdue past the grace period."))
        if "kept" in data:  # only its own 签收 window: passing a ticket up buys no time
            lines.append(
                _(
                    "%(unit)s signs for it within its own time limit, counted from now; "
                    "the requester's deadlines stay:"
                )
                % {"unit": unit}
            )
            moved = _deadline_lines(data.get("deadlines") or {})
            if not moved and data.get("accept_by"):  # the same as the holder's before
                moved = [
                    _("%(label)s: %(d)s")
                    % {"label": DEADLINE_LABELS["accept"], "d": _fmt_iso(data["accept_by"])}
                ]
            lines += moved
            for name, value in data["kept"].items():
                lines.append(
                    _("%(label)s: %(d)s (unchanged)")
                    % {"label": DEADLINE_LABELS[name.removesuffix("_by")], "d": _fmt_iso(value)}
                )
        elif data.get("deadlines"):  # written before 2026-11-29, when it got fresh ones
            lines.append(_("New time limits for %(unit)s, counted from now:") % {"unit": unit})
            lines += _deadline_lines(data["deadlines"])
    elif action == "return":
        code = data.get("reason_code")
        if code in lifecycle.RETURN_REASONS:
            lines.append(_("Reason: %(r)s") % {"r": lifecycle.RETURN_REASONS[code]})
        if data.get("returned_to"):
            lines.append(
                _(
                    "Returned by %(unit)s to %(to)s, which had handed it down (not a return to the desk)"
                )
                % {"unit": data.get("returned_by", ""), "to": data["returned_to"]}
            )
        elif data.get("returned_by"):
            lines.append(
                _("Returned by %(unit)s (return no. %(n)s)")
                % {"unit": data["returned_by"], "n": data.get("returns", "")}
            )
    elif action == "contact":
        # Events from before the methods were fixed keep the text they were sent with.
        method = data.get("method")
        if method:
            lines.append(_("How: %(m)s") % {"m": lifecycle.CONTACT_METHODS.get(method, method)})
        if "on_time" in data:
            lines.append(_("On time") if data["on_time"] else _("Later than the response deadline"))
    elif action == "resolve":
        if "on_time" in data:
            lines.append(
                _("Resolved on time") if data["on_time"] else _("Resolved after the deadline")
            )
    elif action == "extend" and data.get("until"):
        lines.append(_("Asked for a new deadline: %(d)s") % {"d": _fmt_iso(data["until"])})
    elif action == "approve-extension":
        if data.get("approved"):
            lines.append(_("Approved: new deadline %(d)s") % {"d": _fmt_iso(data.get("until"))})
        else:
            lines.append(_("Rejected"))
    elif action == "supervise" and data.get("stage") in OVERDUE_LABELS:
        lines.append(OVERDUE_LABELS[data["stage"]])
    elif action == "whistle":
        names = [departments.get(c, c) for c in data.get("departments") or []]
        lines.append(_("Summoned: %(d)s") % {"d": "、".join(names)})
        if data.get("report_by"):
            lines.append(_("Report by %(d)s") % {"d": _fmt_iso(data["report_by"])})
    elif action == "whistle-report":
        name = departments.get(data.get("department"), data.get("department", ""))
        late = _("late") if data.get("late") else _("on time")
        lines.append(_("%(d)s reported (%(late)s)") % {"d": name, "late": late})
    elif action == "whistle-rate":
        name = departments.get(data.get("department"), data.get("department", ""))
        rating = data.get("rating")
        label = Summons.Rating(rating).label if rating in Summons.Rating.values else rating
        lines.append(_("%(d)s rated: %(r)s") % {"d": name, "r": label})
    elif action == "callback":
        if data.get("by_requester"):
            lines.append(_("Rated by the requester in 我的诉求"))
        lines.append(_("Resolved: yes") if data.get("resolved") else _("Resolved: no"))
        satisfaction = data.get("satisfaction")
        if satisfaction in Satisfaction.values:
            lines.append(_("Satisfaction: %(s)s") % {"s": Satisfaction(satisfaction).label})
        lines += _reopen_lines(data)
    elif action == "reopen":
        lines += _reopen_lines(data)
    elif action == "merge" and data.get("into_code"):
        lines.append(_("Merged into %(code)s") % {"code": data["into_code"]})
    elif action == lifecycle.MERGE_IN and data.get("merged_code"):
        lines.append(
            _("%(code)s was merged into this ticket; its requester is called back too.")
            % {"code": data["merged_code"]}
        )
    elif action == "answer" and data.get("knowledge_answer"):
        lines.append(_("Answered from the knowledge base."))
    return lines


def _routed_by(data):
    """Which routing rule, or else which home level, chose the unit (routing.route_data): a
    street asking why a matter went to 城管 read only 按规则自动派单。"""
    if data.get("rule"):
        words = routing.rule_words(data["rule"])
        return [
            _("Routing rule no. %(id)s: demands of %(category)s in %(place)s go to %(department)s.")
            % {"id": data["rule"].get("id", ""), **words}
        ]
    level = data.get("home_level")
    if level in HomeLevel.values:
        return [
            _(
                "No routing rule for this category here: it goes to the %(level)s of the "
                "place, the category's home level."
            )
            # Mid-sentence: 'the grid of the place', not 'the Grid' (Chinese has no case).
            % {"level": str(HomeLevel(level).label).lower()}
        ]
    return []


def _deadline_lines(change):
    """'办结时限：old → new' for each deadline an event moved (lifecycle._deadline_change)."""
    lines = []
    before, after = change.get("before") or {}, change.get("after") or {}
    for name in lifecycle.DEADLINE_FIELDS:
        if name in after:
            lines.append(
                _("%(label)s: %(old)s → %(new)s")
                % {
                    "label": DEADLINE_LABELS[name.removesuffix("_by")],
                    "old": _fmt_iso(before.get(name)) or "—",
                    "new": _fmt_iso(after[name]) or "—",
                }
            )
    return lines


def _reopen_lines(data):
    lines = []
    if data.get("deadlines"):
        lines.append(_("Handled again with new time limits, counted from the reopening:"))
        lines += _deadline_lines(data["deadlines"])
    if data.get("extension_lapsed"):
        lines.append(
            _("The extension approved until %(d)s no longer applies.")
            % {"d": _fmt_iso(data["extension_lapsed"])}
        )
    return lines


def _fmt_iso(value):
    parsed = parse_datetime(value or "") if isinstance(value, str) else value
    if parsed is None:
        return value or ""
    return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")


def events(ticket):
    """The ticket's events, oldest first, each with `label`, `lines` (what its data says),
    `changed` (a status change) and `reason_text`."""
    events = list(
        TicketEvent.objects.filter(ticket=ticket)
        .select_related("actor", "owner_place", "owner_department")
        .prefetch_related("photos")
        .order_by("at", "id")
    )
    departments = _department_names(events)
    for event in events:
        event.label = EVENT_LABELS.get(event.action) or ACTION_LABELS.get(
            event.action, event.action
        )
        if event.action == "dispatch" and (event.data or {}).get("handed_down"):
            event.label = lifecycle.HAND_DOWN_LABEL
        event.lines = describe(event, departments)
        event.changed = event.from_status != event.to_status
        event.reason_text = lifecycle.reason_text(event.reason)
    return events
