"""The import's report lists every problem of every row in one go: a row whose cells have
problems is still checked for where it is (its coordinates, when they read as numbers) and
for having been imported before (its 工单编号), so the user does not mend a date, upload
again and only then learn that the point is outside the area. Nothing is written.

On PostgreSQL import_rows checks and writes at once (Importer.import_streamed, COPY from a
thread); with CHUNK = 2 the first chunk, all good, is written before the bad ones are met,
so "nothing written" there is the rollback's."""

import pytest
from django.utils import translation

from gridgov.tickets import imports
from gridgov.tickets.models import Callback, Ticket, TicketCounter, TicketEvent

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

HEADERS = [
    "工单编号",
    "受理时间",
    "诉求内容",
    "诉求地址",
    "联系电话",
    "诉求类型",
    "诉求性质",
    "纬度",
    "经度",
]
INSIDE = ("39.905", "116.305")  # grid G1a of make_world
OUTSIDE = ("30.5", "100.5")  # far from every grid
PRIOR, PRIOR_2 = "OLD-1", "OLD-2"  # hotline tickets' 工单编号, imported before


def row(external_id, created_at="2026-03-02 09:00", phone="13812345678", point=None):
    # A row with a point has no address: a building named outweighs the coordinates.
    return [
        external_id,
        created_at,
        "楼道堆物",
        "" if point else "魏家坡小区3号楼",
        phone,
        "网格事件/楼道堆物",
        "投诉",
        *(point or ("", "")),
    ]


ROWS = [
    row("N-1"),  # 2: good
    row("N-2", point=INSIDE),  # 3: good
    row("N-3", created_at="2026-13-45 10:00", point=OUTSIDE),  # 4: bad date, outside
    row(PRIOR, phone="12ab34"),  # 5: bad phone, imported before
    row("N-5", phone="12ab34", point=INSIDE),  # 6: bad phone, inside: only the phone
    row(PRIOR_2, point=OUTSIDE),  # 7: good cells, imported before, outside
    row(PRIOR),  # 8: good cells, PRIOR again: repeated, imported before
]
DATE = "Not a date and time: 2026-13-45 10:00"
PHONE = "Not a phone number: 12ab34"
OUTSIDE_AREA = "The location is outside our area."
BEFORE = "Already imported."


@pytest.fixture
def world(monkeypatch):
    w = make_world()
    make_ticket(w, external_id=PRIOR)
    make_ticket(w, external_id=PRIOR_2)
    monkeypatch.setattr(imports, "CHUNK", 2)  # the good rows are a chunk of their own
    return w


def written():
    return (
        Ticket.objects.count(),
        TicketEvent.objects.count(),
        Callback.objects.count(),
        sorted(TicketCounter.objects.values_list("day", "last")),
    )


def run(**options):
    before = written()
    with translation.override("en"):
        report = imports.import_rows(HEADERS, [(i + 2, r) for i, r in enumerate(ROWS)], **options)
    assert written() == before
    assert report.created == 0
    return report


def listed(report):
    return [(e.row, e.column, e.message) for e in report.errors]


def test_a_row_with_bad_cells_is_also_checked_for_its_place_and_for_being_imported_before(
    world,
):
    report = run()
    assert listed(report) == [
        (4, "受理时间", DATE),
        (4, "纬度", OUTSIDE_AREA),
        (5, "工单编号", BEFORE),
        (5, "联系电话", PHONE),
        (6, "联系电话", PHONE),
        (7, "工单编号", BEFORE),
        (7, "纬度", OUTSIDE_AREA),
        (8, "工单编号", "Duplicate of row 5."),
        (8, "工单编号", BEFORE),
    ]
    assert (report.already_imported, report.skipped) == (3, 0)


def test_with_skip_imported_a_row_imported_before_is_left_out_whatever_else_it_says(world):
    # Left out before any other check: what its cells (row 5, row 8's repeated 工单编号)
    # or its point (row 7) say now, the row is not imported again anyway.
    report = run(skip_imported=True)
    assert listed(report) == [
        (4, "受理时间", DATE),
        (4, "纬度", OUTSIDE_AREA),
        (6, "联系电话", PHONE),
    ]
    assert (report.already_imported, report.skipped) == (3, 3)


def test_a_dry_run_reports_the_same(world):
    assert listed(run(dry_run=True)) == listed(run())


def test_the_good_rows_import_once_the_others_are_left_out(world):
    with translation.override("en"):
        report = imports.import_rows(HEADERS, [(2, ROWS[0]), (3, ROWS[1])], skip_imported=True)
    assert report.ok and report.created == 2
    assert Ticket.objects.get(external_id="N-2").owner_place == world.grid_a
