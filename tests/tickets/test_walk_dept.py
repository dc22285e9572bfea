"""Fixes from walking 接诉即办 on the demo as a department handler (区城管执法局) and as a
community office (魏家坡社区), in a real browser (tests/browser/test_walk_dept.py)."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from gridgov.tickets import lifecycle
from gridgov.tickets.lifecycle import InvalidTransition, perform
from gridgov.tickets.models import Extension, Status, Summons
from tests.places.factories import make_tree

from .factories import make_ticket, make_world
from .test_walk_fixes import H, html_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def detail_url(ticket):
    return reverse("tickets:detail", args=[ticket.code])


def tab_counts(html):
    found = re.findall(r'data-tab="([a-z_]+)">[^<]*<span class="wb-tab__count">(\d+)</span>', html)
    return {name: int(n) for name, n in found}


def whistled(world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    perform(ticket, "whistle", world.street_staff, departments=["CG"], reason="需要城管联合处置")
    return ticket


def test_a_summoned_department_has_nothing_to_call_back_when_the_owner_resolves(client, world):
    """The grid resolved a whistled ticket before 城管 reported: 城管's queue counted it under
    待回访 (1), a tab of tickets it could do nothing on (calling back is the desk's)."""
    ticket = whistled(world)
    perform(ticket, "resolve", world.gridworker_a, reply="已清理")
    html = html_of(client, world.city_handler, reverse("tickets:queue"))
    counts = tab_counts(html)
    assert counts["report"] == 1 and counts["all"] == 1  # still owes its report
    assert "callback" not in counts  # no 待回访 tab: a department calls nobody back
    html = html_of(client, world.city_handler, reverse("tickets:queue") + "?tab=callback")
    assert ticket.code not in html
    # The desk still calls the requester back.
    html = html_of(client, world.hotline, reverse("tickets:queue") + "?tab=callback")
    assert tab_counts(html)["callback"] == 1 and ticket.code in html


def test_a_summoned_department_has_nothing_to_dispatch_when_the_owner_returns(client, world):
    ticket = make_ticket(world)
    perform(ticket, "whistle", world.street_staff, departments=["CG"], reason="联合处置")
    perform(ticket, "return", world.gridworker_a, reason_code="wrong_place")
    ticket.refresh_from_db()
    assert ticket.status == Status.RETURNED
    counts = tab_counts(html_of(client, world.city_handler, reverse("tickets:queue")))
    assert "dispatch" not in counts and counts["report"] == 1
    counts = tab_counts(html_of(client, world.street_staff, reverse("tickets:queue")))
    assert counts["dispatch"] == 1


def test_offices_that_call_nobody_back_have_no_callback_tab(client, world):
    """Community and grid offices, and departments, saw 待回访 0 on every visit."""
    for user in (world.community_staff, world.gridworker_a, world.city_handler):
        assert "callback" not in tab_counts(html_of(client, user, reverse("tickets:queue")))
        assert 'data-tab="callback"' not in html_of(client, user, "/")
    for user in (world.hotline, world.street_staff):
        assert "callback" in tab_counts(html_of(client, user, reverse("tickets:queue")))


def deadline_cards(html):
    """[(key, classes, text)] of the deadline cards under the ticket's title."""
    cards = re.findall(r'<li class="deadline([^"]*)" data-deadline="(\w+)">(.*?)</li>', html, re.S)
    return [
        (key, classes.strip(), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())
        for classes, key, body in cards
    ]


def test_a_summoned_department_sees_its_report_by_first_on_the_ticket(client, world):
    """The queue said 报到超时 (4 days), the ticket page's deadlines were the owner's, all
    on time: nothing at the top told the department it was late."""
    t0 = timezone.now()
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a, now=t0 - 5 * H)
    perform(
        ticket,
        "whistle",
        world.street_staff,
        now=t0 - 4 * H,
        departments=["CG", "ZJ"],
        report_within_hours=2,
        reason="联合处置",
    )
    # Its hours count in office time: set the report-by past, whatever the hour of the run.
    Summons.objects.filter(whistle__ticket=ticket).update(report_by=t0 - 2 * H)
    report_by = Summons.objects.get(whistle__ticket=ticket, department=world.city_mgmt).report_by
    cards = deadline_cards(html_of(client, world.city_handler, detail_url(ticket)))
    assert [key for key, _c, _t in cards] == ["report", "accept", "respond", "resolve"]
    key, classes, text = cards[0]
    assert classes == "is-overdue"
    assert text.startswith("报到时限 " + timezone.localtime(report_by).strftime("%Y-%m-%d %H:%M"))
    assert "已超时" in text
    # The owner and the street see the owner's deadlines only; once reported, so does 城管.
    for user in (world.gridworker_a, world.street_staff):
        cards = deadline_cards(html_of(client, user, detail_url(ticket)))
        assert [key for key, _c, _t in cards] == ["accept", "respond", "resolve"]
    perform(ticket, "whistle-report", world.city_handler, department="CG", note="已到场")
    cards = deadline_cards(html_of(client, world.city_handler, detail_url(ticket)))
    assert [key for key, _c, _t in cards] == ["accept", "respond", "resolve"]


def test_a_department_on_time_sees_its_report_by_counting_down(client, world):
    ticket = whistled(world)
    cards = deadline_cards(html_of(client, world.city_handler, detail_url(ticket)))
    key, classes, text = cards[0]
    assert key == "report" and classes == "" and "剩余" in text


def test_the_home_page_marks_late_reports_red_as_the_queue_does(client, world):
    """桂园街道's home page showed 报到超时 12 in grey beside 已超时 in red; its queue page
    marks both."""
    t0 = timezone.now()
    ticket = make_ticket(world)
    perform(
        ticket,
        "whistle",
        world.street_staff,
        now=t0 - 5 * H,
        departments=["CG"],
        report_within_hours=2,
        reason="联合处置",
    )
    Summons.objects.filter(whistle__ticket=ticket).update(report_by=t0 - 3 * H)  # office time
    for url in ("/", reverse("tickets:queue")):
        html = html_of(client, world.street_staff, url)
        tab = re.search(r'<a [^>]*data-tab="late_reports"[^>]*>', html).group(0)
        assert "wb-tab--alert" in tab, url


def test_an_extension_is_refused_with_a_reason_the_unit_reads(client, world):
    """魏家坡社区 refused 魏家坡小区's extension with the reason left blank: the grid's page
    said 未批准 and nothing else — not why, nor what to do instead."""
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    until = ticket.resolve_by + dt.timedelta(days=7)
    perform(ticket, "extend", world.gridworker_a, until=until, reason="需等物业和业主协商")
    client.force_login(world.community_staff)
    url = reverse("tickets:act", args=[ticket.code, "approve-extension"])
    ticket.refresh_from_db()
    data = {"approve-extension-version": ticket.version, "approve-extension-approve": "no"}
    html = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert "不批准延期须说明原因" in html
    assert ticket.extensions.get().state == Extension.State.PENDING  # nothing decided
    assert "不批准时必填" in html  # the form says so before it is sent
    data["approve-extension-reason"] = "本周内先约谈商户，整改不到位再申请"
    client.post(url, data, HTTP_HX_REQUEST="true")
    assert ticket.extensions.get().state == Extension.State.REJECTED
    html = html_of(client, world.gridworker_a, detail_url(ticket))
    # Beside its request in 延期申请, not only in the timeline.
    panel = re.search(r"<h2>延期申请</h2>.*?</section>", html, re.S).group(0)
    assert "审批意见：本周内先约谈商户，整改不到位再申请" in panel
    # The API alike: a 400 naming why; approving needs no reason.
    perform(ticket, "extend", world.gridworker_a, until=until, reason="再申请")
    api = APIClient()
    api.force_authenticate(world.community_staff)
    body = {"approve": False}
    response = api.post(f"/api/v1/tickets/{ticket.pk}/approve-extension/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["detail"]["reason"].startswith("不批准延期须说明原因")
    perform(ticket, "approve-extension", world.community_staff)
    assert ticket.extensions.filter(state=Extension.State.APPROVED).count() == 1


def test_the_maps_grid_list_counts_in_chinese_without_an_english_comma(client, world):
    """Clicking a grid on 工单地图 said “14 件在办工单, 3 件超时”: an English comma."""
    t0 = timezone.now()
    make_ticket(world)
    late = make_ticket(world, address="魏家坡小区2号楼")
    late.accept_by = t0 - H
    late.save(update_fields=["accept_by"])
    url = reverse("tickets:map-grid", args=[world.grid_a.code])
    html = html_of(client, world.community_staff, url)
    counts = re.search(r'<p class="muted small">(.*?)</p>', html, re.S).group(1)
    text = re.sub(r"<[^>]+>", "", counts)
    assert text == "2 件在办工单 · 1 件超时", text


def test_a_department_narrows_its_list_to_a_street_or_community(client, world):
    """区城管执法局's 辖区工单 offered only 全部辖区 under 所在地: its tickets lie across the
    district's streets, and it could not list one street's."""
    other = make_tree(key="2", district=world.district, origin=(116.40, 39.90))
    here = make_ticket(world, category=world.unlicensed.code)
    there = make_ticket(
        world, category=world.unlicensed.code, address="", title="另一条街的占道经营"
    )
    there.place = there.grid = other.grids[0]
    there.save(update_fields=["place", "grid"])
    assert here.owner_department == there.owner_department == world.city_mgmt
    url = reverse("tickets:list")
    html = html_of(client, world.city_handler, url)
    select = re.search(r'<select name="place".*?</select>', html, re.S).group(0)
    for place in (world.street, world.community, other.street, other.grids[0]):
        assert f'value="{place.code}"' in select, place.code
    html = html_of(client, world.city_handler, f"{url}?place={other.street.code}")
    assert there.code in html and here.code not in html
    # A grid worker's choice is still its own grid only.
    html = html_of(client, world.gridworker_a, url)
    select = re.search(r'<select name="place".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="(\w*)"', select) == ["", world.grid_a.code]


def test_a_code_searched_from_another_tab_opens_the_tab_that_holds_it(client, world):
    """城管 typed a ticket's code on 待签收: 待办中没有符合条件的工单, with 办理中 1 beside it."""
    ticket = make_ticket(world, category=world.unlicensed.code)
    make_ticket(world, category=world.unlicensed.code, title="另一件待签收")
    perform(ticket, "accept", world.city_handler)
    url = reverse("tickets:queue") + f"?tab=accept&q={ticket.code}"
    html = html_of(client, world.city_handler, url)
    assert re.search(r'aria-current="page" data-tab="handling"', html)
    assert f'data-code="{ticket.code}"' in html and "没有符合条件" not in html
    # Nothing anywhere: the tab asked for, and the words say so.
    html = html_of(client, world.city_handler, reverse("tickets:queue") + "?tab=accept&q=无此工单")
    assert re.search(r'aria-current="page" data-tab="accept"', html)
    assert "待办中没有符合条件的工单" in html


def test_a_search_that_misses_the_queue_offers_the_areas_list(client, world):
    """A resolved ticket is in no tab of 城管's queue: searching its code said only 待办中
    没有符合条件的工单; the list of the area, where it is, is one click away now."""
    ticket = make_ticket(world, category=world.unlicensed.code)
    perform(ticket, "accept", world.city_handler)
    perform(ticket, "resolve", world.city_handler, reply="已责令整改")
    html = html_of(client, world.city_handler, reverse("tickets:queue") + f"?q={ticket.code}")
    assert "待办中没有符合条件的工单" in html
    link = re.search(r'<a href="([^"]+)" data-search-area>([^<]+)</a>', html)
    assert link.group(2) == "到辖区工单中查找"
    found = html_of(client, world.city_handler, link.group(1).replace("&amp;", "&"))
    assert f'data-code="{ticket.code}"' in found


def test_a_return_is_not_offered_once_its_working_day_has_passed(client, world):
    """The 退单 form stayed on the page after the return window (1 working day from the
    dispatch): the handler chose a reason, explained, sent it, and was told 只能在派单后 1
    个工作日内退单."""
    fresh = make_ticket(world, category=world.unlicensed.code)
    old = make_ticket(world, category=world.unlicensed.code, title="上周派来的工单")
    old.dispatched_at -= dt.timedelta(days=8)
    old.save(update_fields=["dispatched_at"])
    assert "return" in lifecycle.allowed_actions(fresh, world.city_handler)
    assert "return" not in lifecycle.allowed_actions(old, world.city_handler)
    html = html_of(client, world.city_handler, detail_url(fresh))
    assert 'id="action-return"' in html
    # The form says until when (the window was nowhere on the page).
    until = timezone.localtime(lifecycle.return_by(fresh)).strftime("%Y-%m-%d %H:%M")
    assert f"须在 {until} 前退单（派单后 1 个工作日内）。" in html
    html = html_of(client, world.city_handler, detail_url(old))
    assert 'id="action-return"' not in html and 'id="action-accept"' in html
    with pytest.raises(InvalidTransition, match="只能在派单后 1 个工作日内退单"):
        perform(old, "return", world.city_handler, reason_code="overlapping_duties")


def queue_row(html, ticket):
    return re.search(rf'<tr class="wb-row[^"]*" data-code="{ticket.code}">.*?</tr>', html, re.S)


def test_a_unit_sees_in_its_queue_which_tickets_were_supervised(client, world):
    """魏家坡社区 supervised (督办) a ticket of 魏家坡小区 with what it asked: nothing on the
    grid's queue row said so; only the ticket's timeline did."""
    pressed = make_ticket(world)
    other = make_ticket(world, title="另一件", address="魏家坡小区2号楼")
    for ticket in (pressed, other):
        perform(ticket, "accept", world.gridworker_a)
    perform(pressed, "supervise", world.community_staff, reason="请本周内清理并回复诉求人")
    perform(other, "supervise", None, reason="auto", stage="resolve")  # the sweep's: not flagged
    html = html_of(client, world.gridworker_a, reverse("tickets:queue") + "?tab=handling")
    assert "已督办" in queue_row(html, pressed).group(0)
    assert "data-supervised" not in queue_row(html, other).group(0)
    # Pressure on an earlier holder does not follow the ticket to the next one.
    ticket = make_ticket(world, title="上报的工单", address="魏家坡小区3号楼")
    perform(ticket, "supervise", world.community_staff, reason="请尽快签收")
    perform(ticket, "escalate", world.gridworker_a, reason="需社区协调")
    html = html_of(client, world.community_staff, reverse("tickets:queue") + "?tab=accept")
    assert "data-supervised" not in queue_row(html, ticket).group(0)


def test_a_deadline_within_the_minute_is_not_zero_minutes(world):
    """The emergency sent down to 魏家坡小区 read 剩余 0 分钟 in its queue, seconds before its
    签收时限: as if no time were left at all, or none had been given."""
    from gridgov.tickets.templatetags.tickets_workbench import countdown

    now = timezone.now()

    def text(deadline):
        return re.sub(r"<[^>]+>", "", countdown(deadline, now)).replace("\xa0", " ")

    assert text(now + dt.timedelta(seconds=40)) == "剩余不足 1 分钟"
    assert text(now - dt.timedelta(seconds=40)) == "刚刚超时"
    assert text(now + dt.timedelta(minutes=5, seconds=10)) == "剩余 5 分钟"
    assert text(now - dt.timedelta(minutes=2, seconds=5)) == "已超时 2 分钟"


def test_a_department_resolves_an_unplaced_ticket_and_the_desk_calls_back(client, world):
    """A caller gave no address; the rules sent the matter to 城管, which resolved it. No
    desk had it under 待回访 or could call back: it stayed resolved for good, never closed
    and never in 解决率 or 满意率."""
    ticket = make_ticket(world, category=world.unlicensed.code, address="")
    assert ticket.place_id is None and ticket.owner_department == world.city_mgmt
    perform(ticket, "accept", world.city_handler)
    perform(ticket, "resolve", world.city_handler, reply="已责令商户整改")
    html = html_of(client, world.hotline, reverse("tickets:queue") + "?tab=callback")
    assert tab_counts(html)["callback"] == 1 and f'data-code="{ticket.code}"' in html
    # A street's desk does not: the department serves the district.
    counts = tab_counts(html_of(client, world.street_staff, reverse("tickets:queue")))
    assert counts["callback"] == 0
    html = html_of(client, world.hotline, detail_url(ticket))
    assert 'id="action-callback"' in html
    perform(ticket, "callback", world.hotline, resolved=True, satisfaction="satisfied")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_the_district_decides_an_extension_a_department_asks_on_an_unplaced_ticket(client, world):
    """The same unplaced ticket: 城管's extension request waited for a decision nobody could
    take (no one was above a ticket with no place)."""
    ticket = make_ticket(world, category=world.unlicensed.code, address="")
    perform(ticket, "accept", world.city_handler)
    until = ticket.resolve_by + dt.timedelta(days=5)
    perform(ticket, "extend", world.city_handler, until=until, reason="需联合住建测绘")
    html = html_of(client, world.district_staff, reverse("tickets:queue"))
    assert tab_counts(html)["approve"] == 1 and f'data-code="{ticket.code}"' in html
    assert "approve-extension" in lifecycle.allowed_actions(ticket, world.district_staff)
    assert "approve-extension" not in lifecycle.allowed_actions(ticket, world.street_staff)
    perform(ticket, "approve-extension", world.district_staff)
    assert ticket.extensions.get().state == Extension.State.APPROVED
