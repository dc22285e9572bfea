"""部门导入: the departments (职能部门) tickets are routed to, from a CSV file or an
Excel sheet (.xlsx or .xls), instead of one at a time in the admin.

One row per department: 部门编码 (code), 部门名称 (name), 管辖区域编码 (the code of the
district or street it serves) and optionally 联系电话 (office phone). The whole file is
checked first; if any row has a problem nothing is written and every problem is listed
with its row and column. A code that exists already is updated to the sheet's name, area
and phone, each change listed in the report (an empty 联系电话 leaves the phone as it is).
Nothing is deleted.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core import sheets
from gridgov.core.phones import is_phone, same_phone
from gridgov.places.io import case_matches
from gridgov.places.models import Level, Place

from .imports import NOT_A_PHONE, did_you_mean, read_cells, read_table
from .models import Department

COLUMNS = ["code", "name", "place_code", "phone"]
REQUIRED = {"code", "name", "place_code"}
# The template's column names first: they name the columns in the report.
COLUMN_NAMES = {
    "部门编码": "code",
    "编码": "code",
    "部门名称": "name",
    "名称": "name",
    "部门": "name",
    "管辖区域编码": "place_code",
    "管辖区域": "place_code",
    "区域编码": "place_code",
    "地点编码": "place_code",
    "联系电话": "phone",
    "值班电话": "phone",
    "电话": "phone",
}
HEADERS = {v: k for k, v in reversed(COLUMN_NAMES.items())}
AREA_LEVELS = {Level.DISTRICT, Level.STREET}
FIELD_COLUMNS = {"name": "name", "place": "place_code", "phone": "phone"}


class ImportFormatError(ValueError):
    """The file is not a table of departments (unreadable, or a needed column is missing)."""


@dataclass
class Problem:
    row: int
    code: str
    field: str
    message: str

    @property
    def column(self):
        """The column as the template names it (部门编码 …)."""
        return HEADERS.get(self.field, self.field)


@dataclass
class Change:
    code: str
    field: str  # "name", "place" or "phone"
    old: str
    new: str

    @property
    def label(self):
        """The sheet's column the change came from, as the errors name theirs."""
        return HEADERS[FIELD_COLUMNS[self.field]]


@dataclass
class Report:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    written: bool = False


@dataclass
class Row:
    number: int
    code: str
    name: str
    place: Place
    phone: str


def _column(cell):
    text = sheets.text(cell)
    return COLUMN_NAMES.get(text.replace(" ", ""), text.lower())


def _place_label(place):
    return f"{place.name}（{place.code}）"


def read_rows(source, name=""):
    """(header fields, rows) of a path, bytes or file object."""
    return read_table(
        source,
        name,
        error=ImportFormatError,
        column=_column,
        columns=COLUMNS,
        required=REQUIRED,
        headers=HEADERS,
        needs=_("A department table needs the columns %(columns)s; missing: %(missing)s."),
    )


def check(header, rows, can_change=None):
    """([Row], [Problem]): every row read and checked against the database. `can_change`
    (a place -> bool) says whether the importer may put a department there."""
    cells = [(n, read_cells(header, cs, ("code", "place_code"))) for n, cs in rows]
    places = {
        p.code: p
        for p in Place.objects.filter(code__in={c.get("place_code") for _n, c in cells} - {""})
    }
    existing = {
        d.code: d
        for d in Department.objects.select_related("place").filter(
            code__in={c.get("code") for _n, c in cells} - {""}
        )
    }
    place_hints = case_matches(
        Place.objects.all(), {c.get("place_code") for _n, c in cells} - set(places)
    )
    # A new code differing only in case from a department's (cg beside CG) would silently
    # make a second one; codes stay case-sensitive, so it is refused naming the existing one.
    twins = case_matches(
        Department.objects.all(), {c.get("code") for _n, c in cells} - set(existing)
    )
    twin_names = dict(
        Department.objects.filter(code__in={t for ts in twins.values() for t in ts}).values_list(
            "code", "name"
        )
    )
    checked, problems, seen, seen_folded = [], [], {}, {}
    for number, raw in cells:
        code, name = raw.get("code", ""), raw.get("name", "")
        place_code, phone = raw.get("place_code", ""), raw.get("phone", "")
        found = []

        def bad(column, message, found=found):
            found.append((column, message))

        if not code:
            bad("code", _("The department code is missing."))
        elif len(code) > 64:
            bad("code", _("The department code is longer than 64 characters."))
        elif code in seen:
            bad(
                "code",
                _("The code %(code)s is on row %(row)s too.") % {"code": code, "row": seen[code]},
            )
        elif twins.get(code):
            bad(
                "code",
                _(
                    "The code %(code)s differs only in case from the existing department "
                    "%(department)s; codes are case-sensitive: write %(match)s to update it, "
                    "or choose another code."
                )
                % {
                    "code": code,
                    "department": sheets.listing(f"{t}（{twin_names[t]}）" for t in twins[code]),
                    "match": sheets.listing(twins[code]),
                },
            )
        elif code not in existing and seen_folded.get(code.lower(), (code,))[0] != code:
            other, row = seen_folded[code.lower()]
            bad(
                "code",
                _(
                    "The code %(code)s differs only in case from %(other)s on row %(row)s; "
                    "codes are case-sensitive: write one department's code the same way."
                )
                % {"code": code, "other": other, "row": row},
            )
        seen.setdefault(code, number)
        if code:
            seen_folded.setdefault(code.lower(), (code, number))
        if not name:
            bad("name", _("The department name is missing."))
        elif len(name) > 200:
            bad("name", _("The department name is longer than 200 characters."))
        place = places.get(place_code)
        if not place_code:
            bad("place_code", _("The code of the district or street it serves is missing."))
        elif place_hints.get(place_code):
            bad("place_code", did_you_mean("place_code", place_code, place_hints, HEADERS))
        elif place is None:
            bad(
                "place_code",
                _("No place has the code %(code)s; import the place tree first.")
                % {"code": place_code},
            )
        elif place.level not in AREA_LEVELS:
            bad(
                "place_code",
                _("%(place)s is a %(level)s; a department serves a district or a street.")
                % {"place": _place_label(place), "level": Level(place.level).label},
            )
        elif can_change is not None and not can_change(place):
            bad(
                "place_code",
                _("%(place)s is outside your area.") % {"place": _place_label(place)},
            )
        old = existing.get(code)
        if old is not None and can_change is not None and not can_change(old.place):
            bad(
                "code",
                _("Department %(code)s serves %(place)s, outside your area.")
                % {"code": code, "place": _place_label(old.place)},
            )
        if len(phone) > 32:
            bad("phone", _("The phone number is longer than 32 characters."))
        elif phone and not is_phone(phone):
            bad("phone", _(NOT_A_PHONE) % {"phone": phone})
        problems += [Problem(number, code, column, msg) for column, msg in found]
        if not found:
            checked.append(Row(number, code, name, place, phone))
    return checked, problems


def import_departments(
    source, *, name="", dry_run=False, can_change: Callable | None = None
) -> Report:
    """Check a department table and, if no row has a problem (and not `dry_run`), write it.
    `can_change(place)`: may the importer have a department serve `place` (None: anyone)."""
    header, rows = read_rows(source, name)
    checked, problems = check(header, rows, can_change)
    report = Report(total=len(rows), errors=problems)
    if problems:
        return report
    with transaction.atomic():
        existing = {
            d.code: d
            for d in Department.objects.select_related("place").filter(
                code__in={r.code for r in checked}
            )
        }
        for row in checked:
            department = existing.get(row.code)
            if department is None:
                report.created += 1
                if not dry_run:
                    Department.objects.create(
                        code=row.code, name=row.name, place=row.place, phone=row.phone
                    )
                continue
            changes = _changes(department, row)
            if not changes:
                report.unchanged += 1
                continue
            report.updated += 1
            report.changes += changes
            if not dry_run:
                department.name, department.place = row.name, row.place
                department.phone = _phone(department, row)
                department.save(update_fields=["name", "place", "phone"])
    report.written = not dry_run
    return report


def _changes(department, row):
    old = {
        "name": department.name,
        "place": _place_label(department.place),
        "phone": department.phone,
    }
    new = {
        "name": row.name,
        "place": _place_label(row.place),
        "phone": _phone(department, row),
    }
    return [
        Change(row.code, f, old[f], new[f]) for f in ("name", "place", "phone") if old[f] != new[f]
    ]


def _phone(department, row):
    """The phone to keep: the sheet's, unless it is empty or the stored number written
    otherwise (010-8888 1234 for 01088881234), which leaves what is stored."""
    if not row.phone or same_phone(row.phone, department.phone):
        return department.phone
    return row.phone
