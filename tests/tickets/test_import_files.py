"""Reading an uploaded 12345 file (imports.read_table) whatever it holds: every row that is
there, in bounded time and memory, and an ImportFormatError (the report's 'cannot be
read'), never an exception from a parser, for a file that cannot be read."""

import io
import re
import zipfile

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
