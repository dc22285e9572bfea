"""The Excel export downloads under a Chinese name a street office files it by
(工单-辖区-2026-11-29.xlsx, it was tickets-20261129-1430.xlsx), with an ASCII name beside it
for clients that do not read RFC 5987's filename*; the import templates likewise."""

import re
from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from .factories import make_ticket, make_world
from .test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db


def names(response):
    """(filename, filename*) of a response's Content-Disposition, the latter decoded."""
    header = response["Content-Disposition"]
    assert header.startswith("attachment; ")
    plain = re.search(r'filename="([^"]*)"', header)
    extended = re.search(r"filename\*=UTF-8''(\S+)", header)
    assert plain and extended, header
    assert header.isascii()
    return plain.group(1), unquote(extended.group(1))


def test_the_list_export_is_named_in_chinese_with_an_ascii_fallback(client):
    world = make_world()
    make_ticket(world)
    client.force_login(world.community_staff)
    response = client.get(reverse("tickets:export"))
    assert response.status_code == 200
    day = f"{timezone.localdate():%Y-%m-%d}"
    assert names(response) == (f"tickets-{day}.xlsx", f"工单-辖区-{day}.xlsx")


def test_the_api_export_names_it_alike():
    world = make_world()
    response = client_for(world.community_staff).get(f"{TICKETS}export.xlsx")
    day = f"{timezone.localdate():%Y-%m-%d}"
    assert names(response) == (f"tickets-{day}.xlsx", f"工单-辖区-{day}.xlsx")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/places/import/template.xlsx", ("places-template.xlsx", "地点导入模板.xlsx")),
        ("/people/import/template.xlsx", ("staff-template.xlsx", "人员导入模板.xlsx")),
        (
            "/people/departments/import/template.xlsx",
            ("departments-template.xlsx", "部门导入模板.xlsx"),
        ),
    ],
)
def test_the_import_templates_are_named_in_chinese(client, url, expected):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x"))
    response = client.get(url)
    assert response.status_code == 200 and names(response) == expected
