"""Fixes from a walk of the demo as its users would, in Chromium: a 随手拍 sent without a
place lost its photo on the way back (the page cannot fill a file input in again)."""

import pytest
from playwright.sync_api import expect

from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.models import Ticket

from .session import signed_in
from .test_tickets import on_a_phone, png_bytes

pytestmark = pytest.mark.browser


def test_a_photo_report_without_a_place_is_stopped_before_its_photo_is_lost(
    chromium, live_server, live_city, artifacts
):
    load_taxonomy()
    base = live_server.url
    context, page, errors = on_a_phone(chromium, base, live_city, "gridworker")
    posts = []
    page.on(
        "request", lambda r: r.method == "POST" and "/tickets/report/" in r.url and posts.append(r)
    )
    page.goto(base + "/tickets/report/")
    page.set_input_files(
        "#id_photos",
        files=[{"name": "manhole.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    page.fill("#id_description", "2栋门口井盖破损，有行人踩空风险")
    page.click("#submit-report")
    # Said on the page, nothing sent, and the photo still chosen.
    expect(page.locator("#location-missing")).to_have_text("请共享位置，或填写问题所在的地址。")
    expect(page.locator("#id_address")).to_be_focused()
    assert not posts and not Ticket.objects.exists()
    assert page.evaluate("document.getElementById('id_photos').files.length") == 1
    expect(page.locator("#submit-report")).to_be_enabled()
    page.screenshot(path=artifacts / "report-no-place-phone-zh.png", full_page=True)

    page.fill("#id_address", "幸福路1号")
    page.click("#submit-report")
    expect(page.locator("#new-code")).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.photos.count() == 1 and ticket.building == live_city.b1
    assert not errors
    context.close()


@pytest.mark.django_db(transaction=True)
def test_the_hot_issue_trend_lines_are_named_by_their_issues(chromium, live_server, artifacts):
    """The list's trend chart named its lines "#12", "#13": nothing on the page says which
    issue that is. They are named by title, in a legend, and drawn straight."""
    import datetime as dt

    from django.utils import timezone

    from gridgov.insights.models import HotIssue
    from tests.tickets.factories import make_world

    world = make_world()
    now = timezone.now()
    titles = ["投诉小区附近搅拌站噪音扰民", "魏家坡小区楼下烧烤油烟扰民"]
    for n, title in enumerate(titles):
        day = (now - dt.timedelta(days=3 + n)).date()
        HotIssue.objects.create(
            key=f"t-trend-{n}",
            title=title,
            place=world.grid_a,
            place_label=world.grid_a.name,
            first_at=now - dt.timedelta(days=3 + n),
            last_at=now,
            ticket_count=3,
            requester_count=3,
            heat=9.0 - n,
            trend=[[day.isoformat(), 2], [(day + dt.timedelta(days=2)).isoformat(), 1]],
            refreshed_at=now,
        )
    with signed_in(chromium, live_server.url, world.community_staff.username) as (page, _errors):
        page.goto(live_server.url + "/insights/hot/?state=all")
        page.wait_for_function(
            "() => window.echarts && echarts.getInstanceByDom(document.getElementById('hot-trend'))"
        )
        option = page.evaluate(
            """() => {
              const o = echarts.getInstanceByDom(document.getElementById('hot-trend')).getOption();
              return {names: o.series.map((s) => s.name), smooth: o.series.map((s) => s.smooth),
                      legend: (o.legend || []).length, day: o.xAxis[0].minInterval};
            }"""
        )
        page.screenshot(path=artifacts / "insights-hot-trend-legend.png", full_page=True)
    assert sorted(option["names"]) == sorted(titles)
    assert option["legend"] == 1 and not any(option["smooth"])
    assert option["day"] == 24 * 3600 * 1000  # no hours between the days


def test_the_maps_zoom_buttons_speak_chinese(page, live_city, login):
    """Leaflet titled its zoom buttons "Zoom in" / "Zoom out" on every Chinese map."""
    page.goto(page.base_url + "/places/")
    expect(page.locator(".leaflet-control-zoom-in")).to_have_attribute("title", "放大")
    expect(page.locator(".leaflet-control-zoom-out")).to_have_attribute("title", "缩小")
    login(page, "community")
    for url in ("/tickets/map/", "/insights/hot/"):
        page.goto(page.base_url + url)
        expect(page.locator(".leaflet-control-zoom-in")).to_have_attribute("title", "放大")


def test_the_home_pages_kpi_headers_keep_their_words_on_a_phone(
    chromium, live_server, live_city, artifacts
):
    """On a grid worker's phone the KPI table of the home page stacked its headers one
    character a line (响/应/率, 综/合/得/分)."""
    from gridgov.tickets import intake

    # The table lists the units given tickets this month: the grid gets one.
    load_taxonomy()  # flushed with the transactional tests' data
    data = {"channel": "hotline", "nature": "complaint", "title": "楼道堆满杂物"}
    data.update(description="幸福里1栋楼道里堆满了纸箱。", address="幸福路1号")
    data["requester_phone"] = "13812341234"
    intake.create_ticket(data, actor=live_city.community_staff)
    context, page, errors = on_a_phone(chromium, live_server.url, live_city, "gridworker")
    expect(page.locator(".dash-kpis")).to_be_visible()
    lines = page.evaluate(
        """() => Array.from(document.querySelectorAll('.dash-kpis thead th')).map((th) => {
              const range = document.createRange();
              range.selectNodeContents(th);
              const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
              return [th.textContent.trim(), tops.size];
           })"""
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=artifacts / "home-kpis-phone-zh.png", full_page=True)
    context.close()
    assert all(n == 1 for _text, n in lines), lines
    assert width <= 390  # the table scrolls inside its frame, not the page
    assert not errors


@pytest.mark.django_db(transaction=True)
def test_the_hot_issue_map_draws_the_grids_around_its_circles(chromium, live_server, artifacts):
    """The hot-issue map drew its circles on a blank background (no tiles): nothing told a
    street office where they were. The grids of the issues' communities are drawn, named."""
    import datetime as dt

    from django.utils import timezone

    from gridgov.insights.models import HotIssue
    from tests.tickets.factories import make_world

    world = make_world()
    now = timezone.now()
    # Located at its grid's centre, as the demo's issues are.
    grid = world.grid_a
    ring = grid.boundary["coordinates"][0][:-1]
    grid.lng = sum(x for x, _y in ring) / len(ring)
    grid.lat = sum(y for _x, y in ring) / len(ring)
    grid.save(update_fields=["lat", "lng"])
    HotIssue.objects.create(
        key="t-map",
        title="楼下烧烤油烟扰民",
        place=grid,
        place_label=grid.name,
        first_at=now - dt.timedelta(days=3),
        last_at=now,
        ticket_count=3,
        requester_count=3,
        heat=9.0,
        trend=[[(now - dt.timedelta(days=3)).date().isoformat(), 3]],
        refreshed_at=now,
    )
    with signed_in(chromium, live_server.url, world.community_staff.username) as (page, errors):
        page.goto(live_server.url + "/insights/hot/")
        labels = page.locator("#hot-map .hot-grid-label")
        expect(labels).to_have_count(2)
        names = sorted(labels.all_inner_texts())
        paths = page.locator("#hot-map .leaflet-overlay-pane path").count()
        circle = page.locator("#hot-map path.leaflet-interactive").bounding_box()
        label = page.locator("#hot-map .hot-grid-label", has_text=world.grid_a.name)
        label = label.bounding_box()
        page.screenshot(path=artifacts / "insights-hot-map-grids.png", full_page=True)
    assert names == sorted([world.grid_a.name, world.grid_b.name])
    assert paths == 3  # two grids and the issue's circle
    # The name is below the circle, not under it (the circle sits at the grid's centre).
    assert (
        label["y"] >= circle["y"] + circle["height"] - 1
        or label["x"] >= circle["x"] + circle["width"]
    ), (label, circle)
    assert not errors


@pytest.mark.django_db(transaction=True)
def test_merging_by_code_asks_first(chromium, live_server, artifacts):
    """合并重复工单 by a typed code merged at once: a slip of a digit closed the ticket into an
    unrelated one, with no way back on the page (the duplicates panel asked first)."""
    from gridgov.tickets.models import Status
    from tests.tickets.factories import make_ticket, make_world

    world = make_world()
    ticket, other = make_ticket(world), make_ticket(world, title="另一件事")
    asked = []
    with signed_in(chromium, live_server.url, "hotline") as (page, _errors):
        page.goto(f"{live_server.url}/tickets/{ticket.code}/")
        page.locator("details:has(#action-merge) > summary").click()
        page.fill("#id_merge-into", other.code)
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        page.locator("#action-merge button[type=submit]").click()
        page.wait_for_timeout(500)
        ticket.refresh_from_db()
        assert ticket.status != Status.MERGED  # said no: nothing happened
        page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
        page.locator("#action-merge button[type=submit]").click()
        expect(page.locator("#ticket")).to_have_attribute("data-status", "merged")
    assert len(asked) == 2 and "确定将本工单合并到所填工单吗" in asked[0]


@pytest.mark.django_db(transaction=True)
def test_the_settings_tables_scroll_inside_their_panels_on_a_phone(
    chromium, live_server, artifacts, tmp_path
):
    """On a 390-px phone the patrol plan, the time limits and the classifier page pushed the
    whole page sideways (their tables were wider than the screen)."""
    from gridgov.insights.models import ModelActivation, ModelVersion
    from gridgov.tickets import patrols
    from tests.tickets.factories import make_world

    world = make_world()
    user = world.street_staff
    patrols.create_task(
        user, world.grid_a, "魏家坡小区消防安全专项巡查", ["消火栓与灭火器", "疏散通道"], 7
    )
    labels = ["劳动和社会保障", "城乡建设", "交通运输", "网格事件"]
    version = ModelVersion.objects.create(
        version=1,
        path=str(tmp_path),
        fingerprint="cd1f535b97950d",
        examples=9586,
        active=True,
        metrics={
            "accuracy": 0.9082,
            "macro_f1": 0.8296,
            "n": 9586,
            "per_class": {
                label: {"precision": 0.9245, "recall": 0.9321, "f1": 0.9283, "support": 2048}
                for label in labels
            },
        },
    )
    ModelActivation.objects.create(version=version, version_number=1, how="first")
    widths = {}
    with signed_in(chromium, live_server.url, user.username, phone=True) as (page, _errors):
        for url in ("/tickets/patrols/plan/", "/tickets/time-limits/", "/insights/classifier/"):
            page.goto(live_server.url + url)
            expect(page.locator("table").first).to_be_visible()
            widths[url] = page.evaluate("document.documentElement.scrollWidth")
            if url == "/tickets/patrols/plan/":
                # A grid's name and the last walk's time on one line (魏家坡小/区 broke).
                lines = page.evaluate(
                    """() => Array.from(document.querySelectorAll(
                          '#patrol-tasks tbody td:first-child, #patrol-tasks tbody td:nth-child(5)'
                        )).map((td) => {
                          const range = document.createRange();
                          range.selectNodeContents(td);
                          return new Set(Array.from(range.getClientRects())
                            .map((r) => Math.round(r.top))).size;
                        })"""
                )
            name = url.strip("/").replace("/", "-")
            page.screenshot(path=artifacts / f"{name}-390.png", full_page=True)
    assert all(width <= 390 for width in widths.values()), widths
    assert lines and all(n == 1 for n in lines), lines


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_each_navigation_is_one_row_with_the_current_page_in_view(
    chromium, live_server, artifacts
):
    """On a 390-px phone the site's and the workbench's navigation wrapped into five or six
    rows, a ticket's title starting two thirds down the first screen."""
    from tests.tickets.factories import make_world

    world = make_world()
    user = world.gridworker_a
    with signed_in(chromium, live_server.url, user.username, phone=True) as (page, _errors):
        page.goto(live_server.url + "/tickets/kpis/")  # the workbench row's last link
        expect(page.locator(".wb-nav a[aria-current=page]")).to_be_visible()
        navs = page.evaluate(
            """() => Array.from(document.querySelectorAll('.site-nav, .wb-nav')).map((nav) => {
                  const box = nav.getBoundingClientRect();
                  const links = Array.from(nav.querySelectorAll('a'));
                  const current = nav.querySelector('[aria-current="page"]');
                  const at = current && current.getBoundingClientRect();
                  return {
                    rows: new Set(links.map((a) => Math.round(a.getBoundingClientRect().top))).size,
                    height: box.height,
                    currentInView: !current || (at.left >= box.left - 1 && at.right <= box.right + 1),
                  };
                })"""
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=artifacts / "phone-nav-kpis-390.png")
    assert navs and all(nav["rows"] == 1 for nav in navs), navs
    assert all(nav["currentInView"] for nav in navs), navs
    assert width <= 390
