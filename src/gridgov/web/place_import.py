"""地点导入 page: a street's place sheet uploaded from the browser, checked row by row
(places.io, the same import as `gridgov places import` and the API), and the template
sheet to fill in."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from gridgov.places import io as places_io
from gridgov.places.rules import import_guard

from . import sheet_import

# The template's columns: the Chinese names the import reads (places.io.COLUMN_NAMES).
TEMPLATE_COLUMNS = ["编码", "名称", "层级", "上级编码", "纬度", "经度", "地址", "别名", "边界"]
TEMPLATE_ROWS = [
    ["HX", "河西区", "区", "", "", "", "", "", ""],
    ["HX-DQ", "东桥街道", "街道", "HX", "", "", "", "", ""],
    ["HX-DQ-LY", "柳荫社区", "社区", "HX-DQ", "", "", "", "", ""],
    ["HX-DQ-LY-01", "柳荫一网格", "网格", "HX-DQ-LY", "", "", "", "柳荫里", ""],
    ["HX-DQ-LY-01-01", "1号楼", "楼栋", "HX-DQ-LY-01", 39.91, 116.40, "柳荫里1号楼", "", ""],
]


def _may_import(user):
    # With no place, the perm holds for superusers and district/street staff; each row is
    # then checked against the importer's area (import_guard).
    return user.has_perm("places.add_place")


@login_required
def place_import(request):
    if not _may_import(request.user):
        raise PermissionDenied
    context = {"columns": TEMPLATE_COLUMNS, "limit_mb": settings.GRIDGOV_MAX_IMPORT_BYTES >> 20}
    if request.method == "POST":
        context.update(_check_upload(request))
    return render(request, "web/places/import.html", context)


def _check_upload(request):
    upload, dry_run, failure = sheet_import.upload(request)
    if failure:
        return {"failure": failure}
    try:
        report = places_io.import_places(
            upload, can_change=import_guard(request.user), dry_run=dry_run
        )
    except places_io.ImportFormatError as exc:
        return {"failure": str(exc), "file_name": upload.name}
    except places_io.ImportConflict:
        return {
            "failure": _("Someone changed the places meanwhile; nothing was written. Try again.")
        }
    return {
        "report": report,
        "dry_run": dry_run,
        "file_name": upload.name,
        "problems": [
            (e.row, e.code, e.column, e.message) for e in [*report.errors, *report.forbidden]
        ],
        "warnings": [(e.row, e.code, e.column, e.message) for e in report.warnings],
    }


@login_required
def place_import_template(request):
    """The sheet to fill in: the header the import reads and a worked example."""
    if not _may_import(request.user):
        raise PermissionDenied
    return sheet_import.template_response(
        title=_("Places"),
        columns=TEMPLATE_COLUMNS,
        rows=TEMPLATE_ROWS,
        widths=(18, 14, 8, 16, 10, 10, 18, 14, 30),
        notes=_template_notes(),
        name="地点导入模板.xlsx",
        filename="places-template.xlsx",
    )


def _template_notes():
    return [
        _("Only the first sheet is imported; replace the example rows with your own."),
        _("编码 (code): letters, digits, '-', '_' and '.'; unique; it identifies the place."),
        _(
            "层级 (level): 区, 街道, 社区, 网格 or 楼栋; 上级编码: the code of the place one level up."
        ),
        _("纬度/经度 (lat/lng): a building's position in WGS84 (GPS), optional."),
        _("地址, 别名 (address, aliases; ';' between aliases): how callers name the place."),
        _(
            "边界 (boundary): a grid's GeoJSON polygon, optional; needed to place reports by position."
        ),
        _("Importing again updates the places by their code; nothing is deleted."),
    ]
