"""Excel export: the filtered list, Chinese headers, masking and the access log."""

import io

import pytest
from openpyxl import load_workbook

from gridgov.people.models import AccessLog
from gridgov.tickets import exports
from gridgov.tickets.lifecycle import perform

from .factories import make_ticket, make_world
from .test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db

EXPORT = f"{TICKETS}export.xlsx"


@pytest.fixture
def world():
    return make_world()


def rows(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == exports.CONTENT_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="tickets-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    return header, [dict(zip(header, row, strict=True)) for row in values[1:]]


def test_export_masks_for_a_role_without_the_right(world):
    ticket = make_ticket(world)
    header, data = rows(client_for(world.community_staff).get(EXPORT))
    assert header[:3] == ("工单编号", "受理时间", "渠道")
    assert "诉求人" in header and "联系电话" in header
    assert len(data) == 1
    row = data[0]
    assert row["工单编号"] == ticket.code
    assert row["渠道"] == "12345热线"
    assert row["状态"] == "已派单"
    assert row["所属网格"] == world.grid_a.name
    assert row["承办单位"] == world.grid_a.name
    assert row["是否超期"] == "否"
    assert (row["诉求人"], row["联系电话"]) == ("张*", "138****1234")
    assert AccessLog.objects.count() == 0


def test_unmasked_export_needs_a_purpose_and_logs_each_ticket_shown_in_full(world):
    first = make_ticket(world)
    second = make_ticket(world, address="幸福里小区3栋", requester_phone="13900001111")
    department = make_ticket(world, category=world.unlicensed.code)
    # Without a purpose, every row is masked, even for those who may see it all.
    _header, data = rows(client_for(world.hotline).get(EXPORT))
    assert {row["联系电话"] for row in data} == {"138****1234", "139****1111"}
    response = client_for(world.hotline).get(EXPORT, {"purpose": "  "})
    assert response.status_code == 400 and "用途" in response.json()["error"]["message"]
    assert not AccessLog.objects.exists()
    # The grid A worker sees what lies in grid A but handles only the first ticket
    # (the other belongs to 城管): that row alone is shown in full.
    header, data = rows(client_for(world.gridworker_a).get(EXPORT, {"purpose": "回访未解决诉求"}))
    by_code = {row["工单编号"]: row for row in data}
    assert set(by_code) == {first.code, department.code}
    assert by_code[first.code]["联系电话"] == "13812341234"
    assert by_code[department.code]["联系电话"] == "138****1234"
    log = AccessLog.objects.get()
    assert log.user == world.gridworker_a
    assert (log.subject_type, log.subject_id) == ("tickets.ticket", str(first.pk))
    assert log.fields == ["requester_name", "requester_phone", "address"]
    assert log.purpose == "回访未解决诉求"

    # The hotline calls back for the whole district: what waits for its callback (resolved)
    # is in full; what a unit is handling is that unit's to call (DESIGN §8).
    AccessLog.objects.all().delete()
    for ticket, handler in ((first, world.gridworker_a), (second, world.gridworker_b)):
        perform(ticket, "accept", handler)
        perform(ticket, "resolve", handler, reply="已清理")
    _header, data = rows(client_for(world.hotline).get(EXPORT, {"purpose": "回访"}))
    phones = {row["工单编号"]: row["联系电话"] for row in data}
    assert phones == {
        first.code: "13812341234",
        second.code: "13900001111",
        department.code: "138****1234",  # with 城管, not waiting for the hotline
    }
    logs = AccessLog.objects.order_by("subject_id")
    assert [(log.subject_id, log.place) for log in logs] == sorted(
        [(str(first.pk), first.place), (str(second.pk), second.place)]
    )  # each where its ticket is, for the auditors of that area


def test_export_takes_the_list_filters(world):
    make_ticket(world)
    other = make_ticket(world, address="幸福里小区3栋", channel="wechat")
    _header, data = rows(client_for(world.district_staff).get(EXPORT, {"channel": "wechat"}))
    assert [row["工单编号"] for row in data] == [other.code]
    _header, data = rows(client_for(world.district_staff).get(EXPORT, {"status": "closed"}))
    assert data == []
    assert AccessLog.objects.count() == 0  # no purpose given: nothing shown in full


def test_export_needs_a_login_and_respects_scope(world):
    make_ticket(world)
    assert client_for().get(EXPORT).status_code == 401
    _header, data = rows(client_for(world.gridworker_b).get(EXPORT))
    assert data == []


def test_export_refuses_more_rows_than_the_limit(world, monkeypatch):
    make_ticket(world)
    make_ticket(world)
    monkeypatch.setattr(exports, "MAX_ROWS", 1)
    response = client_for(world.hotline).get(EXPORT)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_rows"
    assert AccessLog.objects.count() == 0


def test_the_area_list_page_exports_what_it_shows(client, world, monkeypatch):
    from django.urls import reverse

    corridor = make_ticket(world)
    lane = make_ticket(world, title="消防通道堵了", category=world.fire_lane.code)
    client.force_login(world.community_staff)  # sees both, may not see requesters in full
    page = client.get(reverse("tickets:list"), {"category": world.fire_lane.code})
    html = page.content.decode()
    link = f"{reverse('tickets:export')}?category={world.fire_lane.code}"
    assert f'href="{link}"' in html and "导出 Excel" in html
    # A purpose slipped into a link is not carried into the plain export.
    crafted = client.get(
        reverse("tickets:list"), {"category": world.fire_lane.code, "purpose": "x"}
    ).content.decode()
    assert f'href="{link}"' in crafted and 'name="purpose" value' not in crafted
    _header, data = rows(client.get(link))
    assert [row["工单编号"] for row in data] == [lane.code]  # the filter holds
    assert data[0]["联系电话"] == "138****1234" and not AccessLog.objects.exists()
    # The grid worker handles the corridor ticket: exported with contacts for a stated
    # purpose, its row is in full, and logged as a web view with that purpose.
    client.force_login(world.gridworker_a)
    html = client.get(reverse("tickets:list"), {"channel": "hotline"}).content.decode()
    assert 'id="export-contacts"' in html and "含联系方式导出" in html
    assert '<input type="hidden" name="channel" value="hotline">' in html
    _header, data = rows(client.get(reverse("tickets:export")))
    assert all("*" in row["联系电话"] for row in data) and not AccessLog.objects.exists()
    response = client.get(reverse("tickets:export"), {"purpose": ""}, follow=True)
    assert "请填写导出联系方式的用途" in response.content.decode()
    _header, data = rows(client.get(reverse("tickets:export"), {"purpose": "逐一回访"}))
    full = {row["工单编号"]: row["联系电话"] for row in data}
    assert full[corridor.code] == "13812341234"
    log = AccessLog.objects.get(subject_id=str(corridor.pk))
    # Handed out as a file from the page: told apart from a view on a page by its channel.
    assert log.channel == AccessLog.Channel.WEB_EXPORT and log.purpose == "逐一回访"
    # Past the limit nothing is exported: back to the list, asked to narrow the filters.
    monkeypatch.setattr(exports, "MAX_ROWS", 1)
    response = client.get(reverse("tickets:export"), follow=True)
    assert response.redirect_chain and "请缩小筛选范围后再导出" in response.content.decode()


def test_the_address_is_masked_like_the_requester_and_logged_when_shown_in_full(world):
    # DESIGN §8: the exact address is personal data. Resolved to a building, a masked row
    # names the building (its own address); not resolved, the typed address has its
    # numbers starred. Shown in full only where the name and phone are, and logged.
    at_building = make_ticket(world, address="魏家坡小区3号楼2单元501室")
    assert at_building.building == world.buildings[0]
    unresolved = make_ticket(world, address="幸福里小区8号楼1单元302室")
    assert unresolved.building is None
    _header, data = rows(client_for(world.community_staff).get(EXPORT))
    address = {row["工单编号"]: row["地址"] for row in data}
    assert address == {
        at_building.code: world.buildings[0].address,  # 魏家坡小区3栋
        unresolved.code: "幸福里小区*号楼*单元***室",
    }
    _header, data = rows(client_for(world.gridworker_a).get(EXPORT, {"purpose": "上门核实"}))
    address = {row["工单编号"]: row["地址"] for row in data}
    assert address[at_building.code] == "魏家坡小区3号楼2单元501室"
    log = AccessLog.objects.get(subject_id=str(at_building.pk))
    assert "address" in log.fields
    # Grid B's ticket is not grid worker A's to see at all; grid B's worker sees it in full.
    _header, data = rows(client_for(world.gridworker_b).get(EXPORT, {"purpose": "上门核实"}))
    assert [row["地址"] for row in data] == ["幸福里小区8号楼1单元302室"]
    # An address is reason enough to log, with no name or phone on the ticket.
    AccessLog.objects.all().delete()
    make_ticket(
        world,
        address="魏家坡小区5号楼101室",
        nature="suggest",
        requester_name="",
        requester_phone="",
    )
    rows(client_for(world.gridworker_a).get(EXPORT, {"purpose": "上门核实"}))
    assert sorted(log.fields for log in AccessLog.objects.all()) == [
        ["address"],
        ["requester_name", "requester_phone", "address"],
    ]


def test_a_mixed_export_logs_exactly_what_each_row_shows_in_full(world):
    """The export logged name, phone and address for every ticket shown in full, even one
    whose caller left no phone, or an anonymous caller's (whose name cell says 匿名). Now
    each ticket shown in full logs what its row shows in full, as a reveal on its page
    does, and a row shown masked logs nothing; all in one INSERT, however many rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    full = make_ticket(world, address="魏家坡小区3号楼2单元501室")
    no_phone = make_ticket(world, nature="suggest", requester_phone="")
    anonymous = make_ticket(world, anonymous=True, requester_name="", requester_phone="13700002222")
    address_only = make_ticket(
        world, nature="suggest", requester_name="", requester_phone="", address="魏家坡小区5号楼"
    )
    masked = make_ticket(world, category=world.unlicensed.code)  # 城管's, not grid A's
    with CaptureQueriesContext(connection) as queries:
        _header, data = rows(client_for(world.gridworker_a).get(EXPORT, {"purpose": "逐户回访"}))
    shown = {row["工单编号"]: (row["诉求人"], row["联系电话"], row["地址"]) for row in data}
    assert shown[full.code] == ("张三", "13812341234", "魏家坡小区3号楼2单元501室")
    assert shown[no_phone.code][:2] == ("张三", None)
    assert shown[anonymous.code][:2] == ("匿名", "13700002222")
    assert shown[masked.code][:2] == ("张*", "138****1234")
    logged = {
        log.subject_id: log.fields
        for log in AccessLog.objects.filter(
            user=world.gridworker_a, purpose="逐户回访", channel=AccessLog.Channel.API_EXPORT
        )
    }
    assert logged == {
        str(full.pk): ["requester_name", "requester_phone", "address"],
        str(no_phone.pk): ["requester_name", "address"],
        str(anonymous.pk): ["requester_phone", "address"],
        str(address_only.pk): ["address"],
    }
    assert AccessLog.objects.count() == 4  # nothing for the masked row
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len([sql for sql in inserts if "accesslog" in sql]) == 1
