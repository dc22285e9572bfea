"""A query parameter no filter reads, on the area list (辖区工单), its Excel export and
GET /api/v1/tickets/: a 400 naming it and the allowed ones. `?statuss=accepted` was
ignored and listed every ticket of the area, which a street office read as "all accepted".
Whatever the pages themselves send (the filter form, page links, export links, the export
with contacts' purpose, a hot issue's link) is still accepted."""

import re

import pytest
from django.urls import reverse

from gridgov.tickets import views
from gridgov.tickets.lifecycle import perform

from .factories import make_ticket, make_world
from .test_api import client_for as api
from .test_views import html_of, row_codes

pytestmark = pytest.mark.django_db

LIST = reverse("tickets:list")
EXPORT = reverse("tickets:export")
TICKETS = "/api/v1/tickets/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def tickets(world):
    a = make_ticket(world, title="楼道堆物甲")
    b = make_ticket(world, address="幸福里小区3栋", title="楼道堆物乙")
    perform(b, "accept", world.gridworker_b)
    return a, b


def test_a_misspelt_filter_on_the_list_is_a_400_naming_it(client, world, tickets):
    client.force_login(world.street_staff)
    response = client.get(LIST, {"statuss": "accepted"})
    html = html_of(response)
    assert response.status_code == 400
    assert row_codes(html) == []  # was both tickets, as if both were accepted
    said = re.search(r'id="unknown-filter">(.*?)</div>', html, re.S).group(1)
    assert "没有 statuss 这一筛选条件" in said
    assert "status" in said and "date_from" in said and "page" in said  # the allowed ones
    assert 'id="export-xlsx"' not in html
    # Two unknown, one known: all named, nothing listed.
    response = client.get(LIST, {"status": "accepted", "plaec": "G1a", "x": "1"})
    assert response.status_code == 400 and "plaec、x" in html_of(response)
    assert client.get(LIST, {"status": "accepted"}).status_code == 200


def test_a_misspelt_filter_on_the_export_is_a_400_and_nothing_is_exported(client, world, tickets):
    client.force_login(world.street_staff)
    for query in ({"statuss": "accepted"}, {"statuss": "accepted", "purpose": "回访"}):
        response = client.get(EXPORT, query)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert "没有 statuss 这一筛选条件" in html_of(response)
    assert client.get(EXPORT, {"status": "accepted"})["Content-Type"] == XLSX


def test_what_the_list_page_sends_is_accepted(client, world, tickets, monkeypatch):
    """The filter form's fields, the page links, the export links and the export with
    contacts, the hot issue's hidden field: none of it is refused."""
    client.force_login(world.street_staff)
    monkeypatch.setattr(views, "LIST_PER_PAGE", 1)  # page links, too
    query = {
        "q": "楼道",
        "status": "open",
        "category": world.corridor.code,
        "channel": "hotline",
        "place": world.community.code,
        "date_from": "2020-01-01",
        "date_to": "2099-12-31",
        "hot": "",
        "page": "1",
    }
    response = client.get(LIST, query)
    assert response.status_code == 200
    html = html_of(response)
    form = re.search(r'<form[^>]*id="ticket-filters".*?</form>', html, re.S).group(0)
    names = set(re.findall(r'name="([^"]+)"', form))
    assert names == {"q", "status", "category", "channel", "place", "date_from", "date_to", "hot"}
    contacts = re.search(r'<form[^>]*id="export-contacts".*?</form>', html, re.S)
    if contacts:
        names = set(re.findall(r'name="([^"]+)"', contacts.group(0))) - {"purpose"}
        assert names <= set(query)
    for href in re.findall(r'href="(/tickets/(?:all/|export\.xlsx)\?[^"]*)"', html):
        href = href.replace("&amp;", "&")
        assert client.get(href).status_code in (200, 302), href
    assert client.get(EXPORT, {**query, "purpose": "逐一回访"}).status_code == 200
    # A purpose put into the list's link is ignored there, as before.
    assert client.get(LIST, {"status": "open", "purpose": "x"}).status_code == 200


def test_the_api_refuses_an_unknown_parameter_and_names_the_allowed_ones(world, tickets):
    client = api(world.street_staff)
    response = client.get(TICKETS, {"statuss": "accepted"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unknown_parameter"
    assert error["detail"]["unknown"] == ["statuss"]
    assert {"status", "ordering", "page", "page_size", "format", "q"} <= set(
        error["detail"]["allowed"]
    )
    assert "statuss" in error["message"] and "status" in error["message_en"]
    # DRF's and the paginator's own, and every filter, still pass.
    ok = client.get(
        TICKETS,
        {"status": "accepted", "ordering": "-created_at", "page": 1, "page_size": 10, "q": "楼道"},
    )
    assert ok.status_code == 200 and ok.json()["count"] == 1
    assert client.get(TICKETS, {"format": "json"}).status_code == 200
    # The export: its purpose is its own; a page is not (it exports every row).
    export = "/api/v1/tickets/export.xlsx"
    assert client.get(export, {"status": "accepted"}).status_code == 200
    assert client.get(export, {"statuss": "accepted"}).status_code == 400
    assert client.get(export, {"page": "2"}).json()["error"]["detail"]["unknown"] == ["page"]
    assert client.get(export, {"purpose": "回访"}).status_code != 400
