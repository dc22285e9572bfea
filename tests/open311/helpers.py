"""Shared helpers for the Open311 tests: a world with a key, and spec-checking parsers.

The XML is parsed with `xml.etree.ElementTree` and its element names are
compared with the GeoReport v2 specification's, written out here by hand.
"""

import json
from types import SimpleNamespace
from xml.etree import ElementTree as ET

from gridgov.open311 import keys
from gridgov.tickets.models import Channel
from tests.tickets.factories import make_world

BASE = "/open311/v2/"

# GeoReport v2 element names, from the specification.
DISCOVERY = {"changeset", "contact", "key_service", "endpoints"}
ENDPOINT = {"specification", "url", "changeset", "type", "formats"}
SERVICE = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
DEFINITION = {"service_code", "attributes"}
ATTRIBUTE = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
}
VALUE = {"key", "name"}
REQUEST = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
NOTE = {"datetime", "description", "type"}
CREATED = {"service_request_id", "service_notice", "account_id", "token"}
TOKEN = {"service_request_id", "token"}
ERROR = {"code", "description"}

RAW_KEY = "test-key-0123456789abcdef"
PERSONAL = ("张三", "13812341234")


def open311_world():
    w = make_world()
    w.key, _raw = keys.issue_key(RAW_KEY, name="测试应用", channel=Channel.WECHAT)
    w.raw_key = RAW_KEY
    return w


def tags(element):
    return [child.tag for child in element]


def parse_xml(response):
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    assert response["Content-Type"].endswith("charset=utf-8")
    body = response.content
    assert body.startswith(b"<?xml")
    return ET.fromstring(body)


def parse_json(response):
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content.decode("utf-8"))


def xml_errors(response, status):
    assert response.status_code == status, response.content.decode()
    root = parse_xml(response)
    assert root.tag == "errors"
    assert tags(root) and set(tags(root)) == {"error"}
    out = []
    for error in root:
        assert tags(error) == ["code", "description"]
        assert error.findtext("code") == str(status)
        out.append(error.findtext("description"))
    return out


def json_errors(response, status):
    assert response.status_code == status, response.content.decode()
    data = parse_json(response)
    assert isinstance(data, list) and data
    for error in data:
        assert set(error) == ERROR
        assert error["code"] == status
    return [e["description"] for e in data]


def errors(response, fmt, status):
    return (xml_errors if fmt == "xml" else json_errors)(response, status)


def request_fields(element):
    """A <request> element as {tag: text} (nested notes left out)."""
    return {child.tag: child.text for child in element if child.tag != "notes"}


def post_data(w, **overrides):
    data = {
        "api_key": w.raw_key,
        "service_code": w.corridor.code,
        "address_string": "魏家坡小区3栋",
        "description": "3栋楼道里堆满了纸箱和旧家具。挡住了通道，请尽快清理。",
        "first_name": "三",
        "last_name": "张",
        "phone": "13812341234",
        "email": "zhang@example.com",
        "device_id": "device-1",
        "account_id": "acct-9",
        "media_url": "https://img.example.com/1.jpg",
        "attribute[nature]": "help",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def ns(**kwargs):
    return SimpleNamespace(**kwargs)


def patrol_report(w, description):
    """A grid worker's patrol report about public space (the corridor): of the tickets not
    sent to Open311 itself, the kind whose words are published (Presenter.texts_published)."""
    from tests.tickets.factories import make_ticket

    return make_ticket(
        w,
        actor=w.gridworker_a,
        channel="patrol",
        nature="report",
        description=description,
        requester_name="",
        requester_phone="",
    )
