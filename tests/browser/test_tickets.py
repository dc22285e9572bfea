"""The ticket workbench in a real browser: a hotline call filed through the form, handled
by the grid worker through the buttons, called back by the operator; a 随手拍 from a phone
with its position; the map of open tickets by grid."""

import io
import re

import pytest
from playwright.sync_api import expect

from gridgov.people.models import AccessLog, Role, RoleAssignment
from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Callback, Status, Ticket
from tests.conftest import _password_hash

from .session import phone_at

pytestmark = pytest.mark.browser


@pytest.fixture
def hotline(live_city):
    # The flush between transactional tests drops the taxonomy the migration loaded.
    load_taxonomy()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create(
        username="hotline", password=_password_hash(), first_name="12345坐席小王"
    )
    RoleAssignment.objects.create(user=user, role=Role.HOTLINE_OPERATOR, place=live_city.district)
    return user


def switch_user(page, login, username):
    page.context.clear_cookies()
    login(page, username)


def submit_action(page, action):
    """Press the action's button; htmx swaps the ticket in place."""
    page.locator(f"#action-{action} button[type=submit]").click()


def test_hotline_call_handled_and_called_back(page, login, live_city, hotline, artifacts):
    # 1. The 12345 operator files the call through the hotline form.
    login(page, "hotline")
    page.click("nav.site-nav >> text=受理")
    page.wait_for_url("**/tickets/new/hotline/")
    expect(page.locator("h1")).to_have_text("12345热线受理")
    page.fill("#id_title", "楼道堆满杂物")
    page.fill("#id_description", "幸福里1栋楼道里堆满了纸箱和杂物，挡住了通道，希望尽快清理。")
    chip = page.locator("[data-pick-category]", has_text="楼道堆物")
    expect(chip).to_be_visible()
    chip.click()
    code = chip.get_attribute("data-pick-category")
    expect(page.locator("#id_category")).to_have_value(code)
    page.select_option("#id_nature", "complaint")
    page.fill("#id_address", "幸福路1号")
    expect(page.locator(".address-ok")).to_contain_text("幸福里1栋")
    expect(page.locator(".address-ok")).to_contain_text("幸福一网格")
    page.fill("#id_requester_name", "张三丰")
    page.fill("#id_requester_phone", "13812341234")
    page.screenshot(path=artifacts / "tickets-intake-zh.png", full_page=True)
    page.click("#submit-intake")
    page.wait_for_url(re.compile(r".*/tickets/GD\d{8}-\d{6}/$"))
    ticket = Ticket.objects.get()
    assert ticket.channel == "hotline" and ticket.owner_place == live_city.g1
    expect(page.locator(".ticket-code")).to_have_text(ticket.code)
    expect(page.locator(".messages")).to_contain_text(f"工单 {ticket.code} 已受理")
    expect(page.locator("#ticket")).to_have_attribute("data-status", "dispatched")
    # The operator may not accept; nothing to do but supervise, merge, whistle.
    expect(page.locator("#action-accept")).to_have_count(0)
    page.screenshot(path=artifacts / "tickets-filed-zh.png", full_page=True)

    # 2. The grid worker sees it in the queue, accepts, contacts and resolves.
    switch_user(page, login, "gridworker")
    page.click("nav.site-nav >> text=工单")
    page.wait_for_url("**/tickets/")
    row = page.locator(f"tr[data-code='{ticket.code}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("张*")
    expect(row).to_contain_text("138****1234")
    expect(page.locator("[data-tab=accept] .wb-tab__count")).to_have_text("1")
    page.screenshot(path=artifacts / "tickets-queue-zh.png", full_page=True)
    row.locator("a", has_text=ticket.code).click()
    page.wait_for_url(f"**/tickets/{ticket.code}/")
    expect(page.locator("#requester [data-field=requester_phone]")).to_have_text("138****1234")
    submit_action(page, "accept")
    expect(page.locator("#ticket")).to_have_attribute("data-status", "accepted")
    expect(page.locator(".wb-done")).to_have_text("已完成：签收。")
    # Calling the requester needs the number: the full view is logged.
    page.click("#requester button[name=reveal]")
    expect(page.locator("#requester [data-field=requester_phone]")).to_have_text("13812341234")
    # The phone's view is logged once; each page the holding unit opens also logs its
    # view of the exact address (requester_text.exact_address).
    logs = [log.fields for log in AccessLog.objects.filter(user=live_city.grid_worker)]
    assert sum("requester_phone" in fields for fields in logs) == 1, logs
    assert all(fields == ["address"] for fields in logs if "requester_phone" not in fields)
    page.select_option("#id_contact-method", "phone")
    page.fill("#id_contact-note", "已电话联系张先生，约定今天下午清理")
    submit_action(page, "contact")
    expect(page.locator("#ticket")).to_have_attribute("data-status", "in_progress")
    page.set_input_files(
        "#id_resolve-photos",
        files=[{"name": "after.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    expect(page.locator("#action-resolve .file-names")).to_have_text("已选择 1 张照片")
    # A resolve without a reply is stopped by the browser, before the photo is sent and
    # dropped: nothing changes and the photo is still chosen (the server refuses it too,
    # tests/tickets/test_ui_walk_h.py).
    submit_action(page, "resolve")
    expect(page.locator("#id_resolve-reply:invalid")).to_have_count(1)
    expect(page.locator("#ticket")).to_have_attribute("data-status", "in_progress")
    expect(page.locator("#action-resolve .file-names")).to_have_text("已选择 1 张照片")
    page.fill("#id_resolve-reply", "已联系物业清理楼道杂物，通道已恢复畅通。")
    submit_action(page, "resolve")
    expect(page.locator("#ticket")).to_have_attribute("data-status", "resolved")
    expect(page.locator(".ticket-reply")).to_contain_text("通道已恢复畅通")
    # The photo of the result came through htmx's multipart request and shows in the timeline.
    expect(page.locator("#timeline [data-action=resolve] .photos img")).to_have_count(1)
    assert ticket.photos.filter(event__action="resolve").count() == 1
    page.screenshot(path=artifacts / "tickets-resolved-zh.png", full_page=True)

    # 3. The operator calls back: resolved and satisfied closes the ticket.
    switch_user(page, login, "hotline")
    page.goto(page.base_url + "/tickets/?tab=callback")
    page.click(f"tr[data-code='{ticket.code}'] a >> nth=0")
    page.wait_for_url(f"**/tickets/{ticket.code}/")
    page.check("#action-callback input[name='callback-resolved'][value=yes]")
    page.check("#action-callback input[name='callback-satisfaction'][value=satisfied]")
    page.fill("#id_callback-note", "诉求人表示满意")
    submit_action(page, "callback")
    expect(page.locator("#ticket")).to_have_attribute("data-status", "closed")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert Callback.objects.get(ticket=ticket).satisfaction == "satisfied"

    # The timeline lists every event with its actor.
    items = page.locator("#timeline .timeline__item")
    expect(items).to_have_count(6)
    actions = items.evaluate_all("els => els.map(e => e.dataset.action)")
    assert actions == ["create", "dispatch", "accept", "contact", "resolve", "callback"]
    timeline = page.inner_text("#timeline")
    for text in ("受理登记", "派单", "签收", "联系诉求人", "办结", "回访", "满意"):
        assert text in timeline, text
    assert timeline.count("网格员小刘") == 3
    assert timeline.count("12345坐席小王") == 2
    assert "系统" in timeline
    expect(page.locator("#action-callback")).to_have_count(0)
    page.screenshot(path=artifacts / "tickets-closed-zh.png", full_page=True)


def test_a_repeat_call_is_recognised_and_merged(page, login, live_city, hotline, artifacts):
    from gridgov.tickets import intake

    text = "幸福里1栋楼道里堆满了纸箱和杂物，挡住了通道，希望尽快清理。"
    data = {"channel": "hotline", "nature": "complaint", "title": "楼道堆满杂物"}
    data.update(description=text, address="幸福路1号", requester_phone="13812341234")
    first = intake.create_ticket(data, actor=hotline).ticket
    # The caller rings again: as the operator types, their open ticket shows beside the form.
    login(page, "hotline")
    page.goto(page.base_url + "/tickets/new/hotline/")
    panel = page.locator("#intake-duplicates")
    expect(panel).to_contain_text("这里会显示")
    page.fill("#id_description", "又堆满了！" + text)
    page.fill("#id_address", "幸福路1号")
    page.fill("#id_requester_phone", "13812341234")
    expect(panel.locator(f"[data-duplicate='{first.code}']")).to_contain_text("同一诉求人")
    page.screenshot(path=artifacts / "tickets-repeat-call-zh.png", full_page=True)
    # The caller only wants it hurried: recorded on the open ticket, nothing new filed.
    panel.locator(f"[data-duplicate='{first.code}'] form.urge button").click()
    expect(panel.locator(".urged")).to_contain_text(f"已在 {first.code} 记录来电催办")
    assert first.events.filter(action="supervise").count() == 1
    # Filed anyway, the new ticket offers to merge into the one handling the matter.
    page.select_option("#id_nature", "complaint")
    page.click("#submit-intake")
    page.wait_for_url(re.compile(r".*/tickets/GD\d{8}-\d{6}/$"))
    again = Ticket.objects.exclude(pk=first.pk).get()
    merge = page.locator(f"#duplicates [data-duplicate='{first.code}'] button")
    expect(merge).to_have_text(f"将本工单并入 {first.code}")
    # The merge asks first (hx-confirm); the operator confirms.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    merge.click()
    expect(page.locator("#ticket")).to_have_attribute("data-status", "merged")
    again.refresh_from_db()
    assert again.status == Status.MERGED and again.merged_into == first
    assert asked and f"并入 {first.code}" in asked[0]
    expect(page.locator("#duplicates")).to_have_count(0)


def png_bytes():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def on_a_phone(chromium, base, city, username):
    """A phone standing at building b1, signed in as `username`: (context, page, errors)."""
    return phone_at(chromium, base, username, city.b1, city.password)


def test_photo_report_from_a_phone_and_the_map(chromium, live_server, live_city, artifacts):
    load_taxonomy()
    base = live_server.url
    context, page, errors = on_a_phone(chromium, base, live_city, "gridworker")

    page.goto(base + "/tickets/report/")
    expect(page.locator("h1")).to_have_text("随手拍")
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_input_files(
        "#id_photos", files=[{"name": "hazard.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    expect(page.locator("#photo-preview img")).to_have_count(1)
    page.fill("#id_description", "楼道里电动车充电，电线裸露")
    expect(page.locator("[data-pick-category]").first).to_be_visible()
    page.locator("[data-pick-category]").first.click()
    page.click("#locate")
    expect(page.locator("#locate-status")).to_contain_text("已获取位置")
    page.check("#id_patrol")
    page.screenshot(path=artifacts / "tickets-report-phone-zh.png", full_page=True)
    page.click("#submit-report")
    expect(page.locator("#new-code")).to_be_visible()
    ticket = Ticket.objects.get()
    assert page.inner_text("#new-code") == ticket.code
    assert ticket.channel == "patrol" and ticket.grid == live_city.g1
    assert ticket.photos.count() == 1
    page.screenshot(path=artifacts / "tickets-report-done-zh.png", full_page=True)

    # The map of open tickets by grid, on a desktop.
    page.set_viewport_size({"width": 1366, "height": 860})
    page.goto(base + "/tickets/map/")
    expect(page.locator("#ticket-map")).to_have_attribute("data-state", "ready")
    assert page.locator("#ticket-map").get_attribute("data-grids") == "1"
    expect(page.locator(".grid-count span")).to_have_text("1")
    # The count sits on its grid: Leaflet positions the marker icon, our CSS must not.
    marker = page.locator(".grid-count").bounding_box()
    grid = page.locator("#ticket-map .leaflet-overlay-pane svg path").first.bounding_box()
    centre = (marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2)
    assert abs(centre[0] - (grid["x"] + grid["width"] / 2)) < 3, (marker, grid)
    assert abs(centre[1] - (grid["y"] + grid["height"] / 2)) < 3, (marker, grid)
    assert page.locator(".leaflet-tile").count() == 0
    page.locator("#ticket-map .leaflet-overlay-pane svg path").first.click(force=True)
    expect(page.locator(f"#grid-tickets [data-code='{ticket.code}']")).to_be_visible()
    page.screenshot(path=artifacts / "tickets-map-zh.png", full_page=True)
    assert not errors, errors
    context.close()


def test_a_rider_reports_from_a_phone_and_follows_the_progress(
    chromium, live_server, live_city, artifacts
):
    """A courier volunteering as a reporter (新就业群体) files a 随手拍 and follows it in
    我的诉求: no staff pages in the way, nothing wider than the phone."""
    load_taxonomy()
    base = live_server.url
    context, page, errors = on_a_phone(chromium, base, live_city, "volunteer")
    nav = page.locator(".site-nav")
    expect(nav.get_by_role("link", name="我的诉求")).to_be_visible()
    assert nav.get_by_role("link", name="受理").count() == 0

    page.goto(base + "/tickets/report/")
    page.fill("#id_description", "小区门口井盖缺失，晚上很危险")
    page.click("#locate")
    expect(page.locator("#locate-status")).to_contain_text("已获取位置")
    page.click("#submit-report")
    expect(page.locator("#new-code")).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.created_by == live_city.volunteer

    page.click("#follow-progress")
    expect(page.locator("#mine-code")).to_have_text(ticket.code)
    steps = page.locator(".steps .step__text")
    expect(steps.first).to_have_text("您的诉求已受理。")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "tickets-mine-detail-phone-zh.png", full_page=True)

    page.goto(base + "/tickets/")  # the workbench sends non-staff to their demands
    expect(page.locator(f".mine-card[data-code='{ticket.code}']")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "tickets-mine-phone-zh.png", full_page=True)

    # The grid worker resolves it; the rider rates the result from the phone.
    perform(ticket, "accept", live_city.grid_worker)
    ticket.refresh_from_db()
    perform(ticket, "resolve", live_city.grid_worker, reply="井盖已补装。")
    page.click(f".mine-card[data-code='{ticket.code}'] a")
    page.check("#rate-form input[name=rate-resolved][value=yes]")
    page.check("#rate-form input[name=rate-satisfaction][value=satisfied]")
    page.screenshot(path=artifacts / "tickets-mine-rate-phone-zh.png", full_page=True)
    page.click("#rate-submit")
    expect(page.locator(".steps .step__text").last).to_have_text("您已评价（满意），诉求已办结。")
    expect(page.locator("#rate-form")).to_have_count(0)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.callbacks.get().by == live_city.volunteer
    assert not errors, errors
    context.close()


def test_a_grid_worker_walks_a_patrol_and_visits_a_household_on_a_phone(
    chromium, live_server, live_city, artifacts
):
    from gridgov.tickets import patrols
    from gridgov.tickets.models import PatrolRecord, Visit

    load_taxonomy()
    task = patrols.create_task(
        live_city.community_staff, live_city.g1, "幸福一网格日常巡查", ["消防通道", "楼道堆物"]
    )
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    page.click("nav.site-nav >> text=巡查走访")
    page.wait_for_url("**/tickets/patrols/")
    # The phone header: the menu one row swiped sideways within the screen (the page does
    # not scroll sideways), who is signed in, and 巡查走访 (not 工单) lit up and in view.
    nav = page.locator("nav.site-nav").bounding_box()
    assert nav["x"] >= 0 and nav["x"] + nav["width"] <= 390
    current = page.locator("nav.site-nav a[aria-current=page]").bounding_box()
    assert nav["x"] <= current["x"] and current["x"] + current["width"] <= nav["x"] + nav["width"]
    expect(page.locator(".site-header .user-name")).to_be_visible()
    expect(page.locator("nav.site-nav a[aria-current=page]")).to_have_text("巡查走访")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click(f"[data-task='{task.pk}'] a.button")
    page.check("input[name=item_0][value=issue]")
    page.check("#id_hazard_open")
    page.fill("#id_hazard", "幸福里1栋东侧消防通道停放两辆私家车，消防车无法通行。")
    page.screenshot(path=artifacts / "patrol-walk-phone.png", full_page=True)
    page.click("#submit-patrol")
    page.wait_for_url("**/tickets/patrols/")
    record = PatrolRecord.objects.get()
    assert record.results == {"消防通道": "issue", "楼道堆物": "ok"}
    expect(page.locator(".messages")).to_contain_text(f"已上报为工单 {record.ticket.code}")
    expect(page.locator(f"[data-task='{task.pk}']")).to_have_count(0)

    # Door to door: the household never visited; a demand heard there, for its head.
    page.click("text=入户走访")
    household = live_city.zhang.household
    page.click(f"[data-household='{household.pk}'] a")
    demand = page.locator(".visit-demand")
    expect(demand).to_be_hidden()  # shown only for a demand to file
    page.fill("#id_heard", "张三丰老人独居，反映楼道灯坏了，晚上出门不便。")
    page.check("#id_file_demand")
    expect(demand).to_be_visible()
    page.select_option("#id_nature", "help")
    page.select_option("#id_requester", str(live_city.zhang.pk))
    expect(page.locator("#id_requester option:checked")).to_have_text("张**")
    page.screenshot(path=artifacts / "visit-phone.png", full_page=True)
    page.click("#submit-visit")
    page.wait_for_url("**/tickets/visits/")
    visit = Visit.objects.get()
    assert visit.ticket.requester == live_city.zhang and visit.ticket.channel == "visit"
    expect(page.locator(f"[data-household='{household.pk}']")).to_have_count(0)
    expect(page.locator("#visits-recent")).to_contain_text(visit.ticket.code)
    assert errors == []
    context.close()


def test_the_kpi_ranking_fits_a_1280_pixel_window_in_english_and_chinese(
    chromium, live_server, live_city, login, artifacts
):
    """The walk: in English the ranking was wider than a 1280-px window (its headers kept on
    one line, the unit names squeezed to two characters a line)."""
    from gridgov.people.models import Department

    # Departments too: their ranking has one more column (whistle reports).
    Department.objects.create(code="ZJ", name="区住房和城乡建设局", place=live_city.district)
    RoleAssignment.objects.create(
        user=live_city.community_staff, role=Role.DISTRICT_STAFF, place=live_city.district
    )
    for language in ("en", "zh-hans"):
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        page = context.new_page()
        page.base_url = live_server.url
        login(page, "community")
        for level in ("community", "grid", "department"):
            page.goto(f"{live_server.url}/tickets/kpis/?level={level}")
            expect(page.locator(".kpi-table tbody tr").first).to_be_visible()
            wrap = page.evaluate(
                "() => { const w = document.querySelector('.table-wrap');"
                " return [w.scrollWidth, w.clientWidth, document.documentElement.scrollWidth]; }"
            )
            assert wrap[0] <= wrap[1] and wrap[2] <= 1280, (language, level, wrap)
            # A unit's name is not broken after every second character.
            unit = page.locator(".kpi-table .kpi-unit").first.bounding_box()
            assert unit["width"] >= 150, (language, level, unit)
            page.screenshot(path=artifacts / f"tickets-kpis-{level}-{language}-1280.png")
        context.close()
