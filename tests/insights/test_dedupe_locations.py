"""Signatures and the same-requester rule on plain records; place mentions and lookup."""

import datetime as dt

import pytest

from gridgov.insights import dedupe, locations
from tests.places.factories import make_tree


def test_signatures_estimate_similarity():
    a = dedupe.signature("魏家坡小区3栋楼道堆满杂物，挡住了消防通道")
    b = dedupe.signature("魏家坡小区3栋楼道堆满杂物，挡住消防通道了")
    c = dedupe.signature("孩子上学难，学位分配不公平")
    assert dedupe.similarity(a, a) == 1.0
    assert dedupe.similarity(a, b) > 0.5
    assert dedupe.similarity(a, c) < 0.2
    assert dedupe.signature("") is None and dedupe.signature("!!") is None
    assert len(dedupe.band_keys(a)) == dedupe.BANDS
    assert dedupe.band_keys(a) == dedupe.band_keys(dedupe.unpack(dedupe.pack(a)))


def test_requester_keys_hide_the_phone():
    key = dedupe.requester_key(None, "138-1234-1234")
    assert key.startswith("t:") and "1234" not in key
    assert key == dedupe.requester_key(None, "13812341234")
    # The phone first (what an operator types), the person only without one.
    assert dedupe.requester_key(7, "13812341234") == key
    assert dedupe.requester_key(7, "") == "p:7"
    assert dedupe.requester_key(None, "") == ""


def test_same_requester_pairs_need_the_same_user_a_similar_text_and_the_window():
    t0 = dt.datetime(2019, 5, 1)
    records = [
        {"user": "u1", "time": t0, "text": "小区门口路灯坏了一个月，晚上很黑"},
        {
            "user": "u1",
            "time": t0 + dt.timedelta(days=3),
            "text": "小区门口路灯坏了一个多月，晚上很黑",
        },
        {"user": "u1", "time": t0 + dt.timedelta(days=5), "text": "孩子学校食堂饭菜太差"},
        {"user": "u2", "time": t0, "text": "小区门口路灯坏了一个月，晚上很黑"},
        {
            "user": "u1",
            "time": t0 + dt.timedelta(days=90),
            "text": "小区门口路灯坏了一个月，晚上很黑",
        },
    ]
    pairs = dedupe.same_requester_pairs(records, days=30, min_similarity=0.35)
    assert [(i, j) for i, j, _s in pairs] == [(0, 1)]


def test_mentions_find_places_by_their_suffix():
    found = locations.mentions("我是A市A3区魏家坡巷的业主，暮云街道丽发新城小区3栋旁边的搅拌站")
    texts = {(m.level, m.text) for m in found}
    assert ("district", "A3区") in texts
    assert ("compound", "丽发新城小区") in texts
    assert ("building", "3栋") in texts
    assert locations.place_label("A市伊景园滨河苑捆绑销售车位") == "伊景园滨河苑"
    assert locations.place_label("关于A6区月亮岛路沿线架设高压电线杆的投诉") == "月亮岛路"
    assert locations.place_label("孩子上学难") == ""
    # Names with 外/里/前 in them, phases, and descriptions that are not names.
    assert locations.place_label("A4区绿地海外滩小区距高铁太近") == "绿地海外滩小区"
    assert locations.place_label("咨询A市绿地海外滩二期与高铁问题") == "绿地海外滩二期"
    assert locations.place_label("垃圾站臭气引起周边小区居民不满") == ""
    # A verb before the name is not part of it; a railway line or a circuit is not a road.
    assert locations.place_label("咨询绿地海外滩二期与长赣高铁问题") == "绿地海外滩二期"
    assert locations.place_label("投诉丽发新城搅拌站") == "丽发新城"
    assert locations.labelled_place("规划的高铁线路离居民太近") == ("", "")
    assert locations.labelled_place("月亮岛路沿线架设电线杆") == ("月亮岛路", "road")


@pytest.mark.django_db
def test_locate_matches_the_place_tree():
    tree = make_tree()
    found = locations.locate("魏家坡小区5栋门口的路灯坏了")
    assert found.place == tree.buildings[1]
    assert locations.locate("幸福里小区的垃圾没人清运").place == tree.grids[1]
    assert locations.locate("魏家坡社区活动室没开门").place == tree.community
    assert locations.locate("学院路街道有人占道经营").place == tree.street
    assert locations.locate("没有地名的一段话").place is None
    assert locations.locate("").place is None


@pytest.mark.django_db
def test_locate_reads_a_compounds_short_name_only_where_it_names_the_compound():
    """The review's and the walk's case: 芙蓉中路 put a ticket in 芙蓉小区. Here the
    compound 魏家坡小区 has the alias 魏家坡."""
    tree = make_tree()
    assert locations.locate("魏家坡门口的垃圾没人清运").place == tree.grids[0]
    assert locations.locate("投诉魏家坡附近工地夜间施工").place == tree.grids[0]
    assert locations.locate("魏家坡中路红绿灯坏了").place is None
    assert locations.locate("魏家坡书店门口有人摆摊").place is None


@pytest.mark.django_db
def test_a_compound_name_two_streets_share_is_not_guessed():
    """The second place of the same name matched the same span and was dropped: the text
    went to whichever street the database listed first."""
    from tests.places.factories import make_tree
    from tests.tickets.factories import make_world

    world = make_world()
    make_tree(key="2", district=world.district, origin=(116.5, 39.9))
    found = locations.locate("魏家坡小区3栋楼道堆满杂物")
    assert len({path for path, level in found.found if level == "grid"}) == 2
    assert found.place is None or found.place.level == "street"
