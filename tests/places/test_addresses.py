import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.places.addresses import (
    cn_to_int,
    int_to_cn,
    normalise,
    resolve_address,
    split_building,
)
from gridgov.places.models import Place

from .factories import make_tree

VARIANTS = ["魏家坡小区3号楼2单元", "魏家坡小区3栋", "魏家坡小区三号楼", "魏家坡3#楼"]


@pytest.mark.django_db
@pytest.mark.parametrize("text", VARIANTS)
def test_the_four_ways_of_writing_one_building(tree, text):
    found = resolve_address(text)
    assert found.building == tree.buildings[0]
    assert found.candidates[0] == (tree.buildings[0], 1.0)
    assert not found.ambiguous


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "魏家坡小区３号楼",  # full-width digit
        "魏家坡小区第三栋",
        "魏家坡小区 3 幢 501室",
        "魏家坡小区3-2-501",
        "魏家坡小区03#",
        "北京市海淀区学院路街道魏家坡社区魏家坡小区3号楼",
        "海淀区魏家坡3号楼2单元5楼",
    ],
)
def test_more_ways_of_writing_it(tree, text):
    assert resolve_address(text).building == tree.buildings[0]


@pytest.mark.django_db
def test_a_resolved_building_comes_from_the_cache_without_a_query(tree, django_assert_num_queries):
    from gridgov.core import versions

    resolve_address(VARIANTS[0]).building.ancestor_at("grid")  # the caches are built once
    versions.begin_scope()
    try:
        versions.current()
        with django_assert_num_queries(0):
            building = resolve_address(VARIANTS[1]).building
            grid = building.ancestor_at("grid")  # from the cached areas
    finally:
        versions.end_scope()
    expected = tree.buildings[0]
    assert (building.pk, building.code, building.name, building.path) == (
        expected.pk,
        expected.code,
        expected.name,
        expected.path,
    )
    assert grid == expected.parent
    with django_assert_num_queries(1):  # a field the index does not carry loads on demand
        assert building.aliases == expected.aliases


@pytest.mark.django_db
def test_building_numbers_are_not_confused(tree):
    assert resolve_address("魏家坡小区5栋").building == tree.buildings[1]
    assert resolve_address("幸福里小区3栋").building == tree.buildings[2]
    assert resolve_address("幸福里3号楼").building == tree.buildings[2]


@pytest.mark.django_db
def test_building_alias_counts(tree):
    building = tree.buildings[1]
    building.address = ""
    building.aliases = ["魏家坡红楼5号楼"]
    building.save()
    assert resolve_address("魏家坡红楼五号楼").building == building
    assert resolve_address("魏家坡小区5栋").building == building  # via the grid's name


@pytest.mark.django_db
def test_typo_resolves_with_a_lower_score(tree):
    found = resolve_address("魏家波小区3号楼")
    assert found.building == tree.buildings[0]
    assert 0.6 < found.candidates[0][1] < 1.0


@pytest.mark.django_db
def test_same_compound_in_two_streets_is_ambiguous(tree):
    other = make_tree("2", district=tree.district, origin=(116.40, 39.90))
    found = resolve_address("魏家坡小区3栋")
    assert found.building is None and found.ambiguous
    assert {b for b, _s in found.candidates} == {tree.buildings[0], other.buildings[0]}
    assert all(score == 1.0 for _b, score in found.candidates)


@pytest.mark.django_db
def test_a_named_street_settles_the_ambiguity(tree):
    other = make_tree("2", district=tree.district, origin=(116.40, 39.90))
    other.street.name = "清河街道"
    other.street.save()
    found = resolve_address("清河街道魏家坡小区3栋")
    assert found.building == other.buildings[0] and not found.ambiguous


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["长安街9号楼", "魏家坡小区", "", "魏家坡小区99栋"])
def test_no_match(tree, text):
    found = resolve_address(text)
    assert found.building is None and found.candidates == [] and not found.ambiguous


@pytest.mark.django_db
def test_new_buildings_are_seen_at_once(tree):
    assert resolve_address("魏家坡小区7栋").building is None
    new = Place.objects.create(
        code="B1a7", name="7栋", level="building", parent=tree.grids[0], address="魏家坡小区7栋"
    )
    assert resolve_address("魏家坡小区七号楼").building == new


@pytest.mark.parametrize(
    ("text", "expected"),
    [("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("一百零二", 102), ("两百", 200),
     ("一〇二", 102), ("零", 0), ("一千零一十", 1010)],
)  # fmt: skip
def test_chinese_numerals(text, expected):
    assert cn_to_int(text) == expected


@given(st.integers(min_value=0, max_value=9999))
def test_numerals_round_trip(number):
    assert cn_to_int(int_to_cn(number)) == number
    # A building written in words meets the same building written in digits.
    assert split_building(f"小区{int_to_cn(number)}号楼") == split_building(f"小区{number}栋")


ADDRESS_CHARS = st.sampled_from(
    list("魏家坡小区第一二三十百两零〇号楼栋幢座#单元室层-0123456789ＡＢ３ 　,，ab")
)


@given(st.lists(ADDRESS_CHARS, max_size=20).map("".join))
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once
    assert split_building(once) == split_building(text)


@pytest.mark.django_db
def test_a_street_that_does_not_hold_the_compound_lowers_the_score(tree):
    other = make_tree("2", district=tree.district, origin=(116.40, 39.90))
    other.street.name = "清河街道"
    other.street.save()
    other.buildings[2].delete()  # so 幸福里小区3栋 is only in 学院路街道
    found = resolve_address("清河街道幸福里小区3栋")
    assert found.candidates == [(tree.buildings[2], 0.8)]
    assert found.building == tree.buildings[2] and not found.ambiguous


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("魏家坡小区门口", "grids.0"),
        ("魏家坡小区", "grids.0"),
        ("幸福里小区东门垃圾桶", "grids.1"),
        ("学院路街道魏家坡社区幸福里小区", "grids.1"),
        ("魏家坡门口", "grids.0"),  # the grid's alias, before a spot in it
        ("魏家坡附近的垃圾站", "grids.0"),
        ("魏家坡", "grids.0"),
        ("魏家坡小区中心花园", "grids.0"),  # the full name: whatever follows
        ("幸福里小区99栋", "grids.1"),  # no such building: still the compound
        ("魏家坡社区门口", "community"),  # the community, not the compound 魏家坡
        ("魏家坡社区", "community"),
        ("学院路街道", "street"),
        ("学院路街道某某大厦", "street"),
    ],
)
def test_an_address_without_a_known_building_names_its_area(tree, text, area):
    found = resolve_address(text)
    assert found.building is None
    name, _dot, index = area.partition(".")
    expected = getattr(tree, name)
    assert found.area == (expected[int(index)] if index else expected)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "魏家坡路12号院",
        "火车站广场",
        "海淀区",
        "",
        # The compound's short name 魏家坡 before anything but a spot in it is another place.
        "魏家坡中路红绿灯",
        "魏家坡区人民政府",
        "魏家坡书店门口",
        "魏家坡大道沿线",
    ],
)
def test_no_area_for_roads_unknown_places_or_the_whole_district(tree, text):
    assert resolve_address(text).area is None


@pytest.mark.django_db
def test_a_building_found_leaves_no_area(tree):
    found = resolve_address("魏家坡小区3栋")
    assert found.building == tree.buildings[0] and found.area is None
