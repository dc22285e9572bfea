import numpy as np
import pytest
from django.db.models import F
from shapely.geometry import box

from gridgov.core.models import DataVersion
from gridgov.places import geo
from gridgov.places.models import Place

from .factories import square

pytestmark = pytest.mark.django_db

M_PER_DEG_LAT = 111_195


def test_point_inside_a_grid(tree):
    found = geo.lookup_point(39.905, 116.305)
    assert found.match == geo.INSIDE
    assert found.grid == tree.grids[0]
    assert [p.code for p in found.ancestors] == ["D1", "S1", "C1"]
    assert found.distance_m == 0


def test_a_point_lookup_reads_its_grid_from_the_cache(tree, django_assert_num_queries):
    from gridgov.core import versions

    geo.lookup_point(39.905, 116.305)  # the caches are built once
    versions.begin_scope()
    try:
        versions.current()
        with django_assert_num_queries(0):
            found = geo.lookup_point(39.905, 116.305)
    finally:
        versions.end_scope()
    assert found.grid == tree.grids[0]
    assert (found.grid.code, found.grid.path) == (tree.grids[0].code, tree.grids[0].path)
    assert [p.code for p in found.ancestors] == ["D1", "S1", "C1"]


def test_point_near_a_grid_takes_the_nearest(tree):
    found = geo.lookup_point(39.90 - 50 / M_PER_DEG_LAT, 116.305)
    assert found.match == geo.NEAREST
    assert found.grid == tree.grids[0]
    assert 45 < found.distance_m < 55


def test_point_beyond_the_nearest_limit_is_outside(tree, settings):
    settings.GRIDGOV_NEAREST_GRID_M = 30
    found = geo.lookup_point(39.90 - 50 / M_PER_DEG_LAT, 116.305)
    assert found.match == geo.OUTSIDE and found.grid is None


def test_far_point_is_outside(tree):
    found = geo.lookup_point(39.80, 116.305)
    assert found.match == geo.OUTSIDE
    assert found.grid is None and found.ancestors == []
    assert found.distance_m == pytest.approx(0.10 * M_PER_DEG_LAT, rel=0.01)


def test_shared_edge_goes_to_the_lower_id(tree):
    found = geo.lookup_point(39.905, 116.31)
    assert found.grid == min(tree.grids, key=lambda g: g.pk)
    ids = geo.lookup_points([39.905], [116.31])
    assert ids[0] == found.grid.pk


def test_no_grids_means_outside(db):
    assert geo.lookup_point(39.9, 116.3).match == geo.OUTSIDE


@pytest.mark.parametrize(
    ("lat", "lng"),
    [
        (91, 116),
        (-90.5, 0),
        (39, 181),
        (float("nan"), 116),
        (39, float("inf")),
        ("x", 1),
        (None, 1),
    ],
)
def test_malformed_coordinates_raise(tree, lat, lng):
    with pytest.raises(geo.InvalidCoordinates):
        geo.lookup_point(lat, lng)
    assert issubclass(geo.InvalidCoordinates, ValueError)


def test_bulk_rejects_malformed_coordinates(tree):
    with pytest.raises(geo.InvalidCoordinates):
        geo.lookup_points([39.9, 95], [116.3, 116.3])


def test_index_follows_boundary_changes(tree):
    point = (39.905, 116.315)
    assert geo.lookup_point(*point).grid == tree.grids[1]
    grid_b = tree.grids[1]
    grid_b.boundary = square(116.31, 39.95)  # moved 5 km north
    grid_b.save()
    assert geo.lookup_point(*point).match == geo.OUTSIDE
    assert geo.lookup_point(39.955, 116.315).grid == grid_b


def test_index_sees_writes_made_elsewhere(tree):
    """Another process writing the table: only the version token in the database changes."""
    assert geo.lookup_point(39.905, 116.315).grid == tree.grids[1]
    Place.objects.filter(pk=tree.grids[1].pk).update(boundary=square(116.31, 39.95))
    assert geo.lookup_point(39.905, 116.315).grid == tree.grids[1]  # nobody said so yet
    DataVersion.objects.filter(name="places").update(token=F("token") + 1)
    assert geo.lookup_point(39.905, 116.315).match == geo.OUTSIDE


def test_index_is_cached_between_calls(tree, django_assert_num_queries):
    geo.lookup_point(39.905, 116.305)
    index = geo.get_index()
    # version tokens + grid + ancestors, and no reload of the boundaries
    with django_assert_num_queries(3):
        geo.lookup_point(39.905, 116.305)
    assert geo.get_index() is index


def test_new_grid_is_found_without_restart(tree):
    assert geo.lookup_point(39.905, 116.335).match == geo.OUTSIDE
    grid = Place.objects.create(
        code="G1c",
        name="新网格",
        level="grid",
        parent=tree.community,
        boundary=square(116.33, 39.90),
    )
    assert geo.lookup_point(39.905, 116.335).grid == grid


def test_bulk_lookup_matches_single_lookups(tree):
    lats = np.linspace(39.895, 39.915, 9)
    lngs = np.linspace(116.295, 116.325, 9)
    lat_grid, lng_grid = (a.ravel() for a in np.meshgrid(lats, lngs))
    ids = geo.lookup_points(lat_grid, lng_grid)
    for lat, lng, grid_id in zip(lat_grid, lng_grid, ids, strict=True):
        found = geo.lookup_point(lat, lng)
        expected = found.grid.pk if found.match == geo.INSIDE else -1
        assert grid_id == expected
    near = geo.lookup_points(lat_grid, lng_grid, nearest=True)
    assert (near >= ids).all() and (near != -1).sum() > (ids != -1).sum()


def test_index_from_pairs_without_database():
    index = geo.GridIndex([(7, box(116.0, 39.0, 116.01, 39.01)), (8, square(116.01, 39.0))])
    assert index.lookup(39.005, 116.005, 100) == (7, geo.INSIDE, 0.0)
    grid_id, match, distance = index.lookup(39.005, 116.0205, 150)
    assert (grid_id, match) == (8, geo.NEAREST) and 40 < distance < 50
    assert list(index.lookup_many([39.005, 39.005, 0], [116.005, 116.015, 0])) == [7, 8, -1]


def test_unreadable_boundaries_are_skipped():
    index = geo.GridIndex([(1, {"type": "Polygon", "coordinates": "nonsense"}), (2, square(1, 1))])
    assert list(index.ids) == [2]
