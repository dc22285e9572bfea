"""Every grid is identifiable on the maps at a phone's width (390 × 844).

At the fitted zoom the demo's narrow grids (魏家坡小区, 坡子街小区) were narrower than
their name on one line: the place map hid those names, and the ticket map wrote them
across the neighbouring grids. Now a name is wrapped to its grid's width, or the grid
gets a letter explained in a key under the map whose entries select it."""

import pytest
from playwright.sync_api import expect

from gridgov.places.models import Level, Place

pytestmark = pytest.mark.browser

NARROW = {"魏家坡小区": 112.968, "坡子街小区": 112.9698, "枫林二村小区": 112.9716}


def _strip(lng, width=0.0018, lat=28.180, height=0.004):
    ring = [[lng, lat], [lng + width, lat], [lng + width, lat + height], [lng, lat + height]]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


@pytest.fixture
def narrow_grids(live_city):
    # Beside G1 and G2 (0.004° squares), three grids under half as wide, as in the demo.
    for i, (name, lng) in enumerate(NARROW.items()):
        Place.objects.create(
            code=f"GN{i}", name=name, level=Level.GRID, parent=live_city.c1, boundary=_strip(lng)
        )
    return live_city


def identified(page, selector):
    """{grid name: how it is shown} for every grid label of the map, after checking that
    each visible label lies inside its own grid's polygon and overlaps no other label."""
    shown = page.evaluate(
        """sel => {
          const map = document.querySelector(sel);
          return [...map.querySelectorAll('.grid-label')].map(n => {
            const r = n.getBoundingClientRect();
            return {text: n.textContent, key: n.dataset.key ?? null,
                    visible: getComputedStyle(n).visibility === 'visible' && r.width > 0,
                    box: [r.left, r.top, r.right, r.bottom]};
          });
        }""",
        selector,
    )
    boxes = page.evaluate(
        """sel => [...document.querySelectorAll(sel + ' .leaflet-overlay-pane path')]
             .map(p => { const r = p.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""",
        selector,
    )
    visible = [label for label in shown if label["visible"]]
    for label in visible:
        left, top, right, bottom = label["box"]
        assert any(
            left >= b[0] - 0.5
            and right <= b[2] + 0.5
            and top >= b[1] - 0.5
            and bottom <= b[3] + 0.5
            for b in boxes
        ), f"{label['text']} is not inside a grid: {label['box']}"
    for i, a in enumerate(visible):
        for b in visible[i + 1 :]:
            apart = (
                a["box"][2] <= b["box"][0]
                or b["box"][2] <= a["box"][0]
                or a["box"][3] <= b["box"][1]
                or b["box"][3] <= a["box"][1]
            )
            assert apart, f"{a['text']} overlaps {b['text']}"
    key = {}
    for entry in page.locator(selector + " ~ .grid-key .grid-key-entry").all():
        mark = entry.get_attribute("data-key")
        key[mark] = entry.inner_text().removeprefix(mark).strip()
    names = {}
    for label in visible:
        if label["key"]:
            names[key[label["key"]]] = "letter " + label["key"]
        else:
            names[label["text"]] = "name"
    return names


def test_every_grid_is_named_on_both_maps_at_390_px(page, login, narrow_grids, artifacts):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "community")
    everything = {"幸福一网格", "幸福二网格", *NARROW}

    page.goto(page.base_url + "/places/")
    expect(page.locator("#place-map")).to_have_attribute("data-state", "ready")
    page.locator(".place-map").screenshot(path=artifacts / "grid-labels-places-390.png")
    names = identified(page, "#place-map")
    assert set(names) == everything, names

    # A letter's key entry selects the grid as a tap on it does.
    lettered = [name for name, how in names.items() if how.startswith("letter")]
    if lettered:
        page.locator(".grid-key-entry", has_text=lettered[0]).click()
        expect(page.locator("#place-detail h2")).to_contain_text(lettered[0])

    page.goto(page.base_url + "/tickets/map/")
    expect(page.locator("#ticket-map")).to_have_attribute("data-state", "ready")
    page.locator("#ticket-map").screenshot(path=artifacts / "grid-labels-tickets-390.png")
    assert set(identified(page, "#ticket-map")) == everything


MARKUP = '<img src="x" onerror="window.__labelScript = 1">网格'


def test_a_grid_name_is_shown_as_text_never_run_as_markup(page, login, live_city):
    """Place names come from imported sheets; Leaflet parses a string tooltip as HTML, so
    a name with markup in it ran its script on every map that labelled it."""
    Place.objects.create(
        code="GX", name=MARKUP, level=Level.GRID, parent=live_city.c1, boundary=_strip(112.975)
    )
    login(page, "community")
    for url, selector in (("/places/", "#place-map"), ("/tickets/map/", "#ticket-map")):
        page.goto(page.base_url + url)
        expect(page.locator(selector)).to_have_attribute("data-state", "ready")
        labels = page.locator(selector + " .grid-label").all_text_contents()
        assert MARKUP in labels, labels
        assert page.evaluate("window.__labelScript") is None, url
        assert page.locator(selector + " .grid-label img").count() == 0, url


def test_every_grid_is_named_on_the_hot_issue_map_at_390_px(page, login, narrow_grids, artifacts):
    """The hot-issue map drew each grid's name at its centre whatever its width: at a
    phone's width they ran into each other, and grids beyond the issues' circles were cut
    off at the map's edge."""
    import datetime as dt

    from django.utils import timezone

    from gridgov.insights.models import HotIssue

    g1 = narrow_grids.g1
    ring = g1.boundary["coordinates"][0]
    g1.lng = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
    g1.lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    g1.save()
    now = timezone.now()
    HotIssue.objects.create(
        key="t-map-labels",
        title="楼道堆物",
        place=g1,
        place_label=g1.name,
        first_at=now - dt.timedelta(days=3),
        last_at=now,
        ticket_count=3,
        requester_count=3,
        heat=9.0,
        refreshed_at=now,
    )
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "community")
    page.goto(page.base_url + "/insights/hot/?state=all")
    page.wait_for_selector("#hot-map .grid-label")
    page.wait_for_timeout(300)  # the fitted zoom's labels
    page.locator("#hot-map").screenshot(path=artifacts / "grid-labels-hot-390.png")
    assert set(identified(page, "#hot-map")) == {"幸福一网格", "幸福二网格", *NARROW}
    # A lettered grid's key entry brings it into view, its name written at that zoom.
    lettered = page.locator("#hot-map ~ .grid-key .grid-key-entry").first
    name = lettered.inner_text().split(" ", 1)[-1].strip()
    lettered.click()
    page.wait_for_timeout(500)
    label = page.locator("#hot-map .grid-label", has_text=name)
    expect(label).to_have_text(name)
    expect(label).to_be_in_viewport()
