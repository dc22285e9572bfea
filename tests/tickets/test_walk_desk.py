"""Fixes from walking the demo as the 12345 hotline and a street's dispatch desk."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import intake, lifecycle

from .factories import make_ticket, make_world, ticket_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def deadline_state(html, key):
    """The state text of one deadline box on the ticket page."""
    box = re.search(rf'data-deadline="{key}">(.*?)</li>', html, re.S).group(1)
    return re.sub(r"<[^>]+>", "", box.split('deadline__state">')[1]).strip()


def test_a_reopened_ticket_keeps_its_signing_on_time(client, world):
    """A dissatisfied callback weeks later reopens the ticket, which the same unit handles
    again without signing anew (its accepted_at is the reopening). The 签收时限 box judged
    that reopening against the first round's deadline and showed 超时 2 周 in red, for a
    unit that had signed within hours; it is judged by the signing."""
    start = timezone.now() - dt.timedelta(days=20)
    data = ticket_data(category=world.corridor.code)
    ticket = intake.create_ticket(data, actor=world.hotline, now=start).ticket
    signed = start + dt.timedelta(hours=1)
    lifecycle.perform(ticket, "accept", world.gridworker_a, now=signed)
    lifecycle.perform(ticket, "resolve", world.gridworker_a, reply="已处理", now=signed)
    lifecycle.perform(
        ticket, "callback", world.hotline, resolved=False, satisfaction="dissatisfied"
    )
    ticket.refresh_from_db()
    assert ticket.status == "reopened" and ticket.accepted_at > ticket.accept_by
    client.force_login(world.hotline)
    html = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert deadline_state(html, "accept") == "按时"


def test_an_unplaced_ticket_returned_by_a_grid_comes_back_to_the_street_that_sent_it(client, world):
    """A walk-in the street could not place waits at the street's desk; the street sends it
    to a grid, the grid returns it. It went to the district's desk (the desk of no place),
    and vanished from the street that had sent it (its page a 404); it comes back to the
    street's 待派单."""
    data = ticket_data(channel="window", address="", description="有人私自占用公共绿地种菜")
    ticket = intake.create_ticket(data, actor=world.street_staff).ticket
    assert ticket.place is None and ticket.owner_place == world.street
    lifecycle.perform(ticket, "dispatch", world.street_staff, unit=world.grid_a.code)
    lifecycle.perform(ticket, "return", world.gridworker_a, reason_code="unclear_ownership")
    ticket.refresh_from_db()
    assert ticket.owner_place == world.street
    client.force_login(world.street_staff)
    html = client.get(reverse("tickets:queue") + "?tab=dispatch").content.decode()
    assert ticket.code in html


def test_an_extension_waiting_for_a_decision_is_the_first_thing_on_the_approvers_page(
    client, world
):
    """The 待审批 tab leads to tickets whose extension waits for the approver; the decision
    form stood folded among 督办, 吹哨 and 合并 under its title. Offered only while a
    request waits, it is the page's first, open form."""
    ticket = make_ticket(world)
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    ticket.refresh_from_db()
    until = ticket.resolve_by + dt.timedelta(days=5)
    lifecycle.perform(ticket, "extend", world.gridworker_a, until=until, reason="需协调物业")
    client.force_login(world.community_staff)
    assert first_open_form(client, ticket) == "action-approve-extension"


def first_open_form(client, ticket):
    """The id of the first action form the ticket page shows open (not folded)."""
    html = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    first = re.search(
        r'<div class="action action--primary">\s*<h3[^>]*>[^<]*</h3>\s*<form id="([^"]+)"', html
    )
    return first.group(1) if first else None


def test_a_summoned_department_finds_its_report_open_on_the_ticket(client, world):
    """A department summoned by a whistle opens the ticket to report (报到) by its deadline:
    that form, the only one it has, stood folded under its title. While its report is due
    it is open."""
    ticket = make_ticket(world)
    codes = [world.city_mgmt.code]
    lifecycle.perform(ticket, "whistle", world.street_staff, departments=codes, reason="联合处置")
    client.force_login(world.city_handler)
    assert first_open_form(client, ticket) == "action-whistle-report"
    lifecycle.perform(
        ticket, "whistle-report", world.city_handler, department=codes[0], note="已到场"
    )
    assert first_open_form(client, ticket) is None  # reported: nothing left to do here


def test_after_reporting_a_department_goes_on_to_its_next_summons(client, world):
    """A department summoned on several tickets reports on one and was left on it with
    已完成 only; like the callback desk it is offered the next of its 吹哨待报到."""
    first, second = make_ticket(world), make_ticket(world, description="另一处楼道也堆满了杂物")
    codes = [world.city_mgmt.code]
    for ticket in (first, second):
        lifecycle.perform(ticket, "whistle", world.street_staff, departments=codes, reason="联合")
    client.force_login(world.city_handler)
    first.refresh_from_db()
    url = reverse("tickets:act", args=[first.code, "whistle-report"])
    data = {"whistle-report-version": first.version, "whistle-report-department": codes[0]}
    data["whistle-report-note"] = "已到场"
    html = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert "已完成：部门报到" in html
    assert f"下一件（吹哨待报到）：{second.code}，还剩 1 件" in html


def test_after_deciding_an_extension_the_approver_goes_on_to_the_next(client, world):
    tickets = [make_ticket(world), make_ticket(world, description="另一处楼道也堆满了杂物")]
    for ticket in tickets:
        lifecycle.perform(ticket, "accept", world.gridworker_a)
        ticket.refresh_from_db()
        until = ticket.resolve_by + dt.timedelta(days=5)
        lifecycle.perform(ticket, "extend", world.gridworker_a, until=until, reason="需协调物业")
    client.force_login(world.community_staff)
    first = tickets[0]
    first.refresh_from_db()
    url = reverse("tickets:act", args=[first.code, "approve-extension"])
    data = {"approve-extension-version": first.version, "approve-extension-approve": "yes"}
    html = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert f"已批准延期：{first.code}" in html
    assert f"下一件（待审批）：{tickets[1].code}，还剩 1 件" in html


def test_the_ranking_footnote_names_the_rates_that_make_a_score(client, world):
    """A grid with only an on-time rate (0.0%) stood unranked, while the footnote said a unit
    with any of 响应率、解决率、满意率、按时办结率 is scored: 按时办结率 is shown, not scored
    (weight 0), so it makes no score. The footnote names the rates that do."""
    client.force_login(world.street_staff)
    html = client.get(reverse("tickets:kpis")).content.decode()
    assert "没有任何计分的办理类指标（响应率、解决率、满意率）的单位不计分、不参与排名" in html


def test_the_desk_cannot_send_a_returned_ticket_back_by_the_rules_to_its_returner(client, world):
    """A grid returns a ticket (属地不符); at the desk the dispatch form's first choice,
    按派单规则自动派单, sent it straight back to that grid, which returned it again: three
    rounds of it made it a designation. The desk is told to name a unit instead."""
    ticket = make_ticket(world)
    assert ticket.owner_place == world.grid_a
    lifecycle.perform(ticket, "return", world.gridworker_a, reason_code="wrong_place")
    client.force_login(world.street_staff)
    ticket.refresh_from_db()
    url = reverse("tickets:act", args=[ticket.code, "dispatch"])
    data = {"dispatch-version": ticket.version, "dispatch-target": ""}
    html = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert f"按派单规则会派回退单的{world.grid_a.name}：请选择承办单位。" in html
    ticket.refresh_from_db()
    assert ticket.status == "returned" and ticket.owner_place == world.street
    # Named, it goes.
    data = {"dispatch-version": ticket.version, "dispatch-target": f"place:{world.grid_b.code}"}
    client.post(url, data, HTTP_HX_REQUEST="true")
    ticket.refresh_from_db()
    assert ticket.status == "dispatched" and ticket.owner_place == world.grid_b


def test_a_resolved_ticket_nobody_can_be_called_about_is_closed_first_with_the_reason(
    client, world
):
    """An anonymous caller who left no phone cannot be called back: the hotline's page put
    回访 first, and recording an answer nobody gave would count in 解决率 and 满意率. The
    desk's first, open form closes it, the reason filled in; 回访 stays folded below."""
    data = ticket_data(
        category=world.corridor.code,
        nature="suggest",
        anonymous=True,
        requester_name="",
        requester_phone="",
    )
    ticket = intake.create_ticket(data, actor=world.hotline).ticket
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    lifecycle.perform(ticket, "resolve", world.gridworker_a, reply="已清理")
    client.force_login(world.hotline)
    assert first_open_form(client, ticket) == "action-close"
    html = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert "诉求人匿名且未留联系电话，无法回访。" in html
    # A requester with a phone is called back first, as before.
    called = make_ticket(world)
    lifecycle.perform(called, "accept", world.gridworker_a)
    lifecycle.perform(called, "resolve", world.gridworker_a, reply="已清理")
    assert first_open_form(client, called) == "action-callback"


def test_an_unplaced_ticket_sent_to_a_department_stays_in_sight_of_the_district(client, world):
    """A walk-in nobody could place, sent by the street's desk to a district department:
    it vanished from the district's staff and the hotline (their lists, its page a 404),
    since their sight followed places only. It lies where the department serves."""
    from gridgov.tickets.filters import visible_tickets

    data = ticket_data(channel="window", address="", description="有人私自占用公共绿地种菜")
    ticket = intake.create_ticket(data, actor=world.street_staff).ticket
    lifecycle.perform(ticket, "dispatch", world.street_staff, department=world.housing.code)
    ticket.refresh_from_db()
    assert ticket.place is None and ticket.owner_department == world.housing
    for user in (world.district_staff, world.hotline, world.housing_handler):
        assert visible_tickets(user).filter(pk=ticket.pk).exists(), user
        assert user.has_perm("tickets.view_ticket", ticket), user
    client.force_login(world.district_staff)
    assert client.get(reverse("tickets:detail", args=[ticket.code])).status_code == 200
    # Not a grid's or a community's: their sight stays their places.
    for user in (world.gridworker_a, world.community_staff):
        assert not visible_tickets(user).filter(pk=ticket.pk).exists(), user
        assert not user.has_perm("tickets.view_ticket", ticket), user


def test_a_department_that_reported_is_offered_no_second_report(world):
    """After its 部门报到 a department's allowed actions (the page's forms, the API's
    allowed_for_you in a 409) still listed 部门报到; a second report is refused as such."""
    ticket = make_ticket(world, category=world.unlicensed.code, title="无证摊贩")
    lifecycle.perform(ticket, "accept", world.city_handler)
    lifecycle.perform(
        ticket,
        "whistle",
        world.street_staff,
        departments=["CG", "ZJ"],
        report_within_hours=2,
        reason="多部门联合整治",
    )
    assert "whistle-report" in lifecycle.allowed_actions(ticket, world.housing_handler)
    lifecycle.perform(ticket, "whistle-report", world.housing_handler, department="ZJ", note="到场")
    ticket.refresh_from_db()
    assert "whistle-report" not in lifecycle.allowed_actions(ticket, world.housing_handler)
    assert "whistle-report" in lifecycle.allowed_actions(ticket, world.city_handler)  # not yet
    with pytest.raises(lifecycle.InvalidTransition):  # 409: already reported, not 403
        lifecycle.perform(
            ticket, "whistle-report", world.housing_handler, department="ZJ", note="再次"
        )
