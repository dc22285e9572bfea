"""Two field pages as a grid worker's phone (390 × 844, Chromium) sees them.

入户走访: the categories suggested for a demand heard on a visit sat over the category
select with a heading 分类 of their own, so the form read 分类 twice, as two fields; the
same on a patrol's hazard. 巡查计划: the task table kept its six columns in 390 px and broke
the titles every two or three characters; on a phone each task is now a card."""

import pytest
from playwright.sync_api import expect

from gridgov.people.models import Household
from gridgov.tickets.categories import load_taxonomy

from .test_tickets import on_a_phone

pytestmark = pytest.mark.browser


def _visible_exactly(scope, text):
    return [el for el in scope.get_by_text(text, exact=True).all() if el.is_visible()]


def test_a_visit_demand_and_a_hazard_read_one_category_field_with_its_suggestions(
    chromium, live_server, live_city, artifacts
):
    from gridgov.tickets.models import PatrolTask

    load_taxonomy()
    household = Household.objects.get(building=live_city.b1)
    task = PatrolTask.objects.create(grid=live_city.g1, title="日常巡查", checklist=["楼道堆物"])
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")

    page.goto(f"{live_server.url}/tickets/visits/{household.pk}/")
    page.check("#id_file_demand")
    page.fill("#id_heard", "张大爷说楼道里堆满了纸箱和旧家具，挡住了通道")
    chip = page.locator("#visit-suggest [data-pick-category]").first
    expect(chip).to_be_visible()
    form = page.locator("#visit-form")
    assert len(_visible_exactly(form, "分类")) == 1  # the field's label, no second heading
    # The suggestions come under the select they pick for.
    assert chip.bounding_box()["y"] > page.locator("#id_category").bounding_box()["y"]
    page.screenshot(path=artifacts / "visit-one-category-390.png", full_page=True)

    page.goto(f"{live_server.url}/tickets/patrols/{task.pk}/")
    page.check("#id_hazard_open")
    page.fill("#id_hazard", "楼道里堆满了纸箱和旧家具，挡住了通道")
    expect(page.locator("#hazard-suggest [data-pick-category]").first).to_be_visible()
    assert len(_visible_exactly(page.locator("#hazard-section"), "分类")) == 1
    chip = page.locator("#hazard-suggest [data-pick-category]").first
    assert chip.bounding_box()["y"] > page.locator("#id_hazard_category").bounding_box()["y"]
    assert not errors, errors
    context.close()


def test_the_patrol_plan_is_a_card_a_task_on_a_phone_and_a_table_on_a_desktop(
    chromium, live_server, live_city, artifacts
):
    from gridgov.tickets.models import PatrolTask

    for title in ("幸福一网格日常巡查", "幸福一网格消防安全专项巡查"):
        PatrolTask.objects.create(
            grid=live_city.g1,
            title=title,
            checklist=["消火栓与灭火器", "疏散通道与安全出口", "高层楼道烟感"],
            every_days=7,
        )
    title_lines = """() => Array.from(document.querySelectorAll('#patrol-tasks tbody td:nth-child(2) a'))
        .map((a) => { const range = document.createRange(); range.selectNodeContents(a);
          return new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size; })"""
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    try:
        page.goto(f"{live_server.url}/tickets/patrols/plan/")
        expect(page.locator("#patrol-tasks a", has_text="消防安全专项巡查")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # Nothing scrolls sideways inside the panel either: 修改 and 上次巡查 are in view.
        scroll = page.locator(".table-scroll")
        assert scroll.evaluate("(el) => el.scrollWidth <= el.clientWidth")
        assert page.evaluate(title_lines) == [
            1,
            1,
        ]  # a title on one line, not broken every few characters
        for link in page.locator("#patrol-tasks a", has_text="修改").all():
            box = link.bounding_box()
            assert box["x"] + box["width"] <= 390
        page.screenshot(path=artifacts / "patrol-plan-390.png", full_page=True)
        # The same signed-in browser as a desktop window.
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{live_server.url}/tickets/patrols/plan/")
        expect(page.locator("#patrol-tasks thead")).to_be_visible()
        row = page.locator("#patrol-tasks tbody tr").first
        assert row.evaluate("(tr) => getComputedStyle(tr).display") == "table-row"
        page.screenshot(path=artifacts / "patrol-plan-1280.png", full_page=True)
        assert not errors, errors
    finally:
        context.close()
