"""The 12345 import page in Chromium: a file with headers the import does not know is
mapped on the page (a select per field, the recognised ones chosen) and then imported."""

import pytest
from playwright.sync_api import expect

from gridgov.tickets.models import Ticket

from .session import signed_in

pytestmark = pytest.mark.browser

CSV = (
    "工单编号,派单时间,内容,事发地址,联系电话,问题类型,诉求性质\r\n"
    "W-1,2026-03-02 09:30,楼道堆物,魏家坡小区3号楼,13800001111,网格事件/楼道堆物,投诉\r\n"
    "W-2,2026-03-03 10:00,楼道堆物,魏家坡小区3号楼,13800001112,网格事件/楼道堆物,投诉\r\n"
)


@pytest.mark.django_db(transaction=True)
def test_unknown_headers_are_mapped_then_imported(chromium, live_server, artifacts):
    from tests.tickets.factories import make_world

    world = make_world()
    base = live_server.url
    with signed_in(chromium, base, world.street_staff.username) as (page, errors):
        page.goto(base + "/tickets/import/")
        page.set_input_files(
            "input[name=file]",
            {"name": "平台导出.csv", "mimeType": "text/csv", "buffer": CSV.encode("utf-8-sig")},
        )
        page.click("#submit-import")
        mapping = page.locator("#import-mapping")
        expect(mapping).to_contain_text("未能在 平台导出.csv 中识别出导入所需的全部列")
        expect(page.locator("#id_map-description")).to_have_value("内容")
        expect(page.locator("#id_map-created_at")).to_have_value("")
        page.select_option("#id_map-created_at", "派单时间")
        page.select_option("#id_map-category", "问题类型")
        page.screenshot(path=artifacts / "import-mapping.png", full_page=True)
        page.click("#submit-mapping")
        expect(page.locator("#import-report")).to_contain_text("已导入 2 件工单")
        expect(page.locator("#import-columns")).to_contain_text("受理时间 ← 派单时间")
        assert not errors
    assert set(Ticket.objects.values_list("external_id", flat=True)) == {"W-1", "W-2"}
