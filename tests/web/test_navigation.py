"""The site header and home page per role: who is offered the API docs, which menu item is
lit on the field pages, the resident's home title, and the resident's pages (overdue mark,
the rating form left to the server's Chinese messages)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from gridgov.tickets import patrols
from gridgov.tickets.models import Ticket
from tests.people.factories import PersonFactory
from tests.tickets.factories import add_households, make_ticket, make_world, reported_by_resident

pytestmark = pytest.mark.django_db

API_DOCS = 'href="/api/docs/"'


@pytest.fixture
def world():
    w = add_households(make_world())
    w.person = PersonFactory(user=w.resident, place=w.buildings[0], name="刘居民")
    return w


def html_of(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def main_nav(html):
    return html.split('class="site-nav"')[1].split("</nav>")[0]


def current_links(html):
    """The hrefs of the main menu's links marked as the current page."""
    return re.findall(r'<a href="([^"]+)" aria-current="page"', main_nav(html))


def test_api_docs_are_offered_to_those_who_connect_systems_only(client, world):
    # A grid worker's 快捷入口 offered 接口文档, of no use to them; nor to an operator.
    for user in (
        world.resident,
        world.city_handler,
        world.gridworker_a,
        world.hotline,
        world.community_staff,
    ):
        html = html_of(client, user, "/")
        assert API_DOCS not in main_nav(html), user.username
        assert API_DOCS not in html, user.username  # nor among the quick links
    for user in (world.street_staff, world.district_staff):
        html = html_of(client, user, "/")
        assert API_DOCS in main_nav(html), user.username
        assert html.count(API_DOCS) == 2, user.username  # the menu and the quick links
    client.logout()
    landing = client.get("/").content.decode()
    assert API_DOCS not in main_nav(landing)
    assert API_DOCS in landing  # the landing page still points integrators to it


def test_the_field_pages_light_up_patrols_and_visits_not_tickets(client, world):
    patrols.create_task(world.community_staff, world.grid_a, "日常巡查", ["消防通道"], 1)
    patrols_url, visits_url = reverse("tickets:patrols"), reverse("tickets:visits")
    for url in (patrols_url, visits_url):
        html = html_of(client, world.gridworker_a, url)
        assert current_links(html) == [patrols_url], url
    assert current_links(html_of(client, world.gridworker_a, reverse("tickets:queue"))) == [
        reverse("tickets:queue")
    ]
    assert current_links(html_of(client, world.gridworker_a, reverse("tickets:map"))) == [
        reverse("tickets:map")
    ]
    # The photo report is under 工单 for staff, and an item of its own for residents.
    report = reverse("tickets:report")
    assert current_links(html_of(client, world.gridworker_a, report)) == [reverse("tickets:queue")]
    assert current_links(html_of(client, world.resident, report)) == [report]
    assert current_links(html_of(client, world.resident, "/")) == ["/"]


def test_the_header_shows_who_is_signed_in(client, world):
    html = html_of(client, world.gridworker_a, "/")
    assert re.search(r'<div class="site-user">\s*<a class="user-name" href="/password/"', html)


def test_the_resident_home_is_about_their_demands_and_staff_keep_the_workbench(client, world):
    html = html_of(client, world.resident, "/")
    assert "<h1>我的诉求与服务</h1>" in html and "我的工作台" not in html
    for user in (world.gridworker_a, world.city_handler):
        assert "<h1>我的工作台</h1>" in html_of(client, user, "/")


def test_an_overdue_demand_is_marked_for_the_resident(client, world):
    late = reported_by_resident(world)
    Ticket.objects.filter(pk=late.pk).update(resolve_by=late.created_at - dt.timedelta(days=11))
    on_time = reported_by_resident(world)
    html = html_of(client, world.resident, reverse("tickets:mine"))
    assert re.search(rf'mine-card is-overdue" data-code="{late.code}"', html)
    assert f'mine-card" data-code="{on_time.code}"' in html
    assert html.count("overdue-flag") == 1

    html = html_of(client, world.resident, reverse("tickets:mine-detail", args=[late.code]))
    assert "due--over" in html and 'id="mine-overdue-note"' in html
    assert "工单号：<strong" in html
    html = html_of(client, world.resident, reverse("tickets:mine-detail", args=[on_time.code]))
    assert "due--over" not in html and 'id="mine-overdue-note"' not in html


def test_field_pages_use_chinese_colons(client, world):
    task = patrols.create_task(world.community_staff, world.grid_a, "日常巡查", ["消防通道"], 1)
    url = reverse("tickets:patrol-walk", args=[task.pk])
    client.force_login(world.gridworker_a)
    client.post(
        url,
        {
            "item_0": "issue",
            "hazard_open": "on",
            "hazard": "3栋东侧消防通道堆放建材，挡住通道。",
            "hazard_category": world.fire_lane.code,
        },
    )
    html = html_of(client, world.gridworker_a, reverse("tickets:patrols"))
    assert "已上报隐患：<a" in html and "已上报隐患:" not in html


def test_the_import_page_is_wide_with_a_styled_file_picker(client, world):
    html = html_of(client, world.street_staff, reverse("tickets:import"))
    assert '<main id="main" class="page page--wide">' in html
    assert 'class="file-drop"' in html and "选择导出文件" in html and "未选择文件" in html


def test_desks_are_not_offered_the_residents_report_and_demands(client, world):
    """The hotline files demands for callers: those are not "my demands", and a desk has
    no 随手拍; the grid worker out in the grid keeps 随手拍, the resident both."""
    make_ticket(world, actor=world.hotline)  # filed by the hotline for a caller
    report, mine = reverse("tickets:report"), reverse("tickets:mine")
    for user in (world.hotline, world.city_handler):
        panel = html_of(client, user, "/").split('class="panel dash-tickets"')[1]
        panel = panel.split("</section>")[0]
        assert f'href="{report}"' not in panel and f'href="{mine}"' not in panel, user
        assert "我的诉求" not in panel, user
        subnav = html_of(client, user, reverse("tickets:queue")).split('class="wb-nav"')[1]
        assert f'href="{report}"' not in subnav.split("</nav>")[0], user
    field = html_of(client, world.gridworker_a, "/").split('class="panel dash-tickets"')[1]
    assert f'href="{report}"' in field.split("</section>")[0]
    home = html_of(client, world.resident, "/").split('class="panel dash-tickets"')[1]
    assert f'href="{report}"' in home and f'href="{mine}"' in home
