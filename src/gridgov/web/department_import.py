"""部门导入 page: the departments (职能部门) uploaded from the browser (people.department_import,
the same import as `gridgov departments import`), and the template sheet to fill in.
Superusers, and district staff for departments serving their district or its streets."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from gridgov.people import department_import
from gridgov.people.rules import department_import_guard

from . import sheet_import

TEMPLATE_COLUMNS = ["部门编码", "部门名称", "管辖区域编码", "联系电话"]
TEMPLATE_ROWS = [
    ["HX-CG", "河西区城市管理综合执法局", "HX", "010-12345678"],
    ["HX-ZJ", "河西区住房和城乡建设局", "HX", ""],
    ["HX-DQ-ZFD", "东桥街道综合执法队", "HX-DQ", ""],
]


def _check(user):
    # Without a place: may the user import at all (superuser, or district staff somewhere);
    # each row's area is then checked (department_import_guard).
    if not user.has_perm("people.import_departments"):
        raise PermissionDenied


@login_required
def department_import_page(request):
    _check(request.user)
    context = {"columns": TEMPLATE_COLUMNS, "limit_mb": settings.GRIDGOV_MAX_IMPORT_BYTES >> 20}
    if request.method == "POST":
        context.update(_upload(request))
    return render(request, "web/people/department_import.html", context)


def _upload(request):
    upload, dry_run, failure = sheet_import.upload(request)
    if failure:
        return {"failure": failure}
    try:
        report = department_import.import_departments(
            upload,
            name=upload.name,
            dry_run=dry_run,
            can_change=department_import_guard(request.user),
        )
    except department_import.ImportFormatError as exc:
        return {"failure": str(exc)}
    return {
        "report": report,
        "dry_run": dry_run,
        "problems": [(e.row, e.code, e.column, e.message) for e in report.errors],
        "changes": [(c.code, c.label, c.old, c.new) for c in report.changes],
    }


@login_required
def department_import_template(request):
    _check(request.user)
    return sheet_import.template_response(
        title=_("Departments"),
        columns=TEMPLATE_COLUMNS,
        rows=TEMPLATE_ROWS,
        widths=(14, 28, 14, 16),
        notes=[
            _("Only the first sheet is imported; replace the example rows with your own."),
            _("部门编码 (code): unique; staff lists name a department handler's department by it."),
            _(
                "管辖区域编码: the code of the district (区) or street (街道) the department serves "
                "(import the places first)."
            ),
            _("联系电话 (office phone) is optional; left empty, a phone entered before is kept."),
            _("Importing again updates the departments by their code; nothing is deleted."),
        ],
        name="部门导入模板.xlsx",
        filename="departments-template.xlsx",
    )
