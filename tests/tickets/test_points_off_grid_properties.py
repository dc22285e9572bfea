"""intake.points_off_grid asks the grid index where a point lies only once for most points:
the nearest-grid lookup is made only for points in no grid and farther than
GRIDGOV_NEAREST_GRID_M from their own. Its verdicts are those of the rule as first written
(both lookups for every point, kept here as the reference) over random points around two
streets' grids, on their edges and far away, with grids named, none, or without a boundary."""

import numpy as np
import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.places import geo
from gridgov.places.models import Level
from gridgov.tickets import intake
from tests.places.factories import PlaceFactory, make_tree

pytestmark = pytest.mark.django_db

# make_tree's grids G1a, G1b lie side by side east of (116.30, 39.90); a second street's
# G2a, G2b east of (116.33, 39.90), a gap of one grid between them.
ORIGIN_2 = (116.33, 39.90)


def two_lookups(grid_ids, lats, lngs):
    """points_off_grid as a58c942 wrote it: both lookups for every point."""
    inside = geo.lookup_points(lats, lngs)
    near = geo.lookup_points(lats, lngs, nearest=True)
    distances = geo.distances_to_grids(grid_ids, lats, lngs)
    tolerance = float(django_settings.GRIDGOV_NEAREST_GRID_M)
    verdicts = []
    for grid_id, in_grid, near_grid, distance in zip(
        grid_ids, inside, near, distances, strict=True
    ):
        if distance == 0:
            verdicts.append(None)
        elif in_grid >= 0:
            verdicts.append(int(in_grid))
        elif distance <= tolerance or (distance != distance and grid_id is not None):
            verdicts.append(None)
        else:
            verdicts.append(int(near_grid) if near_grid >= 0 else intake.OUTSIDE_AREA)
    return verdicts


@pytest.fixture
def grid_ids():
    first = make_tree()
    second = make_tree(key="2", district=first.district, origin=ORIGIN_2)
    bare = PlaceFactory(code="G1c", name="无边界网格", level=Level.GRID, parent=first.community)
    grids = [*first.grids, *second.grids, bare]
    return [g.pk for g in grids] + [None, 999_999]  # no grid; a grid deleted since


# Points on a lattice of 0.0005° (~45-55 m) from 116.27 to 116.38, 39.87 to 39.94: inside
# grids, on their edges and corners, in the gap, within and beyond the 150 m tolerance.
LNG_STEPS = round((116.38 - 116.27) / 0.0005)
LAT_STEPS = round((39.94 - 39.87) / 0.0005)
rows = st.lists(
    st.tuples(
        st.integers(0, 6),  # which grid id (index into the fixture's list)
        st.integers(0, LAT_STEPS),
        st.integers(0, LNG_STEPS),
        st.floats(-0.0002, 0.0002),  # off the lattice, or exactly on it
        st.booleans(),
    ),
    min_size=1,
    max_size=60,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows)
def test_verdicts_equal_the_two_lookup_rule(grid_ids, rows):
    ids = [grid_ids[g] for g, *_ in rows]
    lats = [39.87 + i * 0.0005 + (d if off else 0) for _g, i, _j, d, off in rows]
    lngs = [116.27 + j * 0.0005 + (d if off else 0) for _g, _i, j, d, off in rows]
    assert intake.points_off_grid(ids, lats, lngs) == two_lookups(ids, lats, lngs)


def test_a_chunk_of_5000_random_points_gets_the_same_verdicts(grid_ids):
    """As the 12345 import passes them: a chunk of up to 5,000 rows, as numpy arrays."""
    rng = np.random.default_rng(20261130)
    n = 5000
    ids = [grid_ids[k] for k in rng.integers(0, len(grid_ids), n)]
    lats = rng.uniform(39.88, 39.93, n)
    lngs = rng.uniform(116.28, 116.37, n)
    lats[:500] = rng.uniform(39.0, 41.0, 500)  # some far from everything
    verdicts = intake.points_off_grid(ids, lats, lngs)
    assert verdicts == two_lookups(ids, lats, lngs)
    # Every kind of verdict was met: taken, outside our area, in another grid, and in no
    # grid but near another (the one the nearest lookup alone finds).
    inside = geo.lookup_points(lats, lngs)
    assert None in verdicts and intake.OUTSIDE_AREA in verdicts
    others = [i for i, v in enumerate(verdicts) if v not in (None, intake.OUTSIDE_AREA)]
    assert any(inside[i] >= 0 for i in others) and any(inside[i] < 0 for i in others)


def test_invalid_coordinates_are_refused_as_before(grid_ids):
    with pytest.raises(geo.InvalidCoordinates):
        intake.points_off_grid(grid_ids[:2], [39.9, 95.0], [116.3, 116.3])
    assert intake.points_off_grid([], [], []) == []
