"""The 12345 import, for any file (hypothesis): all or nothing, with an exact row report.

Valid files are drawn row by row (texts of Chinese, ASCII, emoji, commas, quotes, line
breaks, tabs, a leading = or + as a spreadsheet formula would have, whitespace around;
phones as people write them; received-at times in every form the import reads; categories
by code or path; addresses that resolve, or coordinates in the area; 工单编号), under
headers in any order, by any of the names the import knows or renamed with a mapping,
sometimes below a title line, with a column the import does not read. Each is written as
CSV (UTF-8, UTF-8 with a BOM, GBK when its text has no character outside it), as an
.xlsx and as an Excel 97-2003 .xls, and imported with import_file, as the command and the
upload task do:

- every row becomes one ticket holding what the row said (stripped; a title made from the
  description when there is none), with a create event, and a dispatch event when routed;
  the three files give the same tickets; the same file again is refused row by row
  (Already imported), or skipped whole with skip_imported, and writes nothing;
- k cells broken (an unknown category, a bad phone, a bad or future time, an address
  outside the area or coordinates outside it, an empty required cell, an over-long text,
  a 工单编号 twice in the file or imported before), one way per row, are reported
  exactly, by the row number the sheet shows and the file's own header, in Chinese; no
  row of any table is written and no ticket code is spent; mended, the file imports.

On PostgreSQL import_file checks and writes at once, COPYing from a thread
(Importer.import_streamed, chosen for any import that is not a dry run): the tests check
that no INSERT of tickets went through Django there, so it is that path they exercise.
Examples are few for CI (the file runs in well under a minute on SQLite);
HYPOTHESIS_IMPORT_EXAMPLES raises them for a long run.
"""

import csv
import datetime as dt
import io
import os
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gridgov.tickets import imports, intake
from gridgov.tickets.models import Category, Nature, Status, Ticket, TicketCounter, TicketEvent

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HYPOTHESIS_IMPORT_EXAMPLES", "12"))
with_db = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written to the shared working tree
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

TZ = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai, the project's TIME_ZONE: no DST
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# An address → the building it names in make_world's tree (None: none, the text is kept).
ADDRESSES = {
    "魏家坡小区3号楼2单元": "B1a3",
    "魏家坡小区5栋": "B1a5",
    "幸福里小区3号楼": "B1b3",
    "海淀区学院路某处": None,
    "幸福里小区门口": None,
}
OUTSIDE_ADDRESS = "北京市朝阳区建国路88号"
PRIOR_ID = "OLD-0001"  # a hotline ticket's 工单编号, filed before any example
GRID_ORIGINS = {"G1a": (116.30, 39.90), "G1b": (116.31, 39.90)}  # make_tree's squares
GRID_SIZE = 0.01
# The phones of the rows: as people write them (imports stores them as written).
PHONES = [
    "13812345678",
    "138-1234-5678",
    "138 1234 5678",
    "+86 138 1234 5678",
    "010-62345678",
    "(010)62345678",
    "（010）62345678",
    "62345678",
]
SEPARATORS = [" ", "-", "(", ")", "（", "）", "\u3000"]  # what is_phone allows between digits


@st.composite
def phones(draw):
    """A phone as the import takes it: 7 to 15 digits, + before a country code, with
    spaces, dashes and brackets anywhere between them."""
    digits = draw(st.text(st.sampled_from("0123456789"), min_size=7, max_size=15))
    out = "+" if draw(st.booleans()) else ""
    for digit in digits:
        out += draw(st.sampled_from(["", "", "", *SEPARATORS])) + digit
    return out


NEEDS_PHONE = {"求助", "投诉", "help", "complaint"}
FIELDS = (
    "external_id",
    "created_at",
    "title",
    "description",
    "address",
    "requester_name",
    "requester_phone",
    "category",
    "nature",
    "urgency",
    "lat",
    "lng",
)


# --- drawing a file -------------------------------------------------------------------------

_pieces = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),  # CJK
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),  # printable ASCII: , " ' = + …
    st.sampled_from(list("，。、“”！？：；（）【】《》 \u3000\xa0\n\t")),
    st.sampled_from(["😀", "🚧", "👍🏻", "🏠"]),  # one of two code points, one with a modifier
    # A few cells pasted from a spreadsheet: tab-separated.
    st.lists(st.sampled_from(["物业费", "12.5", "停车", "A栋"]), min_size=2, max_size=12).map(
        "\t".join
    ),
)


def texts(min_size=0, max_size=40, limit=100):
    """Text of at most `limit` characters (the field's): longer is a bad cell."""
    body = st.lists(_pieces, min_size=min_size, max_size=max_size).map(
        lambda pieces: "".join(pieces)[: limit - 1]
    )
    # A formula's sign in front, whitespace around: stored without the whitespace.
    lead = st.sampled_from(["", "", "", "=", "+", "-", "@", " ", "\n", "\u3000"])
    trail = st.sampled_from(["", "", " ", "\n", "\t"])
    return st.builds(lambda a, b, c: a + b + c, lead, body, trail)


def _local(moment):
    return moment.replace(tzinfo=None)


TIME_FORMATS = [
    lambda m: m.strftime("%Y-%m-%d %H:%M:%S"),
    lambda m: m.strftime("%Y/%m/%d %H:%M"),
    lambda m: f"{m.year}/{m.month}/{m.day} {m.hour}:{m.minute:02d}",
    lambda m: m.strftime("%Y.%m.%d %H:%M:%S"),
    lambda m: f"{m.year}年{m.month}月{m.day}日 {m.hour}时{m.minute}分{m.second}秒",
    lambda m: m.strftime("%Y-%m-%dT%H:%M:%S"),
    lambda m: m.strftime("%Y-%m-%d %H:%M:%S") + ".250",
    lambda m: m.strftime("%Y-%m-%d"),
]
# What each form keeps of the moment (no seconds, no time).
TIME_KEEPS = [
    lambda m: m,
    lambda m: m.replace(second=0),
    lambda m: m.replace(second=0),
    lambda m: m,
    lambda m: m,
    lambda m: m,
    lambda m: m,
    lambda m: m.replace(hour=0, minute=0, second=0),
]


@st.composite
def rows_of(draw, categories, coordinates):
    """One row's cells by field, with what the ticket must hold."""
    moment = draw(
        st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2026, 11, 1)).map(
            lambda m: m.replace(microsecond=0)
        )
    )
    form = draw(st.integers(0, len(TIME_FORMATS) - 1))
    as_cell = draw(st.booleans())  # a workbook may hold it as a date cell (CSV: its text)
    title = draw(texts(limit=200))
    description = draw(texts(min_size=0 if title.strip() else 1, max_size=120, limit=4000))
    assume(title.strip() or description.strip())
    phone = draw(st.sampled_from(["", *PHONES]) | phones())
    # A workbook may hold a number typed in without separators as a number.
    phone_cell = (
        int(phone) if phone.isdigit() and phone[0] != "0" and draw(st.booleans()) else phone
    )
    nature = draw(st.sampled_from(sorted(set(imports.NATURES) - (set() if phone else NEEDS_PHONE))))
    category, category_text = draw(categories)
    urgency = draw(st.sampled_from(["", "一般", "紧急", "复杂", "水电气热", "general"]))
    lat = lng = ""
    address = draw(st.sampled_from(sorted(ADDRESSES)))
    grid = None
    if coordinates and draw(st.booleans()):
        grid = draw(st.sampled_from(sorted(GRID_ORIGINS)))
        lng0, lat0 = GRID_ORIGINS[grid]
        lat = round(lat0 + draw(st.floats(0.0005, GRID_SIZE - 0.0005)), 6)
        lng = round(lng0 + draw(st.floats(0.0005, GRID_SIZE - 0.0005)), 6)
        if draw(st.booleans()):
            address = ""
    name = draw(texts(max_size=12))
    kept = TIME_KEEPS[form](moment)
    expected_title = title.strip() or intake.title_from(description.strip())
    return SimpleNamespace(
        cells={
            "created_at": moment if as_cell else TIME_FORMATS[form](moment),
            "title": title,
            "description": description,
            "address": address,
            "requester_name": name,
            "requester_phone": phone_cell,
            "category": category_text,
            "nature": nature,
            "urgency": urgency,
            "lat": lat,
            "lng": lng,
        },
        # What the ticket must hold: the words stripped, the time as its form keeps it.
        created_at=(moment if as_cell else kept).replace(tzinfo=TZ),
        title=expected_title,
        description=description.strip() or expected_title,
        address=address,
        requester_name=name.strip(),
        requester_phone=phone.strip(),
        category=category,
        nature=imports.NATURES[nature],
        urgency=imports.URGENCIES[urgency] if urgency else category.default_urgency,
        building=ADDRESSES.get(address),
        grid=grid,
        lat=lat if lat != "" else None,
    )


@st.composite
def external_ids(draw, n):
    """n 工单编号, distinct once stripped: a drawn stem and the row's number, in a form."""
    stem = draw(st.text(st.sampled_from("0123456789ABCXYZabc-_/"), max_size=12))
    forms = [
        lambda i: f"{stem}{i}",
        lambda i: f"热线{stem}{i}号",
        lambda i: f" {stem}-{i:04d} ",
        lambda i: f"{i + 1}{stem}",
    ]
    ids = [draw(st.sampled_from(forms))(i) for i in range(n)]
    assume(len({i.strip() for i in ids}) == n and PRIOR_ID not in ids)
    return ids


@st.composite
def files(draw, world):
    """A valid file: headers, rows (with their expectations), and how to map it."""
    categories = st.sampled_from(world.categories).flatmap(
        lambda c: st.sampled_from(category_texts(c)).map(lambda text: (c, text))
    )
    coordinates = draw(st.booleans())
    n = draw(st.integers(1, 8))
    rows = draw(st.lists(rows_of(categories, coordinates), min_size=n, max_size=n))
    for row, external_id in zip(rows, draw(external_ids(n)), strict=True):
        as_number = external_id.isdigit() and external_id[0] != "0" and len(external_id) < 16
        row.cells["external_id"] = (
            int(external_id) if as_number and draw(st.booleans()) else external_id
        )
        row.external_id = external_id.strip()
    fields = [f for f in FIELDS if coordinates or f not in ("lat", "lng")]
    fields = draw(st.permutations(fields))
    headers, mapping = {}, {}
    for name in fields:
        if draw(st.integers(0, 4)) == 0:  # renamed: the mapping says which column it is
            headers[name] = f"列{name}"
            mapping[name] = headers[name]
        else:
            headers[name] = draw(st.sampled_from(imports.DEFAULT_MAPPING[name]))
    extra = draw(st.booleans())  # a column nobody reads
    title_line = draw(st.booleans())  # "XX区12345热线工单明细" above the headers
    return SimpleNamespace(
        fields=fields,
        headers=headers,
        mapping=mapping or None,
        rows=rows,
        extra=extra,
        title_line=title_line,
        first=3 if title_line else 2,  # the sheet's row number of the first data row
    )


def category_texts(category):
    names = []
    node = category
    while node is not None:
        names.append(node.name)
        node = node.parent
    names.reverse()
    return [
        category.code,
        "/".join(names),
        " / ".join(names),
        "＞".join(names),
        category.full_name,
    ]


# --- writing it -----------------------------------------------------------------------------


def table(file, breaks=None):
    """The sheet as rows of cells, top to bottom; `breaks`: {row index: its cells}."""
    header = [file.headers[f] for f in file.fields] + (["备注"] if file.extra else [])
    out = [["XX区12345热线工单明细"]] if file.title_line else []
    out.append(header)
    for number, row in enumerate(file.rows):
        cells = (breaks or {}).get(number, row.cells)
        line = [cells[f] for f in file.fields]
        out.append(line + ([f'备注{number},"附"\n件'] if file.extra else []))
    return out


def as_text(value):
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def write_csv(path, sheet, encoding):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    for line in sheet:
        writer.writerow([as_text(c) for c in line])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, sheet):
    from openpyxl import Workbook

    book = Workbook()
    page = book.active
    for r, line in enumerate(sheet, start=1):
        for c, value in enumerate(line, start=1):
            cell = page.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # a leading = is text the caller wrote, not a formula
    book.save(path)
    return path


def write_xls(path, sheet):
    """An Excel 97-2003 workbook (xlwt), dates as date cells."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    page = book.add_sheet("Sheet1")
    when = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    for r, line in enumerate(sheet):
        for c, value in enumerate(line):
            if isinstance(value, dt.datetime):
                page.write(r, c, value, when)
            else:
                page.write(r, c, value)
    book.save(str(path))
    return path


WRITERS = {"xlsx": write_xlsx, "xls": write_xls}


def encodings_of(sheet):
    found = ["utf-8", "utf-8-sig"]
    text = "".join(as_text(c) for line in sheet for c in line)
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return found
    return [*found, "gbk"]


# --- what the database holds ----------------------------------------------------------------


def every_table():
    """Rows per table, and the code counters: what an import must leave as it was."""
    counts = {m._meta.label: m.objects.count() for m in apps.get_models()}
    return counts, list(TicketCounter.objects.order_by("day").values_list("day", "last"))


def ticket_fields(ticket):
    return (
        ticket.external_id,
        ticket.code,
        ticket.created_at,
        ticket.title,
        ticket.description,
        ticket.address,
        ticket.requester_name,
        ticket.requester_phone,
        ticket.category_id,
        ticket.nature,
        ticket.urgency,
        ticket.status,
        ticket.building_id,
        ticket.grid_id,
        ticket.place_id,
        ticket.lat,
        ticket.lng,
        ticket.owner_place_id,
        ticket.owner_department_id,
        ticket.accept_by,
        ticket.resolve_by,
    )


def run_import(world, path, file, **options):
    connection.queries_log.clear()  # a capture past the log's 9,000 queries sees none
    with translation.override("zh-hans"), CaptureQueriesContext(connection) as queries:
        report = imports.import_file(path, mapping=file.mapping, actor=world.hotline, **options)
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "tickets_ticket"')]
    if connection.vendor == "postgresql":
        # The streamed path: tickets are COPYed from a thread, never INSERTed by Django.
        assert not inserts
    elif report.created:
        assert inserts  # what the capture sees
    return report


def check_tickets(world, file, report, source):
    assert report.ok, report.errors[:5]
    assert report.created == len(file.rows)
    assert report.dispatched + report.at_desk + report.closed == report.created
    by_id = {t.external_id: t for t in Ticket.objects.filter(channel="hotline")}
    buildings = {b.code: b for b in world.buildings}
    grids = {g.code: g for g in (world.grid_a, world.grid_b)}
    for number, row in enumerate(file.rows, start=file.first):
        ticket = by_id[row.external_id]
        assert ticket.created_at == row.created_at, number
        assert (ticket.title, ticket.description) == (row.title, row.description), number
        assert ticket.address == row.address
        assert (ticket.requester_name, ticket.requester_phone) == (
            row.requester_name,
            row.requester_phone,
        )
        assert (ticket.category, ticket.nature, ticket.urgency) == (
            row.category,
            row.nature,
            row.urgency,
        )
        if row.building:
            assert ticket.building == buildings[row.building]
            assert ticket.grid_id == ticket.building.parent_id
        else:
            assert ticket.building is None
            if row.lat is not None:
                assert ticket.grid == grids[row.grid]
        assert (ticket.lat is None) == (row.lat is None)
        assert ticket.code.startswith(f"GD{timezone.localtime(ticket.created_at):%Y%m%d}-")
        # Events as for any import: create (with the sheet's row), dispatch when routed,
        # and a praise passed on is closed.
        events = list(ticket.events.order_by("pk"))
        create = events[0]
        assert (create.action, create.from_status, create.to_status) == ("create", "", "received")
        assert create.data["import"] == source and create.data["row"] == number
        assert create.at == ticket.created_at and create.actor == world.hotline
        actions = [e.action for e in events]
        if ticket.dispatched_at is None:
            assert ticket.status == Status.RECEIVED and actions == ["create"]
        elif ticket.nature == Nature.PRAISE:
            assert ticket.status == Status.CLOSED
            assert actions == ["create", "dispatch", "close"]
        else:
            assert ticket.status == Status.DISPATCHED and actions == ["create", "dispatch"]
        for event in events:
            assert (event.owner_place_id, event.owner_department_id) == (
                ticket.owner_place_id,
                ticket.owner_department_id,
            )
    return sorted(ticket_fields(t) for t in by_id.values() if t.external_id != PRIOR_ID)


class _World(SimpleNamespace):
    def __repr__(self):  # not every place and user in a falsifying example
        return "world"


@pytest.fixture
def world(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "var"  # one_at_a_time's lock file on SQLite
    w = _World(**vars(make_world()))
    make_ticket(w, external_id=PRIOR_ID)
    # Categories to draw from: a spread of the taxonomy, with the world's own.
    active = list(Category.objects.filter(active=True).select_related("parent__parent"))
    w.categories = sorted(
        {*active[:: max(1, len(active) // 25)], w.corridor, w.unlicensed, w.community_matter},
        key=lambda c: c.pk,
    )
    return w


# --- valid files ----------------------------------------------------------------------------


@with_db
@given(data=st.data())
def test_every_row_of_a_valid_file_becomes_its_ticket_from_csv_xlsx_and_xls_alike(world, data):
    file = data.draw(files(world))
    sheet = table(file)
    encoding = data.draw(st.sampled_from(encodings_of(sheet)))
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        csv_path = write_csv(
            folder / "12345.csv", [[as_text(c) for c in r] for r in sheet], encoding
        )
        xlsx_path = write_xlsx(folder / "12345.xlsx", sheet)
        xls_path = write_xls(folder / "12345.xls", sheet)
        results = {}
        for path in (csv_path, xlsx_path, xls_path):
            with transaction.atomic():
                before = every_table()
                report = run_import(world, path, file)
                results[path.suffix] = check_tickets(world, file, report, path.name)
                counts, _counters = every_table()
                assert counts["tickets.Ticket"] == before[0]["tickets.Ticket"] + len(file.rows)
                events = TicketEvent.objects.filter(
                    ticket__external_id__in=[r.external_id for r in file.rows]
                )
                assert (
                    counts["tickets.TicketEvent"]
                    == before[0]["tickets.TicketEvent"] + events.count()
                )

                # The same file again: every row was imported before.
                after = every_table()
                again = run_import(world, path, file)
                assert [(e.row, e.column, e.message) for e in again.errors] == [
                    (n, file.headers["external_id"], "已导入过。")
                    for n in range(file.first, file.first + len(file.rows))
                ]
                assert again.created == 0 and again.already_imported == len(file.rows)
                assert every_table() == after
                skipped = run_import(world, path, file, skip_imported=True)
                assert skipped.ok and skipped.created == 0 and skipped.skipped == len(file.rows)
                assert every_table() == after
                transaction.set_rollback(True)
        assert results[".csv"] == results[".xlsx"] == results[".xls"]


# --- bad files ------------------------------------------------------------------------------


def _outside(cells, _draw):
    if cells["lat"] != "":  # coordinates outweigh the words: they are what is outside
        cells.update(lat=30.5, lng=100.5, address=OUTSIDE_ADDRESS)
        return "lat"
    cells["address"] = OUTSIDE_ADDRESS
    return "address"


def _half_point(cells, draw):
    if cells["lat"] == "":
        cells["address"] = ""  # nowhere: no address, no coordinates
        return "address"
    cells[draw(st.sampled_from(["lat", "lng"]))] = draw(st.sampled_from(["", "北纬39度"]))
    # Without an address the row is nowhere, and the report says that too.
    return "lat" if cells["address"] else ("lat", "address")


def _set(field, *values):
    def breaking(cells, draw):
        cells[field] = draw(st.sampled_from(values))
        return field

    return breaking


# Ways to break a row: each changes its cells and names the field the report must name.
BREAKS = {
    "unknown category": _set("category", "不存在的分类", "城乡建设/不存在", "ZZ99"),
    "no category": _set("category", "", "   "),
    "bad phone": _set("requester_phone", "12ab34", "123", "138-1234-567甲", "电话13812345678"),
    "no phone for a complaint": lambda cells, _draw: (
        cells.update(nature="投诉", requester_phone="") or "requester_phone"
    ),
    "bad time": _set(
        "created_at",
        "2026-13-45 10:00",
        "2026/02/30 08:00",
        "明天上午",
        "20260302",
        "2026-03-02 25:00",
        "2099-01-01 00:00",  # in the future
        "1969-12-31 08:00",  # before 1970
        dt.datetime(2099, 1, 1, 8, 0),  # in the future, as a date cell
    ),
    "no time": _set("created_at", ""),
    "unknown nature": _set("nature", "抱怨", ""),
    "unknown urgency": _set("urgency", "很急"),
    "nothing said": lambda cells, _draw: cells.update(title="", description=" ") or "title",
    "outside the area": _outside,
    "half a point": _half_point,
    "long title": _set("title", "标" * 201),
    "long description": _set("description", "述" * 4001),
    "long name": _set("requester_name", "名" * 101),
    "long phone": _set("requester_phone", " - ".join("13812345678")),  # 41 characters
    "long address": _set("address", "魏家坡小区3号楼" + "甲" * 300),
    "long external id": _set("external_id", "X" * 65),
    "imported before": _set("external_id", PRIOR_ID, f" {PRIOR_ID} "),
}


@st.composite
def broken(draw, file):
    """{row index: (its broken cells, the field the report must name)}: k rows broken, one
    way each; a 工单编号 repeated from an earlier row among them."""
    n = len(file.rows)
    indexes = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=min(n, 4), unique=True))
    breaks = {}
    for index in sorted(indexes):
        cells = dict(file.rows[index].cells)
        way = draw(st.sampled_from([*BREAKS, "repeated external id"]))
        if way == "repeated external id":
            if index:  # the 工单编号 an earlier row has in the file, broken or not
                earlier = draw(st.integers(0, index - 1))
                cells["external_id"] = breaks.get(earlier, (file.rows[earlier].cells,))[0][
                    "external_id"
                ]
                breaks[index] = (cells, "external_id", way)
                continue
            way = "unknown category"
        breaks[index] = (cells, BREAKS[way](cells, draw), way)
    return breaks


@with_db
@given(data=st.data())
def test_broken_cells_are_reported_exactly_and_nothing_is_written(world, data):
    file = data.draw(files(world))
    breaks = data.draw(broken(file))
    bad_sheet = table(file, {index: cells for index, (cells, _f, _w) in breaks.items()})
    kind = data.draw(st.sampled_from(["csv", "xlsx", "xls"]))
    with tempfile.TemporaryDirectory() as folder, transaction.atomic():
        path = Path(folder) / f"12345.{kind}"
        if kind == "csv":
            sheet = [[as_text(c) for c in r] for r in bad_sheet]
            write_csv(path, sheet, data.draw(st.sampled_from(encodings_of(sheet))))
        else:
            WRITERS[kind](path, bad_sheet)
        before = every_table()
        report = run_import(world, path, file)
        assert every_table() == before  # no row of any table, no code spent
        assert report.created == 0
        expected = {
            (file.first + index, file.headers[name])
            for index, (_c, names, _w) in breaks.items()
            for name in ([names] if isinstance(names, str) else names)
        }
        found = {(e.row, e.column) for e in report.errors}
        assert found == expected, {file.first + i: way for i, (_c, _n, way) in breaks.items()}
        assert [e.row for e in report.errors] == sorted(e.row for e in report.errors)
        for error in report.errors:
            assert CHINESE.search(error.message), error

        # Mended, the file imports whole.
        if kind == "csv":
            write_csv(path, [[as_text(c) for c in r] for r in table(file)], "utf-8-sig")
        else:
            WRITERS[kind](path, table(file))
        mended = run_import(world, path, file)
        check_tickets(world, file, mended, path.name)
        transaction.set_rollback(True)


# --- what the properties found, each pinned down ------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "encoding", "text"),
    [
        # Cells pasted from a spreadsheet into a CSV cell: more tabs than the commas between
        # the columns. The file was read as tab-separated: "missing columns".
        (
            ",",
            "utf-8-sig",
            "\t".join(["物业费", "停车费", "水费", "电费", "燃气费", "有线电视", "宽带"] * 2),
        ),
        # Excel's "Unicode text": tab-separated, and a caller's words with commas.
        (
            "\t",
            "utf-16",
            ",".join(["纸箱", "旧家具", "自行车", "花盆", "鞋柜", "电动车", "杂物"] * 2),
        ),
    ],
    ids=["csv-with-tabs", "tab-separated-with-commas"],
)
def test_a_cell_full_of_the_other_separator_does_not_change_how_the_file_is_split(
    world, tmp_path, delimiter, encoding, text
):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["工单编号", "受理时间", "诉求内容", "诉求地址", "诉求类型", "诉求性质"])
    writer.writerow(
        ["T-1", "2026-03-02 09:00", text, "魏家坡小区3号楼", "网格事件/楼道堆物", "建议"]
    )
    path = tmp_path / "12345.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    report = imports.import_file(path)
    assert report.ok and report.created == 1
    assert Ticket.objects.get(external_id="T-1").description == text


def test_a_phone_longer_than_a_ticket_keeps_is_a_bad_cell(world, tmp_path):
    # is_phone counts digits (7 to 15) and lets spaces, dashes and brackets be; a ticket
    # keeps 32 characters of a phone. PostgreSQL refused the longer one in the COPY (the
    # whole import failed, no report); SQLite kept it.
    phone = " - ".join("13812345678")
    path = tmp_path / "12345.csv"
    path.write_text(
        "工单编号,受理时间,诉求内容,诉求地址,联系电话,诉求类型,诉求性质\n"
        f"P-1,2026-03-02 09:00,楼道堆物,魏家坡小区3号楼,{phone},网格事件/楼道堆物,投诉\n",
        encoding="utf-8",
    )
    with translation.override("zh-hans"):
        report = imports.import_file(path)
    assert [(e.row, e.column) for e in report.errors] == [(2, "联系电话")]
    assert CHINESE.search(report.errors[0].message)
    assert not Ticket.objects.filter(external_id="P-1").exists()


def test_a_row_imported_before_is_left_out_with_skip_imported_whatever_its_cells_say_now(
    world, tmp_path
):
    # Platform exports overlap; a row imported last week comes again, its category since
    # renamed on the platform. skip_imported leaves the rows imported before out, "not
    # errors" (import_rows): this one's unknown category stopped the whole file.
    path = tmp_path / "12345.csv"
    header = "工单编号,受理时间,诉求内容,诉求地址,诉求类型,诉求性质\n"
    path.write_text(
        header + "W-1,2026-03-02 09:00,路灯不亮,魏家坡小区3号楼,城乡建设,建议\n", encoding="utf-8"
    )
    assert imports.import_file(path).created == 1
    path.write_text(
        header
        + "W-1,2026-03-02 09:00,路灯不亮,魏家坡小区3号楼,已改名的分类,建议\n"
        + "W-2,2026-03-09 09:00,路灯又不亮,魏家坡小区5栋,城乡建设,建议\n",
        encoding="utf-8",
    )
    report = imports.import_file(path, skip_imported=True)
    assert report.ok, report.errors
    assert (report.created, report.skipped) == (1, 1)
    assert Ticket.objects.filter(external_id__in=["W-1", "W-2"]).count() == 2
