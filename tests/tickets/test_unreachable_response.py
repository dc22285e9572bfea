"""响应 is the first contact with the requester. A ticket with nobody to contact (a hazard a
grid worker found on patrol, an anonymous caller who left no phone) has no response
deadline: the unit is not offered 联系诉求人, the sweep does not press it for a response,
and the response rate does not count it."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.tickets import imports, kpis, lifecycle, sweep
from gridgov.tickets.models import Ticket, TicketEvent

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def patrol_hazard(world):
    return make_ticket(
        world,
        actor=world.gridworker_a,
        channel="patrol",
        nature="report",
        title="消防通道被堵",
        requester_name="",
        requester_phone="",
    )


def test_a_patrol_hazard_has_no_response_deadline_and_no_contact(world):
    ticket = patrol_hazard(world)
    assert not ticket.reachable
    assert ticket.respond_by is None
    assert ticket.accept_by is not None and ticket.resolve_by is not None
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    assert "contact" not in lifecycle.allowed_actions(ticket, world.gridworker_a)
    with pytest.raises(lifecycle.InvalidTransition):
        lifecycle.perform(ticket, "contact", world.gridworker_a)
    # Resolving it is no response, on time or late.
    event = lifecycle.perform(ticket, "resolve", world.gridworker_a, reply="已清理通道。")
    assert "responded_on_time" not in event.data


def test_a_caller_with_a_phone_has_one_and_one_without_has_none(world):
    called = make_ticket(world)
    silent = make_ticket(
        world, nature="suggest", anonymous=True, requester_name="", requester_phone=""
    )
    assert called.respond_by is not None
    assert silent.respond_by is None


def test_the_sweep_and_an_escalation_leave_it_without_a_response_deadline(world):
    ticket = patrol_hazard(world)
    month_ago = timezone.now() - dt.timedelta(days=30)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=month_ago,
        dispatched_at=month_ago,
        accept_by=month_ago + dt.timedelta(hours=4),
        resolve_by=month_ago + dt.timedelta(days=3),
    )
    TicketEvent.objects.filter(ticket=ticket).update(at=month_ago)
    sweep.run(remind=False)
    stages = set(
        TicketEvent.objects.filter(ticket=ticket, action="supervise").values_list(
            "data__stage", flat=True
        )
    )
    assert stages and "respond" not in stages
    ticket.refresh_from_db()
    assert ticket.status == "escalated" and ticket.respond_by is None


def test_the_response_rate_leaves_out_whom_nobody_could_contact(world):
    hazard = patrol_hazard(world)
    called = make_ticket(world)
    for ticket in (hazard, called):
        lifecycle.perform(ticket, "accept", world.gridworker_a)
    lifecycle.perform(called, "contact", world.gridworker_a)
    lifecycle.perform(hazard, "resolve", world.gridworker_a, reply="已清理。")
    today = timezone.localdate()
    (kpi,) = kpis.compute([world.grid_a], today - dt.timedelta(days=1), today)
    assert kpi.counts["dispatched"] == 2
    assert (kpi.counts["response_due"], kpi.counts["responded"]) == (1, 1)
    assert kpi.rates["response"] == 1


def test_an_imported_row_without_a_phone_has_no_response_deadline(world):
    headers = ["工单编号", "受理时间", "诉求内容", "诉求地址", "联系电话", "诉求类型", "诉求性质"]
    base = ["2026-03-02 09:00", "楼道里堆了杂物。", "魏家坡小区3号楼2单元"]
    rows = [
        (2, ["N-1", *base, "", "网格事件/楼道堆物", "建议"]),
        (3, ["N-2", *base, "13800001111", "网格事件/楼道堆物", "投诉"]),
    ]
    report = imports.import_rows(headers, rows, actor=world.hotline)
    assert report.ok, report.errors
    assert Ticket.objects.get(external_id="N-1").respond_by is None
    assert Ticket.objects.get(external_id="N-2").respond_by is not None
