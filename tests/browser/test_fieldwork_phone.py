"""A grid worker's day on a phone (390 × 844, Chromium): what tripped them up on the
demo's 魏家坡小区, each fixed and checked here."""

import pytest
from playwright.sync_api import expect

from gridgov.tickets import intake
from gridgov.tickets.categories import load_taxonomy

from .test_tickets import on_a_phone

pytestmark = pytest.mark.browser


def a_demand_for_the_grid(city):
    """A complaint at 幸福里1栋, sent by the rules to 幸福一网格 (the grid worker's)."""
    load_taxonomy()  # flushed with the transactional tests' data
    data = {"channel": "hotline", "nature": "complaint", "title": "楼道堆满杂物"}
    data.update(description="幸福里1栋楼道里堆满了纸箱，挡住了通道。", address="幸福路1号")
    data.update(requester_name="张三丰", requester_phone="13812341234")
    return intake.create_ticket(data, actor=city.community_staff).ticket


def test_an_action_taken_far_down_the_page_says_what_it_did_in_view(
    chromium, live_server, live_city, artifacts
):
    """签收 sits a screen below the top of the ticket on a phone, and 已完成：签收。 (with the
    next ticket to sign for) came back at the top, out of sight: the worker saw the form
    change and no word of what happened."""
    ticket = a_demand_for_the_grid(live_city)
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    page.goto(f"{live_server.url}/tickets/{ticket.code}/")
    button = page.locator("#action-accept button[type=submit]")
    button.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 300  # the top of the ticket is off-screen
    button.click()
    done = page.locator("#ticket .wb-done")
    expect(done).to_contain_text("已完成：签收。")
    expect(done).to_be_in_viewport()
    page.screenshot(path=artifacts / "fieldwork-phone-signed.png")
    # Another action in the page (the contact details) does not pull the view back up.
    page.locator("#requester button[name=reveal]").scroll_into_view_if_needed()
    page.locator("#requester button[name=reveal]").click()
    expect(page.locator("#requester a[href='tel:13812341234']")).to_be_in_viewport()
    assert not errors, errors
    context.close()


def test_the_area_list_shows_tickets_on_the_first_screen_of_a_phone(
    chromium, live_server, live_city, artifacts
):
    """辖区工单's seven filters filled the first screen of a phone; the tickets began below
    it. Search and status stay; the others fold under 更多筛选, and stay open when one of
    them is set."""
    ticket = a_demand_for_the_grid(live_city)
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    page.goto(f"{live_server.url}/tickets/all/")
    row = page.locator(f"[data-code='{ticket.code}']").first
    expect(row).to_be_in_viewport()
    expect(page.locator("#id_q")).to_be_visible()
    expect(page.locator("#id_status")).to_be_visible()
    expect(page.locator("#id_channel")).to_be_hidden()
    page.screenshot(path=artifacts / "fieldwork-phone-list.png")
    page.get_by_role("button", name="更多筛选").click()
    expect(page.locator("#id_channel")).to_be_visible()
    page.select_option("#id_channel", "hotline")
    page.get_by_role("button", name="筛选", exact=True).click()
    expect(page.locator("#id_channel")).to_be_visible()  # a filter set stays in sight
    expect(page.get_by_role("button", name="收起筛选")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not errors, errors
    context.close()


def test_the_number_to_call_is_in_the_contact_form(chromium, live_server, live_city, artifacts):
    """联系诉求人 is logged at the top of the ticket, and the number to call was in the 诉求人
    panel two screens below it on a phone: down to show it, call, back up to log the call.
    The form shows the masked number and 查看联系方式; shown, it is a tel: link there and in
    the panel, and the view is logged once."""
    from gridgov.people.models import AccessLog
    from gridgov.tickets.lifecycle import perform

    ticket = a_demand_for_the_grid(live_city)
    perform(ticket, "accept", live_city.grid_worker)
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    page.goto(f"{live_server.url}/tickets/{ticket.code}/")
    line = page.locator("#action-contact .contact-line")
    expect(line).to_contain_text("张** 138****1234")
    line.get_by_role("button", name="查看联系方式").click()
    call = page.locator("#action-contact a[href='tel:13812341234']")
    expect(call).to_be_in_viewport()
    expect(line).to_contain_text("张三丰")
    expect(page.locator("#requester a[href='tel:13812341234']")).to_have_count(1)
    # The phone's view is logged once; each page the holding unit opens also logs its
    # view of the exact address (requester_text.exact_address).
    logs = [log.fields for log in AccessLog.objects.filter(user=live_city.grid_worker)]
    assert sum("requester_phone" in fields for fields in logs) == 1, logs
    assert all(fields == ["address"] for fields in logs if "requester_phone" not in fields)
    page.screenshot(path=artifacts / "fieldwork-phone-contact.png")
    # Logged from there, the contact is recorded as before.
    page.select_option("#id_contact-method", "phone")
    page.locator("#action-contact button[type=submit]").click()
    expect(page.locator("#ticket .wb-done")).to_contain_text("已完成：联系诉求人。")
    assert not errors, errors
    context.close()


def test_people_in_my_area_are_cards_on_a_phone(chromium, live_server, live_city, artifacts):
    """辖区人员 on a phone was a five-column table: names (张/**) and places (幸福/一网/格)
    stood a character or two a line, and 62 residents took four screens. Now a card a
    person: name and phone on a line, then place and household, then the marks."""
    from gridgov.people.models import Person

    # One with both marks, as the demo has them (the widest row).
    Person.objects.filter(pk=live_city.zhang.pk).update(new_employment=True)
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    page.goto(f"{live_server.url}/people/")
    row = page.locator(".people-table tbody tr").first
    expect(row).to_contain_text("张**")
    lines = page.evaluate(
        """() => {
          const row = document.querySelector('.people-table tbody tr');
          const lines = (el) => {
            const range = document.createRange();
            range.selectNodeContents(el);
            return new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size;
          };
          const box = (sel) => row.querySelector(sel).getBoundingClientRect();
          return {
            name: lines(row.querySelector('.people-name')),
            place: lines(row.querySelector('.people-place')),
            sameLine: Math.round(box('.people-name').top) === Math.round(box('.people-phone').top),
            placeBelow: box('.people-place').top > box('.people-name').bottom,
          };
        }"""
    )
    assert lines == {"name": 1, "place": 1, "sameLine": True, "placeBelow": True}, lines
    expect(row.locator(".people-household")).to_have_text("1-101")
    expect(row.locator(".people-household")).to_have_attribute("data-label", "住户")
    expect(row.locator(".people-notes")).to_contain_text("独居老人")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "fieldwork-phone-people.png", full_page=True)
    assert not errors, errors
    context.close()


def report_from(chromium, base, city, lat, lng):
    """随手拍 on a resident's phone standing at (lat, lng), a photo and a description in."""
    from .test_tickets import png_bytes

    load_taxonomy()
    context = chromium.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": lat, "longitude": lng},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(base + "/login/")
    page.fill("input[name=username]", "volunteer")
    page.fill("input[name=password]", city.password)
    page.click("form.form button[type=submit]")
    page.wait_for_url(base + "/")
    page.goto(base + "/tickets/report/")
    page.set_input_files(
        "#id_photos", files=[{"name": "bin.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.fill("#id_description", "小区门口垃圾堆了三天没人清运")
    page.click("#locate")
    return context, page


def test_the_photo_report_says_where_the_phone_is_in_place_names(
    chromium, live_server, live_city, artifacts
):
    """使用我的当前位置 answered 已获取位置 (28.181100, 112.961200): nothing a resident can
    check. It now says the places the position falls in."""
    from gridgov.tickets.models import Ticket

    context, page = report_from(chromium, live_server.url, live_city, 28.1811, 112.9612)
    expect(page.locator("#address-check [data-point=inside]")).to_have_text(
        "✓ 您的位置在：和平街道 › 幸福社区 › 幸福一网格"
    )
    page.screenshot(path=artifacts / "report-phone-position.png")
    page.click("#submit-report")
    expect(page.locator("#new-code")).to_be_visible()
    assert Ticket.objects.get().grid == live_city.g1
    context.close()


def test_a_position_outside_the_area_is_said_before_the_photos_are_sent(
    chromium, live_server, live_city, artifacts
):
    """A phone outside the area sent its report, and the page came back with 该位置不在本辖区内。
    and 照片未保存，请重新选择。: the photo taken was lost. Now the position is said to be
    outside at once and not kept, and sending asks for the address first, photo still there."""
    from gridgov.tickets.models import Ticket

    context, page = report_from(chromium, live_server.url, live_city, 39.9, 116.4)
    expect(page.locator("#address-check [data-point=outside]")).to_contain_text(
        "您的位置不在本辖区内"
    )
    page.click("#submit-report")
    expect(page.locator("#location-missing")).to_be_visible()
    expect(page.locator("#photo-preview img")).to_have_count(1)  # nothing was sent
    assert not Ticket.objects.exists()
    page.fill("#id_address", "幸福路1号")
    page.click("#submit-report")
    expect(page.locator("#new-code")).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.place == live_city.b1 and ticket.photos.count() == 1
    context.close()


def test_a_hazard_on_patrol_gets_its_category_and_route_before_it_is_filed(
    chromium, live_server, live_city, artifacts
):
    """The patrol's hazard had only a category list of some 300 entries, left at 根据内容自动分类:
    an unsure guess sent the ticket to wait at the street's dispatch desk (分类待确认) and the
    worker on the spot was not told. Now the text's categories come as chips with where the
    ticket goes, as on the intake page; a chip picks the category."""
    from gridgov.tickets.models import PatrolTask, Ticket

    load_taxonomy()
    task = PatrolTask.objects.create(
        grid=live_city.g1, title="幸福一网格日常巡查", checklist=["楼道堆物"], every_days=1
    )
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    page.goto(f"{live_server.url}/tickets/patrols/{task.pk}/")
    page.check("#id_hazard_open")
    page.fill("#id_hazard", "楼道里电动车充电，电线裸露")
    chip = page.locator("#hazard-suggest [data-pick-category]").first
    expect(chip).to_be_visible()
    expect(page.locator("#hazard-suggest [data-route]")).to_be_visible()
    code = chip.get_attribute("data-pick-category")
    chip.click()
    expect(page.locator("#id_hazard_category")).to_have_value(code)
    expect(page.locator(f"#hazard-suggest [data-pick-category='{code}']")).to_have_class(
        "chip is-picked"
    )
    page.screenshot(path=artifacts / "fieldwork-phone-hazard.png", full_page=True)
    page.click("#submit-patrol")
    expect(page.locator(".messages, .message").first).to_contain_text("发现的隐患已上报为工单")
    ticket = Ticket.objects.get()
    assert ticket.category.code == code and ticket.grid == live_city.g1
    assert not errors, errors
    context.close()


def test_a_patrol_or_visit_sent_back_shows_its_error_in_view(
    chromium, live_server, live_city, artifacts
):
    """A walk with 有问题 ticked and nothing said came back at the top of the page, its error
    under the note a screen below the checklist: the worker saw the checklist again and no
    reason. The first error is brought into view and its field focused; a visit's too."""
    from gridgov.people.models import Household
    from gridgov.tickets.models import PatrolTask

    items = ["楼道堆物", "消防通道", "电动车充电", "井盖与路灯", "垃圾分类", "高空坠物", "违章搭建"]
    task = PatrolTask.objects.create(grid=live_city.g1, title="日常巡查", checklist=items)
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    page.goto(f"{live_server.url}/tickets/patrols/{task.pk}/")
    page.check(f"#id_item_{len(items) - 1}_1")
    page.click("#submit-patrol")
    error = page.locator("[data-field=note] .field-errors")
    expect(error).to_contain_text("请说明问题")
    expect(error).to_be_in_viewport()
    expect(page.locator("#id_note")).to_be_focused()
    page.screenshot(path=artifacts / "fieldwork-phone-walk-error.png")

    household = Household.objects.get(building=live_city.b1)
    page.goto(f"{live_server.url}/tickets/visits/{household.pk}/")
    page.fill("#id_heard", "反映电梯经常坏，老人上下楼困难")
    page.check("#id_file_demand")
    page.select_option("#id_nature", "help")
    page.click("#submit-visit")
    expect(page.locator("[data-field=requester] .field-errors")).to_be_in_viewport()
    expect(page.locator("#id_requester")).to_be_focused()
    assert not errors, errors
    context.close()
