"""The 12345 import page: upload an export, follow the task, read the report (every bad row,
or what was imported). The import itself is imports.py's, started and followed there
(`start_import`, `import_state`: only the user who started an import reads its report)."""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from . import imports
from .forms import ImportForm
from .models import Channel

SHOWN_ERRORS = 200


def _require(request):
    if not request.user.has_perm("tickets.import_tickets"):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    _require(request)
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            started = imports.start_import(
                request.user,
                form.cleaned_data["file"],
                channel=form.cleaned_data["channel"] or Channel.HOTLINE,
                dry_run=form.cleaned_data["dry_run"],
                skip_imported=form.cleaned_data["skip_imported"],
            )
            if started.done:  # no broker: it ran here
                return _render_report(request, started.report, form=ImportForm())
            return redirect("tickets:import-status", task=started.task)
        status = 400
    else:
        form = ImportForm()
    return render(
        request, "tickets/import.html", {"form": form, "section": "import"}, status=status
    )


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
