import pytest
from django.core.exceptions import ValidationError

from gridgov.places.models import Level, Place

from .factories import PlaceFactory, make_tree

pytestmark = pytest.mark.django_db


def test_paths_follow_codes(tree):
    assert tree.district.path == "/D1/"
    assert tree.grids[0].path == "/D1/S1/C1/G1a/"
    assert tree.buildings[0].path == "/D1/S1/C1/G1a/B1a3/"


def test_ancestors_root_first(tree):
    building = tree.buildings[0]
    assert [p.code for p in building.ancestors()] == ["D1", "S1", "C1", "G1a"]
    assert building.ancestor_at(Level.COMMUNITY) == tree.community
    assert tree.district.ancestors() == []


def test_descendants(tree):
    codes = set(tree.community.descendants().values_list("code", flat=True))
    assert codes == {"G1a", "G1b", "B1a3", "B1a5", "B1b3"}
    assert tree.community in tree.community.descendants(include_self=True)


def test_moving_a_grid_moves_its_buildings(tree):
    other = make_tree("2", district=tree.district, origin=(116.40, 39.90))
    grid = tree.grids[0]
    grid.parent = other.community
    grid.save()
    assert Place.objects.get(code="B1a3").path == "/D1/S2/C2/G1a/B1a3/"
    assert set(other.community.descendants().values_list("code", flat=True)) >= {"G1a", "B1a5"}
    assert not tree.community.descendants().filter(code="B1a3").exists()


def test_clean_refuses_wrong_level_and_cycles(tree):
    grid = tree.grids[0]
    grid.parent = tree.district
    with pytest.raises(ValidationError):
        grid.clean()
    street = tree.street
    street.parent = tree.community  # under its own descendant
    with pytest.raises(ValidationError):
        street.clean()


def test_factory_defaults(db):
    place = PlaceFactory()
    assert place.level == Level.DISTRICT and place.path == f"/{place.code}/"
