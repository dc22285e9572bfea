"""What a ticket's viewers read of the requester in its free text and its address
(DESIGN §8, docs/permissions.md): the holding unit reads the text as written and sees the
exact address (logged); community police, cadres and the offices above read the text
scrubbed of phones, ID and room numbers and the requester's name, on the page, in the API
(list, detail, timeline) and in the export alike."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from gridgov.people.models import AccessLog, Role
from gridgov.tickets import lifecycle
from tests.people.factories import user_with_role

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
TICKETS = "/api/v1/tickets/"
ID_NUMBER = "110101199001011234"


@pytest.fixture
def world():
    w = make_world()
    w.police = user_with_role(Role.COMMUNITY_POLICE, w.community, username="police")
    w.cadre = user_with_role(Role.CADRE, w.grid_a, username="cadre")
    return w


@pytest.fixture
def ticket(world):
    ticket = make_ticket(
        world,
        title=f"张三反映楼道堆物 {PHONE}",
        description=f"楼道堆满纸箱。请联系我 {PHONE}，身份证 {ID_NUMBER}，住2单元501室。张三",
        address="魏家坡小区3号楼2单元",
        place=world.grid_a.code,
    )
    assert ticket.owner_place == world.grid_a  # held by grid A's worker
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    lifecycle.perform(
        ticket, "resolve", world.gridworker_a, reply=f"已电话联系张三 {PHONE}，已清理。"
    )
    lifecycle.perform(
        ticket,
        "callback",
        world.hotline,
        resolved=True,
        satisfaction="satisfied",
        note=f"张三说满意，回拨 {PHONE}",
    )
    ticket.refresh_from_db()
    return ticket


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _leaks(text):
    return [secret for secret in (PHONE, ID_NUMBER, "501室", "张三") if secret in text]


@pytest.mark.parametrize("who", ["police", "cadre", "street_staff"])
def test_a_viewer_outside_the_holding_unit_reads_the_text_scrubbed_on_the_page(
    client, world, ticket, who
):
    client.force_login(getattr(world, who))
    response = client.get(reverse("tickets:detail", args=[ticket.code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert _leaks(html) == []
    assert "请联系我 ***" in html and "已电话联系张* ***" in html and "张*说满意" in html


@pytest.mark.parametrize("who", ["police", "cadre"])
def test_a_viewer_outside_the_holding_unit_reads_the_text_scrubbed_in_the_api(world, ticket, who):
    caller = api(getattr(world, who))
    detail = caller.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert detail["description"].startswith("楼道堆满纸箱。请联系我 ***，身份证 ***")
    assert _leaks(detail["description"] + detail["resolution"] + detail["title"]) == []
    assert [c["note"] for c in detail["callbacks"]] == ["张*说满意，回拨 ***"]
    listed = caller.get("/api/v1/tickets/").json()["results"]
    assert [row["title"] for row in listed] == ["张*反映楼道堆物 ***"]
    events = caller.get(f"/api/v1/tickets/{ticket.pk}/events/").json()
    reasons = "".join(e["reason"] + e["reason_text"] for e in events)
    assert "已电话联系张* ***" in reasons and _leaks(reasons) == []


def test_a_viewer_outside_the_holding_unit_exports_the_title_scrubbed(client, world, ticket):
    client.force_login(world.police)
    response = client.get(reverse("tickets:export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    titles = [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == ["张*反映楼道堆物 ***"]


def test_the_holding_unit_reads_the_text_as_written_and_the_exact_address(client, world, ticket):
    client.force_login(world.gridworker_a)
    response = client.get(reverse("tickets:detail", args=[ticket.code]))
    html = response.content.decode()
    assert f"请联系我 {PHONE}" in html and "住2单元501室" in html
    # The unit goes to the stairwell: the entrance typed, not only the building, in the
    # description panel and the requester's.
    assert "诉求地址：魏家坡小区3号楼2单元" in html
    assert 'data-field="address">魏家坡小区3号楼2单元<' in html
    log = AccessLog.objects.get()
    assert (log.user, log.fields, log.channel) == (world.gridworker_a, ["address"], "web")
    # Name and phone stay behind the logged reveal.
    assert "13812341234" not in html
    detail = api(world.gridworker_a).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert PHONE in detail["description"] and detail["address"] == "魏家坡小区3号楼2单元"


def test_others_see_the_address_masked_and_nothing_is_logged(client, world, ticket):
    client.force_login(world.cadre)
    html = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert "2单元" not in html.split('data-field="address"')[1].split("</dd>")[0]
    assert "魏家坡小区3号楼2单元" not in html
    assert not AccessLog.objects.exists()


def test_the_holding_units_export_keeps_its_titles_as_typed(client, world, ticket):
    client.force_login(world.gridworker_a)
    response = client.get(reverse("tickets:export"))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    titles = [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == [f"张三反映楼道堆物 {PHONE}"]


def test_scrubbing_a_list_reads_nothing_per_row(world, ticket):
    """The rule is decided from the request's scope and the row's owner: a page of 5 rows
    costs the queries of a page of 1."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        police = type(world.police).objects.get(pk=world.police.pk)  # nothing cached on it
        with CaptureQueriesContext(connection) as captured:
            rows = api(police).get("/api/v1/tickets/").json()["results"]
        return len(rows), len(captured.captured_queries)

    one = queries()
    for _n in range(4):
        make_ticket(world, title=f"请回电 {PHONE}", place=world.grid_a.code)
    five = queries()
    assert (one[0], five[0]) == (1, 5)
    assert five[1] == one[1]


def test_the_desk_calling_back_reads_the_words_as_written_and_only_then(world):
    """The desk may see the requester in full while the demand waits for it (to call back,
    tickets.view_requester): it reads the words as written then, as the holding unit does;
    once the ticket is with a unit again, scrubbed."""
    ticket = make_ticket(
        world,
        title="楼道堆物",
        description=f"请联系我 {PHONE}",
        address="魏家坡小区3号楼2单元",
        place=world.grid_a.code,
    )
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    url = f"/api/v1/tickets/{ticket.pk}/"
    assert PHONE not in api(world.hotline).get(url).json()["description"]
    lifecycle.perform(ticket, "resolve", world.gridworker_a, reply="已清理。")
    assert world.hotline.has_perm("tickets.view_requester", ticket)
    assert PHONE in api(world.hotline).get(url).json()["description"]


def test_a_search_for_a_phone_finds_only_the_tickets_whose_text_one_reads_as_written(
    client, world, ticket
):
    """Police read the description blanked (请联系我 ***, 张*): a search for the number or
    the requester's name must not tell them the ticket holds it. Words that are not personal
    data are still found."""
    lifecycle.perform(ticket, "reopen", world.hotline, reason="不满意")
    ticket.refresh_from_db()
    assert world.gridworker_a.has_perm("tickets.read_requester_text", ticket)
    for who, finds_phone in (("police", False), ("cadre", False), ("gridworker_a", True)):
        user = getattr(world, who)
        terms = ((PHONE, finds_phone), (ID_NUMBER, finds_phone), ("张三", finds_phone))
        for term, found in (*terms, ("纸箱", True), ("张", True)):
            codes = [t["code"] for t in api(user).get(TICKETS, {"q": term}).json()["results"]]
            assert (ticket.code in codes) is found, (who, term, codes)
            client.force_login(user)
            page = client.get(reverse("tickets:list"), {"q": term}).content.decode()
            assert (ticket.code in page) is found, (who, term, "list page")


def test_a_search_for_a_bare_number_is_no_key_to_a_phone_read_blanked(client, world):
    """scrub_text blanks 电话88886666 in a description, but the bare 88886666 is no phone to
    it: police searching for the number found the ticket whose text they read blanked."""
    ticket = make_ticket(
        world,
        title="噪音扰民",
        description="晚上施工太吵，请拨打电话88886666联系我",
        address="魏家坡小区3号楼2单元",
        place=world.grid_a.code,
    )
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    url = f"/api/v1/tickets/{ticket.pk}/"
    assert "88886666" not in api(world.police).get(url).json()["description"]
    for who, finds_number in (("police", False), ("gridworker_a", True)):
        for term, found in (("88886666", finds_number), ("施工太吵", True)):
            listed = api(getattr(world, who)).get(TICKETS, {"q": term}).json()["results"]
            assert (ticket.code in [t["code"] for t in listed]) is found, (who, term)
