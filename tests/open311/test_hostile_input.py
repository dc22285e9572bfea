"""What an anonymous caller can send to the public GET endpoints, and what a ticket's text
can hold, without breaking an answer: the spec's 400, never a 500 or a broken document."""

import pytest

from gridgov.open311.documents import scrub

from .helpers import BASE, errors, open311_world, parse_json, parse_xml, patrol_report

pytestmark = pytest.mark.django_db
FORMATS = ["xml", "json"]


@pytest.fixture
def w():
    return open311_world()


@pytest.mark.parametrize(
    "query, name",
    [
        ("start_date=2026-02-30", "start_date"),  # parse_date raises for an impossible day
        ("start_date=2026-02-30T00:00:00", "start_date"),
        ("updated_after=2026-13-01T00:00:00Z", "updated_after"),
        ("end_date=0001-01-01", "end_date"),  # 90 days before it: no such date
        ("start_date=9999-12-31", "start_date"),  # 90 days after it: no such date
        ("start_date=0001-01-01&end_date=0001-01-02", "start_date"),  # not in UTC either
        ("updated_before=9999-12-31T23:59:59-12:00", "updated_before"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_impossible_or_far_dates_are_a_400(client, w, fmt, query, name):
    client.raise_request_exception = False
    [message] = errors(client.get(f"{BASE}requests.{fmt}?{query}"), fmt, 400)
    assert name in message


@pytest.mark.parametrize(
    "value", ["%C2%B2", "%D9%A3", "9" * 5000], ids=["superscript", "arabic-indic", "5000-digits"]
)
@pytest.mark.parametrize("name", ["page", "page_size"])
def test_page_numbers_are_ascii_digits(client, w, name, value):
    # "²" and "٣" pass str.isdigit() but int() refuses them; so does a 5,000-digit number.
    client.raise_request_exception = False
    [message] = errors(client.get(f"{BASE}requests.json?{name}={value}"), "json", 400)
    assert name in message and "whole number" in message


def test_a_far_date_is_refused_in_chinese_too(client, w):
    [message] = errors(
        client.get(f"{BASE}requests.json?start_date=9999-12-31", HTTP_ACCEPT_LANGUAGE="zh-hans"),
        "json",
        400,
    )
    assert message == "start_date 须在 1900 年至 2999 年之间。"


def published(client, ticket):
    make_public = type(ticket).objects.filter(pk=ticket.pk)
    make_public.update(public=True)
    listed = client.get(f"{BASE}requests.xml")
    detail = client.get(f"{BASE}requests/{ticket.code}.xml")
    return listed, detail


def test_control_characters_in_a_ticket_do_not_break_the_xml(client, w):
    # Pasted text carries vertical tabs and the like, which XML 1.0 cannot hold: written as
    # they were, one ticket made requests.xml unreadable for every client. Intake drops them
    # now (tests/tickets/test_intake_controls.py); rows stored before that still hold them.
    from gridgov.tickets.models import Ticket

    ticket = patrol_report(w, "楼道堆物请处理")
    Ticket.objects.filter(pk=ticket.pk).update(description="楼道\x0b堆物\x01请\x1f处理")
    listed, detail = published(client, ticket)
    for response in (listed, detail):
        [request] = parse_xml(response).findall("request")
        assert request.findtext("description") == "楼道堆物请处理"
    [doc] = parse_json(client.get(f"{BASE}requests/{ticket.code}.json"))
    assert doc["description"] == "楼道\x0b堆物\x01请\x1f处理"  # JSON escapes them


def test_e_mail_qq_and_wechat_contacts_are_not_published(client, w):
    ticket = patrol_report(
        w,
        "楼道堆物，处理结果请发邮箱 zhang.san@qq.com，或加QQ：12345678、微信号: zhangsan_88，谢谢",
    )
    _listed, detail = published(client, ticket)
    text = parse_xml(detail).find("request").findtext("description")
    for secret in ("zhang.san@qq.com", "12345678", "zhangsan_88"):
        assert secret not in text
    assert text.startswith("楼道堆物，处理结果请发邮箱 ***，或加QQ")


def test_scrub_contacts():
    assert scrub("邮箱13812341234@163.com") == "邮箱***"
    assert scrub("QQ号码 123456789 / qq:10001") == "QQ号码 *** / qq:***"
    assert scrub("加我vx：wx_abc123 或 微信 ZhangSan-1") == "加我vx：*** 或 微信 ***"
    # Words that only look alike stay.
    assert scrub("关注微信公众号“清风区发布”，QQ群已满") == "关注微信公众号“清风区发布”，QQ群已满"
    assert scrub("wxyz 2019年3月1日") == "wxyz 2019年3月1日"
