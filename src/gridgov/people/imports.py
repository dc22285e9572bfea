"""人员导入: the street's list of staff logins with their roles, from a CSV file or an
Excel sheet (.xlsx or .xls) — grid workers, community and street staff, hotline operators,
department handlers.

One row per role: 登录名 (username), 姓名 (name), 电话 (phone), 角色 (role: 网格员 or
grid_worker …), 地点编码 (place_code) or, for a department handler, 部门编码
(department_code). A login with two roles takes two rows. The whole file is checked
first; if any row has a problem nothing is written and every problem is listed with its
row. New logins get a person record at the role's place and an initial password, which
the report holds for handing out (they must change it at /password/ on their first
sign-in, people.passwords). Existing logins keep their password, and roles they hold
already are left as they are; their name and phone are brought up to the sheet's, each
change listed in the report (an empty 电话 leaves the phone as it is: a list without
phones does not wipe them).
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.core import sheets
from gridgov.core.phones import is_phone, same_phone
from gridgov.places.io import as_code, case_matches
from gridgov.places.models import Place

from . import passwords
from .models import Department, InitialPassword, Person, Role, RoleAssignment

COLUMNS = ["username", "name", "phone", "role", "place_code", "department_code"]
REQUIRED = {"username", "name", "role"}
COLUMN_NAMES = {
    "登录名": "username",
    "账号": "username",
    "用户名": "username",
    "姓名": "name",
    "电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "角色": "role",
    "地点编码": "place_code",
    "网格编码": "place_code",
    "部门编码": "department_code",
}
# The template's column names (the first of each above): they name the columns in the report,
# as the departments import's do.
HEADERS = {v: k for k, v in reversed(COLUMN_NAMES.items())}
# Other words offices use for a role, besides its key and its Chinese and English labels.
ROLE_NAMES = {
    "热线坐席": Role.HOTLINE_OPERATOR,
    "12345热线坐席": Role.HOTLINE_OPERATOR,
    "社区工作人员": Role.COMMUNITY_STAFF,
    "区工作人员": Role.DISTRICT_STAFF,
    "承办人": Role.DEPARTMENT_HANDLER,
    "专职网格员": Role.GRID_WORKER,
}


# 暂无 or 见备注 written where a sheet has no number: nobody could call it, and the login
# would keep it as its phone.
NOT_A_PHONE = gettext_noop(
    "%(phone)s is not a phone number: 7 to 15 digits (spaces, dashes and brackets "
    "allowed); leave it empty when there is none."
)


# Columns holding codes, read half-width (places.io.as_code).
CODE_COLUMNS = ("place_code", "department_code")


def read_cells(header, cells, code_columns):
    """A row as {column: text}, the codes in `code_columns` made half-width."""
    row = dict(zip(header, (sheets.text(c) for c in cells), strict=False))
    for column in code_columns:
        if column in row:
            row[column] = as_code(row[column])
    return row


class ImportFormatError(ValueError):
    """The file is not a table of staff (unreadable, or a needed column is missing)."""


@dataclass
class Problem:
    row: int
    username: str
    field: str
    message: str

    @property
    def column(self):
        """The column as the template names it (登录名 …)."""
        return HEADERS.get(self.field, self.field)


@dataclass
class Change:
    username: str
    field: str  # "name" or "phone"
    old: str
    new: str

    @property
    def label(self):
        """The sheet's column the change came from, as the problems name theirs."""
        return HEADERS[self.field]


@dataclass
class Report:
    total: int = 0
    logins_created: int = 0
    # Existing logins whose name or phone the sheet changed, and each change.
    logins_updated: int = 0
    changes: list = field(default_factory=list)
    roles_created: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    # (username, initial password) of the logins created, to hand out.
    passwords: list = field(default_factory=list)
    written: bool = False


@dataclass
class Row:
    number: int
    username: str
    name: str
    phone: str
    role: str
    place: Place | None
    department: Department | None


def _column(cell):
    text = sheets.text(cell)
    return COLUMN_NAMES.get(text, text.lower())


def _role_names():
    names = {r.value: r.value for r in Role}
    names.update({str(r.label).lower(): r.value for r in Role})
    with translation.override("zh-hans"):
        names.update({str(r.label).replace(" ", ""): r.value for r in Role})
    names.update(ROLE_NAMES)
    return names


def read_table(source, name, *, error, column, columns, required, headers, needs):
    """(header fields, rows) of a path, bytes or file object, for the staff and the
    departments imports: `column(cell)` reads a header cell as a field, and a missing
    `required` field raises `error` with `needs` (its %(columns)s and %(missing)s named as
    `headers` names them, in the order of `columns`)."""
    rows = sheets.read(
        source,
        name,
        error,
        _("The file is neither an Excel workbook (.xlsx, .xls) nor CSV text."),
    )
    header, rows = sheets.header(rows, column, required)
    missing = [c for c in columns if c in required and c not in header]
    if missing:
        raise error(
            needs
            % {
                "columns": sheets.listing(headers[c] for c in columns if c in required),
                "missing": sheets.listing(headers[c] for c in missing),
            }
        )
    return header, rows


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
        needs=_("A staff table needs the columns %(columns)s; missing: %(missing)s."),
    )


def check(header, rows):
    """([Row], [Problem]): every row read and checked against the database."""
    roles = _role_names()
    cells = [(n, read_cells(header, cs, CODE_COLUMNS)) for n, cs in rows]
    places = {
        p.code: p
        for p in Place.objects.filter(code__in={c.get("place_code") for _n, c in cells} - {""})
    }
    departments = {
        d.code: d
        for d in Department.objects.select_related("place").filter(
            code__in={c.get("department_code") for _n, c in cells} - {""}
        )
    }
    # Codes differing only in case from one not found: named as a hint, never taken for it.
    place_hints = case_matches(
        Place.objects.all(), {c.get("place_code") for _n, c in cells} - set(places)
    )
    department_hints = case_matches(
        Department.objects.all(), {c.get("department_code") for _n, c in cells} - set(departments)
    )
    checked, problems, seen, names = [], [], {}, {}
    validate_username = UnicodeUsernameValidator()
    for number, raw in cells:
        username, name = raw.get("username", ""), raw.get("name", "")
        phone, role_text = raw.get("phone", ""), raw.get("role", "")
        place_code, dept_code = raw.get("place_code", ""), raw.get("department_code", "")
        found = []

        def bad(column, message, found=found):
            found.append((column, message))

        if not username:
            bad("username", _("The login name is missing."))
        else:
            try:
                validate_username(username)
            except ValidationError:
                bad(
                    "username",
                    _("A login name may use letters, digits and @ . + - _ only: %(name)s")
                    % {"name": username},
                )
        if not name:
            bad("name", _("The person's name is missing."))
        elif names.setdefault(username, name) != name:
            bad(
                "name",
                _("Login %(login)s has another name on an earlier row.") % {"login": username},
            )
        if len(phone) > 32:
            bad("phone", _("The phone number is longer than 32 characters."))
        elif phone and not is_phone(phone):
            bad("phone", _(NOT_A_PHONE) % {"phone": phone})
        role = roles.get(role_text.replace(" ", "").lower()) or roles.get(role_text)
        if not role:
            bad(
                "role",
                _("Unknown role %(role)s; use one of %(roles)s.")
                % {"role": role_text or "—", "roles": "、".join(str(r.label) for r in Role)},
            )
        place = department = None
        if role == Role.DEPARTMENT_HANDLER:
            department = departments.get(dept_code)
            if not dept_code:
                bad("department_code", _("A department handler needs a department code."))
            elif department_hints.get(dept_code):
                bad("department_code", did_you_mean("department_code", dept_code, department_hints))
            elif department is None:
                bad(
                    "department_code",
                    _(
                        "No department has the code %(code)s; import the departments first "
                        "(导入部门: /people/departments/import/ or gridgov departments import)."
                    )
                    % {"code": dept_code},
                )
        elif role:
            place = places.get(place_code)
            if not place_code:
                bad("place_code", _("This role needs a place code."))
            elif place_hints.get(place_code):
                bad("place_code", did_you_mean("place_code", place_code, place_hints))
            elif place is None:
                bad(
                    "place_code",
                    _("No place has the code %(code)s; import the place tree first.")
                    % {"code": place_code},
                )
            else:
                try:
                    RoleAssignment(role=role, place=place).clean()
                except ValidationError as exc:
                    bad("place_code", " ".join(exc.messages))
        key = (username, role, dept_code if role == Role.DEPARTMENT_HANDLER else place_code)
        if role and key in seen:
            bad("role", _("The same role is given on row %(row)s.") % {"row": seen[key]})
        seen.setdefault(key, number)
        problems += [Problem(number, username, column, msg) for column, msg in found]
        if not found:
            checked.append(Row(number, username, name, phone, role, place, department))
    return checked, problems


def did_you_mean(column, code, hints, headers=HEADERS):
    """未找到地点编码 g1；是否为 G1？: a code not found, with those differing only in case."""
    return _(
        "%(column)s %(code)s not found; did you mean %(match)s? (Codes are case-sensitive.)"
    ) % {"column": headers[column], "code": code, "match": sheets.listing(hints[code])}


def import_staff(source, *, name="", dry_run=False):
    """Check a staff table and, if no row has a problem (and not `dry_run`), write it."""
    header, rows = read_rows(source, name)
    checked, problems = check(header, rows)
    report = Report(total=len(rows), errors=problems)
    if problems:
        return report
    User = get_user_model()
    with transaction.atomic():
        users = {
            u.username: u for u in User.objects.filter(username__in={r.username for r in checked})
        }
        held = set(
            RoleAssignment.objects.filter(user__in=users.values()).values_list(
                "user__username", "role", "place_id", "department_id"
            )
        )
        _update_existing(checked, users, report, dry_run)
        for row in checked:
            user = users.get(row.username)
            if user is None:
                password = passwords.new_password()
                report.passwords.append((row.username, password))
                report.logins_created += 1
                if not dry_run:
                    # The name greets them and signs their work in timelines (get_full_name).
                    user = User.objects.create_user(
                        row.username, password=password, first_name=row.name[:150]
                    )
                    passwords.require_change(user, InitialPassword.Reason.IMPORT)
                    Person.objects.create(
                        user=user,
                        name=row.name,
                        phone=row.phone,
                        place=row.place or row.department.place,
                    )
                users[row.username] = user or row.username
            key = (
                row.username,
                row.role,
                row.place.pk if row.place else None,
                row.department.pk if row.department else None,
            )
            if key in held:
                report.unchanged += 1
                continue
            held.add(key)
            report.roles_created += 1
            if not dry_run:
                RoleAssignment.objects.create(
                    user=user, role=row.role, place=row.place, department=row.department
                )
    report.written = not dry_run
    return report


def _update_existing(checked, users, report, dry_run):
    """Bring the name and phone of logins that exist already up to the sheet's."""
    wanted = {}  # username -> [name, phone, first row]: the phone of its first row with one
    for row in checked:
        entry = wanted.setdefault(row.username, [row.name, row.phone, row])
        entry[1] = entry[1] or row.phone
    persons = {p.user_id: p for p in Person.objects.filter(user__in=users.values())}
    for username, (name, phone, row) in wanted.items():
        user = users.get(username)
        if user is None:
            continue
        person = persons.get(user.pk)
        old = {"name": person.name if person else "", "phone": person.phone if person else ""}
        # The same number written otherwise (spaces, dashes) is no change: what is stored stays.
        keep = not phone or same_phone(phone, old["phone"])
        new = {"name": name, "phone": old["phone"] if keep else phone}
        changes = [
            Change(username, f, old[f], new[f]) for f in ("name", "phone") if old[f] != new[f]
        ]
        if not changes:
            continue
        report.logins_updated += 1
        report.changes += changes
        if dry_run:
            continue
        if person is None:
            # A login made in the admin has no person record yet: it gets one, as a new login.
            Person.objects.create(user=user, place=row.place or row.department.place, **new)
        else:
            person.name, person.phone = new["name"], new["phone"]
            person.save(update_fields=["name", "phone", "updated_at"])
        if user.first_name != name[:150]:
            user.first_name = name[:150]
            user.save(update_fields=["first_name"])
