"""An import's problems read on a phone (390 px): the code and the column of each problem
stayed one character a line, squeezed by the message beside them."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SHEET = (
    "编码,名称,层级,上级编码\n"
    "NH-NH-LY-G01,柳荫里第一网格,网格,NH-NH-NOPE\n"
    "NH-NH-LY-G02,柳荫里第二网格,网络,NH-NH-LY\n"
)


def test_each_problem_keeps_its_code_and_column_on_one_line(page, login, artifacts, tmp_path):
    sheet = tmp_path / "地点.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "admin")
    page.goto(page.base_url + "/places/import/")
    page.set_input_files("#id_file", str(sheet))
    page.click("#place-import-form button[type=submit]")
    table = page.locator("#place-import-errors")
    expect(table).to_be_visible()
    table.screenshot(path=artifacts / "import-problems-390.png")
    codes = page.locator("#place-import-errors tbody td:nth-child(2)").all_text_contents()
    assert "NH-NH-LY-G01" in codes, codes
    heights = page.evaluate(
        """() => [...document.querySelectorAll('#place-import-errors tbody tr')].map(tr => {
             const code = tr.cells[1], range = document.createRange();
             range.selectNodeContents(code);
             return range.getClientRects().length;
           })"""
    )
    assert all(n == 1 for n in heights), heights  # one line box per code
