"""人员导入 page: the street's staff list uploaded from the browser (people.imports, the
same import as `gridgov people import`), and the template sheet to fill in. The initial
passwords of new logins are shown once, on the answer to the upload."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from gridgov.people import imports
from gridgov.people.models import Role

from . import sheet_import

TEMPLATE_COLUMNS = ["登录名", "姓名", "电话", "角色", "地点编码", "部门编码"]
TEMPLATE_ROWS = [
    ["ly-wang", "王芳", "13800001111", "网格员", "HX-DQ-LY-01", ""],
    ["ly-li", "李强", "13800002222", "社区工作者", "HX-DQ-LY", ""],
    ["dq-sun", "孙丽", "13800003333", "12345 热线坐席", "HX-DQ", ""],
    ["cg-zhao", "赵敏", "", "部门承办人", "", "HX-CG"],  # the departments template's first
]


def _check(user):
    if not user.has_perm("people.import_staff"):
        raise PermissionDenied


@login_required
def staff_import(request):
    _check(request.user)
    context = {"columns": TEMPLATE_COLUMNS, "roles": [r.label for r in Role]}
    if request.method == "POST":
        context.update(_upload(request))
    response = render(request, "web/people/import.html", context)
    add_never_cache_headers(response)  # it may hold initial passwords
    return response


def _upload(request):
    upload, dry_run, failure = sheet_import.upload(request)
    if failure:
        return {"failure": failure}
    try:
        report = imports.import_staff(upload, name=upload.name, dry_run=dry_run)
    except imports.ImportFormatError as exc:
        return {"failure": str(exc)}
    return {
        "report": report,
        "dry_run": dry_run,
        "problems": [(e.row, e.username, e.column, e.message) for e in report.errors],
        "changes": [(c.username, c.label, c.old, c.new) for c in report.changes],
    }


@login_required
def staff_import_template(request):
    _check(request.user)
    return sheet_import.template_response(
        title=_("Staff"),
        columns=TEMPLATE_COLUMNS,
        rows=TEMPLATE_ROWS,
        widths=(14, 10, 16, 16, 18, 12),
        notes=[
            _("Only the first sheet is imported; replace the example rows with your own."),
            _("One row per role; a login with two roles takes two rows with the same 登录名."),
            _("角色 (role): one of %(roles)s.") % {"roles": "、".join(str(r.label) for r in Role)},
            _(
                "地点编码: the code of the place of the role (import the places first); 部门编码: "
                "for a 部门承办人, the code of the department (import the departments first: "
                "导入部门)."
            ),
            _("New logins get an initial password, shown once after the import."),
        ],
        name="人员导入模板.xlsx",
        filename="staff-template.xlsx",
    )
