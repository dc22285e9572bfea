"""Benchmark: bulk point → grid lookups against a naive polygon loop.

Builds 10,000 irregular, non-overlapping grid polygons in memory (Voronoi
cells of jittered seeds over a Beijing-sized box, pulled in a few metres so
streets separate them), indexes them with gridgov.places.geo.GridIndex (no
database), and times:

- bulk lookups (GridIndex.lookup_many, one STRtree query) over random points,
  some of which fall outside every grid;
- single lookups (GridIndex.lookup, one call per point);
- a naive loop: for each point, `polygon.contains(point)` over the polygons
  until one matches (on a small sample: it is slow).

The bulk answers must equal the naive ones on the sample. The last line of
output is one JSON object with the figures.

    python bench/places_lookup.py [--grids 10000] [--points 200000] [--sample 300]
"""

import argparse
import json
import statistics
import sys
import time

import numpy as np
import shapely
from shapely.geometry import Point

from gridgov.places.geo import GridIndex

# Roughly Haidian district: 0.3° × 0.3° ≈ 25 km × 33 km.
WEST, SOUTH, EAST, NORTH = 116.20, 39.85, 116.50, 40.15


def make_grids(count, rng):
    """`count` irregular polygons tiling the box, with small gaps between them."""
    side = int(np.ceil(np.sqrt(count)))
    cell_w, cell_h = (EAST - WEST) / side, (NORTH - SOUTH) / side
    ix, iy = np.meshgrid(np.arange(side), np.arange(side))
    ix, iy = ix.ravel()[:count], iy.ravel()[:count]
    # Seeds jittered inside their lattice cell, so Voronoi cells are irregular.
    xs = WEST + (ix + rng.uniform(0.15, 0.85, count)) * cell_w
    ys = SOUTH + (iy + rng.uniform(0.15, 0.85, count)) * cell_h
    extent = shapely.box(WEST, SOUTH, EAST, NORTH)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(np.column_stack([xs, ys])), extend_to=extent)
    )
    cells = shapely.intersection(cells, extent)
    # ~3 m of street between neighbours; keeps them strictly disjoint.
    cells = shapely.buffer(cells, -0.00003, join_style="mitre")
    cells = [c for c in cells if isinstance(c, shapely.Polygon) and not c.is_empty]
    assert len(cells) == count, f"expected {count} cells, got {len(cells)}"
    return cells


def random_points(count, rng):
    # A margin around the box so some points are outside every grid.
    margin = 0.01
    lats = rng.uniform(SOUTH - margin, NORTH + margin, count)
    lngs = rng.uniform(WEST - margin, EAST + margin, count)
    return lats, lngs


def naive_lookup(polygons, ids, lat, lng):
    point = Point(lng, lat)
    for grid_id, polygon in zip(ids, polygons, strict=True):
        if polygon.contains(point):
            return grid_id
    return -1


def timed(fn, repeat):
    """(result of the last run, median seconds)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--sample", type=int, default=300, help="points for the naive loop")
    parser.add_argument("--single", type=int, default=20_000, help="points for single lookups")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    start = time.perf_counter()
    polygons = make_grids(args.grids, rng)
    ids = np.arange(1, len(polygons) + 1)
    gen_s = time.perf_counter() - start
    print(f"generated {len(polygons)} grids in {gen_s:.2f}s", file=sys.stderr)

    index, build_s = timed(lambda: GridIndex(zip(ids.tolist(), polygons, strict=True)), 1)
    print(f"built the index in {build_s:.2f}s", file=sys.stderr)

    lats, lngs = random_points(args.points, rng)
    found, bulk_s = timed(lambda: index.lookup_many(lats, lngs), args.repeat)
    lookups_per_s = args.points / bulk_s
    hit_share = float((found != -1).mean())
    print(
        f"bulk: {args.points} points in {bulk_s:.3f}s = {lookups_per_s:,.0f}/s "
        f"({hit_share:.1%} inside a grid)",
        file=sys.stderr,
    )

    n_single = min(args.single, args.points)
    _, single_s = timed(lambda: [index.lookup(lats[i], lngs[i], 150.0) for i in range(n_single)], 1)
    single_per_s = n_single / single_s
    print(f"single: {n_single} points in {single_s:.2f}s = {single_per_s:,.0f}/s", file=sys.stderr)

    sample = np.arange(min(args.sample, args.points))
    naive, naive_s = timed(
        lambda: [naive_lookup(polygons, ids, lats[i], lngs[i]) for i in sample], 1
    )
    naive_per_s = len(sample) / naive_s
    print(f"naive: {len(sample)} points in {naive_s:.2f}s = {naive_per_s:,.1f}/s", file=sys.stderr)

    agree = bool((np.asarray(naive) == found[sample]).all())
    ratio = lookups_per_s / naive_per_s
    print(
        f"bulk / naive = {ratio:,.0f}x; bulk equals naive on the sample: {agree}", file=sys.stderr
    )

    print(
        json.dumps(
            {
                "grids": len(polygons),
                "points": args.points,
                "build_s": round(build_s, 3),
                "lookups_per_s": round(lookups_per_s),
                "single_per_s": round(single_per_s),
                "naive_per_s": round(naive_per_s, 1),
                "naive_sample": len(sample),
                "ratio": round(ratio),
                "inside_share": round(hit_share, 3),
                "correct": agree,
            }
        )
    )
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
