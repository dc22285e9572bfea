"""Rows of the tables offices keep: a CSV file or the first sheet of an Excel workbook,
.xlsx or the Excel 97-2003 .xls that 12345 platforms and street offices still save.

Spreadsheets leave blank lines about and often a title line above the header ("东桥街道
网格台账"), so `header` finds the first of the top rows that names the needed columns.
Row numbers are the file's (CSV line, sheet row), for errors that point at the row.
"""

import codecs
import csv
import io
import logging
from pathlib import PurePath
from urllib.parse import quote

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import textfiles

XLSX_MAGIC = b"PK\x03\x04"  # a zip, which an .xlsx is
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the OLE2 container of an Excel 97-2003 .xls
HEADER_SCAN_ROWS = 10
# What is uploaded instead of the table: a photo or scan of it, its PDF or Word copy, an
# archive. GB18030 decodes almost any bytes, so read as CSV these were "missing columns".
# By content (a phone's photo may have any name) and by name (.docx and .pptx are zips,
# like an .xlsx; .doc like an .xls). A CSV under another name (.txt, none) is still read.
NOT_TABLE_MAGIC = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b\x08",  # gzip
)
NOT_TABLE_SUFFIXES = frozenset(
    ".jpg .jpeg .png .gif .bmp .webp .heic .heif .tif .tiff .pdf .ofd .doc .docx .wps"
    " .ppt .pptx .zip .rar .7z .gz".split()
)

logger = logging.getLogger(__name__)


class SheetError(ValueError):
    """The workbook cannot be read."""


def unreadable(exc):
    """What to tell the person whose workbook cannot be read. The parser's own words
    ("File is not a zip file", "Unsupported format …") are English and mean nothing at a
    street office: they go to the log, the page says what to do."""
    logger.info("unreadable workbook: %s", exc)
    return _(
        "The Excel file cannot be read: it is damaged, or it is not an Excel workbook. "
        "Open it in Excel or WPS and save it again as .xlsx."
    )


def refusal(data, name=""):
    """What to say instead of reading `data` as a table, or "": the file is empty, or it
    is a picture, a PDF, a Word document … rather than CSV or an Excel workbook."""
    body = data
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        body = body.removeprefix(bom)
    if not body.strip():
        return empty()
    if (
        data.startswith(NOT_TABLE_MAGIC)
        or data[4:8] == b"ftyp"  # HEIC, the iPhone's photos (and MP4)
        or PurePath(str(name)).suffix.lower() in NOT_TABLE_SUFFIXES
    ):
        return _(
            "The file is not a CSV or Excel file: a picture, a PDF or a Word document "
            "cannot be imported. Upload the table itself, saved from Excel or WPS as "
            ".xlsx, .xls or .csv."
        )
    return ""


def empty():
    return _("The file is empty.")


def holds_nothing(rows):
    """Whether no row of (number, cells) rows holds anything: a file of blank lines or
    empty cells, or a workbook whose first sheet is empty."""
    return not any(text(c) for _n, cells in rows for c in cells)


def listing(items):
    """Items as a list in the page's language: 受理时间、诉求类型 on a Chinese page (a
    Chinese list is not written with ", "), "created, category" in English."""
    return pgettext("list separator", ", ").join(str(i) for i in items)


def attachment(name, fallback):
    """Content-Disposition of a download: `name` as the office files it (工单-辖区-….xlsx),
    in RFC 5987's filename*, which browsers prefer, and the ASCII `fallback` in filename
    for clients that read only that (RFC 6266 section 4.3). Django's
    content_disposition_header gives one or the other, never both."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def is_xlsx(data, name=""):
    return data[:4] == XLSX_MAGIC or str(name).lower().endswith(".xlsx")


def is_xls(data, name=""):
    return data[:8] == XLS_MAGIC or str(name).lower().endswith(".xls")


def is_excel(data, name=""):
    return is_xlsx(data, name) or is_xls(data, name)


def excel_rows(data, name=""):
    """(row number, cells) of the first sheet of an .xlsx or .xls workbook."""
    if data[:4] != XLSX_MAGIC and is_xls(data, name):
        return list(xls_rows(data))
    return xlsx_rows(data)


def csv_rows(text):
    """(line number, cells) of CSV text; a quoted cell may span lines. SheetError (in the
    page's words, csv's to the log) when a row cannot be read: a stray quotation mark runs
    the rest of the file into one cell, over csv's limit, and csv.Error was a 500."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            yield reader.line_num, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SheetError(csv_unreadable(start, exc)) from None


def csv_unreadable(line, exc):
    """What to tell the person whose CSV file stops being readable at `line`."""
    logger.info("unreadable CSV near line %s: %s", line, exc)
    if "field limit" in str(exc):
        return _(
            'The CSV file cannot be read from line %(n)s on: a quotation mark (") there is '
            "not closed, so the rest of the file reads as one cell. Close or remove it and "
            "save the file again."
        ) % {"n": line}
    return _(
        "The CSV file cannot be read near line %(n)s. Open it in Excel or WPS and save it "
        "again as CSV (UTF-8)."
    ) % {"n": line}


def xlsx_rows(data):
    """(row number, cells) of a workbook's first sheet; empty cells are ""."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some writers state a wrong used range
        rows = [
            (number, ["" if c is None else c for c in cells])
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
        book.close()
    except Exception as exc:  # a broken zip or XML: openpyxl raises many kinds
        raise SheetError(str(exc)) from None
    return rows


def xls_rows(data, max_columns=None):
    """(row number, cells) of an Excel 97-2003 workbook's first sheet (xlrd), as they are
    asked for; empty cells are "", dates datetimes (a serial no calendar has is left as
    its number, for the row check to report). SheetError when the file cannot be read."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data)
        sheet = book.sheet_by_index(0)
    except Exception as exc:  # not OLE2, a damaged stream …: xlrd raises many kinds
        raise SheetError(str(exc)) from None

    def date(value):
        try:
            return xlrd.xldate_as_datetime(value, book.datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return value

    for index in range(sheet.nrows):
        cells = []
        for cell in sheet.row_slice(index, 0, max_columns):
            value = cell.value
            if cell.ctype == xlrd.XL_CELL_DATE:
                value = date(value)
            cells.append(value)
        yield index + 1, cells


def text(value):
    """A cell as text: a whole number typed into a spreadsheet (a code, a phone) without
    its ".0"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def header(rows, column, required):
    """(header as field names, the rows below it) from (number, cells) rows: the header is
    the first of the top rows whose cells, read by `column(cell)`, hold all of `required`
    (the first row when none does, so the caller can say what is missing)."""
    rows = [(number, cells) for number, cells in rows if any(text(c) for c in cells)]
    start = next(
        (
            i
            for i, (_n, cells) in enumerate(rows[:HEADER_SCAN_ROWS])
            if set(required) <= {column(c) for c in cells}
        ),
        0,
    )
    fields = [column(c) for c in rows[start][1]] if rows else []
    return fields, rows[start + 1 :]


def read(source, name, error, not_text):
    """(number, cells) rows of a path, bytes or file object, CSV or Excel; an unreadable
    file raises `error` (the importer's own format error), with `not_text` when it is
    neither a workbook nor text, with `refusal`'s words when it is empty or a picture,
    PDF … and when no row holds anything."""
    if hasattr(source, "read"):
        data, name = source.read(), name or getattr(source, "name", "")
    elif isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        with open(source, "rb") as f:
            data, name = f.read(), str(source)
    problem = refusal(data, name)
    if problem:
        raise error(problem)
    if is_excel(data, name):
        try:
            rows = excel_rows(data, name)
        except SheetError as exc:
            raise error(unreadable(exc)) from None
    else:
        try:
            rows = list(csv_rows(textfiles.decode(data)[0]))
        except textfiles.NotText:
            raise error(not_text) from None
        except SheetError as exc:
            raise error(str(exc)) from None
    if holds_nothing(rows):
        raise error(empty())
    return rows
