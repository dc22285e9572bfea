"""Excel export of a filtered ticket list (openpyxl).

Requester names and phones, and the exact address, are masked on every row by default.
The address is personal data too (DESIGN §8: 3号楼2单元501室 names one household): a
masked row gives the building the ticket was resolved to (its own address, 魏家坡小区3栋,
else its name), which is what a street or community office works with (the office goes
to the building; the list pages show the same), and the typed address with every digit
starred (魏家坡小区*号楼*单元***室) when no building was found, so the road and compound
stay readable. An export "with
contacts" is for those holding `tickets.export_contacts` (whose work shows some caller
in full: NoContactsRight, a PermissionDenied, for anyone else) and states its purpose;
it shows a row in full only where the caller holds `tickets.view_requester` for that
ticket, and logs each of those tickets before the file is handed out, as a reveal on its
page is logged: one AccessLog row per ticket with the purpose and exactly the fields the
row shows in full (a caller without a phone does not log a phone), none for rows shown
masked, written in one bulk insert: no log, no data (DESIGN §8). A list of hundreds
of callers' phones is more than the one-ticket reveal on a ticket's page, so it is
never the default.

The title, often the caller's own words, is written as the user reads it on the pages
(requester_text.text_for): as typed on the rows of tickets their unit holds, scrubbed of
phones, ID and room numbers and the caller's name on the others; with contacts or not.

Whatever a caller or a user typed is written as text, never as a formula: openpyxl writes
a string beginning with "=" as a formula, and Excel and WPS take a cell beginning with
= + - @ (or a tab or line break before them) for one when it is edited or pasted on, so a
title like =HYPERLINK("http://…?"&Q2,"详情") would send the row's phone number out. Such
cells are typed text with Excel's quote prefix (shown as typed, kept text when edited);
their values stay exactly as they were, for the import.

Column headers are Chinese and fixed: the sheet is an exchange format (12345
platforms, the import command), so it does not follow the UI language. Values
use the same Chinese labels as the screens.
"""

import io

from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from gridgov.core import sheets
from gridgov.people.masking import mask_name, mask_phone
from gridgov.people.models import AccessLog
from gridgov.people.personal_data import holds_something, log_accesses

from . import requester_text, sla
from .models import Channel, Nature, Status, Ticket

# openpyxl without lxml wrote about 500 rows a second here (676 rows in 1.3 s on the
# demo); a bigger export belongs to a background job, not to one request.
MAX_ROWS = 20_000
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Short, as 12345 exports write them and the import reads them (imports.URGENCIES);
# the screens' labels explain more (紧急（生命财产安全）).
URGENCIES = {"emergency": "紧急", "utility": "水电气热", "general": "一般", "complex": "复杂"}
OVERDUE = {None: "否", "accept": "签收超期", "respond": "响应超期", "resolve": "办结超期"}

# (header, width)
COLUMNS = [
    ("工单编号", 20),
    ("受理时间", 18),
    ("渠道", 12),
    ("诉求性质", 10),
    ("紧急程度", 10),
    ("分类", 30),
    ("标题", 30),
    ("地址", 30),
    ("所属网格", 16),
    ("承办单位", 18),
    ("状态", 10),
    ("签收时限", 18),
    ("响应时限", 18),
    ("办结时限", 18),
    ("是否超期", 10),
    ("诉求人", 10),
    ("联系电话", 16),
]
# What a row "in full" may show: Ticket's personal fields (name, phone, the exact address).
PERSONAL_FIELDS = list(Ticket.PERSONAL_DATA_FIELDS)


def shown_in_full(ticket):
    """The personal fields a row in full shows as they are, as _row writes them: those
    holding something, but not an anonymous caller's name (the cell says 匿名)."""
    return [
        name
        for name in PERSONAL_FIELDS
        if holds_something(getattr(ticket, name))
        and not (name == "requester_name" and ticket.anonymous)
    ]


# A cell beginning with one of these is a formula to Excel and WPS once it is edited.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def looks_like_formula(value):
    """Would Excel or WPS take this value for a formula (once the cell is edited)?"""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_text(value):
    """A value for a CSV file opened in Excel or WPS: text that would be read as a formula
    gets a leading apostrophe (CSV has no typed text cells; Excel hides the apostrophe
    and keeps the rest as text). Other values unchanged."""
    return "'" + value if looks_like_formula(value) else value


def _text_cells(sheet, values):
    """The row's values, with text that could be read as a formula as typed text cells.

    Control characters a worksheet cannot hold (a vertical tab or form feed pasted from
    Word with a title; openpyxl raises IllegalCharacterError for them, which failed the
    whole export) are dropped first."""
    row = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if looks_like_formula(value):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # openpyxl made "=…" a formula
            cell.quotePrefix = True
            value = cell
        row.append(value)
    return row


class TooManyRows(Exception):
    def __init__(self, count):
        super().__init__(count)
        self.count = count


def _local(value):
    # Excel has no time zones: write Beijing time without an offset.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _labels():
    """{choices class: {value: Chinese label}}: the screens' words, whatever the UI language."""
    with translation.override("zh-hans"):
        return {c: {v: str(label) for v, label in c.choices} for c in (Channel, Nature, Status)}


def _address(ticket, full):
    """The 地址 cell: in full, as given; masked, Ticket.masked_address."""
    if full and ticket.address:
        return ticket.address
    return ticket.masked_address()


def _row(ticket, now, full, labels, shown=requester_text.as_written):
    owner = ticket.owner_department or ticket.owner_place
    if full:
        name, phone = ticket.requester_name, ticket.requester_phone
    else:
        name, phone = mask_name(ticket.requester_name), mask_phone(ticket.requester_phone)
    return [
        ticket.code,
        _local(ticket.created_at),
        labels[Channel].get(ticket.channel, ticket.channel),
        labels[Nature].get(ticket.nature, ticket.nature),
        URGENCIES.get(ticket.urgency, ticket.urgency),
        ticket.category.full_name if ticket.category else "",
        shown(ticket.title),
        _address(ticket, full),
        ticket.grid.name if ticket.grid else "",
        owner.name if owner else "",
        labels[Status].get(ticket.status, ticket.status),
        _local(ticket.accept_by),
        _local(ticket.respond_by),
        _local(ticket.resolve_by),
        OVERDUE[sla.overdue_stage(ticket, now)],
        "匿名" if ticket.anonymous else name,
        phone,
    ]


def build_workbook(tickets, user, now=None, contacts=False, about=()):
    """(xlsx bytes, [(ticket, fields shown in full)] of the rows not masked: none without
    `contacts`). `about`: [(item, value)] for a second sheet, 导出说明."""
    now = now or timezone.now()
    labels = _labels()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("诉求工单")
    for index, (_header, width) in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title, _width in COLUMNS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    revealed = []
    for ticket in tickets:
        has_data = ticket.has_personal_data
        full = contacts and has_data and user.has_perm(Ticket.PERSONAL_DATA_PERM, ticket)
        if full:
            revealed.append((ticket, shown_in_full(ticket)))
        shown = requester_text.text_for(user, ticket)
        sheet.append(_text_cells(sheet, _row(ticket, now, full, labels, shown)))
    if about:
        # After the tickets' sheet, which stays the first (the import reads that one).
        notes = workbook.create_sheet("导出说明")
        notes.column_dimensions["A"].width = 16
        notes.column_dimensions["B"].width = 60
        for item, value in about:
            notes.append(_text_cells(notes, [item, value]))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), revealed


class NoPurpose(Exception):
    """An export with contacts was asked for without saying what for."""


class NoContactsRight(PermissionDenied):
    """An export with contacts was asked for by someone without `tickets.export_contacts`."""


def export_tickets(
    queryset,
    user,
    request=None,
    now=None,
    channel=AccessLog.Channel.API_EXPORT,
    purpose=None,
    filters=None,
):
    """Build the workbook for a filtered queryset; bytes.

    With a `purpose` (the export "with contacts", `tickets.export_contacts`: else
    NoContactsRight), requesters the user may see are in full, and those rows are logged
    with it; without one, every row is masked. `filters`, [(name, value)] of the list's
    filters as shown, go on the 导出说明 sheet with who exported what and when: a file
    passed on said nothing of the list it came from.
    """
    if purpose is not None:
        if not user.has_perm("tickets.export_contacts"):
            raise NoContactsRight
        purpose = purpose.strip()[:200]
        if not purpose:
            raise NoPurpose
    queryset = queryset.select_related(
        "category__parent__parent", "place", "building", "grid", "owner_place", "owner_department"
    )
    tickets = list(queryset[: MAX_ROWS + 1])
    if len(tickets) > MAX_ROWS:
        raise TooManyRows(MAX_ROWS)
    about = _about(user, now, len(tickets), purpose, filters)
    content, revealed = build_workbook(
        tickets, user, now, contacts=purpose is not None, about=about
    )
    # Each ticket's row is placed where the ticket is (else with its owner), so the
    # auditors of its area see it, as they see a reveal on its page.
    log_accesses(
        user,
        [(ticket, fields, ticket.place or ticket.owner_place) for ticket, fields in revealed],
        channel,
        request,
        purpose,
    )
    return content


def _about(user, now, count, purpose, filters):
    """The 导出说明 sheet's rows, in Chinese as the tickets' sheet."""
    about = [
        ("导出时间", f"{timezone.localtime(now or timezone.now()):%Y-%m-%d %H:%M}"),
        ("导出人", user.get_full_name() or user.get_username()),
        ("工单数", count),
        (
            "诉求人信息",
            "姓名、电话和门牌已脱敏"
            if purpose is None
            else f"含联系方式（仅导出人有权查看的工单；用途：{purpose}）",
        ),
    ]
    if filters is not None:
        about += [("筛选条件", f"{label}：{value}") for label, value in filters] or [
            ("筛选条件", "无（导出人辖区内全部工单）")
        ]
    return about


def content_disposition(now=None):
    """The download's name: 工单-辖区-2026-11-29.xlsx, as a street office files it (the
    list is 辖区工单), tickets-2026-11-29.xlsx for clients without RFC 5987."""
    day = f"{timezone.localtime(now or timezone.now()):%Y-%m-%d}"
    return sheets.attachment(f"工单-辖区-{day}.xlsx", f"tickets-{day}.xlsx")
