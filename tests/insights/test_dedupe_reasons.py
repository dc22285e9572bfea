"""Every suggested duplicate says why: a match on the text alone between the threshold
(0.45) and 0.5 used to be listed with no reason."""

import pytest

from gridgov.insights import dedupe, services
from gridgov.tickets import intake
from tests.tickets.factories import make_world, ticket_data

pytestmark = pytest.mark.django_db

FIRST = "3号楼2单元楼道里堆满了纸箱和旧家具，挡住了通道。"
# Estimated Jaccard with the first ticket's text 0.469; one LSH band in common.
AGAIN = "3号楼2单元楼道里堆满了纸箱和旧家具，消防通道被堵了，请尽快来处理。"


@pytest.fixture
def world():
    return make_world()


def test_a_match_on_the_text_alone_below_one_half_gives_the_text_as_its_reason(world):
    first = intake.create_ticket(
        ticket_data(title="楼道堆物", description=FIRST, category=world.corridor.code),
        actor=world.hotline,
    ).ticket
    [match] = [c for c in dedupe.find_duplicates(AGAIN) if c.ticket_id == first.pk]
    assert dedupe.min_score() <= match.text < 0.5
    assert match.reasons == ["text"]
    [(shown, ticket)] = services.visible_duplicates(world.hotline, AGAIN)
    assert ticket == first and shown.reasons == ["text"]


def test_below_one_half_the_text_is_not_named_beside_a_place_that_carries_the_match(world):
    """At the same building a text below the threshold adds to the score but is not called
    similar: the place (and category) carry the match."""
    first = intake.create_ticket(
        ticket_data(title="楼道堆物", description=FIRST, category=world.corridor.code),
        actor=world.hotline,
    ).ticket
    found = dedupe.find_duplicates(AGAIN, place=first.place)
    [match] = [c for c in found if c.ticket_id == first.pk]
    assert match.reasons == ["text", "building"]  # 0.469 reaches the threshold alone
    other = "楼道里有人放了自行车，走路不方便。"
    found = dedupe.find_duplicates(other, place=first.place, category=world.corridor)
    [match] = [c for c in found if c.ticket_id == first.pk]
    assert 0 < match.text < dedupe.min_score()
    assert match.reasons == ["building", "category"]
