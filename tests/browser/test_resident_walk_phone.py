"""A resident's walk on a phone (390 × 844): 随手拍 with bad inputs and a photo carrying its
GPS position, 我的诉求 in words a resident reads, 评价 (不满意 reopens, 满意 closes), and
what a resident may not see (staff names, internal notes, other residents' demands)."""

import io
import re

import pytest
from playwright.sync_api import expect

from tests.people.factories import user_with_role
from tests.tickets.factories import make_world_with_resident

from .session import PASSWORD, phone_at

pytestmark = pytest.mark.browser


def gps_jpeg():
    """A JPEG as a phone takes it: EXIF with the GPS position of where it was taken."""
    from PIL import ExifTags, Image

    image = Image.new("RGB", (640, 480), (150, 110, 70))
    exif = image.getexif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (39.0, 54.0, 10.0), 3: "E", 4: (116.0, 18.0, 5.0)})
    exif[0x010F] = "PhoneCam"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def phone(chromium, base, username, building):
    return phone_at(chromium, base, username, building, PASSWORD)


def fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_resident_reports_follows_and_rates_on_a_phone(
    chromium, live_server, transactional_db, artifacts
):
    from PIL import Image

    from gridgov.tickets.lifecycle import perform
    from gridgov.tickets.models import Status, Ticket

    w = make_world_with_resident()
    base = live_server.url
    context, page, errors = phone(chromium, base, "resident", w.buildings[0])

    def shot(name):
        fits(page)
        page.screenshot(path=artifacts / f"resident-walk-{name}.png", full_page=True)

    def choose(name, data, mime="image/jpeg"):
        page.set_input_files("#id_photos", files=[{"name": name, "mimeType": mime, "buffer": data}])

    page.goto(base + "/tickets/report/")
    shot("01-report")
    # No description, and a text file named .jpg: both said at once, in words, not Django's
    # 该字段是必填项 and a bare "choose the photos again" that let the same file be chosen again.
    choose("note.jpg", b"this is a text file, not a photo")
    page.fill("#id_address", "魏家坡小区3栋")
    page.click("#submit-report")
    expect(page.locator("[data-field=description] .field-errors")).to_have_text(
        "请简单说明发现了什么问题。"
    )
    photo_error = page.locator("[data-field=photos] .field-errors")
    expect(photo_error).to_contain_text("不是 JPEG 或 PNG 图片")
    expect(photo_error).to_contain_text("请重新选择")
    expect(page.locator("#id_address")).to_have_value("魏家坡小区3栋")
    shot("02-no-description-not-a-photo")
    # Over 10 MB.
    page.fill(
        "#id_description", "3栋楼道堆满纸箱，挡住了通道。已经一个星期了，晚上回家都要侧身过。"
    )
    choose("big.jpg", gps_jpeg() + b"\0" * (10 * 1024 * 1024))
    page.click("#submit-report")
    expect(photo_error).to_contain_text("10 MB")
    expect(page.locator("#id_description")).to_have_value(
        "3栋楼道堆满纸箱，挡住了通道。已经一个星期了，晚上回家都要侧身过。"
    )
    expect(page.locator("#id_address")).to_have_value("魏家坡小区3栋")
    shot("03-too-big")
    assert not Ticket.objects.exists()
    # A phone photo with its GPS position, the phone's position and the address. The error
    # about the photo before goes with the new choice (it stayed under it).
    choose("IMG_0001.jpg", gps_jpeg())
    expect(photo_error).to_have_count(0)
    expect(page.locator("[data-field=photos]")).not_to_have_class("has-error")
    page.click("#locate")
    expect(page.locator("#locate-status")).to_contain_text("已获取位置")
    # Position taken reads as done: green, not the pink of the button's hover (which a
    # phone keeps after the tap) under green text, like an error.
    located = page.locator("#locate.is-located")
    expect(located).to_have_css("background-color", "rgb(230, 244, 234)")
    expect(located).to_have_css("color", "rgb(30, 107, 52)")
    shot("04-ready")
    page.click("#submit-report")
    expect(page.locator("#new-code")).to_be_visible()
    shot("05-sent")
    ticket = Ticket.objects.get()
    assert ticket.requester == w.person and ticket.grid == w.grid_a
    assert ticket.lat is not None and ticket.address == "魏家坡小区3栋"
    stored = ticket.photos.get()
    with stored.image.open("rb") as f, Image.open(f) as image:
        assert not image.getexif(), "the stored photo keeps its EXIF (GPS position)"
        assert "exif" not in image.info

    # 我的诉求: the status in a resident's words, the deadline, the words once.
    page.goto(base + "/tickets/mine/")
    card = page.locator(f".mine-card[data-code='{ticket.code}']")
    expect(card.locator(".status")).to_have_text("已转交承办单位")
    expect(card.locator(".mine-card__due")).to_contain_text("办结时限")
    shot("06-mine")
    card.locator("a").click()
    expect(page.locator("#mine-code")).to_have_text(ticket.code)
    expect(page.locator("#mine-due")).to_be_visible()
    expect(page.locator("#mine-photos img")).to_have_count(1)
    shot("07-mine-detail")

    # The grid worker takes it on (a resident reads 办理中, not 已签收), notes something for
    # the office above and resolves it.
    worker = w.gridworker_a
    worker.first_name, worker.last_name = "小明", "王"
    worker.save()
    perform(ticket, "accept", worker)
    ticket.refresh_from_db()
    perform(ticket, "supervise", w.community_staff, reason="内部：请尽快处理，居民脾气急")
    ticket.refresh_from_db()
    page.reload()
    expect(page.locator(".status").first).to_have_text("办理中")
    # Adding a photo later: a file that is no photo first, then a photo, which clears the
    # error, and is told as a step of the progress.
    page.set_input_files(
        "#id_add-photos",
        files=[{"name": "note.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"}],
    )
    page.click("#add-photos-submit")
    add_error = page.locator("#add-photos-form [data-field=photos] .field-errors")
    expect(add_error).to_contain_text("不是 JPEG 或 PNG 图片")
    page.set_input_files(
        "#id_add-photos",
        files=[{"name": "now.jpg", "mimeType": "image/jpeg", "buffer": gps_jpeg()}],
    )
    expect(add_error).to_have_count(0)
    expect(page.locator("#add-photos-form .file-names")).to_have_text("已选择 1 张照片")
    page.click("#add-photos-submit")
    expect(page.locator(".messages, [role=status]").first).to_contain_text("照片")
    expect(page.locator("#mine-photos img")).to_have_count(2)
    expect(page.locator(".step--add-photos")).to_have_text(re.compile("您补充了 1 张照片。"))
    expect(page.locator(".step--add-photos img")).to_have_count(0)  # shown once, above
    page.wait_for_function(
        "[...document.querySelectorAll('#mine-photos img')].every(i => i.complete && i.naturalWidth)"
    )
    shot("08-photo-added")
    ticket.refresh_from_db()
    perform(ticket, "resolve", worker, reply="纸箱已清理，楼道已畅通。")

    page.reload()
    expect(page.locator("#rate-reply")).to_contain_text("纸箱已清理，楼道已畅通。")
    # What the resident is asked to do now: the badge says so, the rating comes first.
    expect(page.locator(".status").first).to_have_text("已办结，待您评价")
    rate_top = page.locator("#rate-form").bounding_box()["y"]
    assert rate_top < page.locator("#add-photos-form").bounding_box()["y"]
    shot("09-resolved")
    page.goto(base + "/tickets/mine/")
    expect(card.locator(".status")).to_have_text("已办结，待您评价")
    shot("09b-mine-to-rate")
    card.locator("a").click()
    page.check("#rate-form input[name=rate-resolved][value=no]")
    page.check("#rate-form input[name=rate-satisfaction][value=dissatisfied]")
    page.fill("#rate-form textarea", "纸箱还在")
    page.click("#rate-submit")
    # 不满意 reopens it (DESIGN §4), and the resident is told so, not only thanked.
    expect(page.get_by_text("您的诉求将重新办理")).to_be_visible()
    expect(page.locator(".status").first).to_have_text("重新办理")
    shot("10-reopened")
    ticket.refresh_from_db()
    assert ticket.status == Status.REOPENED
    page.goto(base + "/tickets/mine/")
    expect(card.locator(".status")).to_have_text("重新办理")

    perform(ticket, "resolve", worker, reply="已联系物业彻底清运。")
    page.goto(base + f"/tickets/mine/{ticket.code}/")
    page.check("#rate-form input[name=rate-resolved][value=yes]")
    page.check("#rate-form input[name=rate-satisfaction][value=satisfied]")
    page.click("#rate-submit")
    expect(page.get_by_text("您的诉求已办结")).to_be_visible()
    expect(page.locator("#rate-form")).to_have_count(0)
    shot("11-closed")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED

    # Never a handler's name or login, nor the office's internal note.
    for url in (f"/tickets/mine/{ticket.code}/", "/tickets/mine/"):
        page.goto(base + url)
        text = page.inner_text("body")
        for secret in ("王小明", "小明", worker.username, "居民脾气急"):
            assert secret not in text, (url, secret)
    assert not errors, errors
    context.close()


def test_a_resident_and_a_rider_see_only_their_own_demands(
    chromium, live_server, transactional_db, artifacts
):
    from gridgov.people.models import Role
    from gridgov.tickets import intake

    w = make_world_with_resident()
    rider = user_with_role(Role.VOLUNTEER, w.community, username="rider")
    theirs = intake.create_ticket(
        {
            "channel": "photo",
            "nature": "report",
            "title": "",
            "address": "魏家坡小区5栋",
            "description": "5栋门口路灯不亮",
        },
        actor=rider,
    ).ticket
    context, page, errors = phone(chromium, live_server.url, "resident", w.buildings[0])
    missing = page.goto(f"{live_server.url}/tickets/mine/GD20990101-999999/")
    missing_text = page.inner_text("main") if page.locator("main").count() else ""
    other = page.goto(f"{live_server.url}/tickets/mine/{theirs.code}/")
    # Another's code answers exactly as a code that does not exist.
    assert other.status == missing.status == 404
    assert (page.inner_text("main") if page.locator("main").count() else "") == missing_text
    assert "路灯" not in page.content()
    photo = page.goto(f"{live_server.url}/tickets/mine/{theirs.code}/photos/1/")
    assert photo.status == 404
    assert page.goto(f"{live_server.url}/tickets/{theirs.code}/").status == 404
    page.goto(f"{live_server.url}/tickets/mine/")
    assert theirs.code not in page.content()
    page.screenshot(path=artifacts / "resident-walk-12-others.png", full_page=True)
    context.close()

    # The rider's own demand, in their 我的诉求, in the same words.
    context, page, errors2 = phone(chromium, live_server.url, "rider", w.buildings[0])
    page.goto(f"{live_server.url}/tickets/mine/{theirs.code}/")
    expect(page.locator("#mine-code")).to_have_text(theirs.code)
    expect(page.locator(".status").first).to_have_text("已转交承办单位")
    fits(page)
    assert not errors and not errors2, (errors, errors2)
    context.close()
