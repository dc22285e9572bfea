"""The 12345 import page: upload an export, follow the task, read the report (every bad row,
or what was imported). The import itself is imports.py's, started and followed there
(`start_import`, `import_state`: only the user who started an import reads its report).

When the file's headers do not name every column the import needs, the upload is kept
(`imports.keep_for_mapping`) and the page asks which column holds each field, prefilled
with what was recognised; the import then runs with that mapping, as `--mapping` does."""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from . import imports
from .forms import ImportForm, MappingForm
from .models import Channel

SHOWN_ERRORS = 200
# Fields the mapping table marks as needed (and the "one of" groups its hint names).
NEEDED = ("created_at", "nature", "category")


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
                mapping_form = MappingForm(
                    headers=headers, prefix="map", initial={"token": token, **recognised}
                )
                return _render_mapping(request, mapping_form, missing, upload.name)
            return _started(request, imports.start_import(request.user, upload, **options))
        status = 400
    else:
        form = ImportForm()
    return render(
        request, "tickets/import.html", {"form": form, "section": "import"}, status=status
    )


def _started(request, started):
    if started.done:  # no broker: it ran here
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
            started = imports.start_mapped_import(request.user, token, mapping)
            return _gone(request) if started is None else _started(request, started)
    return _render_mapping(request, mapping_form, missing, options.get("name", ""), status=400)


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
        report = state.report or {"failed": True}
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
    }


def _render_report(request, report, form):
    context = {**_report_context(report), "form": form, "section": "import"}
    ok = report.get("ok") and not report.get("failed")
    return render(request, "tickets/import.html", context, status=200 if ok else 400)
