"""A 12345 export of cases already handled (办理状态, 办结时间, 答复内容, 满意度) imports them
as they ended on the platform: closed ones closed, with their reply and callback at their
times, in nobody's queue and not overdue; bad values are row errors, nothing written."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from gridgov.tickets import imports, kpis, lifecycle, queues, sla, timeline
from gridgov.tickets.models import Callback, Status, Ticket, TicketEvent

from .factories import make_world

pytestmark = pytest.mark.django_db

HEADERS = [
    "工单编号",
    "受理时间",
    "诉求内容",
    "诉求地址",
    "联系电话",
    "诉求类型",
    "诉求性质",
    "办理状态",
    "办结时间",
    "答复内容",
    "满意度",
]
TZ = timezone.get_fixed_timezone(8 * 60)


@pytest.fixture
def world():
    return make_world()


def row(number, external, status="", closed="", reply="", satisfaction="", received=None):
    cells = [
        external,
        received or "2026-03-02 09:00",
        "楼道里堆了杂物，请处理。",
        "魏家坡小区3号楼2单元",
        "13800001111",
        "网格事件/楼道堆物",
        "投诉",
        status,
        closed,
        reply,
        satisfaction,
    ]
    return (number, cells)


def events_of(external):
    ticket = Ticket.objects.get(external_id=external)
    return ticket, list(
        ticket.events.order_by("at", "id").values_list(
            "action", "from_status", "to_status", "at", "reason"
        )
    )


def local(*args):
    return dt.datetime(*args, tzinfo=TZ)


def test_closed_cases_import_closed_with_their_timeline(world):
    data = [
        row(2, "A-closed", "已办结", "2026-03-03 15:00", "已清理楼道。", "满意"),
        row(3, "A-archived", "已归档", "2026/03/04 10:30", "已协调物业清理。"),
        row(4, "A-callback", "待回访", "2026-03-05 11:00", "已处理。"),
        row(5, "A-unhappy", "已办结", "2026-03-06 12:00", "已答复。", "不满意"),
        row(6, "A-no-status", "", "2026-03-07 08:00", "已清理。"),
        row(7, "A-open", "办理中"),
    ]
    report = imports.import_rows(HEADERS, data, actor=world.hotline)
    assert report.ok, report.errors
    assert (report.created, report.closed, report.resolved) == (6, 4, 1)
    assert (report.dispatched, report.at_desk) == (1, 0)
    assert report.mapping["status"] == "办理状态" and report.mapping["reply"] == "答复内容"

    received = local(2026, 3, 2, 9)
    closed_at = local(2026, 3, 3, 15)
    ticket, events = events_of("A-closed")
    assert ticket.status == Status.CLOSED
    assert ticket.resolution == "已清理楼道。"
    assert ticket.resolved_at == ticket.closed_at == ticket.contacted_at == closed_at
    assert events == [
        ("create", "", "received", received, ""),
        ("dispatch", "received", "dispatched", received, lifecycle.AUTO_DISPATCH_REASON),
        ("resolve", "dispatched", "resolved", closed_at, "已清理楼道。"),
        ("callback", "resolved", "closed", closed_at, ""),
    ]
    resolve = ticket.events.get(action="resolve")
    assert resolve.data == {"on_time": True, "imported": True}
    callback = Callback.objects.get(ticket=ticket)
    assert (callback.satisfaction, callback.resolved, callback.at) == ("satisfied", True, closed_at)
    assert callback.owner_place_id == ticket.owner_place_id == world.grid_a.pk

    ticket, events = events_of("A-archived")
    assert ticket.status == Status.CLOSED and not ticket.callbacks.exists()
    assert [e[:3] for e in events[2:]] == [
        ("resolve", "dispatched", "resolved"),
        ("close", "resolved", "closed"),
    ]
    assert events[-1][3] == local(2026, 3, 4, 10, 30)
    assert events[-1][4] == lifecycle.IMPORTED_CLOSED_REASON
    with translation.override("zh-hans"):
        shown = timeline.events(ticket)[-1]
    assert shown.reason_text == "已在12345平台办结，随导入关闭。"

    ticket, events = events_of("A-callback")
    assert ticket.status == Status.RESOLVED and ticket.closed_at is None
    assert [e[0] for e in events] == ["create", "dispatch", "resolve"]

    # Dissatisfied: the callback is kept as given, and the platform closed it after.
    ticket, events = events_of("A-unhappy")
    assert ticket.status == Status.CLOSED
    assert [e[:3] for e in events[2:]] == [
        ("resolve", "dispatched", "resolved"),
        ("callback", "resolved", "resolved"),
        ("close", "resolved", "closed"),
    ]
    assert list(ticket.callbacks.values_list("satisfaction", "resolved")) == [
        ("dissatisfied", False)
    ]

    ticket, events = events_of("A-no-status")  # a 办结时间 and a reply: closed
    assert ticket.status == Status.CLOSED
    assert Ticket.objects.get(external_id="A-open").status == Status.DISPATCHED


def test_an_imported_closed_case_is_not_overdue_nor_in_a_queue(world):
    data = [
        row(2, "B-closed", "已办结", "2026-03-03 15:00", "已清理楼道。", "满意"),
        row(3, "B-open", "办理中"),
    ]
    report = imports.import_rows(HEADERS, data, actor=world.hotline)
    assert report.ok, report.errors
    closed = Ticket.objects.get(external_id="B-closed")
    overdue = Ticket.objects.filter(sla.overdue_q())
    # March's open case is months overdue; the closed one of the same day is not.
    assert list(overdue.values_list("external_id", flat=True)) == ["B-open"]
    for user in (world.gridworker_a, world.community_staff, world.street_staff, world.hotline):
        assert closed not in queues.mine(user), user
    assert Ticket.objects.get(external_id="B-open") in queues.mine(world.gridworker_a)


def test_kpis_count_an_imported_closed_case_as_handled_when_it_was(world):
    data = [
        row(2, "K-1", "已办结", "2026-03-03 15:00", "已清理楼道。", "满意"),
        row(3, "K-2", "已办结", "2026-03-20 15:00", "已清理。", "不满意"),
    ]
    report = imports.import_rows(HEADERS, data, actor=world.hotline)
    assert report.ok, report.errors
    (kpi,) = kpis.compute([world.grid_a], dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    c = kpi.counts
    assert (c["dispatched"], c["open_now"], c["overdue_now"]) == (2, 0, 0)
    # Resolved 03-03 within 7 working days, 03-20 after them; one callback of two happy.
    assert (c["due"], c["resolved_on_time"]) == (2, 1)
    assert (c["callbacks"], c["callbacks_satisfied"], c["callbacks_resolved"]) == (2, 1, 1)
    assert kpi.rates["satisfaction"] == 0.5
    # When the requesters were first called the export does not say: neither case is
    # judged for the response rate (the reply's time is not a time to first contact).
    assert (c["response_due"], c["responded"]) == (0, 0) and kpi.rates["response"] is None
    assert kpi.durations["contact"] == [] and len(kpi.durations["resolve"]) == 2


BAD_ROWS = [
    (row(2, "E-before", "已办结", "2026-03-01 09:00", "已清理。"), "办结时间"),
    (row(3, "E-status", "研究中", "2026-03-03 09:00", "已清理。"), "办理状态"),
    (row(4, "E-reply", "已办结", "2026-03-03 09:00", ""), "答复内容"),
    (row(5, "E-no-time", "已归档", "", "已清理。"), "办结时间"),
    (row(6, "E-date", "已办结", "三月三日", "已清理。"), "办结时间"),
    (row(7, "E-open-closed", "办理中", "2026-03-03 09:00", ""), "办结时间"),
    (row(8, "E-satisfaction", "已办结", "2026-03-03 09:00", "已清理。", "还行"), "满意度"),
    (row(9, "E-sat-open", "办理中", "", "", "满意"), "满意度"),
]


def test_bad_status_columns_are_row_errors_in_chinese_and_nothing_is_written(world):
    with translation.override("zh-hans"):
        report = imports.import_rows(HEADERS, [r for r, _column in BAD_ROWS])
    assert [(e.row, e.column) for e in report.errors] == [(r[0], column) for r, column in BAD_ROWS]
    messages = {e.row: e.message for e in report.errors}
    assert messages[2] == "早于受理时间。"
    assert messages[3].startswith("未知的办理状态“研究中”")
    assert messages[4] == "已办结或待回访的工单须有给诉求人的答复内容。"
    assert messages[5] == "已办结或待回访的工单须有办结时间。"
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0
    assert Callback.objects.count() == 0


def test_the_command_says_how_many_were_closed(world, tmp_path):
    import csv

    from django.core.management import call_command

    path = tmp_path / "closed.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerow(row(2, "C-1", "已办结", "2026-03-03 15:00", "已清理。", "基本满意")[1])
        writer.writerow(row(3, "C-2", "办理中")[1])
    from io import StringIO

    out = StringIO()
    call_command("tickets", "import", str(path), stdout=out)
    assert "1 dispatched, 0 at the dispatch desk, 0 waiting for the callback, 1 closed" in (
        out.getvalue()
    )
    assert Ticket.objects.get(external_id="C-1").status == Status.CLOSED


def test_the_ticket_page_shows_the_imported_history(client, world):
    from django.urls import reverse

    data = [row(2, "P-1", "已归档", "2026-03-04 10:30", "已协调物业清理完毕。")]
    assert imports.import_rows(HEADERS, data, actor=world.hotline).ok
    ticket = Ticket.objects.get(external_id="P-1")
    client.force_login(world.gridworker_a)
    response = client.get(reverse("tickets:detail", args=[ticket.code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "已协调物业清理完毕。" in html and "已在12345平台办结，随导入关闭。" in html
    assert "2026-03-04 10:30" in html
