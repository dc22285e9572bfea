"""Fixes from the second browser walk of the ticket lifecycle (/tmp/walk2/report.md):
whistle ratings (B2), a summoned department's queue (B3), escalated tickets sent down
(B5) with fresh deadlines (B6), merges told on the survivor (B9), extensions (B10, B12),
the queue's tabs (B11, B13), what residents see (C8), and free-text reasons (C9)."""

import datetime as dt
import re

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.timezone import localtime

from gridgov.tickets import lifecycle, sweep
from gridgov.tickets.lifecycle import InvalidTransition, NotAllowed, perform
from gridgov.tickets.models import Extension, Status, Summons, Ticket, TicketEvent
from tests.people.factories import PersonFactory

from .factories import make_ticket, make_world
from .test_api import act as api_act
from .test_api import snapshot

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


@pytest.fixture
def world():
    return make_world()


def html_of(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def detail(client, user, ticket):
    return html_of(client, user, reverse("tickets:detail", args=[ticket.code]))


def forms_in_order(html):
    return re.findall(r'<form id="action-([a-z-]+)"', html)


def tab_counts(html):
    found = re.findall(r'data-tab="([a-z]+)">[^<]*<span class="wb-tab__count">(\d+)</span>', html)
    return {name: int(n) for name, n in found}


def current_tab(html):
    return re.search(r'aria-current="page" data-tab="([a-z]+)"', html).group(1)


def whistled(world, now=None, hours=4):
    ticket = make_ticket(world)
    perform(
        ticket,
        "whistle",
        world.street_staff,
        now=now,
        departments=["CG", "ZJ"],
        report_within_hours=hours,
        reason="需要多部门联合处置",
    )
    return ticket


# --- B2: 报到评价 once, and only after the report or the deadline -----------------------------


def test_a_department_is_rated_once_and_only_after_it_reported_or_its_deadline(world):
    t0 = timezone.now()
    ticket = whistled(world, now=t0)
    summons = Summons.objects.get(whistle__ticket=ticket, department=world.city_mgmt)
    with pytest.raises(InvalidTransition):  # not reported, deadline not passed
        perform(ticket, "whistle-rate", world.street_staff, now=t0 + H, department="CG", rating=1)
    assert "whistle-rate" not in lifecycle.allowed_actions(ticket, world.street_staff)
    perform(ticket, "whistle-report", world.city_handler, now=t0 + H, department="CG", note="到场")
    assert "whistle-rate" in lifecycle.allowed_actions(ticket, world.street_staff)
    perform(ticket, "whistle-rate", world.street_staff, now=t0 + H, department="CG", rating=4)
    with pytest.raises(InvalidTransition):  # the second identical rating
        perform(ticket, "whistle-rate", world.street_staff, now=t0 + H, department="CG", rating=4)
    summons.refresh_from_db()
    assert summons.rating == 4
    assert ticket.events.filter(action="whistle-rate").count() == 1
    # 住建局 never reported: once its deadline has passed it may be rated (as late).
    late = summons.report_by + H
    perform(ticket, "whistle-rate", world.street_staff, now=late, department="ZJ", rating=1)
    assert Summons.objects.get(whistle__ticket=ticket, department=world.housing).rating == 1


def test_the_rating_form_offers_only_departments_that_may_be_rated(client, world):
    ticket = whistled(world)
    html = detail(client, world.street_staff, ticket)
    assert 'id="action-whistle-rate"' not in html
    perform(ticket, "whistle-report", world.city_handler, department="CG", note="已到场")
    html = detail(client, world.street_staff, ticket)
    form = re.search(r'<form id="action-whistle-rate".*?</form>', html, re.S).group(0)
    assert 'value="CG"' in form and 'value="ZJ"' not in form
    perform(ticket, "whistle-rate", world.street_staff, department="CG", rating=3)
    html = detail(client, world.street_staff, ticket)
    assert 'id="action-whistle-rate"' not in html


def test_the_api_refuses_a_second_rating_and_an_early_one_and_writes_nothing(world):
    ticket = whistled(world)
    before = snapshot()
    response = api_act(world.street_staff, ticket.pk, "whistle-rate", department="ZJ", rating=2)
    assert response.status_code == 409
    assert snapshot() == before
    perform(ticket, "whistle-report", world.city_handler, department="CG", note="已到场")
    response = api_act(world.street_staff, ticket.pk, "whistle-rate", department="CG", rating=4)
    assert response.status_code == 200, response.content
    before = snapshot()
    response = api_act(world.street_staff, ticket.pk, "whistle-rate", department="CG", rating=1)
    assert response.status_code == 409
    assert snapshot() == before
    assert Summons.objects.get(whistle__ticket=ticket, department=world.city_mgmt).rating == 4


# --- B3: a summoned department races its report-by ------------------------------------------


def test_a_summoned_department_sees_its_report_by_deadline_and_a_report_tab(client, world):
    ticket = whistled(world, hours=3)
    report_by = Summons.objects.get(whistle__ticket=ticket, department=world.city_mgmt).report_by
    assert ticket.status == Status.DISPATCHED and ticket.accept_by > report_by + 3 * H
    html = html_of(client, world.city_handler, reverse("tickets:queue"))
    counts = tab_counts(html)
    assert counts["accept"] == 0 and counts["report"] == 1
    assert current_tab(html) == "report"
    row = re.search(rf'<tr class="wb-row[^"]*" data-code="{ticket.code}">.*?</tr>', html, re.S)
    stamp = timezone.localtime(report_by).strftime("%Y-%m-%d %H:%M")
    assert f'title="{stamp}"' in row.group(0)  # the countdown is the summons' report-by
    assert "吹哨待报到" in row.group(0)


def test_a_summons_past_its_report_by_is_overdue_in_the_departments_queue(client, world):
    ticket = whistled(world, now=timezone.now() - 5 * H, hours=2)
    # Its hours count in office time: set the report-by past, whatever the hour of the run.
    Summons.objects.filter(whistle__ticket=ticket).update(report_by=timezone.now() - 3 * H)
    html = html_of(client, world.city_handler, reverse("tickets:queue"))
    assert f'<tr class="wb-row is-overdue" data-code="{ticket.code}">' in html
    assert "报到超时" in html
    assert tab_counts(html)["overdue"] == 1 and tab_counts(html)["accept"] == 0
    # The grid that owns it is not overdue: its own deadline has not passed.
    html = html_of(client, world.gridworker_a, reverse("tickets:queue") + "?tab=all")
    assert f'<tr class="wb-row" data-code="{ticket.code}">' in html


# --- B5: an escalated ticket is sent down by the unit it was passed up to --------------------


def escalated_to_community(world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    perform(ticket, "escalate", world.gridworker_a, reason="需要社区协调")
    assert ticket.status == Status.ESCALATED and ticket.owner_place == world.community
    return ticket


def test_the_community_dispatches_an_escalated_ticket_down_without_a_return(world):
    ticket = escalated_to_community(world)
    assert "dispatch" in lifecycle.allowed_actions(ticket, world.community_staff)
    with pytest.raises(NotAllowed):  # only below itself: not to a department
        perform(ticket, "dispatch", world.community_staff, department="CG")
    with pytest.raises(NotAllowed):  # nor to itself or above
        perform(ticket, "dispatch", world.community_staff, unit=world.street.code)
    event = perform(ticket, "dispatch", world.community_staff, unit=world.grid_b.code)
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED and ticket.owner_place == world.grid_b
    assert ticket.return_count == 0
    # Grid B has not signed for it: grid A's signature belongs to grid A (in the events).
    assert ticket.accepted_at is None
    assert ticket.events.filter(action="accept", actor=world.gridworker_a).exists()
    assert event.data["from_escalated"] == world.community.name
    assert not ticket.events.filter(action="return").exists()


def test_the_street_designates_an_escalated_ticket_and_the_hotline_may_not_dispatch_it(world):
    ticket = escalated_to_community(world)
    perform(ticket, "escalate", world.community_staff)
    assert ticket.owner_place == world.street
    assert "dispatch" not in lifecycle.allowed_actions(ticket, world.hotline)
    with pytest.raises(NotAllowed):
        perform(ticket, "dispatch", world.hotline, unit=world.grid_a.code)
    perform(ticket, "designate", world.street_staff, unit=world.grid_a.code, reason="属地网格办理")
    assert ticket.status == Status.DISPATCHED and ticket.designated and ticket.return_count == 0


def test_the_escalated_page_offers_signing_and_sending_down_first(client, world):
    ticket = escalated_to_community(world)
    html = detail(client, world.community_staff, ticket)
    order = forms_in_order(html)
    assert order[:3] == ["accept", "dispatch", "designate"]
    assert order.index("return") < order.index("contact") and order[-1] == "extend"
    form = re.search(r'<form id="action-dispatch".*?</form>', html, re.S).group(0)
    assert f'value="place:{world.grid_b.code}"' in form
    assert f'value="place:{world.street.code}"' not in form and "department:" not in form
    client.post(
        reverse("tickets:act", args=[ticket.code, "dispatch"]),
        {"dispatch-version": ticket.version, "dispatch-target": f"place:{world.grid_a.code}"},
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED and ticket.owner_place == world.grid_a
    html = detail(client, world.community_staff, ticket)
    assert "不计退单" in html


# --- B6: the unit a ticket is escalated to gets its own accept window --------------------------
# (Fresh respond_by and resolve_by too until 2026-11-29: passing a ticket up bought time;
# tests/tickets/test_escalation_deadlines.py.)


def test_escalation_gives_an_accept_window_and_records_the_old_one(world):
    t0 = timezone.now() - dt.timedelta(days=20)
    ticket = make_ticket(world)
    Ticket.objects.filter(pk=ticket.pk).update(
        accept_by=t0 + H, respond_by=t0 + 2 * H, resolve_by=t0 + 3 * H
    )
    ticket.refresh_from_db()
    old = (ticket.accept_by, ticket.respond_by, ticket.resolve_by)
    now = timezone.now()
    event = perform(ticket, "escalate", None, now=now, reason=sweep.ESCALATE_REASON)
    ticket.refresh_from_db()
    assert ticket.accept_by > now and (ticket.respond_by, ticket.resolve_by) == old[1:]
    changed = event.data["deadlines"]
    assert parse_datetime(changed["before"]["accept_by"]) == old[0]
    assert set(changed["after"]) == {"accept_by"}
    assert [parse_datetime(v) for v in event.data["kept"].values()] == list(old[1:])
    assert ticket.owner_place == world.community
    # Overdue is overdue: the community has its 签收 window, and the requester waits still.
    from gridgov.tickets import sla

    assert sla.overdue_stage(ticket, now) == "respond"


# On a working Tuesday: at the start of a long holiday (National Day, 2026-10-01 01:00
# Beijing) the deadlines set again 3 days later fell on the same first working day after
# it, nothing changed, and the event rightly recorded no deadlines.
@time_machine.travel(dt.datetime(2026, 11, 17, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))))
def test_escalation_keeps_a_later_deadline_and_a_response_already_made(world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    perform(ticket, "contact", world.gridworker_a)
    far = timezone.now() + dt.timedelta(days=60)
    Ticket.objects.filter(pk=ticket.pk).update(resolve_by=far)
    ticket.refresh_from_db()
    respond_by = ticket.respond_by
    later = timezone.now() + dt.timedelta(days=3)
    event = perform(ticket, "escalate", world.gridworker_a, now=later)
    ticket.refresh_from_db()
    assert ticket.resolve_by == far and ticket.respond_by == respond_by
    assert set(event.data["deadlines"]["after"]) == {"accept_by"}
    assert event.data["kept"] == {"resolve_by": localtime(far).isoformat()}  # responded: none owed


def test_the_timeline_shows_the_time_limits_of_an_escalation(client, world):
    from gridgov.tickets import intake

    from .factories import ticket_data

    filed = timezone.now() - dt.timedelta(days=12)
    data = {**ticket_data(), "category": world.corridor.code}
    ticket = intake.create_ticket(data, actor=world.hotline, now=filed).ticket
    perform(ticket, "escalate", None, reason=sweep.ESCALATE_REASON)
    html = detail(client, world.community_staff, ticket)
    assert "魏家坡社区的签收时限自上报时起计算；诉求人的办理时限不变：" in html
    assert "签收时限：" in html and "办结时限：" in html and "（不变）" in html


# --- B9: a merge is told on the survivor; the merged page shows the survivor ----------------


def test_a_merge_writes_an_event_on_the_survivor_and_its_page_says_so(client, world):
    first = make_ticket(world)
    second = make_ticket(world, requester_phone="13900001111", requester_name="李四")
    version = first.version
    perform(second, "merge", world.hotline, into=first.code)
    first.refresh_from_db()
    merged_in = TicketEvent.objects.get(ticket=first, action=lifecycle.MERGE_IN)
    assert merged_in.data["merged_code"] == second.code
    assert merged_in.from_status == merged_in.to_status == Status.DISPATCHED
    assert first.version == version  # no transition of the survivor
    second.refresh_from_db()
    assert second.requester_phone == "13900001111"  # the merged ticket keeps its requester
    html = detail(client, world.hotline, first)
    assert 'data-action="merge-in"' in html and "并入重复工单" in html
    assert f"{second.code} 已并入本工单" in html


def test_the_merged_ticket_shows_the_survivors_status_and_reply(client, world):
    first = make_ticket(world)
    second = make_ticket(world, requester_phone="13900001111")
    perform(second, "merge", world.hotline, into=first.code)
    html = detail(client, world.hotline, second)
    assert 'id="survivor"' in html and "尚未办结" in html
    assert "data-deadline=" not in html  # its deadlines stopped at the merge
    perform(first, "accept", world.gridworker_a)
    perform(first, "resolve", world.gridworker_a, reply="楼道杂物已全部清理")
    html = detail(client, world.hotline, second)
    survivor = re.search(r'<section class="panel merged-survivor".*?</section>', html, re.S)
    assert "楼道杂物已全部清理" in survivor.group(0) and "已办结" in survivor.group(0)


def test_the_duplicates_merge_button_asks_for_confirmation(world):
    first = make_ticket(world)
    second = make_ticket(world)
    html = render_to_string(
        "insights/_duplicates.html",
        {
            "rows": [{"ticket": first, "score": 0.9, "reasons": []}],
            "may_merge": True,
            "ticket": second,
        },
    )
    assert "hx-confirm=" in html and f"{second.code} 并入 {first.code}" in html


# --- B10, B12: extensions ----------------------------------------------------------------------


def test_no_second_extension_request_is_offered_while_one_is_pending(world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    assert "extend" in lifecycle.allowed_actions(ticket, world.gridworker_a)
    until = ticket.resolve_by + dt.timedelta(days=3)
    perform(ticket, "extend", world.gridworker_a, until=until, reason="需要协调物业")
    assert "extend" not in lifecycle.allowed_actions(ticket, world.gridworker_a)
    with pytest.raises(InvalidTransition):
        perform(ticket, "extend", world.gridworker_a, until=until, reason="再申请")
    perform(ticket, "approve-extension", world.community_staff, approve=False, reason="先约谈物业")
    assert "extend" in lifecycle.allowed_actions(ticket, world.gridworker_a)


# On a working Tuesday: at the start of a long holiday (National Day, 2026-10-01 01:00
# Beijing) the deadlines set again 3 days later fell on the same first working day after
# it, nothing changed, and the event rightly recorded no deadlines.
@time_machine.travel(dt.datetime(2026, 11, 17, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))))
def test_reopening_says_what_happens_to_the_deadlines_and_an_approved_extension(client, world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    until = ticket.resolve_by + dt.timedelta(days=10)
    perform(ticket, "extend", world.gridworker_a, until=until, reason="需要协调物业")
    perform(ticket, "approve-extension", world.community_staff)
    perform(ticket, "resolve", world.gridworker_a, reply="已处理")
    event = perform(ticket, "callback", world.hotline, resolved=False, satisfaction="dissatisfied")
    ticket.refresh_from_db()
    assert ticket.status == Status.REOPENED and ticket.resolve_by < until
    assert parse_datetime(event.data["extension_lapsed"]) == until
    deadlines = event.data["deadlines"]
    assert parse_datetime(deadlines["before"]["resolve_by"]) == until
    assert parse_datetime(deadlines["after"]["resolve_by"]) == ticket.resolve_by
    html = detail(client, world.gridworker_a, ticket)
    assert "重新办理，时限自重新办理时起重新计算" in html
    assert "不再适用" in html
    # The extension panel does not contradict the header, nor does the API.
    assert 'data-lapsed="1"' in html and "已失效" in html
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.gridworker_a)
    [extension] = api.get(f"/api/v1/tickets/{ticket.pk}/").json()["extensions"]
    assert extension["state"] == "approved" and extension["lapsed"] is True
    # A reopen by the desk from closed says the same.
    perform(ticket, "resolve", world.gridworker_a, reply="已再次处理")
    perform(ticket, "close", world.hotline, reason="诉求人未接电话")
    later = timezone.now() + dt.timedelta(days=5)
    event = perform(ticket, "reopen", world.hotline, now=later, reason="诉求人来电仍未解决")
    assert "resolve_by" in event.data["deadlines"]["after"]
    assert Extension.objects.get(ticket=ticket).state == Extension.State.APPROVED


# --- B11, B13: the queue's tabs ----------------------------------------------------------------


def test_the_community_has_a_tab_for_extensions_to_approve(client, world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    until = ticket.resolve_by + dt.timedelta(days=3)
    perform(ticket, "extend", world.gridworker_a, until=until, reason="需要协调物业")
    html = html_of(client, world.community_staff, reverse("tickets:queue"))
    counts = tab_counts(html)
    assert counts["approve"] == 1 and counts["handling"] == 0
    assert "待审批" in html and current_tab(html) == "approve"
    assert ticket.code in html


def test_the_queue_opens_on_the_first_tab_with_work(client, world):
    ticket = make_ticket(world)
    resolved = make_ticket(world)
    perform(resolved, "accept", world.gridworker_a)
    perform(resolved, "resolve", world.gridworker_a, reply="已清理")
    perform(ticket, "return", world.gridworker_a, reason_code="wrong_place")
    html = html_of(client, world.street_staff, reverse("tickets:queue"))
    assert tab_counts(html)["dispatch"] == 1 and current_tab(html) == "dispatch"
    html = html_of(client, world.gridworker_b, reverse("tickets:queue"))
    assert current_tab(html) == "all"  # nothing anywhere


# --- C8: residents see no internal status ------------------------------------------------------


def test_a_resident_sees_an_escalated_demand_as_in_progress(client, world):
    person = PersonFactory(user=world.resident, place=world.buildings[0], name="刘居民")
    ticket = make_ticket(world, actor=world.resident, channel="photo", requester=person)
    perform(ticket, "escalate", world.gridworker_a)
    for url in (reverse("tickets:mine"), reverse("tickets:mine-detail", args=[ticket.code])):
        html = html_of(client, world.resident, url)
        assert "办理中" in html and "已上报" not in html and "escalated" not in html
    assert f"已转交{world.community.name}办理" in html
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.resident)
    body = api.get(f"/api/v1/tickets/mine/{ticket.code}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["status"] == "in_progress" and body["status_label"] == "办理中"


# --- C9: typed reasons are shown as typed ------------------------------------------------------


def test_typed_reasons_are_not_translated_but_system_reasons_are(client, world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a, note="In progress")
    perform(ticket, "escalate", None, reason=sweep.ESCALATE_REASON)
    html = detail(client, world.gridworker_a, ticket)
    reasons = re.findall(r'<div class="timeline__reason">(.*?)</div>', html, re.S)
    assert "In progress" in reasons  # a message id typed by a person stays as typed
    assert "系统自动派单。" in reasons  # lifecycle's AUTO_DISPATCH_REASON, translated
    assert "超时已过宽限期：时限巡检自动上报。" in reasons


def test_the_api_gives_each_events_reason_as_people_read_it(world):
    """The API's timeline said "Routed automatically." in a Chinese answer: `reason` keeps
    the stored text, `reason_text` is what the workbench shows."""
    from rest_framework.test import APIClient

    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a, note="In progress")
    api = APIClient()
    api.force_authenticate(world.gridworker_a)
    events = api.get(f"/api/v1/tickets/{ticket.pk}/events/").json()
    texts = {e["action"]: (e["reason"], e["reason_text"]) for e in events}
    assert texts["dispatch"] == ("Routed automatically.", "系统自动派单。")
    assert texts["accept"] == ("In progress", "In progress")
    english = api.get(f"/api/v1/tickets/{ticket.pk}/events/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert {e["action"]: e["reason_text"] for e in english}["dispatch"] == "Routed automatically."


def test_api_refusals_name_the_action_as_the_workbench_does(world):
    """A Chinese 409 said "不能执行 callback": the action's code, not its name."""
    from rest_framework.test import APIClient

    ticket = make_ticket(world)
    api = APIClient()
    api.force_authenticate(world.hotline)
    body = {"resolved": True, "satisfaction": "satisfied"}
    conflict = api.post(f"/api/v1/tickets/{ticket.pk}/callback/", body, format="json").json()
    assert conflict["error"]["detail"]["reason"] == "工单当前为“已派单”，不能执行“回访”。"
    api.force_authenticate(world.community_staff)
    refused = api.post(f"/api/v1/tickets/{ticket.pk}/accept/", {}, format="json").json()
    assert (
        refused["error"]["detail"]["reason"] == "您无权对该工单执行“签收”，或工单不在您的辖区内。"
    )
