"""A file named .xlsx that is no workbook (damaged, or another file renamed), uploaded to the
three import pages a street office uses: the page said "无法读取 Excel 文件：File is not a
zip file", the parser's English, on a Chinese page. It now says what is wrong and what to
do, in Chinese."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from gridgov.core import sheets
from gridgov.tickets.models import Ticket
from tests.tickets.factories import make_world

pytestmark = pytest.mark.django_db

SAID = "无法读取该 Excel 文件：文件已损坏，或并不是 Excel 工作簿。请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。"


def junk(name):
    upload = io.BytesIO(b"this was a Word file once")
    upload.name = name
    return upload


def assert_said_in_chinese(html):
    assert SAID in html
    assert "zip" not in html and "Unsupported" not in html and "format" not in html


def test_the_12345_import_page(client):
    client.force_login(make_world().hotline)
    response = client.post(reverse("tickets:import"), {"file": junk("12345导出.xlsx")})
    assert response.status_code == 400
    assert_said_in_chinese(response.content.decode())
    assert not Ticket.objects.exists()


def test_an_old_xls_on_the_12345_import_page(client):
    client.force_login(make_world().hotline)
    response = client.post(reverse("tickets:import"), {"file": junk("12345导出.xls")})
    assert_said_in_chinese(response.content.decode())


@pytest.mark.parametrize("url", ["/places/import/", "/people/departments/import/"])
def test_the_place_and_department_import_pages(client, url):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x"))
    assert_said_in_chinese(client.post(url, {"file": junk("表格.xlsx")}).content.decode())


def test_the_parsers_words_go_to_the_log(caplog):
    with caplog.at_level("INFO", logger="gridgov.core.sheets"):
        message = sheets.unreadable(sheets.SheetError("File is not a zip file"))
    assert "File is not a zip file" in caplog.text and "zip" not in message
