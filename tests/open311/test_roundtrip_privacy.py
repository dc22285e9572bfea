"""Round trip through the tickets lifecycle, and what Open311 never shows."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.open311.documents import scrub
from gridgov.tickets import lifecycle
from gridgov.tickets.models import Category, Ticket
from tests.tickets.factories import make_ticket

from .helpers import (
    BASE,
    PERSONAL,
    errors,
    open311_world,
    parse_json,
    parse_xml,
    patrol_report,
    post_data,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return open311_world()


def listed(client, query=""):
    return [r["service_request_id"] for r in parse_json(client.get(f"{BASE}requests.json{query}"))]


def detail(client, code):
    [doc] = parse_json(client.get(f"{BASE}requests/{code}.json"))
    return doc


def test_round_trip_post_get_close(client, w):
    response = client.post(f"{BASE}requests.xml", post_data(w))
    code = parse_xml(response).find("request").findtext("service_request_id")
    assert detail(client, code)["status"] == "open"
    assert code in listed(client) and code in listed(client, "?status=open")
    assert code not in listed(client, "?status=closed")

    ticket = Ticket.objects.get(code=code)
    before_close = timezone.now()
    lifecycle.perform(ticket, "accept", w.gridworker_a)
    lifecycle.perform(ticket, "contact", w.gridworker_a, note="已电话联系张三（13812341234）")
    lifecycle.perform(ticket, "resolve", w.gridworker_a, reply="已清理楼道杂物，通道恢复畅通。")
    assert detail(client, code)["status"] == "open"  # resolved: waiting for the callback
    lifecycle.perform(ticket, "close", w.street_staff, reason="回访无人接听，按已办结关闭")

    doc = detail(client, code)
    assert doc["status"] == "closed"
    assert "已清理楼道杂物" in doc["status_notes"]
    assert doc["service_notice"] is None
    assert [n["type"] for n in doc["notes"]] == [
        "create",
        "dispatch",
        "accept",
        "contact",
        "resolve",
        "close",
    ]
    notes = {n["type"]: n["description"] for n in doc["notes"]}
    assert "已清理楼道杂物" in notes["resolve"]
    assert "魏家坡小区网格" in notes["dispatch"]
    # The contact note and the close reason are the staff's words: not published.
    assert "13812341234" not in str(doc) and "回访无人接听" not in str(doc)
    assert code in listed(client, "?status=closed") and code not in listed(client, "?status=open")
    assert code in listed(client, f"?updated_after={before_close.isoformat()}".replace("+", "%2B"))
    xml = parse_xml(client.get(f"{BASE}requests/{code}.xml")).find("request")
    assert xml.findtext("status") == "closed"


def test_merged_is_closed_and_points_to_the_survivor(client, w):
    survivor = make_ticket(w, actor=w.hotline)
    duplicate = make_ticket(w, actor=w.hotline)
    lifecycle.perform(duplicate, "merge", w.hotline, into=survivor.code)
    doc = detail(client, duplicate.code)
    assert doc["status"] == "closed"
    assert survivor.code in doc["status_notes"]
    assert survivor.code in doc["notes"][-1]["description"]


def test_no_personal_data_anywhere(client, w):
    ticket = patrol_report(
        w, "我叫张三，电话13812341234，身份证110101199001011234，住3栋2单元502室。楼道堆满杂物。"
    )
    client.post(f"{BASE}requests.json", post_data(w))
    bodies = []
    for fmt in ("json", "xml"):
        bodies.append(client.get(f"{BASE}requests.{fmt}").content.decode())
        bodies.append(client.get(f"{BASE}requests/{ticket.code}.{fmt}").content.decode())
        bodies.append(client.post(f"{BASE}requests.{fmt}", post_data(w)).content.decode())
    for body in bodies:
        for secret in (*PERSONAL, "110101199001011234", "502室", "zhang@example.com", "acct-9"):
            assert secret not in body
    description = detail(client, ticket.code)["description"]
    assert description.startswith("我叫张*，电话***，身份证***，住3栋***。")


def test_scrub():
    assert scrub("联系人王小明 139-1234-5678", ["王小明"]) == "联系人王** ***"
    assert scrub("座机 0731-84561234 或 +86 13912345678") == "座机 *** 或 ***"
    assert scrub("12栋1203房有人") == "***有人"
    assert scrub("2019年3月1日 共300户") == "2019年3月1日 共300户"


def test_private_matters_are_placed_at_their_grid(client, w):
    building = w.buildings[0]
    private = make_ticket(w, actor=w.hotline, category=w.community_matter.code)
    public = make_ticket(w, actor=w.hotline)  # 楼道堆物: a public-space matter
    assert private.building == building == public.building

    doc = detail(client, private.code)
    assert (doc["address"], doc["address_id"]) == (w.grid_a.name, None)
    # The grid's representative point, not the building's.
    assert (doc["lat"], doc["long"]) != (building.lat, building.lng)
    assert 39.90 < doc["lat"] < 39.91 and 116.30 < doc["long"] < 116.31

    doc = detail(client, public.code)
    assert (doc["address"], doc["address_id"]) == (building.address, building.code)
    assert (doc["lat"], doc["long"]) == (building.lat, building.lng)


def test_unpublished_and_unlisted_tickets_are_not_shown(client, w):
    hidden = make_ticket(w, actor=w.hotline)
    Ticket.objects.filter(pk=hidden.pk).update(public=False)
    errors(client.get(f"{BASE}requests/{hidden.code}.json"), "json", 404)
    assert hidden.code not in listed(client)
    # A category listed under no public service is not shown either.
    ticket = make_ticket(w, actor=w.hotline, category=w.unlicensed.code)
    assert detail(client, ticket.code)["service_code"] == "C01"
    Category.objects.filter(code="C01").update(public=False)
    errors(client.get(f"{BASE}requests/{ticket.code}.json"), "json", 404)


def test_list_filters(client, w):
    now = timezone.now()
    old = make_ticket(w, actor=w.hotline)
    Ticket.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=120))
    fresh = make_ticket(w, actor=w.hotline)
    other = make_ticket(w, actor=w.hotline, category=w.community_matter.code)
    # Default: the last 90 days.
    assert listed(client) == [other.code, fresh.code]
    start = (now - dt.timedelta(days=130)).date().isoformat()
    end = (now - dt.timedelta(days=100)).date().isoformat()
    assert listed(client, f"?start_date={start}&end_date={end}") == [old.code]
    assert listed(client, f"?start_date={start}") == [old.code]
    # service_request_id overrides every other filter.
    assert listed(client, f"?service_request_id={old.code},{fresh.code}&status=closed") == [
        fresh.code,
        old.code,
    ]
    assert listed(client, f"?service_code={w.corridor.code}") == [fresh.code]
    assert listed(client, f"?service_code=C01,{w.corridor.code}") == [other.code, fresh.code]
    assert listed(client, "?page_size=1") == [other.code]
    assert listed(client, "?page_size=1&page=2") == [fresh.code]
    assert listed(client, "?page_size=1&page=3") == []
    assert listed(client, f"?jurisdiction_id={w.street.code}") == [other.code, fresh.code]


def test_at_most_1000_requests(client, w, monkeypatch):
    from gridgov.open311 import api

    monkeypatch.setattr(api, "MAX_REQUESTS", 2)
    for _i in range(3):
        make_ticket(w, actor=w.hotline)
    assert len(listed(client)) == 2
    errors(client.get(f"{BASE}requests.json?page_size=3"), "json", 400)


def test_a_call_about_a_private_matter_is_not_published_at_all(client, w):
    """A hotline report of 违法生育 was published with the neighbours it named (scrubbing
    masks only the caller's own name) and the building: such matters are never shown."""
    report = make_ticket(
        w,
        actor=w.hotline,
        category=Category.objects.get(name="违法生育").code,
        description="举报3号楼邻居王建国违法生育二胎，妻子李秀梅在家。",
    )
    assert report.category.private  # as everything under 人口计生
    errors(client.get(f"{BASE}requests/{report.code}.json"), "json", 404)
    assert report.code not in listed(client)
    for fmt in ("json", "xml"):
        body = client.get(f"{BASE}requests.{fmt}").content.decode()
        assert "王建国" not in body and "违法生育" not in body
    services = {s["service_name"] for s in parse_json(client.get(f"{BASE}services.json"))}
    assert "纪检监察" not in services and "卫生计生" in services


def test_only_patrols_about_public_space_and_open311_requests_publish_their_words(client, w):
    """A caller to 12345 did not write for the public: the request is listed (service,
    status, unit, grid) without its text or the reply, even on a matter of public space,
    where callers name whoever they write about (a review found 控告人：潘平安 and 业主王怀启
    in the demo's public feed); a grid worker's patrol report about public space, and what
    was sent to Open311 itself, show theirs."""
    rental = Category.objects.get(name="房屋租赁")
    call = make_ticket(
        w,
        actor=w.hotline,
        category=rental.code,
        description="房东刘志强不退押金，租的是魏家坡小区3栋。",
    )
    assert not rental.public_space and not rental.private
    lifecycle.perform(call, "accept", w.community_staff)
    lifecycle.perform(call, "resolve", w.community_staff, reply="已约刘志强到社区调解，押金已退。")
    lifecycle.perform(call, "close", w.street_staff, reason="回访满意")
    doc = detail(client, call.code)
    assert doc["description"] is None and doc["status"] == "closed"
    assert doc["service_name"] == rental.top().name and doc["agency_responsible"]
    assert "刘志强" not in str(doc) and "押金" not in str(doc)
    assert "resolve" in [n["type"] for n in doc["notes"]]  # that it was resolved, not how

    assert w.corridor.public_space
    corridor_call = make_ticket(w, actor=w.hotline, description="业主王怀启把楼道堆满纸箱。")
    assert detail(client, corridor_call.code)["description"] is None
    assert "王怀启" not in str(detail(client, corridor_call.code))
    patrol = patrol_report(w, "楼道堆满纸箱，无法通行。")
    assert detail(client, patrol.code)["description"] == "楼道堆满纸箱，无法通行。"
    response = client.post(
        f"{BASE}requests.json", post_data(w, description="我叫李安正，业主王怀启占用楼道。")
    )
    [created] = parse_json(response)
    assert (
        detail(client, created["service_request_id"])["description"]
        == "我叫李**，业主王**占用楼道。"
    )


def test_names_a_text_introduces_are_masked_but_plain_words_are_not():
    from gridgov.people.masking import mask_cued_names

    assert mask_cued_names("控告人:潘平安，住A10栋") == "控告人:潘**，住A10栋"
    assert mask_cued_names("举报人：于洋，") == "举报人：于*，"  # 于 after a cue naming a person
    assert mask_cued_names("房东刘志强不退押金") == "房东刘**不退押金"
    for plain in ("业主委员会说", "业主于某", "邻居家漏水", "房东要求退租", "业主高价出租"):
        assert mask_cued_names(plain) == plain


def test_a_reopened_request_reads_as_handled_again_not_restarted(client, w):
    """The public read 已重启 (as a machine restarts) for a request reopened by its callback."""
    response = client.post(f"{BASE}requests.json", post_data(w))
    code = parse_json(response)[0]["service_request_id"]
    ticket = Ticket.objects.get(code=code)
    lifecycle.perform(ticket, "accept", w.gridworker_a)
    lifecycle.perform(ticket, "resolve", w.gridworker_a, reply="已清理楼道杂物。")
    lifecycle.perform(
        ticket, "callback", w.hotline, resolved=False, satisfaction="dissatisfied", note="未清理"
    )
    response = client.get(f"{BASE}requests/{code}.json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    [doc] = parse_json(response)
    assert doc["status"] == "open"
    assert doc["status_notes"] == "魏家坡小区网格正在重新办理。"
    assert "重启" not in str(doc)
