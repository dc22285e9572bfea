"""The classifier page on a phone (390 px, in Chromium), found walking the demo as a street
office: squeezed to the screen, the scores' table stood a category name one character a line
(交/通/运/输) and the changes of the version in use 重新训练，且不低于在用版本 as a column of
single characters. Names keep one line and the tables scroll inside their panels."""

import pytest

from gridgov.insights.models import ModelActivation, ModelVersion
from tests.browser.session import signed_in
from tests.tickets.factories import make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABELS = ["交通运输", "劳动和社会保障", "卫生计生", "商贸旅游", "城乡建设", "教育文体", "环境保护"]


def _metrics():
    per_class = {
        label: {"precision": 0.9264, "recall": 0.9336, "f1": 0.93, "support": 2048}
        for label in LABELS
    }
    confusion = [[900 if i == j else 12 for j in range(len(LABELS))] for i in range(len(LABELS))]
    return {
        "accuracy": 0.9111,
        "macro_f1": 0.9108,
        "n": 9527,
        "method": "3-fold cross-validation",
        "labels": LABELS,
        "per_class": per_class,
        "confusion": confusion,
    }


def test_the_classifier_tables_are_readable_on_a_phone(chromium, live_server, artifacts):
    world = make_world()
    previous = None
    for version in (1, 2, 3):
        record = ModelVersion.objects.create(
            version=version,
            path="/nonexistent",
            fingerprint="t",
            metrics=_metrics(),
            note="scheduled",
            active=version == 3,
        )
        ModelActivation.objects.create(
            version=record,
            version_number=version,
            previous_number=previous,
            how=ModelActivation.How.FIRST if previous is None else ModelActivation.How.TRAINED,
        )
        previous = version
    with signed_in(chromium, live_server.url, world.street_staff.username, phone=True) as (
        page,
        errors,
    ):
        page.goto(live_server.url + "/insights/classifier/")
        page.screenshot(path=str(artifacts / "classifier-phone.png"), full_page=True)
        sizes = page.evaluate(
            """() => {
              const line = (el) => parseFloat(getComputedStyle(el).lineHeight) || 24;
              const name = Array.from(document.querySelectorAll(".insights-scroll td"))
                .find((td) => td.textContent.trim() === "劳动和社会保障");
              const how = Array.from(document.querySelectorAll("#activations td"))
                .find((td) => td.textContent.trim() === "重新训练，且不低于在用版本");
              const box = how.closest(".insights-scroll");
              return {
                name: name.getBoundingClientRect().height / line(name),
                how: how.getBoundingClientRect().height / line(how),
                scrolls: box.scrollWidth > box.clientWidth,
                page: document.documentElement.scrollWidth,
              };
            }"""
        )
        assert sizes["name"] < 2.5, sizes  # one line (with the cell's padding)
        assert sizes["how"] < 4.5, sizes  # a few lines, not one character a line
        assert sizes["scrolls"], sizes  # inside its panel
        assert sizes["page"] <= 390, sizes  # the page itself does not scroll sideways
        assert errors == []


def test_every_predicted_category_is_named_under_the_matrix_on_a_phone(
    chromium, live_server, artifacts
):
    # At 390 px ECharts named every other column of the confusion matrix (交通运输, 卫生计生,
    # 城乡建设, 环境保护): 劳动和社会保障's column had no name under it.
    world = make_world()
    ModelVersion.objects.create(
        version=1, path="/nonexistent", fingerprint="t", metrics=_metrics(), active=True
    )
    with signed_in(chromium, live_server.url, world.street_staff.username, phone=True) as (
        page,
        errors,
    ):
        page.goto(live_server.url + "/insights/classifier/")
        page.wait_for_function(
            "() => window.echarts && echarts.getInstanceByDom(document.getElementById('confusion'))"
        )
        page.locator("#confusion").screenshot(path=str(artifacts / "confusion-phone.png"))
        named = page.evaluate(
            """() => { const model = echarts.getInstanceByDom(document.getElementById("confusion")).getModel();
              return ["xAxis", "yAxis"].map((axis) => model.getComponent(axis, 0).axis
                .getViewLabels().map((label) => label.formattedLabel)); }"""
        )
        assert named == [LABELS, LABELS]
        assert errors == []
