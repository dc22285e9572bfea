"""Reading an uploaded 12345 file (imports.read_table) whatever it holds: every row that is
there, in bounded time and memory, and an ImportFormatError (the report's 'cannot be
read'), never an exception from a parser, for a file that cannot be read."""

import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from gridgov.tickets import imports

HEADERS = ["受理时间", "诉求性质", "诉求类型", "诉求标题", "诉求地址", "来电人", "联系电话"]
ROW = [
    "2026-03-02 08:00",
    "投诉",
    "网格事件/楼道堆物",
    "楼道堆物",
    "魏家坡小区5栋",
    "张三",
    "13812341234",
]


def xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite(content, name, change):
    """The .xlsx `content` with its part `name` passed through `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == name:
                data = change(data)
            target.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def with_dimension(content, ref):
    sheet = "xl/worksheets/sheet1.xml"
    return rewrite(
        content, sheet, lambda xml: re.sub(rb'<dimension ref="[^"]*" ?/>', ref.encode(), xml)
    )


def read(content, name="12345.xlsx"):
    return imports.read_table(io.BytesIO(content), filename=name)


def test_rows_below_a_wrong_dimension_are_read():
    # A sheet states its used range itself; some exporters always write A1. openpyxl's
    # read-only mode stops at the stated last row: the rows below were silently left out.
    content = with_dimension(xlsx([HEADERS, ROW, ROW, ROW]), '<dimension ref="A1"/>')
    headers, rows = read(content)
    assert headers == HEADERS
    assert [number for number, _cells in rows] == [2, 3, 4]
    assert rows[-1][1][6] == "13812341234"


def counting_cells(monkeypatch):
    built = []
    cell = imports._cell

    def counted(value):
        built.append(1)
        return cell(value)

    monkeypatch.setattr(imports, "_cell", counted)
    return built


def test_a_sheet_padded_to_excels_limits_is_read_within_bounds(monkeypatch):
    # One cell in column XFD (16,384) makes openpyxl pad its row to that width; a few
    # bytes of XML a row, compressed ~1000:1, made gigabytes of empty cells from a small
    # file. Columns past MAX_COLUMNS are not read; blank rows are skipped as they come.
    def far_cells(xml):
        rows = b"".join(
            b'<row r="%d"><c r="XFD%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
            for n in range(10, 610)
        )
        return xml.replace(b"</sheetData>", rows + b"</sheetData>")

    content = rewrite(xlsx([HEADERS, ROW]), "xl/worksheets/sheet1.xml", far_cells)
    content = with_dimension(content, '<dimension ref="A1:XFD610"/>')
    built = counting_cells(monkeypatch)
    headers, rows = read(content)
    assert headers == HEADERS and len(rows) == 1
    assert len(built) <= 2 * imports.MAX_COLUMNS  # not 600 × 16,384

    # A sheet stating Excel's whole grid, with one cell in its last row: a million blank
    # rows in between, which openpyxl yields one by one.
    def last_row(xml):
        cell = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace(b"</sheetData>", cell + b"</sheetData>")

    content = rewrite(xlsx([HEADERS, ROW]), "xl/worksheets/sheet1.xml", last_row)
    content = with_dimension(content, '<dimension ref="A1:XFD1048576"/>')
    built.clear()
    headers, rows = read(content)
    assert [number for number, _cells in rows] == [2, 1048576]
    assert len(built) == len(HEADERS) + len(ROW) + 1


def test_an_xlsx_that_unpacks_to_far_more_than_an_export_is_refused(settings, monkeypatch):
    # The limit on uploads is on the zip; its XML is inflated in memory by openpyxl.
    settings.GRIDGOV_MAX_IMPORT_BYTES = 64 * 1024
    bomb = rewrite(
        xlsx([HEADERS, ROW]), "docProps/app.xml", lambda xml: xml + b" " * (4 * 1024 * 1024)
    )
    assert len(bomb) < 64 * 1024
    opened = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: opened.append(1))
    with pytest.raises(imports.ImportFormatError) as refused:
        read(bomb)
    assert "MB" in str(refused.value)
    assert opened == []  # refused before openpyxl inflated anything


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_more_rows_than_an_import_takes_are_refused(monkeypatch, kind):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    data = [HEADERS] + [ROW] * 4
    if kind == "csv":
        content, name = "\n".join(",".join(r) for r in data).encode(), "12345.csv"
    else:
        content, name = xlsx(data), "12345.xlsx"
    with pytest.raises(imports.ImportFormatError) as refused:
        read(content, name)
    assert "3" in str(refused.value)
    read(xlsx([HEADERS] + [ROW] * 3) if kind == "xlsx" else content.rsplit(b"\n", 1)[0], name)


def csv_with_a_long_cell():
    # An unclosed quote makes the rest of a file one cell: past the csv module's limit
    # (131,072 characters) it raises csv.Error, which the import did not catch.
    return (
        "受理时间,诉求性质,诉求类型,诉求标题,诉求地址\n"
        + '2026-03-02,投诉,x,"楼道'
        + "堆物" * 70_000
    ).encode()


def test_a_csv_cell_longer_than_the_csv_module_reads_is_a_format_error():
    with pytest.raises(imports.ImportFormatError) as refused:
        read(csv_with_a_long_cell(), "12345.csv")
    assert "2" in str(refused.value)  # the line it happened on


def test_a_damaged_sheet_is_a_format_error():
    # The workbook opens; its sheet's XML breaks off (a copy cut short): the parser fails
    # only while the rows are read.
    cut = rewrite(xlsx([HEADERS, ROW]), "xl/worksheets/sheet1.xml", lambda xml: xml[:-120])
    with pytest.raises(imports.ImportFormatError):
        read(cut)


@pytest.mark.parametrize("serial", [3e6, 1e10])
def test_an_excel_97_date_out_of_range_is_a_bad_cell_not_a_crash(serial):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("12345")
    for column, header in enumerate(HEADERS):
        sheet.write(0, column, header)
    sheet.write(1, 0, serial, xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM"))
    for column, value in enumerate(ROW[1:], start=1):
        sheet.write(1, column, value)
    out = io.BytesIO()
    book.save(out)
    _headers, [(_number, cells)] = read(out.getvalue(), "12345.xls")
    # Left as the number it is: the row check reports "Not a date and time: 3000000".
    assert imports.parse_datetime(cells[0]) is None and cells[0] == str(int(serial))


@pytest.mark.django_db
def test_the_import_page_reports_an_unreadable_csv(client, tmp_path):
    from django.urls import reverse

    from .factories import make_world

    world = make_world()
    client.force_login(world.hotline)
    response = client.post(
        reverse("tickets:import"),
        {"file": io.BytesIO(csv_with_a_long_cell()), "channel": "hotline"},
        format="multipart",
    )
    assert response.status_code == 400 and "无法导入该文件" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("when", ["0001-01-01 00:00", "1899-12-31 08:00"])
def test_a_date_centuries_ago_is_a_row_error_not_a_crash(when):
    # It passed the row checks, then overflowed converting to UTC for the database: the
    # whole import failed with a 500 instead of listing the row.
    from .factories import make_world

    make_world()
    headers = ["受理时间", "诉求性质", "诉求类型", "诉求标题", "诉求地址"]
    good = ["2026-03-02 08:00", "咨询", "网格事件/楼道堆物", "楼道堆物", "魏家坡小区5栋"]
    report = imports.import_rows(headers, [(2, good), (3, [when, *good[1:]])])
    assert [(e.row, e.column) for e in report.errors] == [(3, "受理时间")]
    assert "1970" in report.errors[0].message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig", "gb18030"])
def test_csv_and_tab_separated_text_in_the_encodings_excel_and_wps_save(encoding):
    # Excel and WPS save "Unicode text" as UTF-16 with a byte order mark, tab-separated.
    text = "\r\n".join("\t".join(row) for row in (HEADERS, ROW)) + "\r\n"
    raw = text.encode(encoding)
    if encoding == "utf-16-be":
        raw = b"\xfe\xff" + raw
    headers, [(_number, cells)] = read(raw, "12345.txt")
    assert headers == HEADERS and cells == ROW
