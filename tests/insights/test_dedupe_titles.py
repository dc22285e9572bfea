"""Beside the intake form a title is typed before anything else: the open tickets with a
near-identical title are listed before any address, marked 地点未知 (place unknown)."""

import pytest
from django.apps import apps
from django.urls import reverse

from gridgov.insights import dedupe, services
from gridgov.insights.models import SignatureBand
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

TITLE = "丽发新城小区附近搅拌站噪音扰民"
BODY = (
    "丽发新城小区旁边新建了一个搅拌站，每天从早上六点开到晚上十一点，"
    "机器轰鸣，灰尘很大，窗户都不敢开，孩子晚上睡不着觉，请有关部门查一查有没有审批。"
)


@pytest.fixture
def world():
    return make_world()


def test_a_title_typed_alone_finds_the_open_ticket_with_that_title(client, world):
    plant = make_ticket(world, title=TITLE, description=BODY, address="")
    # Against the title and description the title alone shares too few bigrams: it was
    # not found at all, and with no address no place brought it in either.
    assert (
        dedupe.similarity(dedupe.signature(TITLE), dedupe.signature(dedupe.ticket_text(plant)))
        < 0.45
    )
    assert dedupe.find_duplicates(TITLE) == []
    client.force_login(world.hotline)
    url = reverse("insights:intake-duplicates")
    html = client.get(url, {"title": TITLE, "address": ""}).content.decode()
    assert plant.code in html and "标题相同" in html and "地点未知" in html
    # A near-identical title too (one word added), and with a description typed after it.
    near = "投诉丽发新城小区附近搅拌站噪音扰民"
    typed = {"title": near, "description": "搅拌站太吵了，晚上睡不着。"}
    [(match, ticket)] = services.visible_duplicates(world.hotline, near, title=near)
    assert ticket == plant and match.reasons == ["title"] and match.place_unknown
    html = client.get(url, typed).content.decode()
    assert plant.code in html and "地点未知" in html


def test_a_title_match_needs_the_place_to_agree_once_it_is_known(world):
    plant = make_ticket(world, title=TITLE, description=BODY, address="魏家坡小区3栋")
    same_grid = world.buildings[1]
    other_grid = world.buildings[2]
    assert same_grid.parent_id == plant.grid_id != other_grid.parent_id

    def found(place):
        pairs = services.visible_duplicates(world.hotline, TITLE, place=place, title=TITLE)
        return {d.code: (d.reasons, d.place_unknown) for d, _t in pairs}

    assert found(same_grid) == {plant.code: (["title", "grid"], False)}
    assert found(other_grid) == {}  # the same words about another grid: another matter


def test_short_titles_name_a_kind_of_matter_and_are_not_compared(world):
    make_ticket(world, title="噪音扰民", description=BODY, address="")
    assert dedupe.title_band_keys("噪音扰民") == []
    assert services.visible_duplicates(world.hotline, "噪音扰民", title="噪音扰民") == []


def test_filing_keeps_to_the_texts(world):
    """The create event's duplicates (merge suggestions) compare texts, not titles."""
    plant = make_ticket(world, title=TITLE, description=BODY, address="")
    filed = make_ticket(
        world, title=TITLE, description="幼儿园收费太高，请教育部门管一管。", address=""
    )
    dupes = filed.events.get(action="create").data.get("duplicates") or []
    assert plant.code not in [d["code"] for d in dupes]


def test_open_tickets_indexed_before_get_their_title_bands(world):
    from importlib import import_module

    plant = make_ticket(world, title=TITLE, description=BODY, address="")
    bands = SignatureBand.objects.filter(signature__ticket=plant)
    assert bands.count() == dedupe.BANDS + dedupe.TITLE_BANDS
    title_keys = set(dedupe.title_band_keys(TITLE))
    bands.filter(key__in=title_keys).delete()  # as indexed before titles had bands
    assert services.visible_duplicates(world.hotline, TITLE, title=TITLE) == []
    migration = import_module("gridgov.insights.migrations.0005_title_bands")
    migration.add_title_bands(apps, None)
    migration.add_title_bands(apps, None)  # a second run adds nothing
    assert bands.count() == dedupe.BANDS + dedupe.TITLE_BANDS
    assert [t for _d, t in services.visible_duplicates(world.hotline, TITLE, title=TITLE)] == [
        plant
    ]
