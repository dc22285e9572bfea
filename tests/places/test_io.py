import csv
import io as stdio
import json

import pytest
from django.core.management import CommandError, call_command

from gridgov.places import io
from gridgov.places.models import Place

from .factories import square

pytestmark = pytest.mark.django_db


def feature(code, name, level, parent_code=None, geometry=None, **props):
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "code": code,
            "name": name,
            "level": level,
            "parent_code": parent_code,
            **props,
        },
    }


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def wipe():
    for level in ("building", "grid", "community", "street", "district"):
        Place.objects.filter(level=level).delete()


def snapshot():
    return sorted(Place.objects.values_list("code", "path", "name", "updated_at"))


@pytest.mark.parametrize("fmt", ["geojson", "csv"])
def test_export_import_round_trip(tree, fmt):
    tree.grids[0].lat, tree.grids[0].lng = 39.905, 116.305  # an area's label point
    tree.grids[0].save()
    exported = io.export_places(fmt)
    wipe()
    report = io.import_places(exported.encode(), fmt)
    assert report.ok and report.written
    assert report.counts() == {"total": 8, "created": 8, "updated": 0, "unchanged": 0}
    assert io.export_places(fmt) == exported
    before = snapshot()
    again = io.import_places(exported.encode(), fmt)
    assert again.counts() == {"total": 8, "created": 0, "updated": 0, "unchanged": 8}
    assert snapshot() == before  # not even updated_at moved


def test_geojson_export_shape(tree):
    doc = json.loads(io.export_places("geojson"))
    by_code = {f["properties"]["code"]: f for f in doc["features"]}
    assert doc["type"] == "FeatureCollection" and len(by_code) == 8
    assert by_code["D1"]["properties"]["parent_code"] is None
    assert by_code["G1a"]["geometry"] == square(116.30, 39.90)
    assert by_code["G1a"]["properties"]["aliases"] == ["魏家坡"]
    building = by_code["B1a3"]
    assert building["geometry"]["type"] == "Point"
    assert building["properties"]["address"] == "魏家坡小区3栋"


def test_csv_export_shape(tree):
    rows = list(csv.DictReader(stdio.StringIO(io.export_places("csv"))))
    assert list(rows[0]) == io.CSV_COLUMNS
    grid = next(r for r in rows if r["code"] == "G1a")
    assert grid["parent_code"] == "C1" and grid["aliases"] == "魏家坡"
    assert json.loads(grid["boundary"]) == square(116.30, 39.90)
    building = next(r for r in rows if r["code"] == "B1a3")
    assert building["boundary"] == "" and float(building["lat"]) == tree.buildings[0].lat


def test_export_of_a_subtree(tree):
    doc = json.loads(io.export_places("geojson", root="C1"))
    codes = [f["properties"]["code"] for f in doc["features"]]
    assert codes[0] == "C1" and set(codes) == {"C1", "G1a", "G1b", "B1a3", "B1a5", "B1b3"}


def test_import_updates_and_moves(tree):
    data = collection(
        feature("C9", "新社区", "community", "S1"),
        feature("G1a", "魏家坡北区", "grid", "C9", square(116.30, 39.90)),
    )
    report = io.import_places(data, "geojson")
    assert report.counts() == {"total": 2, "created": 1, "updated": 1, "unchanged": 0}
    grid = Place.objects.get(code="G1a")
    assert grid.name == "魏家坡北区" and grid.path == "/D1/S1/C9/G1a/"
    assert Place.objects.get(code="B1a3").path == "/D1/S1/C9/G1a/B1a3/"


def test_moves_deep_in_one_file_keep_paths_right(tree):
    """Moving a street and editing a grid below it in the same file."""
    data = collection(
        feature("D2", "朝阳区", "district"),
        feature("S1", "学院路街道", "street", "D2"),
        feature("G1b", "幸福里", "grid", "C1", square(116.31, 39.90)),
    )
    assert io.import_places(data, "geojson").written
    assert Place.objects.get(code="G1b").path == "/D2/S1/C1/G1b/"
    assert Place.objects.get(code="B1b3").path == "/D2/S1/C1/G1b/B1b3/"


def test_progress_is_reported(tree):
    calls = []
    io.import_places(
        io.export_places("csv").encode(), "csv", progress=lambda d, t: calls.append((d, t))
    )
    assert calls[-1] == (8, 8)


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
OPEN_RING = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}
OFF_EARTH = square(200, 10)


@pytest.mark.parametrize(
    ("features", "row", "kind"),
    [
        ([feature("G9", "x", "grid", "C1", BOWTIE)], 1, "bad_geometry"),
        ([feature("G9", "x", "grid", "C1", OPEN_RING)], 1, "bad_geometry"),
        ([feature("G9", "x", "grid", "C1", OFF_EARTH)], 1, "bad_geometry"),
        (
            [feature("G9", "x", "grid", "C1", {"type": "Point", "coordinates": [116.3, 39.9]})],
            1,
            "bad_geometry",
        ),
        ([feature("B9", "9栋", "building", "G1a", square(116.3, 39.9))], 1, "bad_geometry"),
        ([feature("G9", "x", "grid", "NOPE")], 1, "unknown_parent"),
        (
            [feature("G9", "x", "grid", "C1"), feature("G9", "y", "grid", "C1")],
            2,
            "duplicate_code",
        ),
        ([feature("G9", "x", "grid", "S1")], 1, "wrong_level"),
        ([feature("S9", "x", "street")], 1, "missing"),
        ([feature("网格9", "x", "grid", "C1")], 1, "bad_code"),
        ([feature("G 9", "x", "grid", "C1")], 1, "bad_code"),
        ([feature("G9", "", "grid", "C1")], 1, "missing"),
        ([feature("G9", "x", "cell", "C1")], 1, "bad_value"),
        # A new street under a community in the file that sits under the street.
        (
            [
                feature("G8", "x", "grid", "C1"),
                feature("S9", "x", "street", "C9"),
                feature("C9", "x", "community", "S9"),
            ],
            2,
            "cycle",
        ),
        # An existing street moved under its own community.
        ([feature("S1", "学院路街道", "street", "C1")], 1, "cycle"),
        # Turning a grid into a community would strand its buildings.
        ([feature("G1a", "魏家坡小区", "community", "S1")], 1, "wrong_level"),
    ],
)
def test_bad_rows_are_reported_and_nothing_is_written(tree, features, row, kind):
    before = snapshot()
    good = feature("G7", "好网格", "grid", "C1", square(116.5, 39.9))
    report = io.import_places(collection(good, *features), "geojson")
    assert not report.ok and not report.written
    assert (row + 1, kind) in {(e.row, e.kind) for e in report.errors}, report.errors
    assert snapshot() == before


def test_csv_rows_are_numbered_by_line(tree):
    text = (
        "code,name,level,parent_code,lat,lng,address,aliases,boundary\n"
        "G7,好网格,grid,C1,,,,,\n"
        "G8,坏网格,grid,C1,,,,,{not json\n"
        "B7,7栋,building,G1a,north,116.3,,,\n"
        "B8,8栋,building,G1a,39.9,,,,\n"
        'B9,9栋,building,G1a,39.9,116.3,,,"{""type"":""Point"",""coordinates"":[1,2]}"\n'
    )
    report = io.import_places(text.encode(), "csv")
    found = {(e.row, e.field, e.kind) for e in report.errors}
    assert {(3, "boundary", "bad_geometry"), (4, "lat", "bad_value"), (5, "lat", "bad_value"),
            (6, "boundary", "bad_geometry")} <= found  # fmt: skip
    assert not Place.objects.filter(code="G7").exists()


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00",
        b'{"type": "Feature"}',
        b"{not json",
        b"hello,world\n1,2\n",
    ],
)
def test_files_that_are_not_place_files(db, data):
    with pytest.raises(io.ImportFormatError):
        io.import_places(data)


def test_gbk_csv_and_format_detection(db):
    text = "code,name,level,parent_code\nD5,海淀区,district,\n"
    report = io.import_places(text.encode("gbk"))
    assert report.format == "csv" and report.created == 1
    assert Place.objects.get(code="D5").name == "海淀区"


def test_permission_check_lists_rows_outside_the_area(tree):
    other = collection(
        feature("G7", "好网格", "grid", "C1"),
        feature("D9", "朝阳区", "district"),
    )
    street_path = tree.street.path

    def can_change(place):
        return place is not None and place.path.startswith(street_path)

    report = io.import_places(other, "geojson", can_change=can_change)
    assert [(e.row, e.code, e.kind) for e in report.forbidden] == [(2, "D9", "forbidden")]
    assert not report.written and not Place.objects.filter(code="G7").exists()


def test_command_export_then_import(tree, tmp_path, capsys):
    target = tmp_path / "places.csv"
    call_command("places", "export", "--format", "csv", "-o", str(target))
    assert target.read_text(encoding="utf-8").startswith("code,name,level")
    call_command("places", "import", str(target))
    assert "8 个无变化" in capsys.readouterr().out
    call_command("places", "export", "--root", "G1a")
    assert '"B1a5"' in capsys.readouterr().out


def test_command_prints_a_table_and_fails(tree, tmp_path, capsys):
    bad = tmp_path / "bad.geojson"
    bad.write_bytes(
        collection(feature("G9", "x", "grid", "NOPE"), feature("G9", "y", "grid", "C1"))
    )
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("places", "import", str(bad))
    err = capsys.readouterr().err
    assert "行" in err and "NOPE" in err and "G9" in err
    assert not Place.objects.filter(code="G9").exists()


def test_command_refuses_unknown_root(tree):
    with pytest.raises(CommandError):
        call_command("places", "export", "--root", "NOPE")


def test_dry_run_checks_without_writing(tree):
    report = io.import_places(collection(feature("G7", "新网格", "grid", "C1")), dry_run=True)
    assert report.ok and not report.written
    assert not Place.objects.filter(code="G7").exists()
