"""An Excel export says what it holds: a second sheet, 导出说明, names the list's filters as
the page showed them (状态：全部在办, 所在地：…), who exported it and when, how many tickets,
and whether callers are masked. A street leader's file passed on said nothing of the list
it came from (all open tickets of one community read like the whole street's)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.tickets.lifecycle import perform

from .factories import make_ticket, make_world
from .test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db


def about(content):
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["诉求工单", "导出说明"]
    assert book.active.title == "诉求工单"  # the import reads the first sheet
    rows = list(book["导出说明"].iter_rows(values_only=True))
    return [(item, value) for item, value in rows]


def test_the_page_export_names_its_filters(client):
    world = make_world()
    open_one = make_ticket(world)
    closed = make_ticket(world, address="幸福里小区3栋")
    perform(closed, "merge", world.street_staff, into=open_one.code)
    client.force_login(world.street_staff)
    url = reverse("tickets:export")
    response = client.get(url, {"status": "open", "place": world.community.code, "q": "=1+1"})
    assert response.status_code == 200
    rows = about(response.content)
    items = dict(rows[:4])
    assert items["导出人"] in (world.street_staff.get_full_name(), world.street_staff.username)
    assert items["诉求人信息"] == "姓名、电话和门牌已脱敏"
    assert isinstance(items["工单数"], int)
    filters = [value for item, value in rows if item == "筛选条件"]
    assert filters == ["搜索：=1+1", "状态：全部在办", f"所在地：{world.community.name}（居村）"]

    # No filter: says so.
    rows = about(client.get(url).content)
    assert ("筛选条件", "无（导出人辖区内全部工单）") in rows


def test_the_api_export_says_who_and_when_without_filters():
    world = make_world()
    make_ticket(world)
    response = client_for(world.community_staff).get(f"{TICKETS}export.xlsx")
    rows = about(response.content)
    assert [item for item, _value in rows] == ["导出时间", "导出人", "工单数", "诉求人信息"]
    assert dict(rows)["工单数"] == 1
