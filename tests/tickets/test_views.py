"""The ticket workbench pages (Django test client): queue, detail and actions, intake,
随手拍, map data and KPI ranking, in Chinese by default."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from gridgov.people.models import AccessLog, Role
from gridgov.tickets import intake, lifecycle
from gridgov.tickets.models import (
    Callback,
    Category,
    Channel,
    KnowledgeAnswer,
    Status,
    Ticket,
    TicketEvent,
    TicketPhoto,
)
from tests.people.factories import user_with_role

from .factories import make_ticket, make_world, ticket_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def client_for(client, user):
    client.force_login(user)
    return client


def html_of(response):
    return response.content.decode()


def row_codes(html):
    """Ticket codes in the order of the rows of a ticket table."""
    return re.findall(r'<tr class="wb-row[^"]*" data-code="([^"]+)"', html)


def png_upload(name="photo.png", color=(200, 30, 30)):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def act(client, ticket, action, **fields):
    """POST one action form the way the page sends it (fields prefixed by the action)."""
    ticket.refresh_from_db()
    data = {f"{action}-version": ticket.version}
    data.update({f"{action}-{name}": value for name, value in fields.items()})
    url = reverse("tickets:act", args=[ticket.code, action])
    return client.post(url, data, HTTP_HX_REQUEST="true")


def desk_ticket(world):
    """A ticket no rule covers and nothing locates: it waits at the dispatch desk."""
    return intake.create_ticket(
        ticket_data(
            title="咨询一件事情",
            description="想了解一下情况",
            address="",
            nature="suggest",
            category=None,
        ),
        actor=world.hotline,
    ).ticket


# --- queue ------------------------------------------------------------------------------------


def test_queue_shows_the_grid_workers_tickets_nearest_deadline_first(client, world):
    general = make_ticket(world, title="楼道堆物")
    urgent = make_ticket(world, title="消防通道被堵", category=world.fire_lane.code)
    other_grid = make_ticket(world, address="幸福里小区3栋", title="别的网格")
    assert urgent.accept_by < general.accept_by
    html = html_of(client_for(client, world.gridworker_a).get(reverse("tickets:queue")))
    assert "我的待办" in html and "待签收" in html
    assert row_codes(html) == [urgent.code, general.code]
    assert other_grid.code not in html
    # Requester masked in the list.
    assert "张*" in html and "138****1234" in html
    assert "13812341234" not in html


def test_queue_pages_keep_the_deadline_order_and_the_count(client, world, monkeypatch):
    from gridgov.tickets import views

    monkeypatch.setattr(views, "QUEUE_PER_PAGE", 2)
    urgent = make_ticket(world, title="消防通道被堵", category=world.fire_lane.code)
    first = make_ticket(world, title="楼道堆物一")
    second = make_ticket(world, title="楼道堆物二")
    gw = client_for(client, world.gridworker_a)
    page_one = html_of(gw.get(reverse("tickets:queue") + "?tab=accept"))
    page_two = html_of(gw.get(reverse("tickets:queue") + "?tab=accept&page=2"))
    assert row_codes(page_one) == [urgent.code, first.code]
    assert row_codes(page_two) == [second.code]
    assert re.search(r'data-tab="accept">[^<]*<span class="wb-tab__count">3</span>', page_one)
    assert 'rel="next"' in page_one and 'rel="next"' not in page_two


def test_queue_of_other_roles(client, world):
    mine = make_ticket(world)
    desk = desk_ticket(world)
    assert desk.status == Status.RECEIVED
    # The hotline operator (a dispatcher) sees the desk ticket, not the dispatched one.
    html = html_of(client_for(client, world.hotline).get(reverse("tickets:queue") + "?tab=all"))
    assert desk.code in html and mine.code not in html
    assert 'data-tab="dispatch"' in html
    # The other grid's worker has nothing.
    client.logout()
    html = html_of(client_for(client, world.gridworker_b).get(reverse("tickets:queue")))
    assert row_codes(html) == []
    # After the grid worker resolves it, the operator has it to call back.
    for action, params in (("accept", {}), ("resolve", {"reply": "已清理"})):
        lifecycle.perform(mine, action, world.gridworker_a, **params)
    client.logout()
    html = html_of(
        client_for(client, world.hotline).get(reverse("tickets:queue") + "?tab=callback")
    )
    assert row_codes(html) == [mine.code]


def test_pending_extension_is_in_the_queue_of_the_unit_above(client, world):
    ticket = make_ticket(world)
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    until = ticket.resolve_by + dt.timedelta(days=3)
    lifecycle.perform(ticket, "extend", world.gridworker_a, until=until, reason="需要协调物业")
    html = html_of(client_for(client, world.community_staff).get(reverse("tickets:queue")))
    assert ticket.code in html
    assert "延期待审批" in html
    detail = html_of(client.get(reverse("tickets:detail", args=[ticket.code])))
    assert 'id="action-approve-extension"' in detail


def test_overdue_tickets_are_highlighted_with_the_missed_deadline(client, world):
    late = intake.create_ticket(
        {**ticket_data(), "category": world.corridor.code},
        actor=world.hotline,
        now=timezone.now() - dt.timedelta(days=10),
    ).ticket
    fresh = make_ticket(world)
    html = html_of(client_for(client, world.gridworker_a).get(reverse("tickets:queue")))
    assert f'<tr class="wb-row is-overdue" data-code="{late.code}">' in html
    assert f'<tr class="wb-row" data-code="{fresh.code}">' in html
    assert "签收超时" in html
    # The overdue tab holds only the late one; the detail page says which deadline.
    html = html_of(client.get(reverse("tickets:queue") + "?tab=overdue"))
    assert row_codes(html) == [late.code]
    detail = html_of(client.get(reverse("tickets:detail", args=[late.code])))
    assert 'class="deadline is-overdue" data-deadline="accept"' in detail
    assert "签收超时" in detail


def test_queue_search(client, world):
    a = make_ticket(world, title="楼道堆满纸箱")
    b = make_ticket(world, title="电动车乱停")
    html = html_of(
        client_for(client, world.gridworker_a).get(reverse("tickets:queue") + "?q=电动车")
    )
    assert row_codes(html) == [b.code]
    html = html_of(client.get(reverse("tickets:queue") + f"?q={a.code}"))
    assert row_codes(html) == [a.code]


def test_area_list_filters_and_scope(client, world):
    a = make_ticket(world, title="楼道堆物甲")
    b = make_ticket(world, address="幸福里小区3栋", title="楼道堆物乙", channel="window")
    url = reverse("tickets:list")
    client_for(client, world.community_staff)
    assert set(row_codes(html_of(client.get(url)))) == {a.code, b.code}
    assert row_codes(html_of(client.get(url + "?channel=window"))) == [b.code]
    assert row_codes(html_of(client.get(url + f"?place={world.grid_a.code}"))) == [a.code]
    assert row_codes(html_of(client.get(url + "?status=closed"))) == []
    today = timezone.localdate().isoformat()
    assert len(row_codes(html_of(client.get(url + f"?date_from={today}&date_to={today}")))) == 2
    assert row_codes(html_of(client.get(url + "?date_to=2000-01-01"))) == []
    corridor_top = world.corridor.parent.code
    assert len(row_codes(html_of(client.get(url + f"?category={corridor_top}")))) == 2
    client.logout()
    html = html_of(client_for(client, world.gridworker_b).get(url))
    assert row_codes(html) == [b.code]


# --- detail and actions --------------------------------------------------------------------


def forms_on(html):
    return set(re.findall(r'<form id="action-([a-z-]+)"', html))


def test_detail_shows_only_the_actions_the_user_may_take(client, world):
    ticket = make_ticket(world)
    url = reverse("tickets:detail", args=[ticket.code])
    html = html_of(client_for(client, world.gridworker_a).get(url))
    assert forms_on(html) == set(lifecycle.allowed_actions(ticket, world.gridworker_a))
    assert "accept" in forms_on(html) and "callback" not in forms_on(html)
    assert "签收" in html and "退单" in html
    # Header: code, status, category, owner, the three deadlines, location breadcrumb.
    assert ticket.code in html and "已派单" in html
    assert "楼道堆物" in html and "魏家坡小区" in html and "学院路街道" in html
    assert html.count("data-deadline=") == 3
    client.logout()
    html = html_of(client_for(client, world.hotline).get(url))
    assert forms_on(html) == set(lifecycle.allowed_actions(ticket, world.hotline))
    assert "accept" not in forms_on(html)
    assert "supervise" in forms_on(html)


def test_a_long_letter_opens_with_its_beginning_and_a_toggle(client, world):
    # Citizens' letters run to thousands of characters; the facts below must stay in view.
    letter = "我们小区的楼道长期堆放杂物，存在消防隐患。" * 100 + "请尽快处理。"
    long_one = make_ticket(world, description=letter)
    url = reverse("tickets:detail", args=[long_one.code])
    html = html_of(client_for(client, world.gridworker_a).get(url))
    assert f"展开全文（{len(letter)} 字）" in html and "收起" in html
    assert html.count("请尽快处理。") == 1  # the end only in the full text, not the excerpt
    short = make_ticket(world, description="楼道堆了杂物。")
    html = html_of(client.get(reverse("tickets:detail", args=[short.code])))
    assert "楼道堆了杂物。" in html and "展开全文" not in html


def test_out_of_scope_ticket_is_a_404(client, world):
    ticket = make_ticket(world)
    client_for(client, world.gridworker_b)
    assert client.get(reverse("tickets:detail", args=[ticket.code])).status_code == 404
    assert client.post(reverse("tickets:act", args=[ticket.code, "accept"])).status_code == 404
    assert client.post(reverse("tickets:reveal", args=[ticket.code])).status_code == 404
    assert client.get(reverse("tickets:detail", args=["GD20000101-000001"])).status_code == 404
    client.logout()
    response = client.get(reverse("tickets:detail", args=[ticket.code]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_accept_contact_resolve_callback_through_the_forms(client, world):
    ticket = make_ticket(world)
    client_for(client, world.gridworker_a)
    response = act(client, ticket, "accept", note="收到")
    assert response.status_code == 200
    html = html_of(response)
    assert "已完成：签收" in html and 'data-status="accepted"' in html
    assert "contact" in forms_on(html) and "resolve" in forms_on(html)
    act(client, ticket, "contact", method="phone", note="已电话联系诉求人")
    photo = png_upload()
    url = reverse("tickets:act", args=[ticket.code, "resolve"])
    ticket.refresh_from_db()
    response = client.post(
        url,
        {
            "resolve-version": ticket.version,
            "resolve-reply": "已清理楼道杂物",
            "resolve-photos": photo,
        },
        HTTP_HX_REQUEST="true",
    )
    html = html_of(response)
    assert 'data-status="resolved"' in html
    resolve_event = TicketEvent.objects.get(ticket=ticket, action="resolve")
    assert TicketPhoto.objects.filter(ticket=ticket, event=resolve_event).count() == 1
    client.logout()
    client_for(client, world.hotline)
    response = act(client, ticket, "callback", resolved="yes", satisfaction="satisfied", note="")
    html = html_of(response)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert Callback.objects.get(ticket=ticket).satisfaction == "satisfied"
    assert list(ticket.events.values_list("action", flat=True)) == [
        "create",
        "dispatch",
        "accept",
        "contact",
        "resolve",
        "callback",
    ]
    # The timeline shows every event with its actor and the status change, in Chinese.
    for text in ("受理登记", "派单", "签收", "联系诉求人", "办结", "回访", "已结案", "满意"):
        assert text in html, text
    assert html.count('class="timeline__item"') == 6
    assert "已清理楼道杂物" in html


def test_after_a_callback_the_desk_goes_on_to_the_next_one(client, world):
    def resolved(days_ago):
        ticket = make_ticket(world)
        at = timezone.now() - dt.timedelta(days=days_ago)
        lifecycle.perform(ticket, "accept", world.gridworker_a, now=at)
        lifecycle.perform(ticket, "resolve", world.gridworker_a, now=at, reply="已处理")
        return ticket

    first, older, newer = resolved(3), resolved(5), resolved(1)
    client_for(client, world.hotline)
    html = html_of(act(client, first, "callback", resolved="yes", satisfaction="satisfied"))
    # Resolved longest ago comes first, as in the 待回访 tab; this one is done.
    assert f"下一件（待回访）：{older.code}，还剩 2 件" in html
    assert f'href="{reverse("tickets:detail", args=[older.code])}"' in html
    act(client, older, "callback", resolved="yes", satisfaction="basic")
    html = html_of(act(client, newer, "callback", resolved="yes", satisfaction="satisfied"))
    assert "已完成：回访" in html and "下一件" not in html  # none left


def test_a_plain_post_without_htmx_redirects_back(client, world):
    ticket = make_ticket(world)
    client_for(client, world.gridworker_a)
    url = reverse("tickets:act", args=[ticket.code, "accept"])
    response = client.post(url, {"accept-version": ticket.version})
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.code])
    html = html_of(client.get(response["Location"]))
    assert "已完成：签收" in html


def test_refusals_are_shown_in_chinese_and_change_nothing(client, world):
    ticket = make_ticket(world)
    client_for(client, world.gridworker_a)
    events = TicketEvent.objects.filter(ticket=ticket).count()
    # A return without a reason.
    html = html_of(act(client, ticket, "return", reason_code="", reason=""))
    assert "退单必须说明原因" in html
    assert 'id="action-return"' in html
    # "Other" needs an explanation.
    html = html_of(act(client, ticket, "return", reason_code="other", reason=""))
    assert "请说明退单原因" in html
    # Resolving before accepting is not possible in this state.
    response = client.post(
        reverse("tickets:act", args=[ticket.code, "resolve"]),
        {"resolve-version": ticket.version, "resolve-reply": "已处理"},
    )
    assert response.status_code == 409
    assert "不能" in html_of(response)
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED
    assert TicketEvent.objects.filter(ticket=ticket).count() == events
    # A callback by someone who may not call back.
    response = client.post(
        reverse("tickets:act", args=[ticket.code, "callback"]),
        {"callback-resolved": "yes", "callback-satisfaction": "satisfied"},
    )
    assert response.status_code in (403, 409)
    # A stale form (someone else acted meanwhile).
    stale = ticket.version
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    response = client.post(
        reverse("tickets:act", args=[ticket.code, "contact"]),
        {"contact-version": stale, "contact-method": "phone"},
        HTTP_HX_REQUEST="true",
    )
    assert "工单已被他人修改" in html_of(response)
    ticket.refresh_from_db()
    assert ticket.contacted_at is None


def test_invalid_form_input_is_a_field_error(client, world):
    ticket = make_ticket(world)
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    client_for(client, world.gridworker_a)
    html = html_of(act(client, ticket, "extend", until="not a date", reason="等待材料"))
    assert 'id="action-extend"' in html and "field-errors" in html
    assert not ticket.extensions.exists()


def test_return_with_reason_goes_to_the_desk(client, world):
    ticket = make_ticket(world)
    client_for(client, world.gridworker_a)
    html = html_of(act(client, ticket, "return", reason_code="wrong_place", reason=""))
    ticket.refresh_from_db()
    assert ticket.status == Status.RETURNED and ticket.owner_place == world.street
    assert "属地不符" in html
    # The grid worker may not see actions on it any more; the dispatcher may dispatch it.
    client.logout()
    client_for(client, world.hotline)
    html = html_of(client.get(reverse("tickets:detail", args=[ticket.code])))
    assert "dispatch" in forms_on(html)
    assert f'value="place:{world.grid_b.code}"' in html
    html = html_of(act(client, ticket, "dispatch", target=f"place:{world.grid_b.code}", reason=""))
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED and ticket.owner_place == world.grid_b
    assert "派至：幸福里小区" in html


def test_whistle_with_departments(client, world):
    ticket = make_ticket(world)
    client_for(client, world.street_staff)
    html = html_of(act(client, ticket, "whistle", report_within_hours=4, reason="联合处置"))
    assert "请至少选择一个召集的部门" in html and not ticket.whistles.exists()
    html = html_of(
        act(
            client,
            ticket,
            "whistle",
            departments=[world.city_mgmt.code, world.housing.code],
            report_within_hours=4,
            reason="需要多部门联合处置",
        )
    )
    assert ticket.whistles.count() == 1
    assert "城管执法局" in html and "住建局" in html and "吹哨" in html
    # Only the departments report for themselves; the street rates one once it has
    # reported (or its deadline has passed), not before.
    assert "whistle-rate" not in forms_on(html) and "whistle-report" not in forms_on(html)
    client.logout()
    client_for(client, world.city_handler)
    # The summoned department has it in its queue until it reports.
    html = html_of(client.get(reverse("tickets:queue")))
    assert row_codes(html) == [ticket.code] and "吹哨待报到" in html
    html = html_of(client.get(reverse("tickets:detail", args=[ticket.code])))
    assert 'value="CG"' in html and 'value="ZJ"' not in html
    html = html_of(act(client, ticket, "whistle-report", department="CG", note="已到场"))
    assert 'data-department="CG"' in html
    assert ticket.whistles.get().summonses.get(department=world.city_mgmt).reported_at
    assert row_codes(html_of(client.get(reverse("tickets:queue")))) == []
    # The street rates the department's response.
    client.logout()
    client_for(client, world.street_staff)
    act(client, ticket, "whistle-rate", department="CG", rating=4, note="响应迅速")
    summons = ticket.whistles.get().summonses.get(department=world.city_mgmt)
    assert summons.rating == 4
    html = html_of(client.get(reverse("tickets:detail", args=[ticket.code])))
    assert "优秀" in html


def test_merge_into_another_ticket(client, world):
    first = make_ticket(world)
    second = make_ticket(world)
    client_for(client, world.hotline)
    html = html_of(act(client, second, "merge", into=first.code.lower(), reason="重复"))
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.merged_into == first
    assert first.code in html


def test_the_desk_calls_back_a_merged_ticket_from_its_page(client, world):
    first = make_ticket(world)
    second = make_ticket(world, requester_phone="13900001111")
    lifecycle.perform(second, "merge", world.hotline, into=first.code)
    client_for(client, world.hotline)
    page = html_of(client.get(reverse("tickets:detail", args=[second.code])))
    assert 'id="action-callback"' not in page  # the matter is not resolved yet
    lifecycle.perform(first, "accept", world.gridworker_a)
    first.refresh_from_db()
    lifecycle.perform(first, "resolve", world.gridworker_a, reply="已清理")
    page = html_of(client.get(reverse("tickets:queue") + "?tab=callback"))
    assert second.code in page and first.code in page
    page = html_of(client.get(reverse("tickets:detail", args=[second.code])))
    assert 'id="action-callback"' in page
    act(client, second, "callback", resolved="yes", satisfaction="satisfied", note="也满意")
    second.refresh_from_db()
    assert second.status == Status.MERGED
    assert Callback.objects.get(ticket=second).owner_place == first.owner_place
    page = html_of(client.get(reverse("tickets:queue") + "?tab=callback"))
    assert second.code not in page and first.code in page


# --- personal data ----------------------------------------------------------------------


def test_requester_is_masked_and_the_reveal_is_logged(client, world):
    ticket = make_ticket(world)
    url = reverse("tickets:detail", args=[ticket.code])
    html = html_of(client_for(client, world.gridworker_a).get(url))
    assert "张*" in html and "138****1234" in html
    assert "13812341234" not in html
    assert "查看联系方式" in html
    # The holding unit sees the exact address without asking, logged as such (requester_text).
    assert [log.fields for log in AccessLog.objects.all()] == [["address"]]
    response = client.post(reverse("tickets:reveal", args=[ticket.code]), HTTP_HX_REQUEST="true")
    html = html_of(response)
    assert "13812341234" in html and "张三" in html
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    log = AccessLog.objects.order_by("id").last()
    assert log.user == world.gridworker_a and log.channel == "web"
    assert log.subject_type == "tickets.ticket" and log.subject_id == str(ticket.pk)
    assert sorted(log.fields) == ["address", "requester_name", "requester_phone"]


def test_reveal_refused_without_the_permission(client, world):
    ticket = make_ticket(world)
    client_for(client, world.community_staff)
    html = html_of(client.get(reverse("tickets:detail", args=[ticket.code])))
    assert "138****1234" in html and "查看联系方式" not in html
    response = client.post(reverse("tickets:reveal", args=[ticket.code]))
    assert response.status_code == 403
    assert "13812341234" not in html_of(response)
    assert not AccessLog.objects.exists()


# --- intake ---------------------------------------------------------------------------------


def intake_post(**overrides):
    data = {
        "title": "楼道堆满杂物",
        "description": "3号楼2单元楼道里堆满了纸箱和旧家具，挡住了通道。",
        "nature": "complaint",
        "urgency": "",
        "category": "",
        "address": "魏家坡小区3号楼2单元",
        "requester_name": "张三",
        "requester_phone": "13812341234",
        "answer": "",
        "knowledge_answer": "",
        "idempotency_key": "5b2c0f8e4a0f4e1c9d7b8a6f5e4d3c2b",
    }
    data.update(overrides)
    return data


def test_hotline_form_files_one_ticket_even_when_sent_twice(client, world):
    client_for(client, world.hotline)
    page = html_of(client.get(reverse("tickets:new-hotline")))
    assert "12345" in page and "提交工单" in page
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    data = intake_post(idempotency_key=key, category=world.corridor.code)
    first = client.post(reverse("tickets:new-hotline"), data)
    assert first.status_code == 302
    ticket = Ticket.objects.get()
    assert first["Location"] == reverse("tickets:detail", args=[ticket.code])
    assert ticket.channel == Channel.HOTLINE and ticket.owner_place == world.grid_a
    assert ticket.created_by == world.hotline
    second = client.post(reverse("tickets:new-hotline"), data)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Ticket.objects.count() == 1
    # A new render carries a new key.
    again = html_of(client.get(reverse("tickets:new-hotline")))
    assert key not in again


def test_a_sent_form_edited_and_sent_again_files_nothing_and_says_why(client, world):
    """Back to a form already sent, edited, sent again: its key filed another demand, so the
    page says which ticket it became, and the edit is not filed silently as that ticket."""
    client_for(client, world.hotline)
    data = intake_post(idempotency_key="k-edit", category=world.corridor.code)
    assert client.post(reverse("tickets:new-hotline"), data).status_code == 302
    ticket = Ticket.objects.get()
    edited = {**data, "description": "另一件事：3栋门口的路灯不亮了。"}
    response = client.post(reverse("tickets:new-hotline"), edited)
    assert response.status_code == 400
    page = html_of(response)
    assert f"此表单已提交为工单 {ticket.code}" in page and "请重新打开受理表单" in page
    assert Ticket.objects.count() == 1


def test_window_form_and_photos(client, world):
    client_for(client, world.community_staff)
    data = intake_post(nature="suggest", requester_phone="", photos=[png_upload(), png_upload()])
    response = client.post(reverse("tickets:new-window"), data)
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WINDOW
    assert ticket.photos.count() == 2
    html = html_of(client.get(response["Location"]))
    photo = ticket.photos.first()
    photo_url = reverse("tickets:photo", args=[ticket.code, photo.pk])
    assert photo_url in html
    assert client.get(photo_url).status_code == 200
    client.logout()
    client_for(client, world.gridworker_b)
    assert client.get(photo_url).status_code == 404


@pytest.mark.parametrize("source", [Channel.BOX, Channel.EVENT])
def test_the_window_enters_suggestion_box_slips_and_event_demands_on_their_channel(
    client, world, source
):
    """意见箱 and 活动现场征集 are channels of the one intake; their slips are typed in at
    the window's form, which says where each came from (the hotline's form does not ask)."""
    client_for(client, world.community_staff)
    page = html_of(client.get(reverse("tickets:new-window")))
    assert "收集渠道" in page and "意见箱" in page and "活动现场征集" in page
    data = intake_post(nature="suggest", requester_phone="", source=source)
    response = client.post(reverse("tickets:new-window"), data)
    assert response.status_code == 302
    assert Ticket.objects.get().channel == source
    client.logout()
    client_for(client, world.hotline)
    assert "收集渠道" not in html_of(client.get(reverse("tickets:new-hotline")))
    data = intake_post(category=world.corridor.code, source=Channel.BOX)
    assert client.post(reverse("tickets:new-hotline"), data).status_code == 302
    assert Ticket.objects.order_by("-id").first().channel == Channel.HOTLINE


def test_intake_errors_are_shown_on_the_fields_and_nothing_is_written(client, world):
    client_for(client, world.hotline)
    response = client.post(
        reverse("tickets:new-hotline"), intake_post(requester_phone="", category="")
    )
    assert response.status_code == 400
    html = html_of(response)
    assert "需要联系电话" in html
    assert "工单未提交" in html
    response = client.post(
        reverse("tickets:new-hotline"),
        intake_post(idempotency_key="k2", photos=[png_upload("x.png")], requester_phone="abc"),
    )
    assert "电话号码应为 7 至 15 位数字" in html_of(response)
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(reverse("tickets:new-hotline"), intake_post(photos=[fake]))
    assert response.status_code == 400
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0


def test_consultation_answered_on_intake_from_the_knowledge_base(client, world):
    answer = KnowledgeAnswer.objects.create(
        question="如何办理居住证？",
        answer="携带身份证和租房合同到社区服务中心办理。",
        keywords=["居住证"],
        reviewed_at=timezone.now(),
    )
    client_for(client, world.hotline)
    html = html_of(client.get(reverse("tickets:suggest"), {"description": "请问在哪里办理居住证"}))
    assert "如何办理居住证" in html and f'data-pick-answer="{answer.pk}"' in html
    response = client.post(
        reverse("tickets:new-hotline"),
        intake_post(
            nature="consult",
            title="居住证咨询",
            description="请问在哪里办理居住证",
            requester_phone="",
            answer=answer.answer,
            knowledge_answer=answer.pk,
        ),
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.status == Status.CLOSED
    answer.refresh_from_db()
    assert answer.used_count == 1
    # Answered on the spot: the page shows no deadlines anybody raced.
    page = html_of(client.get(reverse("tickets:detail", args=[ticket.code])))
    assert "data-deadline=" not in page and "携带身份证和租房合同" in page


def test_category_suggestions_and_address_check(client, world):
    client_for(client, world.hotline)
    html = html_of(client.get(reverse("tickets:suggest"), {"description": "楼道里堆满了杂物"}))
    assert f'data-pick-category="{world.corridor.code}"' in html
    html = html_of(client.get(reverse("tickets:address-check"), {"address": "魏家坡小区3号楼"}))
    assert 'data-building="B1a3"' in html and "魏家坡小区" in html and "魏家坡社区" in html
    html = html_of(client.get(reverse("tickets:address-check"), {"address": "火星基地1号楼"}))
    assert "派单" in html or "您要找的是" in html


def test_intake_needs_an_intake_role(client, world):
    client_for(client, world.resident)
    assert client.get(reverse("tickets:new-hotline")).status_code == 403
    assert client.post(reverse("tickets:new-hotline"), intake_post()).status_code == 403
    assert Ticket.objects.count() == 0


# --- 随手拍 ----------------------------------------------------------------------------------


def test_report_page_creates_a_photo_ticket(client, world):
    client_for(client, world.resident)
    page = html_of(client.get(reverse("tickets:report")))
    assert "随手拍" in page and 'name="patrol"' not in page
    assert 'capture="environment"' in page
    building = world.buildings[0]
    response = client.post(
        reverse("tickets:report"),
        {
            "description": "楼道里堆满了纸箱",
            "photos": [png_upload()],
            "lat": building.lat,
            "lng": building.lng,
            "address": "",
            "category": "",
            "idempotency_key": "r1",
        },
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.PHOTO and ticket.nature == "report"
    assert ticket.grid == world.grid_a and ticket.photos.count() == 1
    assert ticket.code in html_of(response)
    assert ticket.category == world.corridor


def test_grid_worker_reports_a_patrol_finding(client, world):
    client_for(client, world.gridworker_a)
    assert 'name="patrol"' in html_of(client.get(reverse("tickets:report")))
    response = client.post(
        reverse("tickets:report"),
        {
            "description": "电动车在楼道充电",
            "address": "魏家坡小区5栋",
            "patrol": "on",
            "idempotency_key": "r2",
        },
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.PATROL and ticket.building.code == "B1a5"


def test_a_patrol_tasks_assignee_may_report_on_patrol_as_the_api_allows(client, world):
    """The page had its own list of patrol roles; the rule (tickets.file_on_channel) also
    lets the assignee of a patrol task, a volunteer say, report what the walk found."""
    from gridgov.tickets.models import PatrolTask

    volunteer = user_with_role(Role.VOLUNTEER, world.grid_a, username="walker")
    client_for(client, volunteer)
    assert 'name="patrol"' not in html_of(client.get(reverse("tickets:report")))
    PatrolTask.objects.create(grid=world.grid_a, title="每日巡查", assignee=volunteer)
    assert 'name="patrol"' in html_of(client.get(reverse("tickets:report")))
    data = {"description": "电动车在楼道充电", "address": "魏家坡小区5栋", "patrol": "on"}
    response = client.post(reverse("tickets:report"), {**data, "idempotency_key": "p1"})
    assert response.status_code == 200
    assert Ticket.objects.get().channel == Channel.PATROL


def test_report_needs_a_location(client, world):
    client_for(client, world.resident)
    response = client.post(
        reverse("tickets:report"), {"description": "路灯不亮", "idempotency_key": "r3"}
    )
    assert response.status_code == 400
    assert "请共享位置" in html_of(response)
    response = client.post(
        reverse("tickets:report"),
        {"description": "路灯不亮", "lat": 10.0, "lng": 10.0, "idempotency_key": "r4"},
    )
    assert response.status_code == 400
    assert Ticket.objects.count() == 0


# --- map and KPIs ---------------------------------------------------------------------------


def test_map_data_is_scoped(client, world):
    make_ticket(world)
    intake.create_ticket(
        {**ticket_data(), "category": world.corridor.code},
        actor=world.hotline,
        now=timezone.now() - dt.timedelta(days=10),
    )
    make_ticket(world, address="幸福里小区3栋")
    data = client_for(client, world.gridworker_a).get(reverse("tickets:map-data")).json()
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert set(by_code) == {world.grid_a.code}
    assert by_code[world.grid_a.code]["open"] == 2
    assert by_code[world.grid_a.code]["overdue"] == 1
    assert data["features"][0]["geometry"]["type"] == "Polygon"
    client.logout()
    data = client_for(client, world.street_staff).get(reverse("tickets:map-data")).json()
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert by_code[world.grid_b.code]["open"] == 1
    html = html_of(client.get(reverse("tickets:map-grid", args=[world.grid_a.code])))
    assert html.count("data-code=") == 2
    assert "签收超时" in html
    assert "地图" in html_of(client.get(reverse("tickets:map")))


def test_kpi_ranking_page(client, world):
    ticket = make_ticket(world)
    for minutes, action, actor, params in (
        (30, "accept", world.gridworker_a, {}),
        (60, "contact", world.gridworker_a, {}),
        (180, "resolve", world.gridworker_a, {"reply": "已处理"}),
        (240, "callback", world.hotline, {"resolved": True, "satisfaction": "satisfied"}),
    ):
        at = ticket.created_at + dt.timedelta(minutes=minutes)
        lifecycle.perform(ticket, action, actor, now=at, **params)
    client_for(client, world.street_staff)
    # A period around the ticket: its acts may fall in the next month near a month's end.
    day = timezone.localtime(ticket.created_at).date()
    period = {"period": "custom", "start": day - dt.timedelta(days=1)}
    period["end"] = day + dt.timedelta(days=1)
    html = html_of(client.get(reverse("tickets:kpis"), {"level": "grid", **period}))
    assert "考核排名" in html and "满意率" in html
    units = re.findall(r'data-unit="([^"]+)"', html)
    assert units[0] == world.grid_a.code and world.grid_b.code in units
    assert "100.0%" in html
    assert "30 分钟 / 3 小时" in html  # median times to accept and to resolve
    # A grid worker sees their grid ranked among the community's grids.
    client.logout()
    html = html_of(client_for(client, world.gridworker_a).get(reverse("tickets:kpis")))
    assert f'data-unit="{world.grid_a.code}"' in html and "is-mine" in html


def test_median_durations_read_at_a_glance():
    from gridgov.tickets.templatetags.tickets_workbench import hours_short

    assert [hours_short(v) for v in (None, 0.25, 3, 18.55, 50)] == [
        "—",
        "15 分钟",
        "3 小时",
        "18.6 小时",
        "2.1 天",
    ]


def test_pages_are_chinese_by_default(client, world):
    client_for(client, world.hotline)
    for name in ("tickets:queue", "tickets:list", "tickets:new-window", "tickets:report"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        html = html_of(response)
        assert '<html lang="zh-hans">' in html
        assert "Ticket" not in re.sub(r"<[^>]+>", "", html), name
    assert Category.objects.exists()


def test_extension_requested_and_approved_through_the_forms(client, world):
    ticket = make_ticket(world)
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    ticket.refresh_from_db()
    until = timezone.localtime(ticket.resolve_by + dt.timedelta(days=5)).replace(second=0)
    client_for(client, world.gridworker_a)
    html = html_of(
        act(client, ticket, "extend", until=until.strftime("%Y-%m-%dT%H:%M"), reason="需协调物业")
    )
    assert "申请延期" in html and "待审批" in html
    assert ticket.extensions.get().state == "pending"
    client.logout()
    client_for(client, world.community_staff)
    html = html_of(act(client, ticket, "approve-extension", approve="yes", reason="同意"))
    ticket.refresh_from_db()
    assert ticket.resolve_by == until
    assert "已批准" in html and "批准，办结时限延至" in html


def test_dissatisfied_callback_reopens_the_ticket(client, world):
    ticket = make_ticket(world)
    for action, params in (("accept", {}), ("resolve", {"reply": "已处理"})):
        lifecycle.perform(ticket, action, world.gridworker_a, **params)
    client_for(client, world.hotline)
    html = html_of(act(client, ticket, "callback", resolved="no", satisfaction="dissatisfied"))
    ticket.refresh_from_db()
    assert ticket.status == Status.REOPENED
    assert "重新办理" in html and "问题未解决" in html and "不满意" in html
    # Back in the grid worker's queue, in hand.
    client.logout()
    html = html_of(
        client_for(client, world.gridworker_a).get(reverse("tickets:queue") + "?tab=handling")
    )
    assert row_codes(html) == [ticket.code]


def test_the_exact_address_is_masked_on_the_page_until_revealed_and_logged(client, world):
    """3号楼2单元 names one household (DESIGN §8): the page gives others the building; the
    holding unit, which goes there, the address as typed, each view logged."""
    # Typed 魏家坡小区3号楼2单元, resolved to its building.
    ticket = make_ticket(world, description="楼道里堆满了纸箱，挡住了通道。")
    url = reverse("tickets:detail", args=[ticket.code])
    html = html_of(client_for(client, world.community_staff).get(url))  # in scope, above
    assert "3号楼2单元" not in html
    assert ticket.masked_address() in html
    assert not AccessLog.objects.exists()
    html = html_of(client_for(client, world.gridworker_a).get(url))  # the handler
    assert "魏家坡小区3号楼2单元" in html
    assert AccessLog.objects.get().fields == ["address"]
    html = html_of(
        client.post(reverse("tickets:reveal", args=[ticket.code]), HTTP_HX_REQUEST="true")
    )
    assert "魏家坡小区3号楼2单元" in html
    assert "address" in AccessLog.objects.order_by("id").last().fields


def test_an_anonymous_requesters_address_can_still_be_revealed_by_the_handler(client, world):
    ticket = make_ticket(
        world,
        nature="report",
        requester_name="",
        requester_phone="",
        anonymous=True,
        description="楼道里堆满了纸箱，挡住了通道。",
    )
    url = reverse("tickets:detail", args=[ticket.code])
    html = html_of(client_for(client, world.gridworker_a).get(url))
    # Nobody's contact details: what there is to see is the address, which the handler
    # sees on the page (logged), so there is nothing left to reveal there.
    assert "魏家坡小区3号楼2单元" in html and "查看完整地址" not in html
    assert "查看联系方式" not in html and AccessLog.objects.get().fields == ["address"]
    html = html_of(
        client.post(reverse("tickets:reveal", args=[ticket.code]), HTTP_HX_REQUEST="true")
    )
    assert "魏家坡小区3号楼2单元" in html
