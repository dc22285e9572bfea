"""The duplicate search's place branch: a grid's tickets by the prefix of their place path,
read through the index even by a prepared statement's generic plan (PostgreSQL)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.insights import dedupe
from gridgov.insights.models import TextSignature
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

GRID = "/X/S/G03/"


def _tickets_at(world, paths):
    ids = []
    for path in paths:
        ticket = make_ticket(world, description=f"路灯不亮 {path}")
        TextSignature.objects.filter(ticket=ticket).update(place_path=path)
        ids.append(ticket.pk)
    return ids


def _rows(path):
    now = timezone.now()
    since = now - dt.timedelta(days=30)
    return dedupe._candidate_rows([], since, now, "", path, exact_path=False, exclude=None)


def test_a_grid_finds_the_tickets_under_its_path_and_no_sibling_sharing_its_letters():
    world = make_world()
    inside, building, *_others = _tickets_at(
        world, [GRID, GRID + "B1/", "/X/S/G030/", "/X/S/G03-2/", "/X/S/G02/", "/X/S/G04/"]
    )
    assert sorted(row[0] for row in _rows(GRID)) == sorted([inside, building])


def test_the_place_branch_reads_the_path_index_in_a_generic_plan():
    """A prepared statement (server-side binding keeps them per connection) is planned once
    for any parameters: with `place_path LIKE $n` that plan could not use the path index and
    read every signature of the window, filtering by path."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans")
    world = make_world()
    _tickets_at(world, [GRID, GRID + "B1/", "/X/S/G04/"])
    seen = []

    def capture(execute, sql, params, many, context):
        if sql.startswith("WITH near"):
            seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        _rows(GRID)
    [(sql, params)] = seen
    numbered = iter(range(1, len(params) + 1))
    prepared = re.sub("%s", lambda _m: f"${next(numbered)}", sql)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test's few rows: scanned anyway
        cursor.execute(f"PREPARE near_generic AS {prepared}")
        args = connection.ops.compose_sql(", ".join(["%s"] * len(params)), params)
        cursor.execute(f"EXPLAIN EXECUTE near_generic({args})")
        plan = [line for (line,) in cursor.fetchall()]
        cursor.execute("DEALLOCATE near_generic")
    on_path = [line.strip() for line in plan if "place_path" in line]
    assert on_path and all(line.startswith("Index Cond") for line in on_path), plan


def test_titles_are_read_only_to_compare_with_a_typed_title():
    world = make_world()
    ticket = make_ticket(world, title="楼道里堆满杂物")
    now = timezone.now()
    since = now - dt.timedelta(days=30)
    path = ticket.grid.path
    filing = dedupe._candidate_rows([], since, now, "", path, exact_path=False, exclude=None)
    panel = dedupe._candidate_rows(
        [], since, now, "", path, False, None, title_keys=dedupe.title_band_keys(ticket.title)
    )
    assert [row[6] for row in filing if row[0] == ticket.pk] == [""]
    assert [row[6] for row in panel if row[0] == ticket.pk] == ["楼道里堆满杂物"]
