"""core.sheets reads the Excel 97-2003 .xls that 12345 platforms and street offices still
save, through the same code as the tickets import (places, staff and departments imports
read their sheets with it)."""

import datetime as dt
import io

import pytest

from gridgov.core import sheets
from gridgov.tickets import imports as ticket_imports


def xls(rows, date_cell=None):
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("台账")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    if date_cell:
        (r, c), when = date_cell
        sheet.write(r, c, when, xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xls_sheet_is_read_with_numbers_dates_and_empty_cells():
    data = xls(
        [["编码", "名称", "电话", "日期"], ["HX", "河西区", 13800001111]],
        date_cell=((1, 3), dt.datetime(2026, 3, 4, 15, 40)),
    )
    assert sheets.is_excel(data) and sheets.is_xls(data) and not sheets.is_xlsx(data)
    rows = sheets.excel_rows(data)
    assert rows[0] == (1, ["编码", "名称", "电话", "日期"])
    number, cells = rows[1]
    assert number == 2 and [sheets.text(c) for c in cells[:3]] == ["HX", "河西区", "13800001111"]
    assert cells[3] == dt.datetime(2026, 3, 4, 15, 40)


def test_an_xls_saved_under_an_xlsx_name_is_read_by_its_content():
    data = xls([["编码"], ["HX"]])
    assert sheets.excel_rows(data, "地点.xlsx") == [(1, ["编码"]), (2, ["HX"])]


def test_a_broken_xls_is_a_sheet_error():
    with pytest.raises(sheets.SheetError):
        sheets.excel_rows(sheets.XLS_MAGIC + b"\x00" * 100, "地点.xls")


def test_the_tickets_import_still_reads_xls_after_the_move_to_core():
    data = xls([["工单编号", "诉求标题"], ["X-1", "楼道堆物"]])
    assert ticket_imports._read_xls(data) == [
        (1, ["工单编号", "诉求标题"]),
        (2, ["X-1", "楼道堆物"]),
    ]
