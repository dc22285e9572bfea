"""表扬: a praise is passed on to the unit praised and closed. It has nothing to handle, so no
deadline runs (no sweep supervises or escalates it), nobody calls back, and the KPIs do not
count it as a response missed or a resolution late."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from gridgov.tickets import imports, kpis, lifecycle, sweep, timeline
from gridgov.tickets.models import Status, Ticket, TicketEvent

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

PRAISE = {"nature": "praise", "title": "表扬网格员", "description": "网格员小李帮我们清理了楼道。"}


@pytest.fixture
def world():
    return make_world()


def test_a_praise_is_passed_on_to_the_unit_and_closed_without_deadlines(world):
    ticket = make_ticket(world, **PRAISE)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.owner_place == world.grid_a  # the unit praised has it, and sees it
    assert (ticket.accept_by, ticket.respond_by, ticket.resolve_by) == (None, None, None)
    events = list(ticket.events.order_by("id"))
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("create", "", "received"),
        ("dispatch", "received", "dispatched"),
        ("close", "dispatched", "closed"),
    ]
    close = events[-1]
    assert close.reason == lifecycle.PRAISE_REASON and close.actor is None
    # The deadlines it was given at intake are kept in the event, not lost.
    assert set(close.data["deadlines"]["before"]) == set(lifecycle.DEADLINE_FIELDS)
    assert close.data["deadlines"]["after"] == dict.fromkeys(lifecycle.DEADLINE_FIELDS)
    with translation.override("zh-hans"):
        assert (
            timeline.events(ticket)[-1].reason_text == "表扬已转达被表扬单位，表扬类诉求无需办理。"
        )


def test_a_praise_counts_in_no_rate_and_the_sweep_leaves_it(world):
    received = timezone.now() - dt.timedelta(days=30)
    praise = make_ticket(world, **PRAISE)
    complaint = make_ticket(world)
    for ticket in (praise, complaint):  # both received a month ago, nobody acted since
        Ticket.objects.filter(pk=ticket.pk).update(created_at=received, dispatched_at=received)
        TicketEvent.objects.filter(ticket=ticket).update(at=received)
    Ticket.objects.filter(pk=complaint.pk).update(
        respond_by=received + dt.timedelta(days=1), resolve_by=received + dt.timedelta(days=7)
    )
    today = timezone.localdate()
    (kpi,) = kpis.compute([world.grid_a], today - dt.timedelta(days=40), today)
    # Only the complaint is judged: responded 0 of 1, resolved on time 0 of 1.
    assert (kpi.counts["response_due"], kpi.counts["responded"]) == (1, 0)
    assert (kpi.counts["due"], kpi.counts["resolved_on_time"]) == (1, 0)

    sweep.run(remind=False)
    assert not TicketEvent.objects.filter(ticket=praise, action__in=("supervise", "escalate"))
    assert TicketEvent.objects.filter(ticket=complaint, action="supervise").exists()


def test_only_a_praise_is_closed_before_it_is_handled(world):
    complaint = make_ticket(world)
    assert complaint.status == Status.DISPATCHED
    assert "close" not in lifecycle.allowed_actions(complaint, world.hotline)
    with pytest.raises(lifecycle.InvalidTransition) as refused:
        lifecycle.perform(complaint, "close", world.hotline, reason="不办了")
    with translation.override("zh-hans"):
        assert "只有表扬类诉求" in str(refused.value.message)
    complaint.refresh_from_db()
    assert complaint.status == Status.DISPATCHED
    assert not complaint.events.filter(action="close").exists()


def test_a_praise_sent_on_by_the_desk_is_closed_by_the_unit_praised(world):
    ticket = make_ticket(world, **PRAISE)
    # As if it had waited at the dispatch desk: reopened into the state a desk sends from.
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.RECEIVED, closed_at=None)
    ticket.refresh_from_db()
    lifecycle.perform(ticket, "dispatch", world.hotline, unit=world.grid_b.code)
    assert ticket.status == Status.DISPATCHED and ticket.owner_place == world.grid_b
    # Another grid's worker may not; the unit praised may (知悉), without typing a reason.
    assert "close" not in lifecycle.allowed_actions(ticket, world.gridworker_a)
    assert "close" in lifecycle.allowed_actions(ticket, world.gridworker_b)
    event = lifecycle.perform(ticket, "close", world.gridworker_b)
    assert ticket.status == Status.CLOSED and event.reason == lifecycle.PRAISE_REASON
    assert ticket.resolve_by is None


def test_the_api_answers_a_praise_closed_with_its_owner(world, client):
    client.force_login(world.hotline)
    response = client.post(
        "/api/v1/tickets/",
        {
            "channel": "hotline",
            "address": "魏家坡小区3号楼2单元",
            "requester_name": "张三",
            "requester_phone": "13812341234",
            "category": world.corridor.code,
            **PRAISE,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "closed"
    assert body["resolve_by"] is None and body["respond_by"] is None


def test_an_imported_praise_is_closed_on_arrival(world):
    headers = ["工单编号", "受理时间", "诉求内容", "诉求地址", "联系电话", "诉求类型", "诉求性质"]
    rows = [
        (
            2,
            ["P-1", "2026-03-02 09:00", "感谢网格员及时清理楼道。", "魏家坡小区3号楼2单元"]
            + ["13800001111", "网格事件/楼道堆物", "表扬"],
        ),
        (
            3,
            ["P-2", "2026-03-02 10:00", "楼道里堆了杂物，请处理。", "魏家坡小区3号楼2单元"]
            + ["13800001112", "网格事件/楼道堆物", "投诉"],
        ),
    ]
    report = imports.import_rows(headers, rows, actor=world.hotline)
    assert report.ok, report.errors
    assert (report.created, report.closed, report.dispatched) == (2, 1, 1)
    praise = Ticket.objects.get(external_id="P-1")
    assert praise.status == Status.CLOSED and praise.resolve_by is None
    assert praise.closed_at == praise.created_at
    assert list(praise.events.order_by("id").values_list("action", "to_status", "reason")) == [
        ("create", "received", ""),
        ("dispatch", "dispatched", lifecycle.AUTO_DISPATCH_REASON),
        ("close", "closed", lifecycle.PRAISE_REASON),
    ]
    complaint = Ticket.objects.get(external_id="P-2")
    assert complaint.status == Status.DISPATCHED and complaint.resolve_by is not None
