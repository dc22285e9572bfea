"""The requester's own phone number, e-mail address and name are not published, however
written.

scrub_text's patterns find a mobile number written 138-1234-1234 and a landline with its
area code; the number the requester gave as `phone` was published when the description
wrote it otherwise: a landline's local number (88886666), bracketed or spaced
((0731)88886666, 0731 8888 6666), a mobile with dots or in full-width digits. A requester
with a Western name (first_name John, last_name Smith) who signs only John, or whom the
unit's reply calls smith, was published by name: only the whole name was masked.
"""

import pytest

from gridgov.open311.documents import blank_own_contacts
from gridgov.tickets import lifecycle
from gridgov.tickets.models import Ticket

from .helpers import BASE, open311_world, parse_json, parse_xml, post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return open311_world()


WRITTEN = [
    ("0731-88886666", "有事请打88886666找我", "88886666"),
    ("88886666", "有事请打8888 6666找我", "6666"),
    ("(0731)88886666", "有事请打(0731)88886666找我", "8888"),
    ("0731 8888 6666", "有事请打0731 8888 6666找我", "8888"),
    ("13812341234", "有事请打138.1234.1234找我", "1234"),
    ("+86 138 1234 1234", "有事请打１３８１２３４１２３４找我", "１２３４"),
]


@pytest.mark.parametrize("phone,text,secret", WRITTEN)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_requesters_own_phone_is_not_published(client, w, fmt, phone, text, secret):
    response = client.post(
        f"{BASE}requests.json", post_data(w, phone=phone, description=f"楼道堆满纸箱。{text}")
    )
    assert response.status_code == 201, response.content.decode()
    code = parse_json(response)[0]["service_request_id"]
    for url in (f"requests/{code}.{fmt}", f"requests.{fmt}?service_request_id={code}"):
        response = client.get(BASE + url)
        if fmt == "xml":
            description = parse_xml(response).find("request").findtext("description")
        else:
            description = parse_json(response)[0]["description"]
        assert description == "楼道堆满纸箱。有事请打***找我", url
        assert secret not in response.content.decode()


def test_nor_in_the_units_reply(client, w):
    response = client.post(
        f"{BASE}requests.json",
        post_data(w, phone="0731-88886666", email="Zhang.San+311@Example.com"),
    )
    ticket = Ticket.objects.get(code=parse_json(response)[0]["service_request_id"])
    lifecycle.perform(ticket, "accept", w.gridworker_a)
    reply = "已清理，结果已告知 88886666 和 zhang.san+311@example.com。"
    lifecycle.perform(ticket, "resolve", w.gridworker_a, reply=reply)
    lifecycle.perform(ticket, "close", w.street_staff, reason="回访满意")
    body = client.get(f"{BASE}requests/{ticket.code}.json").content.decode()
    [doc] = parse_json(client.get(f"{BASE}requests/{ticket.code}.json"))
    assert doc["status_notes"].endswith("已清理，结果已告知 *** 和 ***。")
    resolve = next(n for n in doc["notes"] if n["type"] == "resolve")
    assert resolve["description"].endswith("已清理，结果已告知 *** 和 ***。")
    assert "88886666" not in body and "zhang.san" not in body.lower()


@pytest.mark.parametrize(
    "text,phone",
    [
        ("打(0731)88886666找我", "0731-88886666"),
        ("打（0731）8888-6666找我", "0731 88886666"),
        ("打+86 138 1234 1234找我", "13812341234"),
        ("打008613812341234找我", "13812341234"),
        ("打13812341234找我", "+86-138-1234-1234"),
        ("打88886666找我", "010-88886666"),
    ],
)
def test_the_ways_of_writing_a_number(text, phone):
    assert blank_own_contacts(text, phone) == "打***找我"


def test_other_numbers_stay():
    # Only the requester's number: house numbers, dates, other people's short numbers stay.
    text = "88号楼前，2026年3月1日起，拨打110或12345，我的电话88886666"
    assert blank_own_contacts(text, "0731-88886666") == (
        "88号楼前，2026年3月1日起，拨打110或12345，我的电话***"
    )
    assert blank_own_contacts("编号188886666", "88886666") == "编号188886666"
    assert blank_own_contacts("打110", "110") == "打110"  # too short to be told apart
    assert blank_own_contacts("", "88886666") == ""


@pytest.mark.parametrize(
    "first,last,text,masked,parts",
    [
        ("John", "Smith", "我是John，住3栋。", "我是J***，住3栋。", ["John", "Smith"]),
        (
            "Maria",
            "Garcia-Lopez",
            "Garcia-Lopez家门口，maria留。",
            "G*****-L****家门口，m****留。",
            ["Maria", "Garcia", "Lopez"],
        ),
    ],
)
def test_each_part_of_a_western_name_is_masked(client, w, first, last, text, masked, parts):
    response = client.post(
        f"{BASE}requests.json",
        post_data(w, first_name=first, last_name=last, description=f"楼道堆满纸箱。{text}"),
    )
    ticket = Ticket.objects.get(code=parse_json(response)[0]["service_request_id"])
    lifecycle.perform(ticket, "accept", w.gridworker_a)
    reply = f"已清理，已告知{parts[-1].upper()}先生。"
    lifecycle.perform(ticket, "resolve", w.gridworker_a, reply=reply)
    lifecycle.perform(ticket, "close", w.street_staff, reason="回访满意")
    response = client.get(f"{BASE}requests/{ticket.code}.json")
    [doc] = parse_json(response)
    assert doc["description"] == f"楼道堆满纸箱。{masked}"
    told = f"已清理，已告知{parts[-1][0].upper()}{'*' * (len(parts[-1]) - 1)}先生。"
    assert doc["status_notes"].endswith(told)
    resolve = next(n for n in doc["notes"] if n["type"] == "resolve")
    assert resolve["description"].endswith(told)
    body = response.content.decode().lower()
    assert not [part for part in parts if part.lower() in body]
