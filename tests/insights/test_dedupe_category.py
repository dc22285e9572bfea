"""A second caller about the same matter at the same building words it differently: the
same specific category there makes it a likely duplicate (constructed cases)."""

import pytest

from gridgov.insights import dedupe, services
from gridgov.tickets import intake
from tests.tickets.factories import make_world, ticket_data

pytestmark = pytest.mark.django_db

FIRST = "3号楼2单元楼道里堆满了纸箱和旧家具，挡住了通道。"
REWORDED = "楼梯间被人放了好多杂物，走路都困难，麻烦网格员来看看。"


@pytest.fixture
def world():
    return make_world()


def _first(world):
    data = ticket_data(title="楼道堆物", description=FIRST, category=world.corridor.code)
    return intake.create_ticket(data, actor=world.hotline).ticket


def test_reworded_but_same_building_and_specific_category_is_a_duplicate(world):
    first = _first(world)
    building = world.buildings[0]
    text = f"杂物 {REWORDED}"
    # The texts alone share too little to be matched…
    alone = dedupe.find_duplicates(text, place=building)
    assert first.pk not in [c.ticket_id for c in alone]
    # …the same 楼道堆物 at the same building is.
    found = dedupe.find_duplicates(text, place=building, category=world.corridor)
    [match] = [c for c in found if c.ticket_id == first.pk]
    assert match.reasons[-2:] == ["building", "category"]
    # The panel beside the intake form says so, in Chinese.
    shown = services.visible_duplicates(
        world.hotline, text, place=building, category=world.corridor
    )
    assert [t.pk for _c, t in shown] == [first.pk]


def test_a_first_level_category_or_another_place_adds_nothing(world):
    first = _first(world)
    text = f"杂物 {REWORDED}"
    broad = world.corridor.parent  # 网格事件: too broad to say it is the same matter
    assert first.pk not in [
        c.ticket_id for c in dedupe.find_duplicates(text, place=world.buildings[0], category=broad)
    ]
    # Same category, no shared place: not a duplicate either.
    assert first.pk not in [
        c.ticket_id for c in dedupe.find_duplicates(text, place=None, category=world.corridor)
    ]


def test_intake_records_the_duplicate_of_a_reworded_report(world):
    first = _first(world)
    data = ticket_data(title="杂物", description=REWORDED, category=world.corridor.code)
    data["requester_phone"] = "13900009999"
    second = intake.create_ticket(data, actor=world.hotline).ticket
    duplicates = second.events.get(action="create").data["duplicates"]
    assert [d["code"] for d in duplicates] == [first.code]
    assert "category" in duplicates[0]["reasons"]


def test_a_registered_resident_calling_is_recognised_by_the_phone_alone(world, client):
    """The walk's case: the resident's own 随手拍 named their person record; when they ring
    the hotline, the operator types only the phone."""
    from django.urls import reverse

    from tests.people.factories import PersonFactory

    person = PersonFactory(
        user=world.resident, place=world.buildings[0], name="蒋东洋", phone="13712345678"
    )
    data = {
        "channel": "photo",
        "nature": "report",
        "title": "楼道电动车充电",
        "description": "1栋楼道里有人给电动车充电。",
        "address": "魏家坡小区3栋",
        "category": world.corridor.code,
    }
    own = intake.create_ticket(data, actor=world.resident).ticket
    assert own.requester == person
    client.force_login(world.hotline)
    html = client.get(
        reverse("insights:intake-duplicates"), {"requester_phone": "137 1234 5678"}
    ).content.decode()
    assert own.code in html and "同一来电人" in html
