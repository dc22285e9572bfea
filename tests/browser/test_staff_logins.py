"""工作人员账号 in a browser: the community's staff member finds the logins of the
community, sees who has yet to change an initial password, resets a grid worker's forgotten
password after confirming, and reads the new one once."""

import pytest
from playwright.sync_api import expect

from gridgov.people import passwords
from gridgov.people.models import InitialPassword, PasswordReset

pytestmark = pytest.mark.browser


def test_the_community_resets_a_grid_workers_password(page, login, live_city, artifacts):
    passwords.require_change(live_city.grid_worker, InitialPassword.Reason.IMPORT)
    login(page, "community")
    page.goto(page.base_url + "/people/")
    page.locator("#staff-logins-link").click()
    expect(page.locator("h1")).to_have_text("工作人员账号")
    marked = page.locator('tr[data-login="gridworker"]')
    expect(marked).to_contain_text("初始密码未修改")
    expect(marked).to_contain_text("网格员 · ")
    expect(page.locator('tr[data-login="community"] button')).to_have_count(0)
    page.screenshot(path=artifacts / "staff-logins-zh.png", full_page=True)

    page.get_by_label("只看初始密码未修改的账号").check()
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#staff-logins tbody tr")).to_have_count(1)
    page.goto(page.base_url + "/people/staff/")

    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.locator('tr[data-login="gridworker2"] button').click()
    expect(page.locator("h1")).to_have_text("密码已重置")
    assert "重置 gridworker2 的密码" in dialogs[0]
    password = page.locator("#new-password").inner_text()
    live_city.grid_worker2.refresh_from_db()
    assert live_city.grid_worker2.check_password(password)
    assert PasswordReset.objects.get().reset_by == live_city.community_staff
    page.screenshot(path=artifacts / "staff-password-reset-zh.png", full_page=True)
    page.get_by_role("link", name="返回工作人员账号").click()
    expect(page.locator('tr[data-login="gridworker2"]')).to_contain_text("辖区管理员重置")
    # On a phone the page keeps its width; the table scrolls within its frame.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + "/people/staff/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "staff-logins-phone-zh.png", full_page=True)


def test_the_staff_import_sends_departments_to_their_import(page, login, live_city, artifacts):
    """It said to add them in the admin, before 导入部门 existed."""
    login(page, "admin")
    page.goto(page.base_url + "/people/import/")
    page.screenshot(path=artifacts / "staff-import-zh.png", full_page=True)
    expect(page.locator("main")).not_to_contain_text("管理后台")
    page.get_by_role("link", name="导入部门").click()
    expect(page.locator("h1")).to_have_text("导入部门")
