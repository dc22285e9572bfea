"""Sheets for import tests: rows of cells as CSV bytes, an .xlsx or an Excel 97-2003 .xls."""

import io


def as_csv(rows):
    return "\n".join(",".join(str(c) for c in row) for row in rows).encode("utf-8")


def as_xlsx(rows):
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_xls(rows):
    """An Excel 97-2003 workbook, as 12345 platforms and street offices still save."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
