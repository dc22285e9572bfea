"""A photo of the sheet, its PDF or Word copy, or an empty file uploaded to an import page
(12345 tickets, places, departments, staff) or given to its command: GB18030 decodes
almost any bytes, so each was read as CSV and answered "missing columns" (缺少：编码、名称…).
Now they say the file is empty, or is not a CSV or Excel file (core.sheets.refusal). A CSV
under another name (.txt, no suffix) is still read."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from gridgov.core import sheets
from gridgov.places import io as places_io
from gridgov.tickets.models import Ticket
from tests.sheets import as_xlsx
from tests.tickets.factories import make_world

pytestmark = pytest.mark.django_db

NOT_A_TABLE = "该文件不是 CSV 或 Excel 表格：图片、PDF 或 Word 文档无法导入。"
EMPTY = "文件是空的。"
MISSING = "缺少"

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01" + bytes(range(256)) * 8
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 20
# Files named by what they are; the photo sent from a phone by its content alone.
NOT_TABLES = [
    ("表格.jpg", JPEG),
    ("微信图片_20261129.png", PNG),
    ("台账.pdf", PDF),
    ("表格", JPEG),
    ("表格.docx", b"PK\x03\x04" + bytes(200)),
]
EMPTIES = [
    ("空.csv", b"\xef\xbb\xbf"),
    ("空白.csv", b"\r\n\r\n  \r\n"),
    ("逗号.csv", b",,,\r\n,,\r\n"),
]
PAGES = ["/places/import/", "/people/departments/import/", "/people/import/"]


def upload(name, data):
    return SimpleUploadedFile(name, data)


def said(html, words):
    assert words in html, html[-3000:]
    assert MISSING not in html


@pytest.fixture
def admin(client):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x"))
    return client


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(("name", "data"), NOT_TABLES)
def test_the_sheet_import_pages_refuse_a_picture_or_pdf(admin, url, name, data):
    said(admin.post(url, {"file": upload(name, data)}).content.decode(), NOT_A_TABLE)


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(("name", "data"), [("空.csv", b""), *EMPTIES])
def test_the_sheet_import_pages_say_an_empty_file_is_empty(admin, url, name, data):
    said(admin.post(url, {"file": upload(name, data)}).content.decode(), EMPTY)


@pytest.mark.parametrize("url", PAGES)
def test_an_empty_workbook_is_empty(admin, url):
    html = admin.post(url, {"file": upload("表格.xlsx", as_xlsx([]))}).content.decode()
    said(html, EMPTY)


@pytest.mark.parametrize(("name", "data"), NOT_TABLES)
def test_the_12345_import_page_refuses_a_picture_or_pdf(client, name, data):
    client.force_login(make_world().hotline)
    response = client.post(reverse("tickets:import"), {"file": upload(name, data)})
    assert response.status_code == 400
    said(response.content.decode(), NOT_A_TABLE)
    assert "请对应文件的列" not in response.content.decode()  # no mapping table offered
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(("name", "data"), EMPTIES)
def test_the_12345_import_page_says_an_empty_file_is_empty(client, name, data):
    client.force_login(make_world().hotline)
    response = client.post(reverse("tickets:import"), {"file": upload(name, data)})
    said(response.content.decode(), EMPTY)


@pytest.mark.parametrize(
    "command",
    [("tickets", "import"), ("places", "import"), ("people", "import"), ("departments", "import")],
)
def test_the_commands_say_it_too(tmp_path, command):
    photo, blank = tmp_path / "表格.jpg", tmp_path / "空.csv"
    photo.write_bytes(JPEG)
    blank.write_bytes(b"")
    for path, words in ((photo, NOT_A_TABLE), (blank, EMPTY)):
        with translation.override("zh-hans"), pytest.raises(CommandError) as caught:
            call_command(*command, str(path), stdout=io.StringIO(), stderr=io.StringIO())
        assert words in str(caught.value) and MISSING not in str(caught.value)


def test_a_csv_under_another_name_is_still_read():
    rows = [["编码", "名称", "层级", "上级编码"], ["HX", "河西区", "区", ""]]
    data = "\n".join(",".join(r) for r in rows).encode()
    for name in ("地点.txt", "地点", "地点.dat"):
        assert sheets.refusal(data, name) == ""
        _fmt, records, errors = places_io.read_records(SimpleUploadedFile(name, data))
        assert [r.code for r in records] == ["HX"] and not errors
