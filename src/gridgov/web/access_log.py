"""个人信息查看记录 (/people/access-log/): who saw whose personal data in full, for the
auditors of an area (street and district staff: people.view_access_log; the rows are
visibility.visible_access_logs, as GET /api/v1/access-logs/). Read only. The page names
the record viewed (人员 #12, 工单 GD…) and the fields, never their values."""

import datetime as dt

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from gridgov.people.models import AccessLog
from gridgov.people.visibility import visible_access_logs

PER_PAGE = 50

# Purposes the system writes itself, not typed by the viewer: the API's ticket detail and
# requester lookup (tickets/api.py) and a record opened in the admin (tickets/admin.py,
# people/admin.py). The log keeps them as written; the page says them in Chinese.
SYSTEM_PURPOSES = {
    "ticket detail": pgettext_lazy("access log purpose", "Reading the ticket's details"),
    "requester": pgettext_lazy("access log purpose", "Looking up the requester"),
    "admin": pgettext_lazy("access log purpose", "Opened in the admin site"),
}


def _day(value):
    try:
        return parse_date(value or "")
    except ValueError:  # 2026-02-30
        return None


def _subjects(rows):
    """{(subject_type, subject_id): (label, url)} for the page's rows: tickets by code (one
    query), people by number; a record since deleted keeps its label without a link."""
    ticket_ids = {r.subject_id for r in rows if r.subject_type == "tickets.ticket"}
    codes = {}
    if ticket_ids:
        Ticket = apps.get_model("tickets", "Ticket")
        ids = [int(i) for i in ticket_ids if i.isdigit()]
        codes = {
            str(pk): code
            for pk, code in Ticket.objects.filter(pk__in=ids).values_list("pk", "code")
        }
    subjects = {}
    for r in rows:
        key = (r.subject_type, r.subject_id)
        if r.subject_type == "tickets.ticket" and r.subject_id in codes:
            code = codes[r.subject_id]
            subjects[key] = (f"{_('Ticket')} {code}", reverse("tickets:detail", args=[code]))
        elif r.subject_type == "people.person" and r.subject_id.isdigit():
            subjects[key] = (
                f"{_('Person')} #{r.subject_id}",
                reverse("web-person-detail", args=[int(r.subject_id)]),
            )
        else:
            subjects[key] = (f"{r.subject_type} #{r.subject_id}", None)
    return subjects


def _field_names(subject_type, fields):
    """The fields in the reader's language (the model's verbose names): 姓名、电话."""
    try:
        model = apps.get_model(subject_type)
    except (LookupError, ValueError):
        model = None
    names = []
    for name in fields or []:
        try:
            names.append(str(model._meta.get_field(name).verbose_name) if model else name)
        except FieldDoesNotExist:
            names.append(name)
    return names


@login_required
@require_GET
def access_log(request):
    if not request.user.has_perm("people.view_access_log"):
        raise PermissionDenied(
            _("Only street and district staff read the personal data access log of their area.")
        )
    logs = visible_access_logs(request.user)
    viewer = request.GET.get("viewer", "").strip()
    channel = request.GET.get("channel", "")
    since, until = _day(request.GET.get("since")), _day(request.GET.get("until"))
    if viewer:
        logs = logs.filter(user__username__icontains=viewer)
    if channel in AccessLog.Channel.values:
        logs = logs.filter(channel=channel)
    zone = timezone.get_current_timezone()
    if since:
        logs = logs.filter(at__gte=dt.datetime.combine(since, dt.time(), zone))
    if until:
        logs = logs.filter(
            at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone)
        )
    page = Paginator(logs.order_by("-at", "-id"), PER_PAGE).get_page(request.GET.get("page"))
    subjects = _subjects(page.object_list)
    rows = [
        (
            log,
            subjects[(log.subject_type, log.subject_id)],
            _field_names(log.subject_type, log.fields),
            SYSTEM_PURPOSES.get(log.purpose, log.purpose),
        )
        for log in page.object_list
    ]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "web/people/access_log.html",
        {
            "page": page,
            "rows": rows,
            "viewer": viewer,
            "channel": channel if channel in AccessLog.Channel.values else "",
            "channels": AccessLog.Channel.choices,
            "since": since,
            "until": until,
            "filtered": bool(viewer or channel or since or until),
            "params": params.urlencode(),
        },
    )
