"""Point → grid: which 网格 contains a WGS84 coordinate.

`GridIndex` holds every grid boundary in an STRtree, in a local metric
projection so distances come out in metres. The index for the database is
cached per process under the places' version token (gridgov.core.versions,
read once per request), so a boundary edited by another process (or another
web node) is seen by the next request.

This module imports no Django model at load time: `GridIndex` works on plain
(id, geometry) pairs, which is what the benchmark uses.
"""

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import shape

from gridgov.core import versions

log = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_008.8

INSIDE = "inside"
NEAREST = "nearest"
OUTSIDE = "outside"


class InvalidCoordinates(ValueError):
    """Latitude/longitude that are not finite or out of range."""


def check_coordinates(lat, lng):
    """Return (lat, lng) as floats, or raise InvalidCoordinates."""
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError) as exc:
        raise InvalidCoordinates(f"coordinates must be numbers: {lat!r}, {lng!r}") from exc
    if not (math.isfinite(lat) and math.isfinite(lng)):
        raise InvalidCoordinates("coordinates must be finite")
    if not -90 <= lat <= 90:
        raise InvalidCoordinates(f"latitude {lat} is outside [-90, 90]")
    if not -180 <= lng <= 180:
        raise InvalidCoordinates(f"longitude {lng} is outside [-180, 180]")
    return lat, lng


def to_geometry(geometry):
    """A shapely geometry from a GeoJSON mapping (or a shapely geometry as is)."""
    if isinstance(geometry, shapely.Geometry):
        return geometry
    return shape(geometry)


class LocalProjection:
    """Equirectangular projection around (lat0, lng0), in metres.

    Accurate to well under 1% across a city, which is all a grid lookup needs,
    and it is a plain affine map, so it vectorises over numpy arrays.
    """

    def __init__(self, lat0, lng0):
        self.lat0 = float(lat0)
        self.lng0 = float(lng0)
        self.kx = math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0))
        self.ky = math.radians(1) * EARTH_RADIUS_M

    def xy(self, lats, lngs):
        lats = np.asarray(lats, dtype=float)
        lngs = np.asarray(lngs, dtype=float)
        return (lngs - self.lng0) * self.kx, (lats - self.lat0) * self.ky

    def geometry(self, geom):
        """Project a lng/lat shapely geometry (any dimension; z is dropped)."""

        def project(coords):
            x, y = self.xy(coords[:, 1], coords[:, 0])
            return np.column_stack([x, y])

        return shapely.transform(shapely.force_2d(geom), project)


@dataclass
class LookupResult:
    """Answer of `lookup_point`.

    `match` is "inside" (the point lies in or on `grid`), "nearest" (in no
    grid, but within GRIDGOV_NEAREST_GRID_M of `grid`) or "outside" (`grid`
    is None; `distance_m` is then the distance to the closest grid, if any).
    """

    match: str
    grid: object = None
    ancestors: list = field(default_factory=list)
    distance_m: float | None = None
    grid_id: int | None = None

    @property
    def found(self):
        return self.grid_id is not None


class GridIndex:
    """An STRtree over grid polygons, queried in projected metres."""

    def __init__(self, items, projection=None):
        """`items`: iterable of (id, geometry), geometry a GeoJSON mapping or
        a shapely (Multi)Polygon in WGS84 lng/lat."""
        ids, geoms = [], []
        for item_id, geometry in items:
            try:
                geom = to_geometry(geometry)
            except Exception:  # one broken row must not take down lookups
                log.warning("grid %s has an unreadable boundary; skipped", item_id)
                continue
            if geom.is_empty:
                continue
            if not geom.is_valid:
                geom = shapely.make_valid(geom)
            ids.append(int(item_id))
            geoms.append(geom)
        self.ids = np.asarray(ids, dtype=np.int64)
        if projection is None:
            projection = self._projection_for(geoms)
        self.projection = projection
        self.geoms = np.asarray([projection.geometry(g) for g in geoms], dtype=object)
        self.tree = shapely.STRtree(self.geoms)
        self._positions = None  # grid id → its place in ids/geoms, built when distances asks

    @staticmethod
    def _projection_for(geoms):
        if not geoms:
            return LocalProjection(0.0, 0.0)
        bounds = shapely.bounds(np.asarray(geoms, dtype=object))
        # Centre on the mean of the grids' bounding-box centres.
        lng0 = float(np.mean((bounds[:, 0] + bounds[:, 2]) / 2))
        lat0 = float(np.mean((bounds[:, 1] + bounds[:, 3]) / 2))
        return LocalProjection(lat0, lng0)

    @classmethod
    def from_db(cls):
        from .models import Level, Place

        rows = (
            Place.objects.filter(level=Level.GRID, boundary__isnull=False)
            .values_list("id", "boundary")
            .iterator(chunk_size=2000)
        )
        return cls(row for row in rows if row[1])

    def __len__(self):
        return len(self.ids)

    def _points(self, lats, lngs):
        x, y = self.projection.xy(lats, lngs)
        return shapely.points(x, y)

    def lookup(self, lat, lng, nearest_m):
        """(grid id or None, match, distance_m) for one point."""
        lat, lng = check_coordinates(lat, lng)
        if not len(self):
            return None, OUTSIDE, None
        point = self._points(lat, lng)
        hits = self.tree.query(point, predicate="intersects")
        if len(hits):
            # On a shared edge the point touches two grids; the lowest id wins,
            # the same rule as lookup_points, so answers never flicker.
            return int(self.ids[hits].min()), INSIDE, 0.0
        idx, dist = self.tree.query_nearest(point, return_distance=True, all_matches=True)
        best = int(self.ids[idx].min())
        distance = float(dist.min())
        if distance <= nearest_m:
            return best, NEAREST, distance
        return None, OUTSIDE, distance

    @staticmethod
    def _checked(lats, lngs):
        lats = np.asarray(lats, dtype=float).ravel()
        lngs = np.asarray(lngs, dtype=float).ravel()
        if lats.shape != lngs.shape:
            raise InvalidCoordinates("lats and lngs differ in length")
        bad = ~(
            np.isfinite(lats) & np.isfinite(lngs) & (np.abs(lats) <= 90) & (np.abs(lngs) <= 180)
        )
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise InvalidCoordinates(
                f"{int(bad.sum())} invalid coordinate(s), first at index {first}: "
                f"({lats[first]}, {lngs[first]})"
            )
        return lats, lngs

    def distances(self, grid_ids, lats, lngs):
        """Vectorised: metres from each point to the grid given for it (0 in or on it);
        NaN where that grid is None or has no boundary in the index."""
        lats, lngs = self._checked(lats, lngs)
        if self._positions is None:
            self._positions = {int(grid_id): i for i, grid_id in enumerate(self.ids)}
        where = np.asarray(
            [-1 if g is None else self._positions.get(int(g), -1) for g in grid_ids],
            dtype=np.int64,
        )
        if where.shape != lats.shape:
            raise InvalidCoordinates("grid ids and points differ in length")
        result = np.full(lats.shape, np.nan)
        known = where >= 0
        if known.any():
            points = self._points(lats[known], lngs[known])
            result[known] = shapely.distance(self.geoms[where[known]], points)
        return result

    def lookup_many(self, lats, lngs, nearest_m=None):
        """Vectorised: an int64 array of grid ids, -1 where no grid matches.

        With `nearest_m`, points outside every grid take the nearest grid
        within that many metres (as `lookup` does).
        """
        lats, lngs = self._checked(lats, lngs)
        result = np.full(lats.shape, -1, dtype=np.int64)
        if not len(self) or not len(lats):
            return result
        points = self._points(lats, lngs)
        point_idx, tree_idx = self.tree.query(points, predicate="intersects")
        grid_ids = self.ids[tree_idx]
        # Write the highest ids first so that, on shared edges, the lowest id wins.
        order = np.argsort(-grid_ids, kind="stable")
        result[point_idx[order]] = grid_ids[order]
        if nearest_m is not None:
            missing = np.flatnonzero(result == -1)
            if len(missing):
                m_idx, t_idx = self.tree.query_nearest(
                    points[missing], max_distance=nearest_m, all_matches=True
                )
                near_ids = self.ids[t_idx]
                order = np.argsort(-near_ids, kind="stable")
                result[missing[m_idx[order]]] = near_ids[order]
        return result


# --- the database-backed index, cached per process -------------------------


def get_index():
    """The grid index for the current database contents (cached per process, core.versions)."""
    return versions.cached("places", "grid-index", GridIndex.from_db)


def _nearest_m(nearest_m):
    if nearest_m is not None:
        return float(nearest_m)
    from django.conf import settings

    return float(settings.GRIDGOV_NEAREST_GRID_M)


def lookup_point(lat, lng, nearest_m=None):
    """The grid containing (lat, lng), or the nearest one close enough.

    Raises InvalidCoordinates for malformed input. See LookupResult.
    """
    from .models import Place, area

    lat, lng = check_coordinates(lat, lng)
    grid_id, match, distance = get_index().lookup(lat, lng, _nearest_m(nearest_m))
    if grid_id is None:
        return LookupResult(
            match=OUTSIDE, distance_m=None if distance is None else round(distance, 1)
        )
    grid = area(grid_id) or Place.objects.filter(pk=grid_id).first()
    if grid is None:  # deleted since the index was built
        return LookupResult(match=OUTSIDE, distance_m=None)
    return LookupResult(
        match=match,
        grid=grid,
        ancestors=grid.ancestors(),
        distance_m=round(distance, 1),
        grid_id=grid_id,
    )


def lookup_points(lats, lngs, nearest=False, nearest_m=None):
    """Bulk point → grid id (-1 for none), one STRtree query for all points.

    By default only containment counts; pass `nearest=True` to also accept the
    nearest grid within GRIDGOV_NEAREST_GRID_M, like `lookup_point`.
    """
    return get_index().lookup_many(lats, lngs, _nearest_m(nearest_m) if nearest else None)


def distances_to_grids(grid_ids, lats, lngs):
    """Metres from each point to the grid given for it (GridIndex.distances): 0 inside,
    NaN for a grid without a boundary (or None)."""
    return get_index().distances(grid_ids, lats, lngs)
