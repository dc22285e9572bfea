"""Import tickets from a 12345 platform export: CSV or Excel, all or nothing.

`gridgov tickets import FILE [--mapping JSON] [--channel hotline]` and the
`tickets.import` Celery task call `import_file`. An upload (the import page,
`POST /api/v1/imports/tickets/`) is started with `start_import`, which runs that
task for the user, and followed with `import_state`, which answers only that user:
the report names callers (a bad row's phone, the mapping of their columns).

1. Read the table (CSV in UTF-8 or GB18030, tab-separated text in UTF-16, or the
   first sheet of an .xlsx or .xls), find its header row (below any title lines)
   and map its headers to ticket fields: DEFAULT_MAPPING knows the usual 12345
   headers (工单编号, 受理时间, 诉求标题, 诉求内容, 诉求地址, 来电人, 联系电话,
   诉求类型/分类, 诉求性质 …); `mapping` ({field: header or [headers]}) overrides it.
2. Validate every row before writing anything: date and time, nature, category
   (code, full path 一级/二级/三级 or unambiguous name), urgency, location (a
   place code, coordinates inside the area, or an address — resolved to a
   building when possible, else kept as text and left at the dispatch desk),
   phone format, lengths, duplicate 工单编号 in the file or already imported.
   Every problem is reported as (row, column, message); if there is any, nothing
   is written. A row with bad cells is still checked for being imported before and
   for where its coordinates are, so the one report lists all its problems; with
   skip_imported a row imported before is left out first, whatever else it says.
3. Otherwise insert in one transaction: routes and deadlines computed once per
   (category, place) and (urgency, category, day), codes reserved one block per
   day (intake.next_codes), tickets and their `create` + `dispatch` events with
   bulk_create in batches. Imported tickets send no per-ticket notification; the
   sweep's reminders cover their deadlines.

On PostgreSQL steps 2 and 3 overlap in that one transaction (Importer.import_streamed):
each chunk of rows is checked and built while a thread COPYs the chunk before, its
foreign keys checked as it goes; a bad row stops the writing, every row is still checked,
and the transaction is rolled back — all or nothing, with the full report, as before.
"""

import contextlib
import csv
import datetime as dt
import io
import itertools
import json
import logging
import os
import queue
import re
import secrets
import threading
import time
import uuid
import zipfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from celery import states
from django.conf import settings
from django.core import signing
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from gridgov.core import sheets, textfiles, versions
from gridgov.core.phones import is_phone
from gridgov.places import addresses, geo
from gridgov.places.models import Level, Place

from . import intake, lifecycle, routing, sla
from .exports import csv_text
from .models import (
    Callback,
    Category,
    Channel,
    Nature,
    RoutingRule,
    Satisfaction,
    Status,
    Ticket,
    TicketEvent,
    TimeLimit,
    Urgency,
)
from .workdays import WorkCalendar

BATCH = 2000
CHUNK = 5000  # rows built while the chunk before is written (PostgreSQL: _CopyWriter)
DEFAULT_MAPPING = {
    "external_id": ["工单编号", "工单号", "编号", "受理编号"],
    "created_at": ["受理时间", "来电时间", "登记时间", "创建时间", "诉求时间"],
    "title": ["诉求标题", "标题", "工单标题", "主题"],
    "description": ["诉求内容", "内容", "问题描述", "来电内容", "诉求描述"],
    "address": ["诉求地址", "地址", "事发地址", "发生地址", "事发地点"],
    "requester_name": ["来电人", "来电人姓名", "诉求人", "姓名", "联系人"],
    "requester_phone": ["联系电话", "来电号码", "电话", "联系方式"],
    "category": ["诉求类型", "分类", "诉求分类", "问题分类", "业务类别"],
    "nature": ["诉求性质", "性质", "来电类型", "诉求类别"],
    "urgency": ["紧急程度", "缓急程度"],
    "lat": ["纬度"],
    "lng": ["经度"],
    "place": ["地点编码", "网格编码"],
    # A platform's record of how the case ended: a closed case imports closed (see OUTCOMES).
    "status": ["办理状态", "工单状态", "处理状态", "办结状态", "状态"],
    "closed_at": ["办结时间", "结案时间", "归档时间", "完成时间"],
    "reply": ["答复内容", "办理结果", "处理结果", "答复意见", "回复内容", "办理情况"],
    "satisfaction": ["满意度", "回访满意度", "满意程度", "评价结果"],
}
FIELDS = tuple(DEFAULT_MAPPING)
PHONE_CHARS = Ticket._meta.get_field("requester_phone").max_length
REQUIRED = ("created_at", "nature", "category")

NATURES = {
    "咨询": Nature.CONSULT,
    "求助": Nature.HELP,
    "投诉": Nature.COMPLAINT,
    "举报": Nature.REPORT,
    "建议": Nature.SUGGEST,
    "表扬": Nature.PRAISE,
    "意见建议": Nature.SUGGEST,
    "感谢": Nature.PRAISE,
    **{value: value for value in Nature.values},
}
URGENCIES = {
    "紧急": Urgency.EMERGENCY,
    "特急": Urgency.EMERGENCY,
    "水电气热": Urgency.UTILITY,
    "一般": Urgency.GENERAL,
    "普通": Urgency.GENERAL,
    "复杂": Urgency.COMPLEX,
    "疑难": Urgency.COMPLEX,
    **{value: value for value in Urgency.values},
}
# How a case stands on the platform (办理状态): still open, handled and waiting for its
# callback, or closed. Words not here are row errors: guessing would put a closed case in
# a queue, or close an open one.
OPEN, RESOLVED, CLOSED = "open", "resolved", "closed"
OUTCOMES = {
    **dict.fromkeys(
        ("办理中", "处理中", "在办", "待办理", "待处理", "待签收", "已签收", "待派单", "已派单")
        + ("已受理", "受理", "未办结", "已退回", "退回", "延期", "延期办理", "督办"),
        OPEN,
    ),
    **dict.fromkeys(("待回访", "待评价", "已办理待回访", "办结待回访"), RESOLVED),
    **dict.fromkeys(
        ("已办结", "办结", "已归档", "归档", "已结案", "结案", "已关闭", "关闭", "已完成")
        + ("完成", "已回访", "已评价", "办结归档"),
        CLOSED,
    ),
    OPEN: OPEN,
    RESOLVED: RESOLVED,
    CLOSED: CLOSED,
}
SATISFACTIONS = {
    "满意": Satisfaction.SATISFIED,
    "非常满意": Satisfaction.SATISFIED,
    "基本满意": Satisfaction.BASIC,
    "一般": Satisfaction.BASIC,
    "不满意": Satisfaction.DISSATISFIED,
    "非常不满意": Satisfaction.DISSATISFIED,
    **{value: value for value in Satisfaction.values},
}
_DATE_RE = re.compile(
    r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2})[:时](\d{1,2})分?(?::?(\d{1,2})秒?)?(?:\.\d+)?)?\s*$"
)
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # no ticket was received before
_PATH_SPLIT = re.compile(r"\s*(?:/|／|>|＞|→|-|—|\\|·)\s*")


def field_label(name):
    """A ticket field as the import page names it (the file's own header is used when
    it has one)."""
    labels = {
        "external_id": _("external id"),
        "created_at": _("received at"),
        "title": _("title"),
        "description": _("description"),
        "address": _("address"),
        "requester_name": _("requester name"),
        "requester_phone": _("requester phone"),
        "category": _("category"),
        "nature": _("nature"),
        "urgency": _("urgency"),
        "lat": _("latitude"),
        "lng": _("longitude"),
        "place": _("Place code"),
        "status": _("handling status"),
        "closed_at": _("closed at"),
        "reply": _("reply"),
        "satisfaction": _("satisfaction"),
    }
    return labels.get(name, name)


class ImportFormatError(Exception):
    """The file cannot be read, or lacks a required column: nothing is validated."""


@dataclass(frozen=True)
class RowError:
    row: int  # the row number as the spreadsheet shows it (the header is row 1)
    column: str
    message: str

    def as_dict(self):
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    source: str = ""
    rows: int = 0
    created: int = 0
    dispatched: int = 0  # open tickets sent to a unit by the routing rules
    at_desk: int = 0  # open tickets waiting at the dispatch desk
    resolved: int = 0  # handled on the platform, waiting for their callback
    closed: int = 0  # closed on the platform: imported closed, in nobody's queue
    errors: list = field(default_factory=list)
    seconds: float = 0.0
    phases: dict = field(default_factory=dict)  # seconds spent checking and writing
    dry_run: bool = False
    mapping: dict = field(default_factory=dict)
    skipped: int = 0  # rows imported before, left out at the user's word (skip_imported)
    already_imported: int = 0  # rows imported before, skipped or reported
    channel: str = ""
    days: tuple = ()  # (first, last) day received of the rows written: the page links them

    @property
    def ok(self):
        return not self.errors

    def as_dict(self, max_errors=1000):
        return {
            "source": self.source,
            "ok": self.ok,
            "rows": self.rows,
            "created": self.created,
            "dispatched": self.dispatched,
            "at_desk": self.at_desk,
            "resolved": self.resolved,
            "closed": self.closed,
            "dry_run": self.dry_run,
            "skipped": self.skipped,
            "already_imported": self.already_imported,
            "channel": self.channel,
            "first_day": self.days[0].isoformat() if self.days else "",
            "last_day": self.days[-1].isoformat() if self.days else "",
            "seconds": round(self.seconds, 3),
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "mapping": self.mapping,
            "error_count": len(self.errors),
            "errors": [e.as_dict() for e in self.errors[:max_errors]],
        }


# --- reading ------------------------------------------------------------------------------


def _decode(raw):
    try:
        return textfiles.decode(raw)[0]
    except textfiles.NotText:
        raise ImportFormatError(_("The CSV file is neither UTF-8 nor GB18030 text.")) from None


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers and ids stored as numbers
    if isinstance(value, dt.datetime | dt.date):
        return value
    return str(value).strip()


def read_table(source, filename=None, mapping=None):
    """(headers, [(row number, [cells])]) from a path or a binary file object.

    CSV (UTF-8 or GB18030, or UTF-16 with a byte order mark; comma or tab), Excel .xlsx
    and the older .xls. Blank rows are skipped, and the header row is the first of the
    top rows that names the columns an import needs: platform exports often open with a
    title line ("XX区12345热线工单明细") or a blank row above the headers.
    """
    rows = _read_rows(source, filename, names=_header_names(mapping))
    headers, rows = _split_header(rows, mapping)
    if len(rows) > MAX_ROWS:
        raise _too_many_rows()
    return headers, rows


def _read_rows(source, filename=None, limit=None, names=None):
    """[(row number, cells)] of the rows holding something (the first `limit` only);
    `names`: the headers a CSV's separator is told by (_delimiter)."""
    name = (filename or getattr(source, "name", None) or str(source)).lower()
    raw = source.read() if hasattr(source, "read") else Path(source).read_bytes()
    problem = sheets.refusal(raw, name)
    if problem:
        raise ImportFormatError(problem)
    if raw[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        rows = _read_xlsx(raw, limit)
    elif raw[:8] == sheets.XLS_MAGIC or name.endswith(".xls"):
        rows = _read_xls(raw, limit)
    else:
        rows = _read_csv(raw, limit, names)
    rows = [(n, cells) for n, cells in rows if any(c != "" for c in cells)]
    if not rows:
        raise ImportFormatError(sheets.empty())
    return rows


def header_choices(source, filename=None):
    """(headers, {field: header recognised}, what is missing or "") from the top rows of a
    file: what the import page offers to map when its headers are not all known. Without a
    row naming the needed columns, the headers are the first of the widest top rows (the
    title lines above them hold one cell)."""
    rows = _read_rows(source, filename, limit=HEADER_SCAN_ROWS)
    headers, _rest = _split_header(rows)
    missing = ""
    try:
        resolve_mapping(headers)
    except ImportFormatError:
        widest = max(sum(1 for c in cells if c != "") for _n, cells in rows)
        headers = next(
            [str(c).strip() for c in cells]
            for _n, cells in rows
            if sum(1 for c in cells if c != "") == widest
        )
        try:
            resolve_mapping(headers)
        except ImportFormatError as exc:
            missing = str(exc)  # what these headers lack
    columns = _match_columns(headers)
    return headers, {f: headers[i] for f, i in columns.items()}, missing


HEADER_SCAN_ROWS = 10
# Bounds on what a file may unfold into, whatever its size on disk (GRIDGOV_MAX_IMPORT_BYTES):
# an .xlsx is a zip whose XML openpyxl inflates in memory (a sheet of one repeated value
# compresses about 1000:1), and one cell in column XFD makes it pad its row to 16,384 cells.
# Real 12345 exports have 20-40 columns and unpack to 5-10 times their size.
MAX_COLUMNS = 200
MAX_ROWS = 200_000  # data rows of one import (the 50,000-row benchmark takes 6 s)
UNPACKED_PER_BYTE = 16  # an .xlsx may unpack to this many times GRIDGOV_MAX_IMPORT_BYTES


def _split_header(rows, mapping=None):
    """(headers, the rows below them): the first of the top HEADER_SCAN_ROWS rows that
    resolve_mapping accepts; else the first row, whose error then names what is missing."""
    for index, (_number, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        headers = [str(c).strip() for c in cells]
        try:
            resolve_mapping(headers, mapping)
        except ImportFormatError:
            continue
        return headers, rows[index + 1 :]
    return [str(c).strip() for c in rows[0][1]], rows[1:]


def _too_many_rows():
    return ImportFormatError(
        _("The file has more than %(n)s rows; import it in parts.") % {"n": f"{MAX_ROWS:,}"}
    )


def _bounded(rows, limit=None):
    """[(row number, cells)] of the rows holding something, each cut at MAX_COLUMNS and
    without its empty cells at the end (the rows come with their numbers); ImportFormatError
    past MAX_ROWS rows and the title lines above the headers. With `limit`, the first
    `limit` such rows only."""
    kept, blank = [], None
    for number, cells in rows:
        if limit is not None and len(kept) >= limit:
            break
        if cells is blank:
            continue  # openpyxl fills a gap of a million rows with one and the same tuple
        if not any(c is not None and c != "" for c in cells):
            blank = cells
            continue
        if len(kept) > MAX_ROWS + HEADER_SCAN_ROWS:  # the header and title lines above it
            raise _too_many_rows()
        cells = cells[:MAX_COLUMNS]
        end = len(cells)
        while end and (cells[end - 1] is None or cells[end - 1] == ""):
            end -= 1  # openpyxl pads to MAX_COLUMNS; _get reads a missing cell as ""
        kept.append((number, [_cell(c) for c in cells[:end]]))
    return kept


def _header_names(mapping=None):
    """Every header a column may have: DEFAULT_MAPPING's, and the mapping's."""
    names = {h for headers in DEFAULT_MAPPING.values() for h in headers}
    for value in (mapping or {}).values():
        names.update([value] if isinstance(value, str) else value)
    return names


def _delimiter(text, names=None):
    """Comma or tab: whichever splits one of the top rows into more of the headers
    `names`; with none known, whichever the top of the file has more of. Counting them in
    the text alone, a CSV with cells pasted from a spreadsheet into one of its cells (tabs)
    was read as tab-separated, and tab-separated text with commas in its words as CSV:
    "missing columns" for a good file."""
    sample = text[:4096]
    names = names or _header_names()

    def headers_split(delimiter):
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            rows = list(itertools.islice(reader, HEADER_SCAN_ROWS))
        except csv.Error:
            return 0
        return max((sum(c.strip() in names for c in cells) for cells in rows), default=0)

    commas, tabs = headers_split(","), headers_split("\t")
    if commas != tabs:
        return "," if commas > tabs else "\t"
    return "\t" if sample.count("\t") > sample.count(",") else ","  # no header known


def _read_csv(raw, limit=None, names=None):
    text = _decode(raw)
    delimiter = _delimiter(text, names)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    starts = _RecordStarts(reader)
    try:
        return _bounded(enumerate(starts, start=1), limit)
    except csv.Error as exc:  # a cell over 131,072 characters: an unclosed quote, mostly
        raise ImportFormatError(sheets.csv_unreadable(starts.next_line, exc)) from None


class _RecordStarts:
    """The reader's rows, remembering the line the next one starts on: where a stray
    quotation mark is, when that row cannot be read (reader.line_num is then the end of
    the file)."""

    def __init__(self, reader):
        self.reader, self.next_line = reader, 1

    def __iter__(self):
        for cells in self.reader:
            yield cells
            self.next_line = self.reader.line_num + 1


def _check_unpacked_size(raw):
    """ImportFormatError when the .xlsx zip would unpack to more than UNPACKED_PER_BYTE
    times the upload limit. The sizes are the ones its directory states; Python's zipfile
    inflates no more than that (and then fails the CRC), so they bound what openpyxl gets."""
    limit = settings.GRIDGOV_MAX_IMPORT_BYTES * UNPACKED_PER_BYTE
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: load_workbook says the file cannot be read
    if unpacked > limit:
        raise ImportFormatError(
            _("The Excel file unpacks to more than %(n)s MB; import it in parts.")
            % {"n": limit // (1024 * 1024)}
        )


def _read_xlsx(raw, limit=None):
    from openpyxl import load_workbook

    _check_unpacked_size(raw)
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFormatError(sheets.unreadable(exc)) from None
    try:
        sheet = book.worksheets[0]
        # A sheet states its own used range (<dimension ref="A1:G5000"/>), and read-only
        # openpyxl stops at its last row and column; some exporters always write A1, and
        # the rows below were left out without a word. Read what the sheet holds.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        return _bounded(enumerate(rows, start=1), limit)
    except ImportFormatError:
        raise
    except Exception as exc:  # the sheet is parsed only now: broken XML, a bad zip entry …
        raise ImportFormatError(sheets.unreadable(exc)) from None
    finally:
        book.close()


def _read_xls(raw, limit=None):
    """The first sheet of an Excel 97-2003 file (core.sheets, as for places and staff),
    dates as datetimes."""
    try:
        return _bounded(sheets.xls_rows(raw, MAX_COLUMNS), limit)
    except ImportFormatError:
        raise
    except Exception as exc:  # sheets.SheetError, or xlrd failing on a row
        raise ImportFormatError(sheets.unreadable(exc)) from None


def resolve_mapping(headers, mapping=None):
    """{field: column index} for the given headers; raises ImportFormatError when a
    required column (or both title and description) is missing. A field mapped to no
    header ([] or "") is not read, whatever its usual headers."""
    columns = _match_columns(headers, mapping)
    # Named as the file should name them: each field's first column name.
    wanted = {f: list(names) for f, names in DEFAULT_MAPPING.items()}
    for name, value in (mapping or {}).items():
        candidates = [value] if isinstance(value, str) else list(value)
        wanted[name] = [c for c in candidates if c] or wanted[name]
    missing = [wanted[f][0] for f in REQUIRED if f not in columns]
    if "title" not in columns and "description" not in columns:
        missing.append(f"{wanted['title'][0]}/{wanted['description'][0]}")
    if not any(f in columns for f in ("address", "place", "lat")):
        missing.append(f"{wanted['address'][0]}/{wanted['place'][0]}/{wanted['lat'][0]}")
    if missing:
        raise ImportFormatError(
            _("Missing column(s) for %(f)s; headers found: %(h)s")
            % {"f": sheets.listing(missing), "h": sheets.listing(h for h in headers if h)}
        )
    return columns


def _match_columns(headers, mapping=None):
    """{field: column index} of the fields found among `headers` (DEFAULT_MAPPING's headers,
    or the mapping's for the fields it names)."""
    wanted = {f: list(names) for f, names in DEFAULT_MAPPING.items()}
    for name, value in (mapping or {}).items():
        if name not in wanted:
            raise ImportFormatError(_("Unknown field %(f)s in the mapping.") % {"f": name})
        wanted[name] = [value] if isinstance(value, str) else list(value)
    index = {h: i for i, h in reversed(list(enumerate(headers))) if h}
    columns = {}
    for name, candidates in wanted.items():
        found = next((index[c] for c in candidates if c in index), None)
        if found is not None:
            columns[name] = found
    return columns


# --- validating ---------------------------------------------------------------------------


def parse_datetime(value, tz=None):
    """An aware datetime from text or an Excel cell (naive: local time), or None."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time(0, 0))
    else:
        match = _DATE_RE.match(value or "")
        if not match:
            return None
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
        try:
            parsed = dt.datetime(y, mo, d, h, mi, s)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz or timezone.get_current_timezone())
    return parsed


def _norm(text):
    return re.sub(r"\s+", "", text or "")


class CategoryIndex:
    """Category by code, or by its path 一级/二级/三级 — whole, or its last levels when
    they name one category only (二级/三级, or just 三级)."""

    def __init__(self):
        rows = list(Category.objects.filter(active=True))
        by_id = {c.pk: c for c in rows}
        for c in rows:  # link parents in memory: full_name and routing walk them
            if c.parent_id in by_id:
                c.parent = by_id[c.parent_id]
        self.by_code = {c.code: c for c in rows}
        self.by_suffix = defaultdict(list)
        self.levels = {}
        for c in rows:
            names, node = [], c
            while node is not None:
                names.append(_norm(node.name))
                node = node.parent if node.parent_id in by_id else None
            names.reverse()
            self.levels[c.pk] = len(names)
            for k in range(1, len(names) + 1):
                self.by_suffix["/".join(names[-k:])].append(c)

    def find(self, text):
        """(category, None) or (None, message)."""
        text = (text or "").strip()
        if not text:
            return None, _("A category is needed.")
        if text in self.by_code:
            return self.by_code[text], None
        parts = [p for p in _PATH_SPLIT.split(_norm(text)) if p]
        found = self.by_suffix.get("/".join(parts), [])
        if len(found) > 1:
            # A whole path names one category even when it is also another's suffix.
            whole = [c for c in found if self.levels[c.pk] == len(parts)]
            found = whole if len(whole) == 1 else found
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            return None, _("Category %(c)s is ambiguous; give its path, one of: %(p)s") % {
                "c": text,
                "p": "; ".join(c.full_name for c in found[:5]),
            }
        return None, _("Unknown category %(c)s.") % {"c": text}


@dataclass
class Parsed:
    row: int
    created_at: dt.datetime
    nature: str
    category: Category
    urgency: str
    title: str
    description: str
    address: str
    lat: float | None
    lng: float | None
    place_id: int | None
    building_id: int | None
    requester_name: str
    requester_phone: str
    external_id: str
    how: str = "none"
    day: dt.date | None = None  # local date received: the code's day, the deadlines' start
    outcome: str = OPEN  # OPEN, RESOLVED or CLOSED on the platform (OUTCOMES)
    closed_at: dt.datetime | None = None  # 办结时间: when the reply was given
    reply: str = ""  # 答复内容, the resolution
    satisfaction: str = ""  # the callback's answer, when the export has one
    reported_point: dict | None = None  # coordinates not the ticket's (_reported_points)


class Importer:
    def __init__(
        self, channel=Channel.HOTLINE, actor=None, now=None, source="", skip_imported=False
    ):
        if channel not in Channel.values:
            raise ImportFormatError(
                _("Unknown channel %(c)s; one of: %(a)s")
                % {"c": channel, "a": ", ".join(Channel.values)}
            )
        self.channel = channel
        self.actor = actor if getattr(actor, "pk", None) else None
        self.now = now or timezone.now()
        self.source = source
        self.skip_imported = skip_imported
        self.already_imported = 0
        self.tz = timezone.get_current_timezone()  # looked up once, not per row
        self.categories = CategoryIndex()
        self.places_by_code = {}
        self._address_cache = {}
        self._address_index = None
        self._dates = {}  # a cell's received-at → its datetime (look_ahead parses them once)
        self._writing = None  # what the chunks of one import share (_write_state)

    # validation ---------------------------------------------------------------

    def validate(self, headers, rows, columns, progress=False):
        """[Parsed] and [RowError] for all rows."""
        errors, parsed = [], []
        for chunk in self.checked_chunks(headers, rows, columns, errors, progress):
            parsed.extend(chunk)
        errors.sort(key=lambda e: (e.row, e.column))
        return parsed, errors

    def checked_chunks(self, headers, rows, columns, errors, progress=False, known=None):
        """Check the rows CHUNK at a time: yields each chunk's good rows ([Parsed]) and
        appends its problems to `errors` (unsorted), every problem of a row: cells, then
        imported before (_check_already_imported), then where (_locate_points), each in
        one pass over the chunk. `known`: the external ids imported before (look_ahead),
        else asked here in one query."""
        # A field the file has no column for (a title when only 诉求内容 is given) is
        # named in the user's language: the report is read by staff, not programmers.
        header_of = {f: field_label(f) for f in FIELDS}
        header_of.update({f: headers[i] for f, i in columns.items()})
        place_codes = set()
        if "place" in columns:
            place_codes = sorted({str(_get(r, columns["place"])).strip() for _n, r in rows} - {""})
            for start in range(0, len(place_codes), BATCH):
                chunk = place_codes[start : start + BATCH]
                self.places_by_code.update(
                    {p.code: p for p in Place.objects.filter(code__in=chunk)}
                )
        if known is None:
            known = _imported_before(_external_ids(rows, columns), self.channel)
        seen_ids = {}
        remaining = iter(_progress(rows, progress, _("checking")))
        while chunk := list(itertools.islice(remaining, CHUNK)):
            # failed: rows with bad cells, still checked below for being imported before
            # and for where they are, so that one report lists every problem of a row.
            parsed, failed = [], []
            for number, cells in chunk:
                row_errors = []

                def bad(name, message, number=number, row_errors=row_errors):
                    row_errors.append(RowError(number, header_of.get(name, name), message))

                item = self._parse_row(number, cells, columns, bad)
                if item is not None and item.external_id:
                    first = seen_ids.setdefault(item.external_id, number)
                    if first != number:
                        bad("external_id", _("Duplicate of row %(r)s.") % {"r": first})
                if row_errors and self.skip_imported and item.external_id in known:
                    # Imported before, so left out, "not errors": what its cells say now
                    # (a category since renamed …) stopped the whole file.
                    self.already_imported += 1
                elif row_errors:
                    errors.extend(row_errors)
                    failed.append(item)
                else:
                    parsed.append(item)
            # Imported before first: with skip_imported such a row is left out whatever it
            # says now, its point too.
            failed += self._check_already_imported(parsed, failed, errors, header_of, known)
            self._locate_points(parsed, failed, errors, header_of)
            yield parsed
        for _rest in remaining:  # an empty last slice: the checking bar is closed
            pass

    def look_ahead(self, rows, columns):
        """(external ids imported before, {day: rows}) of the rows not imported before,
        for a streamed import to reserve its codes and ids before writing. The dates
        parsed here are kept for the check."""
        known = _imported_before(_external_ids(rows, columns), self.channel)
        ids, at = columns.get("external_id"), columns.get("created_at")
        days = Counter()
        for _number, cells in rows:
            if known and str(_get(cells, ids)).strip() in known:
                continue
            created_at = self._date(_get(cells, at))
            if created_at is not None:
                days[created_at.astimezone(self.tz).date()] += 1
        return known, days

    def _date(self, value):
        try:
            return self._dates[value]
        except KeyError:
            self._dates[value] = parse_datetime(value, self.tz)
            return self._dates[value]
        except TypeError:  # unhashable: not a date anyway
            return parse_datetime(value, self.tz)

    def _parse_row(self, number, cells, columns, bad):
        # What people wrote, cleaned as at intake: pasted control characters dropped, a NUL
        # (damaged text) refused.
        problems = {}
        texts = intake.clean_text(
            {name: _get(cells, columns.get(name)) for name in intake.TEXT_FIELDS}, problems
        )
        for name, message in problems.items():
            bad(name, message)

        def get(name):
            if name in texts:
                return texts[name]
            return _get(cells, columns.get(name))

        created_at = self._date(get("created_at"))
        if created_at is None:
            bad("created_at", _("Not a date and time: %(v)s") % {"v": get("created_at")})
        elif created_at > self.now + dt.timedelta(days=1):
            bad("created_at", _("In the future."))
        elif created_at < EARLIEST:  # year 1 overflowed in the conversion to UTC: a 500
            bad(
                "created_at",
                _("Before %(year)s: %(v)s") % {"year": EARLIEST.year, "v": get("created_at")},
            )
        nature_text = str(get("nature")).strip()
        nature = NATURES.get(nature_text)
        if nature is None:
            message = (
                _("Unknown nature %(v)s; one of: %(a)s")
                if nature_text
                else _("The nature is missing; one of: %(a)s")
            )
            bad(
                "nature",
                message
                % {"v": nature_text, "a": sheets.listing("咨询 求助 投诉 举报 建议 表扬".split())},
            )
        category, problem = self.categories.find(str(get("category")))
        if problem:
            bad("category", problem)
        urgency_text = str(get("urgency")).strip()
        urgency = URGENCIES.get(urgency_text) if urgency_text else None
        if urgency_text and urgency is None:
            bad("urgency", _("Unknown urgency %(v)s.") % {"v": urgency_text})
        if urgency is None and category is not None:
            urgency = category.default_urgency
        title, description = str(get("title")).strip(), str(get("description")).strip()
        if not title and not description:
            bad("title", _("Say what the matter is: a title or a description."))
        title = title or intake.title_from(description)
        description = description or title
        if len(title) > 200:
            bad("title", _("At most 200 characters."))
        if len(description) > 4000:
            bad("description", _("At most 4,000 characters."))
        name = str(get("requester_name")).strip()
        if len(name) > 100:
            bad("requester_name", _("At most 100 characters."))
        phone = str(get("requester_phone")).strip()
        # is_phone counts the digits and lets separators be: a ticket keeps PHONE_CHARS
        # characters (PostgreSQL refused a longer one in the COPY, failing the import).
        if phone and (not is_phone(phone) or len(phone) > PHONE_CHARS):
            bad("requester_phone", _("Not a phone number: %(v)s") % {"v": phone})
        if (
            nature in intake.NEEDS_CONTACT
            and self.channel not in intake.STAFF_CHANNELS
            and not phone
        ):
            bad("requester_phone", _("A phone number is needed for help and complaints."))
        outcome, closed_at, reply, satisfaction = self._parse_outcome(get, created_at, bad)
        external_id = str(get("external_id")).strip()
        if len(external_id) > 64:
            bad("external_id", _("At most 64 characters."))

        address = str(get("address")).strip()
        if len(address) > 300:
            bad("address", _("At most 300 characters."))
        lat, lng = get("lat"), get("lng")
        lat, lng = _float(lat), _float(lng)
        if (get("lat") != "" and lat is None) or (get("lng") != "" and lng is None):
            bad("lat", _("Coordinates must be numbers."))
            lat = lng = None
        elif (lat is None) != (lng is None):
            bad("lat", _("Give both latitude and longitude."))
            lat = lng = None
        elif lat is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
            bad("lat", _("Coordinates out of range."))
            lat = lng = None
        place_id = building_id = None
        how = "none"
        code = str(get("place")).strip()
        if code:
            place = self.places_by_code.get(code)
            if place is None:
                bad("place", _("Unknown place code %(c)s.") % {"c": code})
            else:
                place_id, how = place.pk, "code"
                if place.level == Level.BUILDING:
                    building_id = place.pk
        if place_id is None and address:
            building_id, area_id, foreign = self._resolve_address(address)
            if foreign and lat is None:  # a position inside the area says more than words
                bad("address", _(intake.FOREIGN_ADDRESS) % {"p": foreign})
            if building_id is not None:
                place_id, how = building_id, "address"
            elif area_id is not None:
                place_id, how = area_id, "address:area"
            else:
                how = "text"
        if not address and place_id is None and lat is None:
            bad("address", _("Give an address, coordinates or a place code."))
        return Parsed(
            row=number,
            created_at=created_at,
            nature=nature,
            category=category,
            urgency=urgency or Urgency.GENERAL,
            title=title,
            description=description,
            address=address,
            lat=lat,
            lng=lng,
            place_id=place_id,
            building_id=building_id,
            requester_name=name,
            requester_phone=phone,
            external_id=external_id,
            how=how,
            day=created_at.astimezone(self.tz).date() if created_at else None,
            outcome=outcome,
            closed_at=closed_at,
            reply=reply,
            satisfaction=satisfaction,
        )

    def _parse_outcome(self, get, created_at, bad):
        """(outcome, closed at, reply, satisfaction) from the optional status columns.

        The status word decides (办理中 open, 待回访 resolved, 已办结 closed); without one
        a 办结时间 means closed. A handled case needs its 办结时间 and its reply, no
        earlier than received; a satisfaction is a callback, so only on a closed case.
        An open case's reply (a 阶段性答复) is not kept: the case is still being handled.
        """
        status_text = _norm(str(get("status")))
        closed_text = get("closed_at")
        closed_text = closed_text.strip() if isinstance(closed_text, str) else closed_text
        reply = str(get("reply")).strip()
        satisfaction_text = _norm(str(get("satisfaction")))
        if status_text:
            outcome = OUTCOMES.get(status_text)
            if outcome is None:
                bad(
                    "status",
                    _("Unknown handling status %(v)s; one of: %(a)s")
                    % {
                        "v": status_text,
                        "a": sheets.listing(("办理中", "待回访", "已办结", "已归档")),
                    },
                )
                return OPEN, None, "", ""
        else:
            outcome = CLOSED if closed_text else OPEN
        closed_at = None
        if closed_text:
            closed_at = parse_datetime(closed_text, self.tz)
            if closed_at is None:
                bad("closed_at", _("Not a date and time: %(v)s") % {"v": closed_text})
            elif outcome == OPEN:
                bad(
                    "closed_at",
                    _("The case is still open (%(s)s) but has a closing time.")
                    % {"s": status_text},
                )
            elif created_at is not None and closed_at < created_at:
                bad("closed_at", _("Before the time it was received."))
            elif closed_at > self.now + dt.timedelta(days=1):
                bad("closed_at", _("In the future."))
        elif outcome != OPEN:
            bad("closed_at", _("A closed or handled case needs its closing time."))
        if "\x00" in reply:
            bad("reply", _("The reply contains a NUL character: the text was damaged."))
        reply = intake.INVISIBLE_CONTROLS.sub("", reply)
        if outcome != OPEN and not reply:
            bad("reply", _("A closed or handled case needs the reply given to the requester."))
        elif len(reply) > 4000:
            bad("reply", _("At most 4,000 characters."))
        satisfaction = ""
        if satisfaction_text:
            satisfaction = SATISFACTIONS.get(satisfaction_text, "")
            if not satisfaction:
                bad(
                    "satisfaction",
                    _("Unknown satisfaction %(v)s; one of: %(a)s")
                    % {"v": satisfaction_text, "a": sheets.listing(("满意", "基本满意", "不满意"))},
                )
            elif outcome != CLOSED:
                bad("satisfaction", _("A satisfaction is given, but the case is not closed."))
        return outcome, closed_at, (reply if outcome != OPEN else ""), satisfaction

    def _resolve_address(self, text):
        """(building id, area id, the region outside ours the text names or "")."""
        if text not in self._address_cache:
            if self._address_index is None:  # checks the places' fingerprint: once
                self._address_index = addresses.get_index()
            found = self._address_index.resolve(text)
            self._address_cache[text] = (found.building, found.area, found.foreign)
        return self._address_cache[text]

    def _locate_points(self, parsed, failed, errors, header_of):
        """Coordinates → grid, in one bulk lookup, for rows no building was found for.

        `parsed`: the good rows, given their grid, those outside the area removed;
        `failed`: rows already in error, only checked (their problems all reported)."""
        todo = [p for p in parsed if p.lat is not None and p.building_id is None]
        good = len(todo)
        if failed:
            todo += [p for p in failed if p.lat is not None and p.building_id is None]
        if not todo:
            return
        try:
            grid_ids = geo.lookup_points([p.lat for p in todo], [p.lng for p in todo], nearest=True)
        except geo.InvalidCoordinates as exc:
            grid_ids = None
            message = str(exc)
        outside = set()
        for index, item in enumerate(todo):
            grid_id = int(grid_ids[index]) if grid_ids is not None else -1
            if grid_id < 0:
                errors.append(
                    RowError(
                        item.row,
                        header_of.get("lat", "lat"),
                        message if grid_ids is None else _("The location is outside our area."),
                    )
                )
                if index < good:
                    outside.add(item.row)
            elif index < good and (item.place_id is None or item.how == "address:area"):
                item.place_id, item.how = grid_id, "point"  # a point says more than an area
        if outside:  # one pass, not a list.remove per row
            parsed[:] = [p for p in parsed if p.row not in outside]

    def _check_already_imported(self, parsed, failed, errors, header_of, known):
        """Takes the rows imported before out of `parsed` and counts them; reports them
        and those of `failed` (rows in error, with skip_imported left out already), unless
        skip_imported. → the rows of `parsed` reported, to be checked further."""
        if not known:
            return []
        before = [p for p in parsed if p.external_id in known]
        self.already_imported += len(before)
        if before:
            # One pass, not a list.remove per row: a whole month's export uploaded again is
            # tens of thousands of rows known.
            parsed[:] = [p for p in parsed if p.external_id not in known]
        if self.skip_imported:
            # Platform exports overlap (this month so far, every week): the rows imported
            # before are left out, the new ones imported.
            return []
        failed_before = [p for p in failed if p.external_id in known]
        self.already_imported += len(failed_before)
        column = header_of.get("external_id", "external_id")
        message = _("Already imported.")
        errors.extend(RowError(item.row, column, message) for item in before + failed_before)
        return before

    # insertion ----------------------------------------------------------------

    def insert(self, parsed, progress=False):
        """Write the tickets and their events with bulk_create (SQLite, and any database
        but PostgreSQL, which checks and writes at once: import_streamed); returns Counter
        of created, dispatched, at_desk (open ones), resolved and closed."""
        counts = Counter()
        if not parsed:
            return counts
        state = self._write_state(Counter(p.day for p in parsed))
        self._more_places([p.place_id for p in parsed], state.places)
        row_routes, dispatch_data, written = self._plan(parsed, state, counts)
        bar = _bar(written, progress, _("writing"))
        for start in range(0, len(parsed), CHUNK):
            chunk = slice(start, start + CHUNK)
            tickets = self._tickets(parsed[chunk], row_routes[chunk], state)
            ids = _bulk_create(Ticket, tickets, bar)  # the ids the events need
            events, callbacks = self._events(parsed[chunk], tickets, ids, dispatch_data[chunk])
            _bulk_create(TicketEvent, events, bar)
            _bulk_create(Callback, callbacks, bar)
        bar.close()
        counts["created"] = len(parsed)
        return counts

    def import_streamed(self, headers, rows, columns, errors, progress=False):
        """Check and write at once (PostgreSQL, in the caller's transaction): each chunk of
        rows is checked and built here while a thread COPYs the chunk before (_CopyWriter),
        so the database works while Python checks. Codes and ids are reserved first for
        the rows not imported before (look_ahead): one query each, none while writing but
        for places, routes and limits not met yet. After a bad row nothing more is
        written but every row is still checked: the caller rolls back on any error, and
        reports them all. → Counter as insert's; the time checking ended in
        self.checked_at, the days written in self.days."""
        known, days = self.look_ahead(rows, columns)
        state = self._write_state(days)
        reserved = iter(_reserve_ids(Ticket, sum(days.values())))
        counts, total, self.days = Counter(), 0, set()
        writer = _CopyWriter(connection, None)
        try:
            for parsed in self.checked_chunks(headers, rows, columns, errors, progress, known):
                if errors or not parsed:
                    continue  # a bad row: nothing more is written, the rest still checked
                self._more_places([p.place_id for p in parsed], state.places)
                row_routes, dispatch_data, written = self._plan(parsed, state, counts)
                total += written
                tickets = self._tickets(parsed, row_routes, state)
                ids = list(itertools.islice(reserved, len(parsed)))
                if len(ids) < len(parsed):  # never expected: look_ahead counted these rows
                    ids += _reserve_ids(Ticket, len(parsed) - len(ids))
                events, callbacks = self._events(parsed, tickets, ids, dispatch_data)
                writer.put((Ticket, tickets, ids), (TicketEvent, events, None))
                if callbacks:
                    writer.put((Callback, callbacks, None))
                counts["created"] += len(parsed)
                self.days.update(p.day for p in parsed)
            self.checked_at = time.perf_counter()
            if not errors:
                writer.bar = _bar(total, progress, _("writing"))
                writer.close()
                writer.bar.close()
        except DatabaseError:
            writer.stop()
            writer.raise_error()  # a COPY failed first: the transaction was lost to it
            raise
        finally:
            writer.stop()
        return counts

    def _write_state(self, days):
        """What the chunks of one import share: the places and routes met so far, the time
        limits, the desk of rows nobody can place, the codes reserved for `days` ({day:
        rows}). Asked of the database before any COPY."""
        if self._writing is None:
            places = {}
            self._writing = SimpleNamespace(
                places=places,
                routes=self._router(places),
                deadlines=self._deadlines(),
                # Rows nobody can place wait, unplaced, at the importing user's desk.
                desk=routing.Route(
                    place=routing.intake_desk(self.actor), department=None, dispatch_desk=True
                ),
                shared={},
                codes={day: iter(intake.next_codes(day, n)) for day, n in sorted(days.items())},
                now=timezone.now(),
            )
        return self._writing

    def _code(self, state, day):
        try:
            return next(state.codes[day])
        except (KeyError, StopIteration):  # never expected: look_ahead counted the rows
            state.codes[day] = iter(intake.next_codes(day, CHUNK))
            return next(state.codes[day])

    def _plan(self, parsed, state, counts):
        """Each row's route and its dispatch event's data, with the limits looked up:
        ([route], [data or None], rows written with the events); counts what is
        dispatched, at a desk, resolved or closed."""
        row_routes, dispatch_data, written = [], [], len(parsed)
        places, routes, desk = state.places, state.routes, state.desk
        self._reported_points(parsed, places)
        for p in parsed:
            place = places.get(p.place_id)
            route = routes(p.category, place)
            if route.dispatch_desk and place is None:
                route = desk
            row_routes.append(route)
            dispatch = not route.dispatch_desk
            dispatch_data.append(
                _dispatch_data(route, places, routes.departments, state.shared)
                if dispatch
                else None
            )
            state.deadlines.limits_for(p.urgency, p.category, place)
            praise = _passed_on(p, dispatch)
            if praise or p.outcome != OPEN:
                counts[CLOSED if praise else p.outcome] += 1
            else:
                counts["dispatched" if dispatch else "at_desk"] += 1
            written += _events_of(p, dispatch, praise)
        return row_routes, dispatch_data, written

    @staticmethod
    def _reported_points(parsed, places):
        """A row whose address or code names a building keeps its coordinates only where
        they agree with the building's grid (intake.points_off_grid, as at intake; one
        bulk query a chunk); otherwise the ticket takes the building's point and the
        coordinates are kept in its create event (reported_point)."""
        todo = [p for p in parsed if p.building_id is not None and p.lat is not None]
        if not todo:
            return
        grids = [_grid_of(places.get(p.building_id), places) for p in todo]
        reported = intake.reported_points(
            [g.pk if g is not None else None for g in grids],
            [p.lat for p in todo],
            [p.lng for p in todo],
        )
        for p, point in zip(todo, reported, strict=True):
            if point is not None:
                building = places[p.building_id]
                p.reported_point = point
                p.lat, p.lng = building.lat, building.lng

    def _tickets(self, parsed, row_routes, state):
        """The ticket rows (attname → value) of these parsed rows, with their codes."""
        places, deadlines, now = state.places, state.deadlines, state.now
        actor_id = self.actor.pk if self.actor else None
        tickets = []
        for p, route in zip(parsed, row_routes, strict=True):
            place = places.get(p.place_id)
            accept_by, respond_by, resolve_by = deadlines(
                p.urgency, p.category, place, p.created_at, p.day
            )
            dispatch = not route.dispatch_desk
            grid = _grid_of(place, places)
            ticket = {
                "code": self._code(state, p.day),
                "channel": self.channel,
                "nature": p.nature,
                "title": p.title,
                "description": p.description,
                "category_id": p.category.pk,
                "urgency": p.urgency,
                "status": Status.DISPATCHED if dispatch else Status.RECEIVED,
                "address": p.address,
                "lat": p.lat,
                "lng": p.lng,
                "building_id": p.building_id,
                "grid_id": grid.pk if grid else None,
                "place_id": p.place_id,
                "requester_name": p.requester_name,
                "requester_phone": p.requester_phone,
                "owner_place_id": route.place.pk if route.place else None,
                "owner_department_id": route.department.pk if route.department else None,
                "accept_by": accept_by,
                "respond_by": respond_by if p.requester_phone else None,  # else nobody to call
                "resolve_by": resolve_by,
                "dispatched_at": p.created_at if dispatch else None,
                "external_id": p.external_id,
                "created_by_id": actor_id,
                "created_at": p.created_at,
                "updated_at": now,
            }
            if p.outcome != OPEN:
                # Handled on the platform: the reply is the resolution, and the first contact
                # known (lifecycle's resolve says the same when nobody called before).
                ticket.update(
                    status=Status.CLOSED if p.outcome == CLOSED else Status.RESOLVED,
                    resolution=p.reply,
                    resolved_at=p.closed_at,
                    contacted_at=p.closed_at,
                    closed_at=p.closed_at if p.outcome == CLOSED else None,
                )
            elif _passed_on(p, dispatch):  # passed on to the unit praised and closed
                ticket.update(
                    status=Status.CLOSED,
                    closed_at=p.created_at,
                    **dict.fromkeys(lifecycle.DEADLINE_FIELDS),
                )
            tickets.append(ticket)
        return tickets

    def _events(self, parsed, tickets, ids, dispatch_data):
        """The event and callback rows of these tickets (written with ids `ids`)."""
        actor_id = self.actor.pk if self.actor else None
        events, callbacks = [], []
        routed = lifecycle.AUTO_DISPATCH_REASON  # a message id, translated when shown
        rows = zip(parsed, tickets, ids, dispatch_data, strict=True)
        for p, ticket, ticket_id, data in rows:
            dispatched = ticket["dispatched_at"] is not None
            common = {
                "ticket_id": ticket_id,
                "owner_place_id": ticket["owner_place_id"],
                "owner_department_id": ticket["owner_department_id"],
                "at": ticket["created_at"],
            }
            events.append(
                {
                    "action": "create",
                    "from_status": "",
                    "to_status": Status.RECEIVED,
                    "actor_id": actor_id,
                    "data": {
                        "import": self.source,
                        "row": p.row,
                        "location": p.how,
                        **({"reported_point": p.reported_point} if p.reported_point else {}),
                    },
                    **common,
                }
            )
            if dispatched:
                events.append(
                    {
                        "action": "dispatch",
                        "from_status": Status.RECEIVED,
                        "to_status": Status.DISPATCHED,
                        "actor_id": None,
                        "reason": routed,
                        "data": data,
                        **common,
                    }
                )
            if p.outcome != OPEN:
                self._handled_events(p, ticket, ticket_id, dispatched, events, callbacks)
            elif ticket["status"] == Status.CLOSED:  # a praise passed on
                events.append(
                    {
                        "action": "close",
                        "from_status": Status.DISPATCHED,
                        "to_status": Status.CLOSED,
                        "actor_id": None,
                        "reason": lifecycle.PRAISE_REASON,
                        "data": {},
                        **common,
                    }
                )
        return events, callbacks

    @staticmethod
    def _handled_events(p, ticket, ticket_id, dispatched, events, callbacks):
        """The events of a case handled on the platform, as lifecycle writes them, at the
        times the export gives: resolve with the reply at 办结时间, then for a closed case
        the callback (with the satisfaction given; it closes the ticket unless dissatisfied)
        or a close. Nobody here did them: no actor, and `imported` in the resolve's data."""
        at = p.closed_at
        common = {
            "ticket_id": ticket_id,
            "owner_place_id": ticket["owner_place_id"],
            "owner_department_id": ticket["owner_department_id"],
            "actor_id": None,
            "at": at,
        }
        events.append(
            {
                "action": "resolve",
                "from_status": Status.DISPATCHED if dispatched else Status.RECEIVED,
                "to_status": Status.RESOLVED,
                "reason": p.reply,
                # No responded_on_time: the export does not say when the requester was
                # first called, so the response rate leaves the case out (kpis).
                "data": {
                    "on_time": bool(ticket["resolve_by"] and at <= ticket["resolve_by"]),
                    "imported": True,
                },
                **common,
            }
        )
        if p.outcome != CLOSED:
            return
        closes = True
        if p.satisfaction:
            # The platform's answer, kept as a callback (满意率, 解决率 read those): an
            # unhappy one did not close it there either, the platform closed it after.
            happy = p.satisfaction != Satisfaction.DISSATISFIED
            callbacks.append(
                {
                    "ticket_id": ticket_id,
                    "resolved": happy,
                    "satisfaction": p.satisfaction,
                    "note": "",
                    "owner_place_id": ticket["owner_place_id"],
                    "owner_department_id": ticket["owner_department_id"],
                    "by_id": None,
                    "at": at,
                }
            )
            events.append(
                {
                    "action": "callback",
                    "from_status": Status.RESOLVED,
                    "to_status": Status.CLOSED if happy else Status.RESOLVED,
                    "reason": "",
                    "data": {"resolved": happy, "satisfaction": p.satisfaction},
                    **common,
                }
            )
            closes = not happy
        if closes:
            events.append(
                {
                    "action": "close",
                    "from_status": Status.RESOLVED,
                    "to_status": Status.CLOSED,
                    "reason": lifecycle.IMPORTED_CLOSED_REASON,
                    "data": {},
                    **common,
                }
            )

    def _more_places(self, place_ids, found):
        """Add to `found` the places named by the rows, with every ancestor, by id (one or
        two queries, for those not found before)."""
        ids = sorted({i for i in place_ids if i and i not in found})
        if not ids:
            return
        new = {}
        for start in range(0, len(ids), BATCH):
            for p in Place.objects.filter(pk__in=ids[start : start + BATCH]):
                new[p.pk] = p
        found.update(new)
        codes = {c for p in new.values() for c in p.ancestor_codes}
        todo = sorted(codes - {p.code for p in found.values()})
        for start in range(0, len(todo), BATCH):
            for p in Place.objects.filter(code__in=todo[start : start + BATCH]):
                found[p.pk] = p

    def _router(self, places):
        """routing.route(category, place), computed once per distinct answer:

        - routing rules name places at grid level or above, so a building routes as
          its grid does (unless some rule names a building: then per building);
        - a category with no routing rule on itself or its parents routes by its home
          level alone, so those share one cache entry per (home level, grid).
        """
        per_building = RoutingRule.objects.filter(place__level=Level.BUILDING).exists()
        cache = {}
        departments = {}
        ruled = {}

        def route(category, place):
            anchor = place
            if place is not None and place.level == Level.BUILDING and not per_building:
                anchor = _grid_of(place, places) or place
            if category.pk not in ruled:
                ruled[category.pk] = routing.has_rules(category)
            what = category.pk if ruled[category.pk] else ("home", category.home_level)
            key = (what, anchor.pk if anchor else None)
            if key not in cache:
                found = routing.route(category, anchor)
                cache[key] = found
                if found.department is not None:
                    departments[found.department.pk] = found.department
            return cache[key]

        route.departments = departments
        return route

    def _deadlines(self):
        """(accept_by, respond_by, resolve_by) per row, with the limits looked up once per
        (urgency, category, district: a district may override the city's limits) and
        working-day deadlines computed once per local date."""
        calendar = WorkCalendar.load()
        limits = {}
        districts = {}
        workdays = {}

        def limits_for(urgency, category, place):
            where = place.pk if place is not None else None
            if where not in districts:
                districts[where] = sla.district_id(place)
            key = (urgency, category.pk if category else None, districts[where])
            if key not in limits:
                limits[key] = sla.limits_for(urgency, category, place)
            return limits[key]

        def add(start, day, value, unit):
            if unit != TimeLimit.Unit.WORKDAYS:
                return sla.add_limit(start, value, unit, calendar)
            key = (day, value)
            if key not in workdays:
                workdays[key] = calendar.add_workdays(start, value)
            return workdays[key]

        def deadlines(urgency, category, place, start, day):
            accept, respond, resolve = limits_for(urgency, category, place)
            # In order as compute_deadlines gives them (a row written before the check).
            d = sla.in_order(
                add(start, day, *accept), add(start, day, *respond), add(start, day, *resolve)
            )
            return d.accept_by, d.respond_by, d.resolve_by

        deadlines.limits_for = limits_for
        return deadlines


def _external_ids(rows, columns):
    """The file's 工单编号, as the check reads them (Parsed.external_id)."""
    index = columns.get("external_id")
    if index is None:
        return []
    return sorted({str(_get(cells, index)).strip() for _number, cells in rows} - {""})


def _imported_before(ids, channel):
    """The external ids among `ids` that a ticket of `channel` already has.

    On PostgreSQL one query with the ids as one array, through the unique index on
    (external_id, channel), whose condition (external_id <> '') the query states: an
    IN list of 2,000 parameters per batch was planned once per connection as a prepared
    statement (server-side binding), and the generic plan compared every ticket with
    every id: 3 s a batch, 70 s for a 50,000-row file once the table held 50,000.
    """
    if not ids:
        return set()
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Ticket._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT external_id FROM {table} "
                "WHERE external_id <> '' AND external_id = ANY(%s) AND channel = %s",
                [list(ids), channel],
            )
            return {row[0] for row in cursor.fetchall()}
    known = set()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        known |= set(
            Ticket.objects.filter(external_id__in=chunk, channel=channel).values_list(
                "external_id", flat=True
            )
        )
    return known


def _grid_of(place, places):
    if place is None:
        return None
    if place.level == Level.GRID:
        return place
    if place.level == Level.BUILDING:
        return places.get(place.parent_id)
    return None


def _events_of(p, dispatched, praise):
    """How many event and callback rows insert writes for a ticket (the bar's total)."""
    total = 1 + dispatched  # create, dispatch
    if p.outcome != OPEN:
        total += 1  # resolve
    elif praise:
        total += 1  # close: a praise passed on
    if p.outcome == CLOSED:
        unhappy = p.satisfaction == Satisfaction.DISSATISFIED
        total += 2 * bool(p.satisfaction) + (unhappy or not p.satisfaction)
    return total


def _passed_on(p, dispatched):
    """A praise still open on the platform, sent to the unit praised: closed on arrival
    (lifecycle.PRAISE_REASON). One waiting at the desk is closed once dispatched there."""
    return p.outcome == OPEN and dispatched and p.nature == Nature.PRAISE


def _dispatch_data(route, places, departments, cache):
    """The dispatch event's data, one shared dict per owner and what chose it (the rule, or
    the home level: routing.route_data), serialised once by COPY."""
    rule = route.rule.pk if route.rule is not None else None
    place_id = route.place.pk if route.place else None
    department_id = route.department.pk if route.department else None
    key = (place_id, department_id, rule, route.home_level)
    if key not in cache:
        if department_id:
            d = departments[department_id]
            unit = {"department": d.code, "unit": d.name}
        else:
            p = places.get(place_id)
            if p is None:
                p = Place.objects.get(pk=place_id)
            unit = {"place": p.code, "unit": p.name}
        cache[key] = {"auto": True, **unit, **routing.route_data(route)}
    return cache[key]


def _defaults(model, given):
    """{attname: default} for the concrete fields a row dict leaves out (not the id)."""
    return {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if f.attname not in given and not f.primary_key
    }


def _bulk_create(model, rows, bar):
    """bulk_create in batches (SQLite, and any database but PostgreSQL); → ids."""
    objects = [model(**row) for row in rows]
    for start in range(0, len(objects), BATCH):
        model.objects.bulk_create(objects[start : start + BATCH])
        bar.update(min(BATCH, len(objects) - start))
    return [o.pk for o in objects]


def _reserve_ids(model, count):
    """`count` ids from the table's sequence (one query), for rows COPY writes with them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [r[0] for r in cursor.fetchall()]


class _CopyWriter:
    """COPY into PostgreSQL in a thread, in the caller's transaction, while the caller
    builds the next chunk of rows: Python's work and the database's overlap (one
    transaction, so still all or nothing).

    The caller formats each chunk as COPY data (psycopg's own formatting, without the
    server: FileWriter), so the thread has little Python to run and rarely waits for the
    GIL; the thread sends it on the transaction's own psycopg connection (Django's is per
    thread), and the caller asks the database nothing meanwhile. The foreign keys of the
    tables written are checked as each COPY ends (SET CONSTRAINTS … IMMEDIATE), not all at
    commit when Python would have nothing left to do: the same checks, sooner. A failed
    COPY stops the writing; the caller gets its error at its next put or at close, as
    Django's DatabaseError, and its atomic block rolls everything back. stop() (in a
    finally) always waits for the thread: nothing is written after the caller has left.
    """

    MODELS = (Ticket, TicketEvent, Callback)

    def __init__(self, connection, bar):
        self.connection, self.bar = connection, bar
        self.raw = connection.connection
        self.formatting = self.raw.cursor()  # never executes: its adapters format the rows
        self.error = None
        self.written = self.counted = 0
        self.constraints = self._foreign_keys()
        self._set_constraints("IMMEDIATE")
        self.jobs = queue.Queue(maxsize=2)
        self.thread = threading.Thread(target=self._run, name="import-copy", daemon=True)
        self.thread.start()

    def _foreign_keys(self):
        tables = [m._meta.db_table for m in self.MODELS]
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE contype = 'f' AND condeferred "
                "AND conrelid = ANY(%s::regclass[])",
                [tables],
            )
            return [self.connection.ops.quote_name(r[0]) for r in cursor.fetchall()]

    def _set_constraints(self, mode):
        if self.constraints:
            with self.connection.cursor() as cursor:
                cursor.execute(f"SET CONSTRAINTS {', '.join(self.constraints)} {mode}")

    def put(self, *copies):
        """Format and queue COPYs of (model, rows, ids or None); raises a COPY's error
        seen so far."""
        self.raise_error()
        job = [
            (*_copy_data(self.formatting, model, rows, ids), len(rows))
            for model, rows, ids in copies
        ]
        self.jobs.put(job)  # the thread takes every job, even after an error: no hang
        self._progress()

    def close(self):
        """Wait for every COPY; raise the first error; the constraints deferred again."""
        self.jobs.put(None)
        self.thread.join()
        self.raise_error()
        self._progress()
        self._set_constraints("DEFERRED")

    def stop(self):
        if self.thread.is_alive():
            self.jobs.put(None)
            self.thread.join()

    def raise_error(self):
        if self.error is not None:
            with self.connection.wrap_database_errors:  # psycopg's error as Django's
                raise self.error

    def _progress(self):
        if self.bar is None:  # not shown yet: the checking bar is (import_streamed)
            return
        written = self.written  # counted by the thread; the bar is updated from here only
        self.bar.update(written - self.counted)
        self.counted = written

    def _run(self):
        while (job := self.jobs.get()) is not None:
            if self.error is not None:
                continue  # a COPY failed: the transaction is lost, write nothing more
            try:
                with self.raw.cursor() as cursor:
                    for sql, data, count in job:
                        with cursor.copy(sql) as copy:
                            copy.write(data)
                        self.written += count
            except BaseException as exc:  # noqa: BLE001 — raised again in the caller's thread
                self.error = exc


def _copy_data(cursor, model, rows, ids=None):
    """(COPY statement, its data) for row dicts (attname → value) into the model's table,
    with `ids` as their primary keys when given. Formatted by psycopg for `cursor`'s
    connection without asking the server anything."""
    from psycopg.copy import Copy, FileWriter  # PostgreSQL only

    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if ids is not None or not f.primary_key]
    defaults = _defaults(model, {})
    dumped = {}  # id(dict) → (dict kept alive, its JSON)
    names = [f.attname for f in fields]
    json_at = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    pk = model._meta.pk.attname
    data = io.BytesIO()
    with Copy(cursor, writer=FileWriter(data)) as copy:
        for index, row in enumerate(rows):
            if ids is not None:
                row = {**row, pk: ids[index]}
            values = [row[n] if n in row else defaults[n] for n in names]
            for i in json_at:
                value = values[i]
                if value is not None:
                    key = id(value)  # shared dicts are serialised once
                    if key not in dumped:
                        dumped[key] = (value, json.dumps(value, ensure_ascii=False))
                    values[i] = dumped[key][1]
                    if len(dumped) > 1000:
                        dumped.clear()
            copy.write_row(values)
    return f"COPY {quote(table)} ({columns}) FROM STDIN", data.getvalue()


def _get(cells, index):
    if index is None or index >= len(cells):
        return ""
    value = cells[index]
    return "" if value is None else value


def _float(value):
    if value in ("", None):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass


class _CallbackBar:
    """Progress for a function of (phase, done, total) — the import task's state, read by
    the upload page — called at most twice a second, and at the end."""

    def __init__(self, callback, total, desc):
        self.callback, self.total, self.desc = callback, total, str(desc)
        self.done, self.last = 0, 0.0
        callback(self.desc, 0, total)

    def update(self, n=1):
        self.done += n
        now = time.monotonic()
        if now - self.last >= 0.5:
            self.last = now
            self.callback(self.desc, self.done, self.total)

    def close(self):
        self.callback(self.desc, self.done, self.total)


def _bar(total, progress, desc):
    """`progress`: False, True (a terminal bar) or a function of (phase, done, total)."""
    if not progress:
        return _NoBar()
    if callable(progress):
        return _CallbackBar(progress, total, desc)
    from tqdm import tqdm

    return tqdm(total=total, desc=str(desc), unit="row", leave=True, mininterval=0.2)


def _progress(items, progress, desc):
    if not progress:
        return items
    if callable(progress):
        return _counted(items, _CallbackBar(progress, len(items), desc))
    from tqdm import tqdm

    return tqdm(items, desc=str(desc), unit="row", leave=True, mininterval=0.2)


def _counted(items, bar):
    for item in items:
        yield item
        bar.update()
    bar.close()


def save_upload(upload, data_dir, folder=None):
    """Keep an uploaded import file under data_dir/imports/ (or `folder`) for the import
    task; → path."""
    folder = Path(folder or Path(data_dir) / "imports")
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(upload.name or "").suffix.lower()
    suffix = suffix if suffix in (".csv", ".txt", ".xlsx", ".xlsm", ".xls") else ".csv"
    saved = folder / f"{uuid.uuid4().hex}{suffix}"
    with open(saved, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return saved


def errors_csv(errors):
    """The report's bad rows as a CSV file for Excel and WPS (UTF-8 with a BOM, nothing
    read as a formula): the page lists the first ones only, and staff fix a big file
    from the whole list."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([_("Row"), _("Column"), _("What is wrong")])
    for error in errors:
        writer.writerow([error["row"], csv_text(error["column"]), csv_text(error["message"])])
    return out.getvalue()


# --- entry points -------------------------------------------------------------------------


def import_rows(
    headers,
    rows,
    mapping=None,
    channel=Channel.HOTLINE,
    actor=None,
    dry_run=False,
    progress=False,
    source="",
    now=None,
    skip_imported=False,
):
    """Validate all rows, then (unless dry_run or any error) write them all; see module.
    With `skip_imported`, rows whose 工单编号 was imported before are left out, not errors."""
    # One look at the reference data's versions for the whole file, not one per cache lookup.
    with versions.scope():
        return _import_rows(
            headers, rows, mapping, channel, actor, dry_run, progress, source, now, skip_imported
        )


def _import_rows(
    headers, rows, mapping, channel, actor, dry_run, progress, source, now, skip_imported
):
    started = time.perf_counter()
    report = ImportReport(source=source, rows=len(rows), dry_run=dry_run, channel=channel)
    columns = resolve_mapping(headers, mapping)
    report.mapping = {f: headers[i] for f, i in columns.items()}
    importer = Importer(
        channel=channel, actor=actor, now=now, source=source, skip_imported=skip_imported
    )
    if connection.vendor == "postgresql" and not dry_run:
        return _import_streamed(importer, report, headers, rows, columns, progress, started)
    parsed, report.errors = importer.validate(headers, rows, columns, progress=progress)
    report.already_imported = importer.already_imported
    report.skipped = importer.already_imported if skip_imported else 0
    report.phases["check"] = time.perf_counter() - started
    if report.errors or dry_run:
        report.seconds = time.perf_counter() - started
        return report
    writing = time.perf_counter()
    with transaction.atomic():
        counts = importer.insert(parsed, progress)
        written = time.perf_counter()
    report.phases["write"] = written - writing
    return _written(report, counts, {p.day for p in parsed if p.day}, written, started)


def _import_streamed(importer, report, headers, rows, columns, progress, started):
    """PostgreSQL: check and write at once in one transaction (Importer.import_streamed),
    rolled back on any bad row: nothing written, every bad row reported."""
    errors = []
    with transaction.atomic():
        counts = importer.import_streamed(headers, rows, columns, errors, progress)
        if errors:
            transaction.set_rollback(True)
        written = time.perf_counter()
    errors.sort(key=lambda e: (e.row, e.column))
    report.errors = errors
    report.already_imported = importer.already_imported
    report.skipped = importer.already_imported if importer.skip_imported else 0
    # Checking and writing overlap: "check" ends with the last row checked (the chunks
    # before written meanwhile), "write" is the wait for the last COPYs.
    report.phases["check"] = importer.checked_at - started
    if errors:
        report.seconds = time.perf_counter() - started
        return report
    report.phases["write"] = written - importer.checked_at
    # The keys were checked as each COPY ended (_CopyWriter), so the commit is short.
    return _written(report, counts, importer.days, written, started)


def _written(report, counts, days, written, started):
    """`report` of an import that wrote: its counts, its first and last day, the commit's
    time (since `written`) and the whole time (since `started`)."""
    report.days = (min(days), max(days)) if days else ()
    for name in ("created", "dispatched", "at_desk", "resolved", "closed"):
        setattr(report, name, counts[name])
    report.phases["commit"] = time.perf_counter() - written
    report.seconds = time.perf_counter() - started
    return report


def import_file(
    path,
    mapping=None,
    channel=Channel.HOTLINE,
    actor=None,
    dry_run=False,
    progress=False,
    skip_imported=False,
):
    """Read, validate and (all or nothing) import a CSV or Excel file; an ImportReport."""
    headers, rows = read_table(path, mapping=mapping)
    with contextlib.nullcontext() if dry_run else one_at_a_time():
        return import_rows(
            headers,
            rows,
            mapping=mapping,
            channel=channel,
            actor=actor,
            dry_run=dry_run,
            progress=progress,
            source=Path(str(path)).name,
            skip_imported=skip_imported,
        )


# PostgreSQL advisory lock held while an upload is checked and written (one_at_a_time).
IMPORT_LOCK = zlib.crc32(b"gridgov.tickets.import")


@contextlib.contextmanager
def one_at_a_time():
    """Imports one after another, each checked and written whole before the next is checked.

    An import checks that no row was imported before (its 工单编号), then writes in a
    transaction of its own: two uploads of one file at once (a double click, two staff)
    both passed the check, and every ticket was written twice. The lock is a PostgreSQL
    advisory lock (workers on several machines), or on SQLite (one machine) a lock file
    in the data dir; held by the session, not by a transaction, so intakes are not held
    up while a big file is checked. Every way in takes it: uploads (the task) and
    `gridgov tickets import`.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK])
        try:
            yield
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK])
            except DatabaseError:  # the session is gone, and its lock with it
                pass
        return
    import fcntl

    folder = Path(settings.DATA_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".import.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed, or on a crash
        yield


# --- uploads: started for a user, followed by that user only --------------------------------

# The owner is bound into the task id itself: 8 random bytes, then 8 bytes of an HMAC
# (SECRET_KEY) of them and the owner's user id, written as a UUID. Nothing is stored, so
# whichever web node a poll reaches, and whether the task is queued, running, done or
# failed in a separate worker, the id alone says whose it is; nobody can make an id that
# passes for another user's without the secret key. (A record in a web process's memory
# or its local cache would not be seen by the other nodes; the worker's result meta does
# not exist while the task waits in the queue, and is lost to a failure's traceback.)
_OWNER_SALT = "gridgov.tickets.imports.owner"


def _owned_id(user_id, nonce):
    mac = salted_hmac(_OWNER_SALT, f"{nonce.hex()}:{user_id}").digest()[:8]
    return str(uuid.UUID(bytes=nonce + mac))


def owns_task(user, task_id):
    """Was the import task `task_id` started by `user` (start_import)?"""
    if not getattr(user, "pk", None) or not isinstance(task_id, str):
        return False
    try:
        canonical = str(uuid.UUID(task_id))
    except ValueError:
        return False
    if canonical != task_id:  # Celery keys results by the exact string it was given
        return False
    return constant_time_compare(_owned_id(user.pk, uuid.UUID(task_id).bytes[:8]), task_id)


@dataclass(frozen=True)
class ImportState:
    """Where an uploaded import stands, for the user who started it."""

    task: str
    state: str  # Celery's: PENDING (queued), PROGRESS, SUCCESS, FAILURE …
    progress: dict | None = None  # {phase, done, total} while it runs (tasks.import_task)
    # Once done: ImportReport.as_dict(), or {"ok": False, "format_error": …}; None if failed.
    report: dict | None = None
    # Failed because the server stopped while it ran in its thread (run_in_background):
    # its transaction never committed, so nothing of the file was written.
    interrupted: bool = False

    @property
    def done(self):
        return self.state in states.READY_STATES

    @property
    def failed(self):
        return self.done and self.report is None


def start_import(
    user,
    upload,
    *,
    mapping=None,
    channel=Channel.HOTLINE,
    dry_run=False,
    skip_imported=False,
    background=False,
):
    """Keep `upload` and run the import task for `user`; an ImportState.

    Without a broker the task runs here and the state is done, with its report; with one
    the state is PENDING and `import_state(state.task, user)` follows it. Only `user` can.
    `background` (the import page): without a broker the task runs in a thread of this
    process instead (run_in_background), followed the same way.
    """
    saved = save_upload(upload, settings.DATA_DIR)
    return _start(user, saved, mapping, channel, dry_run, skip_imported, background)


def _start(user, saved, mapping, channel, dry_run, skip_imported, background=False):
    from celery.result import EagerResult

    from .tasks import import_task

    task_id = _owned_id(user.pk, secrets.token_bytes(8))
    args = (str(saved), mapping, channel, user.pk, True, dry_run)
    kwargs = {"skip_imported": skip_imported} if skip_imported else {}
    # No broker (Celery runs tasks eagerly, as the app is configured: the notices and the
    # sweep ask the same): the thread, unless the setting keeps it in the request.
    eager = import_task.app.conf.task_always_eager
    if background and eager and settings.GRIDGOV_IMPORT_IN_BACKGROUND:
        run_in_background(task_id, args, kwargs)
        return ImportState(task_id, states.PENDING)
    result = import_task.apply_async(args, kwargs, task_id=task_id)
    if isinstance(result, EagerResult):  # no broker: it ran in this process
        return ImportState(task_id, result.state, report=result.get())
    return ImportState(task_id, "PENDING")


# --- uploads run in a thread of the web process, when there is no broker -------------------

# Without a broker Celery runs a task inside the request: the page of a file of tens of
# thousands of rows showed nothing until it was done (it looked frozen; a proxy timed out).
# The import page's uploads then run the same task in a thread of the serving process, and
# what a result backend would hold (the state, the task's {phase, done, total}, the report)
# is kept in a JSON file per task under DATA_DIR/imports/tasks/, replaced whole at each
# write, so a poll never reads half of one. A file rather than a database row: on SQLite
# the import holds the one write lock from its first insert to its commit, so a progress
# row could not be written meanwhile (nor, on the import's own connection, be seen before
# the commit); and any thread or process of the machine reads the file. Whose it is, the
# task id says (owns_task), as with a broker.
#
# The thread holds an flock on the task's .lock file while it runs. The kernel lets go of
# it when the process ends, so a poll that finds the state unfinished and the lock free
# knows the server stopped mid-import: interrupted, not running forever (its transaction
# never committed: nothing of the file was written).
#
# The .lock file also names the task's upload (its first argument), written once when the
# task is claimed: the task deletes the upload when it ends, but an interrupted one never
# does, so the poll that finds it interrupted, or the clean-up of old task files, does.
TASK_FILE_HOURS = 24  # a finished task's file is deleted after this long
_TASK_LOG = logging.getLogger("gridgov.tickets.imports")
_in_thread = threading.local()


def _task_dir():
    return Path(settings.DATA_DIR) / "imports" / "tasks"


def _write_task(task_id, data):
    """Replace the task's file with `data` at once (temporary file, then os.replace)."""
    path = _task_dir() / f"{task_id}.json"
    temporary = path.with_name(f".{task_id}.{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


def _claim_task(task_id, upload):
    """Create the task's files, PENDING, its lock file naming `upload` (the file it
    imports), and hold its lock; → the open lock file (closing it, or the end of the
    process, lets go)."""
    import fcntl

    folder = _task_dir()
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / f"{task_id}.lock", "w")  # noqa: SIM115 (held by the thread)
    handle.write(str(upload))
    handle.flush()
    fcntl.flock(handle, fcntl.LOCK_EX)
    _write_task(task_id, {"state": states.PENDING})
    return handle


def _running(task_id):
    """Does a thread of a live process still hold the task's lock?"""
    import fcntl

    try:
        handle = open(_task_dir() / f"{task_id}.lock")  # noqa: SIM115
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False


def _delete_upload(task_id):
    """Delete the upload the task `task_id` was to import (named in its lock file), if it
    is still there — only a file save_upload kept, in DATA_DIR/imports/ or its pending/."""
    imports_dir = (Path(settings.DATA_DIR) / "imports").resolve()
    with contextlib.suppress(OSError, ValueError):
        named = (_task_dir() / f"{task_id}.lock").read_text(encoding="utf-8").strip()
        if not named:
            return
        upload = Path(named).resolve()
        if upload.parent in (imports_dir, imports_dir / "pending") and _UPLOAD_NAME.match(
            upload.name
        ):
            upload.unlink(missing_ok=True)


def _forget_old_tasks():
    cutoff = time.time() - TASK_FILE_HOURS * 3600
    for old in _task_dir().glob("*.json"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff and not _running(old.stem):
                _delete_upload(old.stem)  # an interrupted one's, nobody having asked
                old.with_suffix(".lock").unlink(missing_ok=True)
                old.unlink()


def run_in_background(task_id, args, kwargs):
    """Run tasks.import_task(*args, **kwargs) as `task_id` in a daemon thread of this
    process, in the language of the request that started it (as it ran in the request),
    its state kept in its task file for import_state."""
    handle = _claim_task(task_id, args[0])
    _forget_old_tasks()
    thread = threading.Thread(
        target=_run_task,
        args=(task_id, args, kwargs, handle, translation.get_language()),
        name=f"gridgov-import-{task_id[:8]}",
        daemon=True,
    )
    thread.start()
    return thread


def _run_task(task_id, args, kwargs, handle, language):
    from django.db import connections

    from .tasks import import_task

    _in_thread.task = task_id
    try:
        with translation.override(language):
            report = import_task.apply(args, kwargs, task_id=task_id, throw=True).get()
        final = {"state": states.SUCCESS, "report": report}
    except Exception:
        _TASK_LOG.exception("The import %s failed", task_id)
        final = {"state": states.FAILURE}
    finally:
        _in_thread.task = None
        connections.close_all()  # this thread's own
    try:
        _write_task(task_id, final)
    finally:
        handle.close()


def background_progress(task_id, meta):
    """Keep the {phase, done, total} of the import `task_id` if it runs in this thread
    (run_in_background); nothing otherwise (the CLI, the task in the request)."""
    if getattr(_in_thread, "task", None) == task_id:
        _write_task(task_id, {"state": "PROGRESS", "progress": meta})


def _background_state(task_id):
    """The ImportState of a task run in a thread (its task file), or None if it was not."""
    path = _task_dir() / f"{task_id}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if data.get("state") not in states.READY_STATES and not _running(task_id):
        # Read again: it may have ended between the first read and the look at its lock.
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("state") not in states.READY_STATES:
            _delete_upload(task_id)  # the task that would have deleted it never will
            return ImportState(task_id, states.FAILURE, interrupted=True)
    progress = data.get("progress")
    return ImportState(
        task_id,
        data["state"],
        progress=progress if isinstance(progress, dict) else None,
        report=data.get("report"),
    )


# --- uploads whose columns the user maps on the page first --------------------------------

_PENDING_SALT = "gridgov.tickets.imports.pending"
PENDING_HOURS = 24  # an upload nobody mapped is deleted after this long
# The name save_upload gives a kept upload.
_UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}\.(?:csv|txt|xlsx|xlsm|xls)$")


def _pending_dir():
    return Path(settings.DATA_DIR) / "imports" / "pending"


def keep_for_mapping(user, upload, **options):
    """Keep an upload whose columns the user is to map (the import page); → a token that
    only `user` can redeem with `start_mapped_import`, for PENDING_HOURS. Older uploads
    left unmapped are deleted now."""
    folder = _pending_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - PENDING_HOURS * 3600
    for old in folder.iterdir():
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    saved = save_upload(upload, settings.DATA_DIR, folder=folder)
    return signing.dumps({"f": saved.name, "u": user.pk, "o": options}, salt=_PENDING_SALT)


def pending_upload(token, user):
    """(path, options) of the upload `token` names, if `user` kept it and it is still
    there; else None."""
    try:
        data = signing.loads(token or "", salt=_PENDING_SALT, max_age=PENDING_HOURS * 3600)
    except signing.BadSignature:
        return None
    if data.get("u") != user.pk or not _UPLOAD_NAME.match(str(data.get("f"))):
        return None
    path = _pending_dir() / data["f"]
    return (path, data.get("o") or {}) if path.exists() else None


def start_mapped_import(user, token, mapping, background=False):
    """Run the import of a kept upload (keep_for_mapping) with the user's mapping; an
    ImportState, or None when the token is not the user's or the upload is gone.
    `background`: as for start_import."""
    found = pending_upload(token, user)
    if found is None:
        return None
    path, options = found
    return _start(
        user,
        path,
        mapping,
        options.get("channel") or Channel.HOTLINE,
        bool(options.get("dry_run")),
        bool(options.get("skip_imported")),
        background,
    )


def import_state(task_id, user):
    """The state of an import `user` started, with its progress or report; None when the
    task is not theirs (or the id is not a task id): callers answer 404, as for no task."""
    from celery.backends.base import DisabledBackend
    from celery.result import AsyncResult

    if not owns_task(user, task_id):
        return None
    kept = _background_state(task_id)  # run in a thread of the web process (no broker)
    if kept is not None:
        return kept
    result = AsyncResult(task_id)
    # No result backend, nothing was kept to follow: Celery's DisabledBackend raises
    # NotImplementedError for some reads and AttributeError for get_task_meta.
    if isinstance(result.backend, DisabledBackend):
        return None
    try:
        state = result.state
    except NotImplementedError:
        return None
    if state == "SUCCESS":
        return ImportState(task_id, state, report=result.result)
    progress = result.info if state == "PROGRESS" and isinstance(result.info, dict) else None
    return ImportState(task_id, state, progress=progress)
