"""个人信息查看记录 (/people/access-log/): who saw whose personal data in full, for the
auditors of an area (street and district staff: people.view_access_log; the rows are
visibility.visible_access_logs, as GET /api/v1/access-logs/). Read only. The page names
the record viewed (人员 #12, 工单 GD…) and the fields, never their values."""

import datetime as dt

from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from gridgov.core import sheets
from gridgov.people.filters import Seen, address_only_q, filter_seen
from gridgov.people.models import AccessLog, Person
from gridgov.people.visibility import visible_access_logs
from gridgov.tickets.forms import DayField

PER_PAGE = 50

# Purposes the system writes itself, not typed by the viewer: the API's ticket detail and
# requester lookup (tickets/api.py) and a record opened in the admin (tickets/admin.py,
# people/admin.py). The log keeps them as written; the page says them in Chinese.
SYSTEM_PURPOSES = {
    "ticket detail": pgettext_lazy("access log purpose", "Reading the ticket's details"),
    "requester": pgettext_lazy("access log purpose", "Looking up the requester"),
    "admin": pgettext_lazy("access log purpose", "Opened in the admin site"),
}


class AccessLogFilterForm(forms.Form):
    """The page's filters (GET). A value not offered (a channel, a kind of view) or a day
    that does not exist is refused beside its field, and nothing is listed: ignoring it
    listed every view, more than the auditor asked for."""

    viewer = forms.CharField(
        label=pgettext_lazy("access log", "Viewer"), required=False, max_length=150
    )
    seen = forms.ChoiceField(label=pgettext_lazy("access log", "What was seen"), required=False)
    channel = forms.ChoiceField(
        label=pgettext_lazy("access log", "Channel"),
        required=False,
        choices=[("", pgettext_lazy("access log", "All channels"))] + AccessLog.Channel.choices,
    )
    since = DayField(
        label=pgettext_lazy("access log", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = DayField(
        label=pgettext_lazy("access log", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The kinds named by the fields a resident's record declares personal (姓名、电话、
        # 身份证号): a ticket's requester name and phone count with them.
        names = sheets.listing(
            Person._meta.get_field(name).verbose_name for name in Person.PERSONAL_DATA_FIELDS
        )
        self.fields["seen"].choices = [
            ("", pgettext_lazy("access log", "Everything")),
            (Seen.CONTACTS, _("Contact details and ID (%(fields)s…)") % {"fields": names}),
            (Seen.ADDRESS, Seen.ADDRESS.label),
        ]
        self.fields["viewer"].widget.attrs.update(
            type="search", placeholder=pgettext_lazy("access log", "Login")
        )
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"log-{name}"

    def select(self, logs):
        """`logs` narrowed by every filter but `seen`, which the page counts across."""
        d = self.cleaned_data
        if d["viewer"]:  # stripped by the form
            logs = logs.filter(user__username__icontains=d["viewer"])
        if d["channel"]:
            logs = logs.filter(channel=d["channel"])
        zone = timezone.get_current_timezone()
        if d["since"]:
            logs = logs.filter(at__gte=dt.datetime.combine(d["since"], dt.time(), zone))
        if d["until"]:
            day_after = d["until"] + dt.timedelta(days=1)
            logs = logs.filter(at__lt=dt.datetime.combine(day_after, dt.time(), zone))
        return logs


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
    form = AccessLogFilterForm(request.GET)
    params = request.GET.copy()
    params.pop("page", None)
    split = None
    if not form.is_valid():
        logs = logs.none()
    else:
        logs = form.select(logs)
        # The address views a ticket's page logs on every visit flood the log: the page
        # says how many of the selection (whatever 查看内容) they are, beside the rest,
        # each a link to that kind alone. One query.
        counts = logs.aggregate(all=Count("pk"), address=Count("pk", filter=address_only_q()))
        counts[Seen.CONTACTS] = counts["all"] - counts["address"]
        split = []
        for kind in (Seen.CONTACTS, Seen.ADDRESS):
            link = params.copy()
            link["seen"] = kind
            split.append((kind, kind.label, counts[kind], link.urlencode()))
        logs = filter_seen(logs, form.cleaned_data["seen"])
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
    return render(
        request,
        "web/people/access_log.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "split": split,
            "seen": form.cleaned_data.get("seen", "") if form.is_valid() else "",
            "filtered": any(params.get(name) for name in form.fields),
            "params": params.urlencode(),
        },
    )
