"""The 12345 import page: upload an export, follow the task, read the report (every bad row,
or what was imported). The import itself is imports.py's, started and followed there
(`start_import`, `import_state`: only the user who started an import reads its report).

When the file's headers do not name every column the import needs, the upload is kept
(`imports.keep_for_mapping`) and the page asks which column holds each field, prefilled
with what was recognised; the import then runs with that mapping, as `--mapping` does."""

from urllib.parse import quote, urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from . import imports
from .forms import ImportForm, MappingForm
from .models import Channel

SHOWN_ERRORS = 200
# Fields the mapping table marks as needed (and the "one of" groups its hint names).
NEEDED = ("created_at", "nature", "category")
CHOSEN_KEY = "tickets.import.mapping"  # the session's last mapping, to fill the next in


def _require(request):
    if not request.user.has_perm("tickets.import_tickets"):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    _require(request)
    status = 200
    if request.method == "POST" and "map-token" in request.POST:
        return _mapped(request)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            options = {
                "channel": form.cleaned_data["channel"] or Channel.HOTLINE,
                "dry_run": form.cleaned_data["dry_run"],
                "skip_imported": form.cleaned_data["skip_imported"],
            }
            try:
                headers, recognised, missing = imports.header_choices(upload, upload.name)
            except imports.ImportFormatError:
                missing = ""  # the import's report says what is wrong with the file
            upload.seek(0)
            if missing:
                token = imports.keep_for_mapping(request.user, upload, name=upload.name, **options)
                initial = {"token": token, **recognised, **_chosen_before(request, headers)}
                mapping_form = MappingForm(headers=headers, prefix="map", initial=initial)
                return _render_mapping(request, mapping_form, missing, upload.name)
            started = imports.start_import(request.user, upload, background=True, **options)
            return _started(request, started)
        status = 400
    else:
        form = ImportForm()
    return render(
        request, "tickets/import.html", {"form": form, "section": "import"}, status=status
    )


# The template's header: the names DEFAULT_MAPPING reads first, so it needs no mapping.
TEMPLATE_COLUMNS = [
    "工单编号",
    "受理时间",
    "诉求标题",
    "诉求内容",
    "诉求地址",
    "来电人",
    "联系电话",
    "诉求类型",
    "诉求性质",
    "紧急程度",
    "办理状态",
    "办结时间",
    "答复内容",
    "满意度",
]
TEMPLATE_ROWS = [
    [
        "12345-20260302-0001",
        "2026-03-02 09:30",
        "楼道堆物",
        "3号楼2单元楼道里堆满纸箱，挡住通道。",
        "魏家坡小区3号楼2单元",
        "张先生",
        "13800001111",
        "网格事件/楼道堆物",
        "投诉",
        "一般",
        "",
        "",
        "",
        "",
    ],
    [
        "12345-20260228-0107",
        "2026-02-28 15:05",
        "垃圾桶满溢无人清运",
        "小区东门垃圾桶满溢两天无人清运。",
        "魏家坡小区东门",
        "李女士",
        "13900002222",
        "网格事件/垃圾暴露",
        "投诉",
        "",
        "已办结",
        "2026-03-01 10:00",
        "已联系环卫公司清运，并增加东门清运频次。",
        "满意",
    ],
]


@login_required
@require_GET
def import_template(request):
    """The sheet to fill in: the headers the import reads without a mapping, two example
    rows (an open complaint, a case closed on the platform) and how to fill it in."""
    _require(request)
    from gridgov.web.sheet_import import template_response

    return template_response(
        title=gettext("12345 tickets"),
        columns=TEMPLATE_COLUMNS,
        rows=TEMPLATE_ROWS,
        widths=(22, 18, 20, 36, 24, 10, 14, 24, 10, 10, 10, 18, 36, 10),
        notes=[
            gettext("Only the first sheet is imported; replace the example rows with your own."),
            gettext(
                "受理时间 (received at): a date and time such as 2026-03-02 09:30. 诉求性质 "
                "(nature): 咨询, 求助, 投诉, 举报, 建议 or 表扬; a 求助 or 投诉 needs its 联系电话."
            ),
            gettext(
                "诉求类型 (category): the path 一级/二级/三级 as the 12345 platform writes it, "
                "or a category name found only once."
            ),
            gettext(
                "诉求地址 (address): as the caller gave it; it is matched to a building of your "
                "area. An address outside your area is refused."
            ),
            gettext(
                "工单编号 (the platform's number): one row per ticket. A file uploaded again is "
                "checked against the tickets imported before, so nothing is imported twice."
            ),
            gettext(
                "Cases already handled on the platform: 办理状态 (已办结, 待回访), 办结时间 and "
                "答复内容; 满意度 only for a closed case. Leave them empty for open cases."
            ),
        ],
        name="12345工单导入模板.xlsx",
        filename="tickets-import-template.xlsx",
    )


def _started(request, started):
    if started.done:  # no broker, and it ran in the request (GRIDGOV_IMPORT_IN_BACKGROUND)
        return _render_report(request, started.report, form=ImportForm())
    return redirect("tickets:import-status", task=started.task)


def _mapped(request):
    """The mapping table sent: check that it names the needed columns, then import."""
    found = imports.pending_upload(request.POST.get("map-token"), request.user)
    if found is None:
        return _gone(request)
    path, options = found
    headers, _recognised, missing = imports.header_choices(path)
    mapping_form = MappingForm(request.POST, headers=headers, prefix="map")
    if mapping_form.is_valid():
        mapping = mapping_form.mapping()
        try:
            imports.resolve_mapping(headers, mapping)
        except imports.ImportFormatError as exc:
            missing = str(exc)
        else:
            token = mapping_form.cleaned_data["token"]
            # Next week's export of the same platform has the same headers: its mapping
            # table comes filled in with these choices (it asked for all of them again).
            request.session[CHOSEN_KEY] = {f: h[0] for f, h in mapping.items() if h}
            started = imports.start_mapped_import(request.user, token, mapping, background=True)
            return _gone(request) if started is None else _started(request, started)
    return _render_mapping(request, mapping_form, missing, options.get("name", ""), status=400)


def _chosen_before(request, headers):
    """{field: header} of the user's last mapping (this session) for the headers this file
    has too."""
    chosen = request.session.get(CHOSEN_KEY) or {}
    present = set(headers)
    return {f: h for f, h in chosen.items() if f in imports.FIELDS and h in present}


def _gone(request):
    """The kept upload is not this user's, or was deleted (PENDING_HOURS) or imported."""
    context = {
        "form": ImportForm(),
        "section": "import",
        "upload_error": _("The uploaded file is no longer kept; upload it again."),
    }
    return render(request, "tickets/import.html", context, status=400)


def _render_mapping(request, mapping_form, missing, name, status=200):
    context = {
        "form": ImportForm(),
        "section": "import",
        "mapping_form": mapping_form,
        "missing": missing,
        "file_name": name,
        "needed": NEEDED,
    }
    return render(request, "tickets/import.html", context, status=status)


@login_required
@require_GET
def import_status(request, task):
    """The task's progress (htmx polls it) or, once done, its report."""
    _require(request)
    state = imports.import_state(task, request.user)
    if state is None:
        raise Http404  # not this user's import: its report may name callers
    if state.done:
        report = state.report or {"failed": True, "interrupted": state.interrupted}
        if request.headers.get("HX-Request"):
            return render(request, "tickets/_import_report.html", _report_context(report))
        return _render_report(request, report, form=ImportForm())
    context = {"task": task, "state": state.state}
    if state.progress:
        context["progress"] = state.progress
    template = "tickets/_import_progress.html"
    if not request.headers.get("HX-Request"):
        template = "tickets/import.html"
        context.update(form=ImportForm(), section="import", polling=True)
    return render(request, template, context)


def _report_context(report):
    errors = report.get("errors") or []
    columns = [(imports.field_label(f), h) for f, h in (report.get("mapping") or {}).items()]
    return {
        "report": report,
        "errors": errors[:SHOWN_ERRORS],
        "hidden": len(errors) > SHOWN_ERRORS,
        "columns": columns,
        # Carried in the link itself: an import run without a broker keeps no report.
        "errors_csv": quote(imports.errors_csv(errors)) if errors else "",
        # Every row of the file was imported before (nothing new, nothing else wrong): there
        # is nothing to correct ("correct them in the file" sent staff hunting through it).
        "all_imported_before": bool(errors)
        and report.get("already_imported") == report.get("error_count") == report.get("rows"),
        "imported_url": _imported_url(report),
    }


def _imported_url(report):
    """The area list filtered to what the import wrote: its channel and the days its rows
    were received (the list before: every ticket of the area, the new ones lost among
    them). "" when nothing was written."""
    if not report.get("created") or not report.get("first_day"):
        return ""
    query = {
        "channel": report.get("channel") or Channel.HOTLINE,
        "date_from": report["first_day"],
        "date_to": report["last_day"],
    }
    return f"{reverse('tickets:list')}?{urlencode(query)}"


def _render_report(request, report, form):
    context = {**_report_context(report), "form": form, "section": "import"}
    ok = report.get("ok") and not report.get("failed")
    return render(request, "tickets/import.html", context, status=200 if ok else 400)
