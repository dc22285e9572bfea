"""A district office's day (区级工作人员 at a desk, Chromium at 1366 px): the KPI ranking of
its streets, a time limit changed and the next ticket's deadline, a standard answer kept
through its life and offered to the hotline while typing, and the area's ticket export."""

import datetime as dt
import io
from urllib.parse import quote
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from gridgov.people.models import AccessLog
from gridgov.places.models import Level
from gridgov.tickets import intake
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import KnowledgeAnswer, TimeLimit
from tests.places.factories import PlaceFactory
from tests.tickets.factories import make_ticket, make_world, ticket_data

from .session import signed_in

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(transactional_db):
    w = make_world()
    # A second street with no ticket: shown in the ranking, unranked, after the first.
    w.other_street = PlaceFactory(code="S2", name="清河街道", level=Level.STREET, parent=w.district)
    return w


def _shot(page, artifacts, name):
    page.screenshot(path=str(artifacts / f"district-{name}.png"), full_page=True)


def test_the_streets_ranking_of_the_month(chromium, live_server, world, artifacts):
    # A ticket passed up grid → community → street, which calls the requester, resolves it
    # and is called back satisfied: the street's rates are 1/1 each and its score 100.
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    perform(ticket, "escalate", world.gridworker_a, reason="需社区协调")
    perform(ticket, "escalate", world.community_staff, reason="需街道协调")
    perform(ticket, "accept", world.street_staff)
    perform(ticket, "contact", world.street_staff, note="已电话联系")
    perform(ticket, "resolve", world.street_staff, reply="已清理楼道")
    perform(ticket, "callback", world.hotline, resolved=True, satisfaction="satisfied")
    with signed_in(chromium, live_server.url, world.district_staff.username) as (page, errors):
        page.get_by_role("link", name="考核排名").first.click()
        page.select_option("#kpi-level", "street")
        page.select_option("#kpi-period", "month")
        page.get_by_role("button", name="查询").click()
        page.wait_for_load_state()
        _shot(page, artifacts, "kpis-streets")
        rows = page.locator("main table tbody tr")
        assert rows.count() == 2
        first = rows.nth(0).inner_text()
        assert "学院路街道" in first and "100.0" in first
        assert first.count("100.0%") == 3 and first.count("1/1") == 3, first
        second = rows.nth(1).inner_text()
        assert "清河街道" in second and "100" not in second
        assert rows.nth(1).locator("td").first.inner_text().strip() == "—"
        assert "1 个单位本期没有计分的办理类指标，未参与排名" in page.inner_text("main")
        assert not errors


def test_a_time_limit_changed_and_the_next_ticket_follows_it(
    chromium, live_server, world, artifacts
):
    with signed_in(chromium, live_server.url, world.district_staff.username) as (page, errors):
        page.goto(live_server.url + "/tickets/time-limits/")
        form = page.locator("#time-limit-form")
        form.locator("select[name=urgency]").select_option(label="一般")
        form.locator("select[name=category]").select_option("")  # 全部分类
        for stage, value, unit in (
            ("accept", "2", "自然小时"),
            ("respond", "1", "工作日"),
            ("resolve", "2", "工作日"),
        ):
            form.locator(f"input[name={stage}_value]").fill(value)
            form.locator(f"select[name={stage}_unit]").select_option(label=unit)
        form.get_by_role("button", name="保存时限").click()
        page.wait_for_load_state()
        # Said in words: the limit's str() for logs put a star for "every category".
        assert "时限已保存：一般 · 全部分类 · 海淀区" in page.inner_text("body")
        limit = TimeLimit.objects.get(urgency="general", category=None, place=world.district)
        page.locator(f"a[href$='/tickets/time-limits/{limit.pk}/']").click()
        page.locator("#time-limit-form input[name=resolve_value]").fill("3")
        page.locator("#time-limit-form").get_by_role("button", name="保存时限").click()
        page.wait_for_load_state()
        _shot(page, artifacts, "time-limits")
        change = page.locator("tr[data-time-limit-change]").first.inner_text()
        assert "海淀区" in change and "修改" in change
        assert "3 工作日" in change and "修改前" in change and "2 工作日" in change, change
        assert not errors
    # Filed on the Thursday before 清明 (4–6 April 2026 off): three working days are
    # Friday, Tuesday and Wednesday, so it is due at the end of Wednesday the 8th.
    filed = dt.datetime(2026, 4, 2, 10, 0, tzinfo=SHANGHAI)
    data = ticket_data(category=world.corridor.code, urgency="general")
    ticket = intake.create_ticket(data, actor=world.hotline, now=filed).ticket
    assert ticket.accept_by == filed + dt.timedelta(hours=2)
    assert ticket.resolve_by.astimezone(SHANGHAI).date() == dt.date(2026, 4, 8)
    assert ticket.resolve_by.astimezone(SHANGHAI).time() >= dt.time(23, 59)


def _sheet(download):
    with open(download.path(), "rb") as file:
        return openpyxl.load_workbook(io.BytesIO(file.read()))


def _suggested(page, live_server):
    page.goto(live_server.url + "/tickets/new/hotline/")
    typed = quote("充电桩")
    with page.expect_response(lambda r: "/tickets/new/suggest/" in r.url and typed in r.url):
        page.fill("#id_description", "小区里的电动自行车充电桩坏了，找谁报修？")
    page.wait_for_timeout(300)
    return page.inner_text("#suggestions")


def test_a_standard_answer_added_changed_and_retired(chromium, live_server, world, artifacts):
    question = "电动自行车充电桩坏了找谁报修？"
    with signed_in(chromium, live_server.url, world.district_staff.username) as (page, errors):
        page.goto(live_server.url + "/tickets/knowledge/")
        page.fill("#id_question", question)
        page.fill("#id_answer", "请联系物业服务中心报修。")
        page.fill("#id_keywords", "充电桩 电动自行车")
        page.click("#submit-answer")
        page.wait_for_load_state()
        assert f"标准答复已保存：{question}" in page.inner_text("body")
        row = page.locator("#knowledge-table tbody tr", has_text=question)
        row.get_by_role("link", name="修改").click()
        page.fill("#id_answer", "请联系物业服务中心报修（24小时）；无物业的由社区联系运营企业。")
        page.click("#submit-answer")
        page.wait_for_load_state()
        with signed_in(chromium, live_server.url, world.hotline.username) as (desk, desk_errors):
            assert "请联系物业服务中心报修（24小时）" in _suggested(desk, live_server)
            row.get_by_role("link", name="修改").click()
            page.uncheck("#id_active")
            page.click("#submit-answer")
            page.wait_for_load_state()
            assert (
                "已停用"
                in page.locator("#knowledge-table tbody tr", has_text=question).inner_text()
            )
            assert question not in _suggested(desk, live_server)
            assert not desk_errors
        answer = KnowledgeAnswer.objects.get(question=question)
        page.goto(live_server.url + f"/tickets/knowledge/{answer.pk}/")
        _shot(page, artifacts, "knowledge-history")
        history = page.locator("#knowledge-changes tbody tr").all_inner_texts()
        assert [h.split("\t")[2].split("\n")[0] for h in history] == ["停用", "修改", "新增"], (
            history
        )
        who = world.district_staff.get_full_name() or world.district_staff.username
        assert all(who in h for h in history)
        assert "请联系物业服务中心报修。 → 请联系物业服务中心报修（24小时）" in history[1]
        assert not errors


def test_the_area_export_follows_the_filters_and_masks_callers(
    chromium, live_server, world, artifacts
):
    at_grid = make_ticket(world)  # dispatched to grid A: the grid's caller, not the district's
    make_ticket(world, address="幸福里小区3栋", requester_phone="13900001111")
    perform(at_grid, "accept", world.gridworker_a)
    with signed_in(chromium, live_server.url, world.district_staff.username) as (page, errors):
        page.goto(live_server.url + "/tickets/all/")
        page.select_option("#ticket-filters select[name=place]", world.grid_a.code)
        page.locator("#ticket-filters button[type=submit]").first.click()
        page.wait_for_load_state()
        assert "共 1 件工单" in page.inner_text("main")
        with page.expect_download() as download:
            page.click("#export-xlsx")
        sheet = _sheet(download.value).active
        rows = list(sheet.iter_rows(values_only=True))
        header = rows[0]
        assert [r[0] for r in rows[1:]] == [at_grid.code]
        row = dict(zip(header, rows[1], strict=True))
        assert (row["诉求人"], row["联系电话"]) == ("张*", "138****1234")
        # With contacts, for a purpose: the district holds no row, so all stay masked.
        page.locator("details.export-contacts summary").click()
        page.fill("#export-purpose", "回访未办结诉求")
        with page.expect_download() as download:
            page.locator("#export-contacts button[type=submit]").click()
        rows = list(_sheet(download.value).active.iter_rows(values_only=True))
        assert dict(zip(rows[0], rows[1], strict=True))["联系电话"] == "138****1234"
        assert not AccessLog.objects.filter(user=world.district_staff).exists()
        _shot(page, artifacts, "export")
        assert not errors
