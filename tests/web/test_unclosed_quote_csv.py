"""A CSV with a stray quotation mark (a building alias typed 6"楼, a title quoting the
caller) runs the rest of the file into one cell; past csv's limit of 131,072 characters
csv.Error was a 500 on the place, department and staff import pages, and the 12345 import
page said "field larger than field limit (131072)". Each now names the line the quotation
mark is on, in Chinese."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gridgov.core import sheets
from tests.tickets.factories import make_world

pytestmark = pytest.mark.django_db

SAID = '无法读取 CSV 文件第 3 行及以后的内容：该行有一个引号（"）没有闭合'
REST = "\n".join(f"第{n}行,其余的内容" for n in range(20_000))  # over 131,072 characters


def sheet(header):
    text = f'{header}\n第一行,没问题,\n第二行,"6号楼,\n{REST}\n'
    return SimpleUploadedFile("表格.csv", text.encode())


@pytest.mark.parametrize(
    ("url", "header"),
    [
        ("/places/import/", "编码,名称,层级,上级编码"),
        ("/people/departments/import/", "部门编码,部门名称,管辖区域编码"),
        ("/people/import/", "登录名,姓名,电话,角色,地点编码"),
    ],
)
def test_the_import_pages_name_the_line(client, url, header):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x"))
    response = client.post(url, {"file": sheet(header)})
    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert SAID.replace('"', "&quot;") in html and "field limit" not in html


def test_the_12345_import_page_names_the_line(client):
    client.force_login(make_world().hotline)
    upload = sheet("受理时间,诉求标题,诉求内容")
    html = client.post(reverse("tickets:import"), {"file": upload}).content.decode()
    assert SAID.replace('"', "&quot;") in html and "field limit" not in html


def test_csv_rows_says_where_the_row_that_cannot_be_read_starts():
    rows = sheets.csv_rows('a,b\n"c,d\n' + "x" * 140_000 + "\n")
    assert next(rows) == (1, ["a", "b"])
    with pytest.raises(sheets.SheetError, match="第 2 行"):
        next(rows)
