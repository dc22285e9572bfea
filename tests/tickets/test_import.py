"""Importing a 12345 export: every bad row reported, nothing written on any error;
the corrected file imports fast, with a create and a dispatch event per ticket."""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.tickets import imports
from gridgov.tickets.models import Status, Ticket, TicketCounter, TicketEvent
from gridgov.tickets.tasks import import_task

from .factories import make_world

pytestmark = pytest.mark.django_db

HEADERS = [
    "工单编号",
    "受理时间",
    "诉求标题",
    "诉求内容",
    "诉求地址",
    "来电人",
    "联系电话",
    "诉求类型",
    "诉求性质",
]
ADDRESSES = ["魏家坡小区3号楼2单元", "魏家坡小区5栋", "幸福里小区3号楼", "海淀区学院路某处"]
CATEGORIES = ["网格事件/楼道堆物", "城乡建设/城市建设和市政管理/城管执法", "GE", "城乡建设"]
NATURES = ["投诉", "求助", "咨询", "建议", "举报"]
# Row index (0-based data row) → (column, bad value, good value)
BAD = {
    17: ("受理时间", "2026-13-45 10:00", "2026-03-05 10:00"),
    2345: ("诉求性质", "抱怨", "投诉"),
    5000: ("诉求类型", "不存在的分类", "网格事件/楼道堆物"),
    7777: ("联系电话", "12ab34", "13900007777"),
    9998: ("诉求地址", "", "魏家坡小区5栋"),
}


@pytest.fixture
def world():
    return make_world()


def rows(n=10_000, bad=True):
    start = dt.datetime(2026, 3, 2, 8, 0)
    for i in range(n):
        row = {
            "工单编号": f"12345-{i:06d}",
            "受理时间": (start + dt.timedelta(minutes=7 * i)).strftime("%Y/%m/%d %H:%M:%S"),
            "诉求标题": f"诉求{i}",
            "诉求内容": f"第{i}号诉求：楼道里堆了杂物，请处理。",
            "诉求地址": ADDRESSES[i % len(ADDRESSES)],
            "来电人": f"市民{i}",
            "联系电话": f"138{i:08d}",
            "诉求类型": CATEGORIES[i % len(CATEGORIES)],
            "诉求性质": NATURES[i % len(NATURES)],
        }
        if i in BAD:
            column, bad_value, good_value = BAD[i]
            row[column] = bad_value if bad else good_value
        yield row


def write_csv(path, data, headers=HEADERS, encoding="utf-8-sig"):
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=headers)
        writer.writeheader()
        writer.writerows(data)
    return path


def test_ten_thousand_rows_with_five_bad_ones_write_nothing_then_import(world, tmp_path):
    bad_file = write_csv(tmp_path / "12345_bad.csv", rows(bad=True))
    counter_before = list(TicketCounter.objects.values_list("day", "last"))

    report = imports.import_file(bad_file)
    # Exactly the five bad rows, by spreadsheet row number (header = row 1).
    assert [(e.row, e.column) for e in report.errors] == [
        (17 + 2, "受理时间"),
        (2345 + 2, "诉求性质"),
        (5000 + 2, "诉求类型"),
        (7777 + 2, "联系电话"),
        (9998 + 2, "诉求地址"),
    ]
    assert report.rows == 10_000 and report.created == 0
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0
    assert list(TicketCounter.objects.values_list("day", "last")) == counter_before

    good_file = write_csv(tmp_path / "12345_good.csv", rows(bad=False))
    report = imports.import_file(good_file)
    assert report.ok, report.errors[:5]
    assert report.created == 10_000 == Ticket.objects.count()
    # The fourth address is only text: those tickets wait at the dispatch desk.
    assert report.at_desk == 2_500 and report.dispatched == 7_500
    assert TicketEvent.objects.filter(action="create").count() == 10_000
    assert TicketEvent.objects.filter(action="dispatch").count() == 7_500
    assert Ticket.objects.filter(status=Status.DISPATCHED).count() == 7_500
    assert Ticket.objects.values("code").distinct().count() == 10_000
    assert not Ticket.objects.filter(accept_by__isnull=True).exists()

    first = Ticket.objects.get(external_id="12345-000000")
    local = timezone.localtime(first.created_at)
    assert (local.date(), local.hour) == (dt.date(2026, 3, 2), 8)
    assert first.code == "GD20260302-000001"
    assert first.channel == "hotline" and first.nature == "complaint"
    assert first.building.code == "B1a3" and first.owner_place == world.grid_a
    assert first.requester_phone == "13800000000"
    assert first.dispatched_at == first.created_at
    events = list(first.events.values_list("action", "to_status", "owner_place__code"))
    assert events == [("create", "received", "G1a"), ("dispatch", "dispatched", "G1a")]
    # Deadlines as intake computes them: one working day to accept.
    assert timezone.localtime(first.accept_by).date() == dt.date(2026, 3, 3)
    city = Ticket.objects.get(external_id="12345-000001")
    assert city.owner_department == world.city_mgmt
    desk = Ticket.objects.get(external_id="12345-000003")
    assert desk.status == Status.RECEIVED and desk.place is None
    assert desk.events.count() == 1

    # Importing the same file again: every row is already there; nothing written.
    again = imports.import_file(good_file)
    assert len(again.errors) == 10_000 and again.errors[0].message
    assert Ticket.objects.count() == 10_000


def test_command_reports_errors_and_exits_non_zero(world, tmp_path):
    bad_file = write_csv(tmp_path / "bad.csv", rows(n=30, bad=True))
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("tickets", "import", str(bad_file), "--no-progress", stdout=out)
    assert raised.value.returncode == 1
    assert "1 problem(s) in 30 row(s); nothing was written" in str(raised.value)
    assert "19" in out.getvalue() and "受理时间" in out.getvalue()
    assert Ticket.objects.count() == 0

    good = write_csv(tmp_path / "good.csv", rows(n=30, bad=False))
    out = io.StringIO()
    call_command("tickets", "import", str(good), "--json", "--no-progress", stdout=out)
    report = json.loads(out.getvalue())
    assert report["ok"] and report["created"] == 30
    assert report["mapping"]["created_at"] == "受理时间"


def test_custom_mapping_gb18030_and_row_checks(world, tmp_path):
    headers = ["单号", "时间", "内容", "位置", "电话", "类别", "类型"]
    data = [
        {
            "单号": "A1",
            "时间": "2026年3月2日 9时30分",
            "内容": "路灯不亮",
            "位置": "幸福里小区3号楼",
            "电话": "010-62345678",
            "类别": "路灯损坏",
            "类型": "求助",
        },
        {
            "单号": "A1",  # duplicate in the file
            "时间": "2026-03-02",
            "内容": "x",
            "位置": "幸福里小区3号楼",
            "电话": "",  # help needs a phone
            "类别": "其他",  # ambiguous name
            "类型": "举报",
        },
    ]
    path = write_csv(tmp_path / "gbk.csv", data, headers=headers, encoding="gb18030")
    mapping = {
        "external_id": "单号",
        "created_at": "时间",
        "description": "内容",
        "address": "位置",
        "requester_phone": "电话",
        "category": "类别",
        "nature": "类型",
    }
    report = imports.import_file(path, mapping=mapping)
    assert [(e.row, e.column) for e in report.errors] == [(3, "单号"), (3, "类别")]
    assert "不唯一" in report.errors[1].message  # the category name is ambiguous
    data[1].update({"单号": "A2", "类别": "城乡建设/城市建设和市政管理/其他"})
    path = write_csv(tmp_path / "gbk.csv", data, headers=headers, encoding="gb18030")
    report = imports.import_file(path, mapping=mapping)
    assert report.ok, report.errors
    lamp = Ticket.objects.get(external_id="A1")
    assert lamp.title == "路灯不亮" and lamp.grid == world.grid_b
    assert lamp.requester_phone == "010-62345678"


def test_missing_required_column_is_a_format_error(world, tmp_path):
    path = write_csv(tmp_path / "x.csv", [{"诉求标题": "a"}], headers=["诉求标题"])
    with pytest.raises(imports.ImportFormatError) as raised:
        imports.import_file(path)
    # The columns are named as a 12345 export names them, not by internal field names.
    message = str(raised.value)
    assert "受理时间、诉求性质、诉求类型、诉求地址/地点编码/纬度" in message
    assert "created_at" not in message


def assert_one_excel_row_imported(path, external_id, hour):
    """The row's date cell kept its time and its number cell became the phone text."""
    report = imports.import_file(path)
    assert report.ok, report.errors
    ticket = Ticket.objects.get(external_id=external_id)
    assert ticket.requester_phone == "13912345678"
    assert timezone.localtime(ticket.created_at).hour == hour
    assert ticket.building.code == "B1a5"


def test_excel_file_with_date_and_number_cells(world, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(
        [
            "X-1",
            dt.datetime(2026, 3, 4, 14, 5),
            "电动车乱停",
            "楼下电动车堵门",
            "魏家坡小区5栋",
            "李四",
            13912345678,
            "电动车乱停乱放",
            "投诉",
        ]
    )
    sheet.append([None] * len(HEADERS))  # blank rows are skipped
    path = tmp_path / "12345.xlsx"
    book.save(path)
    assert_one_excel_row_imported(path, "X-1", hour=14)


def test_title_lines_above_the_headers_are_skipped_and_rows_keep_their_numbers(world, tmp_path):
    # Platform exports open with a title, an export time and blank rows above the headers.
    good = next(rows(n=1, bad=False))
    path = tmp_path / "明细.csv"

    def export(second_nature):
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(["望江街道12345热线工单明细（2026年3月）"])
            writer.writerow([])
            writer.writerow(["导出时间：2026-04-01 09:00", "", ""])
            writer.writerow(HEADERS)
            writer.writerow([good[h] for h in HEADERS])
            second = {**good, "工单编号": "12345-2", "诉求性质": second_nature}
            writer.writerow([second[h] for h in HEADERS])
        return path

    report = imports.import_file(export("抱怨"))
    assert [(e.row, e.column) for e in report.errors] == [(6, "诉求性质")]
    assert not Ticket.objects.exists()
    report = imports.import_file(export("投诉"))
    assert report.ok and report.created == 2
    assert report.mapping["title"] == "诉求标题"


def test_excel_97_file_with_a_title_row(world, tmp_path):
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("工单")
    sheet.write(0, 0, "12345热线工单导出")
    for column, header in enumerate(HEADERS):
        sheet.write(1, column, header)
    values = ["X-97", dt.datetime(2026, 3, 4, 15, 40), "电动车乱停", "楼下电动车堵门"]
    values += ["魏家坡小区5栋", "李四", 13912345678, "电动车乱停乱放", "投诉"]
    when = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    for column, value in enumerate(values):
        if isinstance(value, dt.datetime):
            sheet.write(2, column, value, when)
        else:
            sheet.write(2, column, value)
    path = tmp_path / "12345.xls"
    book.save(str(path))
    assert_one_excel_row_imported(path, "X-97", hour=15)


def test_a_file_that_is_not_excel_is_a_format_error(world, tmp_path):
    path = tmp_path / "broken.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(imports.ImportFormatError):
        imports.import_file(path)
    assert not Ticket.objects.exists()


def test_celery_task_imports_an_upload(world, tmp_path):
    path = write_csv(tmp_path / "upload.csv", rows(n=5, bad=False))
    result = import_task.delay(str(path), None, "hotline", world.hotline.pk, True)
    report = result.get()
    assert report["ok"] and report["created"] == 5
    assert not path.exists()  # the uploaded copy is removed
    assert Ticket.objects.filter(created_by=world.hotline).count() == 5


def test_upload_endpoint_imports_or_reports_every_bad_row(world, tmp_path, settings):
    from rest_framework.test import APIClient

    settings.DATA_DIR = tmp_path
    client = APIClient()
    client.force_authenticate(world.hotline)
    bad = write_csv(tmp_path / "bad.csv", rows(n=20, bad=True))
    with open(bad, "rb") as handle:
        response = client.post("/api/v1/imports/tickets/", {"file": handle}, format="multipart")
    assert response.status_code == 400
    detail = response.json()["error"]["detail"]
    assert [(e["row"], e["column"]) for e in detail["errors"]] == [(19, "受理时间")]
    assert Ticket.objects.count() == 0

    good = write_csv(tmp_path / "good.csv", rows(n=20, bad=False))
    with open(good, "rb") as handle:
        response = client.post(
            "/api/v1/imports/tickets/", {"file": handle, "dry_run": "true"}, format="multipart"
        )
    assert response.status_code == 200 and response.json()["dry_run"]
    assert Ticket.objects.count() == 0
    with open(good, "rb") as handle:
        response = client.post("/api/v1/imports/tickets/", {"file": handle}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 20 == Ticket.objects.count()
    assert not list((tmp_path / "imports").iterdir())  # uploads are removed after import
    more = write_csv(tmp_path / "more.csv", rows(n=25, bad=False))  # overlaps: 20 known
    with open(more, "rb") as handle:
        response = client.post(
            "/api/v1/imports/tickets/",
            {"file": handle, "skip_imported": "true"},
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    assert (response.json()["created"], response.json()["skipped"]) == (5, 20)
    assert Ticket.objects.count() == 25

    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n1,2\n", encoding="utf-8")
    with open(junk, "rb") as handle:
        response = client.post("/api/v1/imports/tickets/", {"file": handle}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["error"]["detail"]

    outsider = APIClient()
    outsider.force_authenticate(world.gridworker_a)
    with open(good, "rb") as handle:
        response = outsider.post("/api/v1/imports/tickets/", {"file": handle}, format="multipart")
    assert response.status_code == 403


def test_an_empty_nature_is_reported_as_missing_not_unknown(world):
    cells = ["A1", "2026-03-05 10:00", "标题", "内容", "魏家坡小区5栋", "李四", "13900000000"]
    report = imports.import_rows(HEADERS, [(2, [*cells, "网格事件/楼道堆物", ""])])
    [error] = report.errors
    assert (error.row, error.column) == (2, "诉求性质")
    assert error.message.startswith("未填写诉求性质，可选：咨询") and "未知" not in error.message


def test_the_reference_data_versions_are_read_once_per_import(world):
    """Outside a request or task every cached lookup read the versions table again: an
    import of a few hundred rows over many categories and days asked it hundreds of times."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    data = [(n + 2, [row[h] for h in HEADERS]) for n, row in enumerate(rows(300, bad=False))]
    with CaptureQueriesContext(connection) as queries:
        report = imports.import_rows(HEADERS, data)
    assert report.ok and report.created == 300
    versions_read = [q for q in queries.captured_queries if "core_dataversion" in q["sql"]]
    assert len(versions_read) == 1


def test_imported_text_is_cleaned_as_at_intake(world):
    """A 12345 export carries what callers' words were pasted with: invisible controls are
    dropped (the address still finds its building), a NUL (damaged text) is a row error."""
    pasted = [
        "A1",
        "2026-03-05 10:00",
        "楼道\x0b堆物",
        "堆满\x1b了纸箱",
        "魏家坡小区\x085栋",
        "李\x7f四",
    ]
    damaged = ["A2", "2026-03-05 11:00", "标题", "内容\x00", "魏家坡小区5栋", "王五"]
    tail = ["13900000000", "网格事件/楼道堆物", "投诉"]
    report = imports.import_rows(HEADERS, [(2, [*damaged, *tail])])
    [error] = report.errors
    assert (error.row, error.column) == (2, "诉求内容") and "U+0000" in error.message
    assert Ticket.objects.count() == 0
    report = imports.import_rows(HEADERS, [(2, [*pasted, *tail])])
    assert report.ok, report.errors
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.description) == ("楼道堆物", "堆满了纸箱")
    assert (ticket.address, ticket.requester_name) == ("魏家坡小区5栋", "李四")
    assert ticket.building is not None and ticket.building.name.endswith("5栋")


def test_upload_endpoint_names_a_word_file_for_what_it_is(world, tmp_path, settings):
    """A .docx (a zip, like an .xlsx) sent to the API was saved without its name and then
    reported as a damaged workbook; the page's form already named it. Nothing is kept."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    settings.DATA_DIR = tmp_path
    client = APIClient()
    client.force_authenticate(world.hotline)
    word = SimpleUploadedFile("工单.docx", b"PK\x03\x04" + bytes(200))
    response = client.post("/api/v1/imports/tickets/", {"file": word}, format="multipart")
    assert response.status_code == 400
    (message,) = response.json()["error"]["detail"]["file"]
    assert "不是 CSV 或 Excel 表格" in message, message
    assert not (tmp_path / "imports").exists() or not list((tmp_path / "imports").iterdir())
    assert Ticket.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="how PostgreSQL plans it")
def test_the_check_for_rows_imported_before_reads_the_external_id_index(world, tmp_path):
    """Whether a file's 工单编号 were imported before is one query through the unique
    index on (external_id, channel). It was an IN list per 2,000 ids, which that partial
    index cannot serve: with prepared statements (server-side binding) PostgreSQL's
    generic plan compared each ticket with each id, 70 s for a 50,000-row file once the
    table held 50,000 tickets."""
    imports.import_file(write_csv(tmp_path / "first.csv", rows(n=30, bad=False)))
    again = write_csv(tmp_path / "again.csv", rows(n=2_500, bad=False))
    with CaptureQueriesContext(connection) as queries:
        report = imports.import_file(again, dry_run=True)
    assert [e.row for e in report.errors] == [i + 2 for i in range(30)]
    (sql,) = [
        q["sql"] for q in queries if "tickets_ticket" in q["sql"] and "external_id" in q["sql"]
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # can the index serve it at all?
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "tickets_ticket_external_unique" in plan, plan
