"""The 12345 import page: upload an export, follow the task, read the report (every bad row,
or what was imported). The import itself is imports.py's, run by tasks.import_task."""

import uuid

from celery.result import AsyncResult
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from . import imports
from .forms import ImportForm
from .models import Channel
from .tasks import import_task

SESSION_KEY = "gridgov.imports"  # the tasks this session started: only it reads their reports
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
            saved = imports.save_upload(form.cleaned_data["file"], settings.DATA_DIR)
            result = import_task.delay(
                str(saved),
                None,
                form.cleaned_data["channel"] or Channel.HOTLINE,
                request.user.pk,
                True,
                form.cleaned_data["dry_run"],
            )
            if result.ready():  # no broker: it ran here
                return _render_report(request, result.get(), form=ImportForm())
            request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-9:], result.id]
            return redirect("tickets:import-status", task=result.id)
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
    try:
        uuid.UUID(task)
    except ValueError:
        raise Http404 from None
    if task not in request.session.get(SESSION_KEY, []):
        raise Http404  # another session's import: its report may name callers
    result = AsyncResult(task)
    if result.ready():
        report = result.result if result.successful() else {"failed": True}
        if request.headers.get("HX-Request"):
            return render(request, "tickets/_import_report.html", _report_context(report))
        return _render_report(request, report, form=ImportForm())
    context = {"task": task, "state": result.state}
    if result.state == "PROGRESS" and isinstance(result.info, dict):
        context["progress"] = result.info
    template = "tickets/_import_progress.html"
    if not request.headers.get("HX-Request"):
        template = "tickets/import.html"
        context.update(form=ImportForm(), section="import", polling=True)
    return render(request, template, context)


def _report_context(report):
    errors = report.get("errors") or []
    return {"report": report, "errors": errors[:SHOWN_ERRORS], "hidden": len(errors) > SHOWN_ERRORS}


def _render_report(request, report, form):
    context = {**_report_context(report), "form": form, "section": "import"}
    ok = report.get("ok") and not report.get("failed")
    return render(request, "tickets/import.html", context, status=200 if ok else 400)
