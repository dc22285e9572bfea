"""A street office's 12345 import and export, walked in Chromium (make_world's street staff).

A month's platform export of 3,000 rows with the platform's own column names (mapped on the
page), five bad rows spread through it: each reported with its row and column, the list
downloadable, nothing written; corrected, it imports, the mapping table coming back filled
in with the columns chosen before and the report linking to what it wrote; uploaded again,
nothing is imported twice and the page says so rather than asking for 3,000 corrections.
Then the area list filtered (12345, a few days) exported and read back with openpyxl.

Found walking it: the 12345 import had no template to download (the place, staff and
department imports have one); the mapping table asked for every column again at each
upload of the same platform's export; the report linked to the whole area list, not to
what was imported; a file uploaded again listed each of its rows as a problem to
"correct in the file".
"""

import io

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from gridgov.people.models import AccessLog
from gridgov.tickets.models import Ticket

from .session import signed_in

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The platform's own headers: 流水号, 派单时间, 市民姓名, 市民电话 and 问题类型 are not
# among those the import knows.
HEADERS = [
    "流水号",
    "派单时间",
    "诉求描述",
    "事发地址",
    "市民姓名",
    "市民电话",
    "问题类型",
    "诉求性质",
]
CHOSEN = {
    "external_id": "流水号",
    "created_at": "派单时间",
    "requester_name": "市民姓名",
    "requester_phone": "市民电话",
    "category": "问题类型",
}
ADDRESSES = ["魏家坡小区3栋", "魏家坡小区5栋", "幸福里小区3栋"]
ROWS = 3000
# (index in the data, spreadsheet row, column, what is wrong)
BAD = [
    (400, 402, "派单时间", "不是有效的日期时间：2026-13-45 09:00"),
    (1100, 1102, "问题类型", "未知分类 外星人入侵。"),
    (1800, 1802, "事发地址", "地址位于“北京市朝阳区”，不在本辖区内。"),
    (2300, 2302, "市民电话", "求助和投诉须留联系电话。"),
    (2900, 2902, "流水号", "与第 12 行重复。"),
]


def platform_export(bad):
    rows = [
        [
            f"SH-{i:05d}",
            f"2026-03-{1 + i % 28:02d} 09:{i % 60:02d}",
            f"楼道堆物第{i}件，纸箱挡路",
            ADDRESSES[i % 3],
            f"张{i}",
            f"1380000{i:04d}",
            "网格事件/楼道堆物",
            "投诉",
        ]
        for i in range(ROWS)
    ]
    if bad:
        rows[400][1] = "2026-13-45 09:00"
        rows[1100][6] = "外星人入侵"
        rows[1800][3] = "北京市朝阳区建国路88号"
        rows[2300][5] = ""
        rows[2900][0] = rows[10][0]
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return {"name": "12345平台导出-3月.xlsx", "mimeType": XLSX, "buffer": out.getvalue()}


def upload(page, base, file):
    page.goto(base + "/tickets/import/")
    page.set_input_files("input[name=file]", file)
    page.click("#submit-import")


@pytest.mark.django_db(transaction=True)
def test_the_template_downloads_and_imports_without_a_mapping(chromium, live_server, artifacts):
    from tests.tickets.factories import make_world

    world = make_world()
    base = live_server.url
    with signed_in(chromium, base, world.street_staff.username) as (page, errors):
        page.goto(base + "/tickets/import/")
        with page.expect_download() as download:
            page.click("#import-template")
        assert download.value.suggested_filename == "12345工单导入模板.xlsx"
        content = open(download.value.path(), "rb").read()
        book = load_workbook(io.BytesIO(content))
        header = next(book.worksheets[0].iter_rows(values_only=True))
        assert header[:9] == tuple(
            "工单编号 受理时间 诉求标题 诉求内容 诉求地址 来电人 联系电话 诉求类型 诉求性质".split()
        )
        assert len(book.worksheets) == 2  # how to fill it in
        # Its example rows import as they are: its headers need no mapping.
        upload(page, base, {"name": "模板.xlsx", "mimeType": XLSX, "buffer": content})
        expect(page.locator("#import-report")).to_contain_text("已导入 2 件工单")
        page.screenshot(path=artifacts / "import-template-imported.png", full_page=True)
        assert not errors
    assert Ticket.objects.count() == 2
    assert Ticket.objects.filter(status="closed").count() == 1  # 已办结 on the platform


@pytest.mark.django_db(transaction=True)
def test_a_month_of_12345_is_checked_corrected_imported_once_and_exported(
    chromium, live_server, artifacts
):
    from tests.tickets.factories import make_world

    world = make_world()
    base = live_server.url
    with signed_in(chromium, base, world.street_staff.username) as (page, errors):
        # 1. The platform's file with five bad rows: its columns mapped on the page.
        upload(page, base, platform_export(bad=True))
        expect(page.locator("#import-mapping")).to_be_visible()
        for field, header in CHOSEN.items():
            page.select_option(f"#id_map-{field}", header)
        page.click("#submit-mapping")
        report = page.locator("#import-report")
        expect(report).to_contain_text("已检查 3000 行，发现 5 处问题")
        cells = page.locator("#import-errors tbody tr").evaluate_all(
            "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
        )
        assert cells == [[str(row), column, message] for _i, row, column, message in BAD]
        page.screenshot(path=artifacts / "walk-import-problems.png", full_page=True)
        with page.expect_download() as download:
            page.click("#import-errors-csv")
        listed = open(download.value.path(), encoding="utf-8-sig").read().splitlines()
        assert listed[1:] == [f"{row},{column},{message}" for _i, row, column, message in BAD]
        assert Ticket.objects.count() == 0  # all or nothing

        # 2. Corrected: the mapping table comes back with the columns chosen before.
        upload(page, base, platform_export(bad=False))
        for field, header in CHOSEN.items():
            expect(page.locator(f"#id_map-{field}")).to_have_value(header)
        page.screenshot(path=artifacts / "walk-import-mapping-again.png", full_page=True)
        page.click("#submit-mapping")
        expect(report).to_contain_text("已导入 3000 件工单")
        assert Ticket.objects.count() == ROWS
        page.screenshot(path=artifacts / "walk-import-done.png", full_page=True)
        # The report leads to what it wrote: the channel and the days of its rows.
        page.click("#import-listed")
        page.wait_for_url("**/tickets/all/?*")
        assert "channel=hotline" in page.url
        assert "date_from=2026-03-01" in page.url and "date_to=2026-03-28" in page.url
        expect(page.locator("main")).to_contain_text("3000")

        # 3. The same file a third time: nothing twice, and nothing to correct.
        upload(page, base, platform_export(bad=False))
        page.click("#submit-mapping")
        expect(page.locator("#import-nothing-new")).to_contain_text(
            "此文件的全部 3000 行此前均已导入"
        )
        expect(page.locator("#import-errors")).to_have_count(0)
        page.screenshot(path=artifacts / "walk-import-again.png", full_page=True)
        assert Ticket.objects.count() == ROWS
        assert not errors

    # 4. The community's export of its own list, filtered: masked, nothing logged.
    query = "channel=hotline&date_from=2026-03-05&date_to=2026-03-10"
    with signed_in(chromium, base, world.community_staff.username) as (page, errors):
        page.goto(f"{base}/tickets/all/?{query}")
        with page.expect_download() as download:
            page.click("#export-xlsx")
        book = load_workbook(open(download.value.path(), "rb"))
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        header, rows = rows[0], rows[1:]
        received = [row[header.index("受理时间")] for row in rows]
        assert len(rows) == 6 * 107  # days 5 to 10, 107 rows a day
        assert {r.date().isoformat() for r in received} == {
            f"2026-03-{d:02d}" for d in range(5, 11)
        }
        assert {row[header.index("渠道")] for row in rows} == {"12345热线"}
        names = {row[header.index("诉求人")] for row in rows}
        phones = {row[header.index("联系电话")] for row in rows}
        assert all(name.endswith("*") for name in names), names
        assert all("****" in phone for phone in phones), phones
        about = dict(book.worksheets[1].iter_rows(values_only=True))
        assert about["诉求人信息"] == "姓名、电话和门牌已脱敏"
        assert not AccessLog.objects.exists()
        assert not errors

    # 5. The grid worker holding grid A's tickets exports with contacts: their rows in full,
    # each logged as a web export with its purpose (grid B's are not in their list).
    with signed_in(chromium, base, world.gridworker_a.username) as (page, errors):
        page.goto(f"{base}/tickets/all/?{query}")
        page.click(".export-contacts summary")
        page.fill("#export-purpose", "回访未解决诉求")
        with page.expect_download() as download:
            page.click("#export-contacts button[type=submit]")
        book = load_workbook(open(download.value.path(), "rb"))
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        header, rows = rows[0], rows[1:]
        phone = header.index("联系电话")
        full = [row for row in rows if "*" not in row[phone]]
        assert full and len(full) == len(rows)  # grid A's own tickets only, all in full
        logged = AccessLog.objects.filter(user=world.gridworker_a)
        assert logged.count() == len(full)
        assert set(logged.values_list("channel", flat=True)) == {AccessLog.Channel.WEB_EXPORT}
        assert set(logged.values_list("purpose", flat=True)) == {"回访未解决诉求"}
        assert not errors
