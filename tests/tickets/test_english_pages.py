"""The English UI of the tickets app's pages: in English no Chinese may be left but the
data. The world's data (places, units, categories, tickets) is renamed in ASCII here, so any
CJK character left in a page is UI text that was not translated (tests/web's
test_english_pages does the same for the other apps' pages)."""

import datetime as dt

import pytest
from django.db.models import F
from django.utils import timezone

from gridgov.core import versions
from gridgov.people.models import Department
from gridgov.places.models import Place
from gridgov.tickets import lifecycle, patrols
from gridgov.tickets.import_views import TEMPLATE_COLUMNS
from gridgov.tickets.models import Category, KnowledgeAnswer, Ticket, TicketEvent
from tests.web.test_english_pages import CJK

from .factories import add_households, make_ticket, make_world

pytestmark = pytest.mark.django_db

# The language switcher names Chinese in Chinese; the brand's mark is the glyph 格; the
# options of a list of places or categories are indented with ideographic spaces.
ALLOWED = {"简体中文", "格", "\u3000", "\u3000\u3000"}
# The import page names the column headers of the 12345 hotline's sheets: a data format.
IMPORT_HEADERS = set(TEMPLATE_COLUMNS)


def leaks(html, url=""):
    allowed = ALLOWED | (IMPORT_HEADERS if url == "/tickets/import/" else set())
    return sorted({m.group() for m in CJK.finditer(html)} - allowed)


@pytest.fixture
def world():
    w = add_households(make_world())
    w.wang.name = "Old Wang"
    w.wang.save()
    w.ticket = make_ticket(w)
    t = w.ticket
    lifecycle.perform(t, "accept", w.gridworker_a, note="on my way")
    t.refresh_from_db()
    lifecycle.perform(t, "contact", w.gridworker_a, note="called back")
    lifecycle.perform(
        t,
        "extend",
        w.gridworker_a,
        until=timezone.localtime(t.resolve_by + dt.timedelta(days=5)).isoformat(),
        reason="waiting for the owner",
    )
    lifecycle.perform(t, "approve-extension", w.community_staff, approve=True, reason="fine")
    lifecycle.perform(t, "supervise", w.street_staff, reason="hurry up")
    lifecycle.perform(t, "resolve", w.gridworker_a, reply="cleared the corridor")
    w.open_ticket = make_ticket(w)
    w.task = patrols.create_task(w.community_staff, w.grid_a, "Daily round", ["Fire lane"], 1)
    KnowledgeAnswer.objects.create(
        question="How to get a residence permit?",
        answer="At the service centre.",
        keywords=["x"],
        reviewed_at=timezone.now(),
    )
    # The data in ASCII: what is left in Chinese is UI text.
    Place.objects.update(name=F("code"), aliases=[], address="")
    Department.objects.update(name=F("code"))
    Category.objects.update(name=F("code"), keywords=[])
    ascii_text = dict(
        title="Boxes in the stairwell",
        description="Boxes block the stairs of building 3.",
        address="3 Elm Road",
        requester_name="Ann Smith",
    )
    Ticket.objects.update(**ascii_text)
    for event in TicketEvent.objects.filter(data__has_key="unit"):
        event.data["unit"] = "Oak Grid"  # the unit's name as written when it was sent
        event.save(update_fields=["data"])
    versions.bump("places", "departments", "categories", "routing")
    return w


def pages(w):
    code, other = w.ticket.code, w.open_ticket.code
    return {
        "admin": [],
        "hotline": [
            "/tickets/",
            "/tickets/?tab=all",
            "/tickets/all/",
            "/tickets/new/hotline/",
            "/tickets/new/window/",
            f"/tickets/{code}/",
        ],
        "gridworker_a": [
            "/tickets/",
            f"/tickets/{code}/",
            f"/tickets/{other}/",
            "/tickets/map/",
            "/tickets/patrols/",
            f"/tickets/patrols/{w.task.pk}/",
            "/tickets/visits/",
            f"/tickets/visits/{w.home_a.pk}/",
            "/",
        ],
        "street_staff": [
            "/tickets/",
            "/tickets/all/",
            f"/tickets/{code}/",
            f"/tickets/{other}/",
            "/tickets/map/",
            "/tickets/kpis/",
            "/tickets/kpis/weights/",
            "/tickets/routing/",
            "/tickets/time-limits/",
            "/tickets/knowledge/",
            "/tickets/import/",
            "/tickets/patrols/plan/",
            "/",
        ],
        "district_staff": [
            "/tickets/kpis/",
            "/tickets/kpis/weights/",
            "/tickets/routing/",
            "/tickets/time-limits/",
            "/tickets/import/",
            "/",
        ],
        "city_handler": ["/tickets/"],
    }


@pytest.mark.parametrize(
    "who", ["hotline", "gridworker_a", "street_staff", "district_staff", "city_handler"]
)
def test_no_chinese_ui_text_is_left_on_english_pages(client, world, who):
    client.force_login(getattr(world, who))
    client.cookies["django_language"] = "en"
    found = {}
    for url in pages(world)[who]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert '<html lang="en">' in html, url
        if leaks(html, url):
            found[url] = leaks(html, url)
    assert found == {}


def test_the_same_pages_stay_chinese_in_chinese(client, world):
    client.force_login(world.gridworker_a)
    home = client.get("/").content.decode()
    assert "接诉即办" in home and "网格巡查 · 入户走访" in home
    client.force_login(world.street_staff)
    assert "分类交办" in client.get("/tickets/routing/").content.decode()
    assert "S1（街镇）" in client.get("/tickets/all/").content.decode()
    weights = client.get("/tickets/kpis/weights/").content.decode()
    assert ">全市</a>" in weights
    detail = client.get(f"/tickets/{world.open_ticket.code}/").content.decode()
    assert "如：群众多次来电，请于周五前清理完毕并回复诉求人" in detail
    client.force_login(world.gridworker_a)
    detail = client.get(f"/tickets/{world.open_ticket.code}/").content.decode()
    assert ">属地不符</option>" in detail
    client.force_login(world.hotline)
    intake = client.get("/tickets/new/hotline/").content.decode()
    assert "一句话概括，如：楼道堆物堵塞" in intake


def test_lists_are_joined_in_the_pages_language(client, world):
    """The classifier's suggestions, duplicates, keywords and checklists are lists: 、 in
    Chinese, ", " in English."""
    task = patrols.create_task(world.community_staff, world.grid_a, "Round", ["Lane", "Door"], 1)
    client.force_login(world.community_staff)
    plan = client.get("/tickets/patrols/plan/").content.decode()
    assert f'data-task="{task.pk}"' in plan or "Lane" in plan
    assert "Lane、Door" in plan
    client.cookies["django_language"] = "en"
    assert "Lane, Door" in client.get("/tickets/patrols/plan/").content.decode()
