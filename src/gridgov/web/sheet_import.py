"""What the import pages (places, staff, departments) share: the uploaded file and its
size limit, the dry-run box, and the template workbook to download."""

import io

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from gridgov.core import sheets


def upload(request):
    """(uploaded file, dry run, failure): failure is the message to show instead when no
    file came or it is too large."""
    upload = request.FILES.get("file")
    if upload is None:
        return None, False, _("Choose a file to import.")
    if upload.size > settings.GRIDGOV_MAX_IMPORT_BYTES:
        return (
            None,
            False,
            _("The file is larger than %(n)s MB.") % {"n": settings.GRIDGOV_MAX_IMPORT_BYTES >> 20},
        )
    return upload, bool(request.POST.get("dry_run")), None


def template_response(*, title, columns, rows, widths, notes, name, filename):
    """An .xlsx to fill in: the header the import reads and example rows on the first
    sheet, `notes` (one line each) on a second; downloaded as `name` (地点导入模板.xlsx),
    `filename` the ASCII name for clients that read no other."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    book_notes = book.create_sheet(_("How to fill in"))
    for line in notes:
        book_notes.append([line])
    book_notes.column_dimensions["A"].width = 110
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = sheets.attachment(name, filename)
    return response
