"""A street's own place spreadsheet: Chinese column names and levels, a title line above
the header, Excel .xlsx, and a dry run that says what it would do."""

import io as stdio
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from gridgov.places import io
from gridgov.places.models import Place
from tests.sheets import as_csv, as_xls, as_xlsx

pytestmark = pytest.mark.django_db

SHEET = [
    ["东桥街道网格台账"],  # a title line, as street offices keep their sheets
    [],
    ["编码", "名称", "层级", "上级编码", "纬度", "经度", "地址", "别名"],
    ["HX", "河西区", "区", "", "", "", "", ""],
    ["HX-DQ", "东桥街道", "街道", "HX", "", "", "", ""],
    ["HX-DQ-LY", "柳荫社区", "社区", "HX-DQ", "", "", "", ""],
    ["HX-DQ-LY-01", "柳荫一网格", "网格", "HX-DQ-LY", "", "", "", "柳荫里；柳荫"],
    ["HX-DQ-LY-01-01", "1号楼", "楼栋", "HX-DQ-LY-01", 39.91, 116.40, "柳荫里1号楼", ""],
]


@pytest.mark.parametrize("make", [as_csv, as_xlsx, as_xls])
def test_a_streets_sheet_with_chinese_columns_and_levels_imports(db, make):
    report = io.import_places(make(SHEET))
    assert report.ok and report.created == 5, report.problems()
    building = Place.objects.get(code="HX-DQ-LY-01-01")
    assert (
        building.level == "building"
        and building.path == "/HX/HX-DQ/HX-DQ-LY/HX-DQ-LY-01/HX-DQ-LY-01-01/"
    )
    assert (building.lat, building.lng) == (39.91, 116.40)
    assert Place.objects.get(code="HX-DQ-LY-01").aliases == ["柳荫里", "柳荫"]


def test_an_xlsx_row_error_names_the_sheet_row(db):
    rows = [*SHEET, ["HX-DQ-LY-02", "柳荫二网格", "小区", "HX-DQ-LY"]]
    report = io.import_places(as_xlsx(rows))
    assert [(e.row, e.code, e.field) for e in report.errors] == [(9, "HX-DQ-LY-02", "level")]
    assert not Place.objects.exists()


def test_a_missing_column_is_named_in_english_and_chinese(db):
    rows = [["编码", "名称", "类别", "上级编码"], ["HX", "河西区", "区", ""]]
    with translation.override("zh-hans"), pytest.raises(io.ImportFormatError) as caught:
        io.import_places(as_csv(rows))
    assert "缺少：level (层级)" in str(caught.value)


def test_the_missing_columns_are_a_chinese_list(db):
    rows = [["编码", "名称", "上级编码"], ["HX", "河西区", ""]]
    with translation.override("zh-hans"), pytest.raises(io.ImportFormatError) as caught:
        io.import_places(as_csv(rows))
    assert "缺少：level (层级)" in str(caught.value) and ", " not in str(caught.value)
    assert "code (编码)、name (名称)、level (层级)" in str(caught.value)
    with translation.override("en"), pytest.raises(io.ImportFormatError) as caught:
        io.import_places(as_csv(rows))
    assert "code (编码), name (名称), level (层级)" in str(caught.value)


def test_a_dry_run_says_what_it_would_create(db):
    report = io.import_places(as_csv(SHEET), dry_run=True)
    assert report.counts() == {"total": 5, "created": 5, "updated": 0, "unchanged": 0}
    assert not Place.objects.exists()
    io.import_places(as_csv(SHEET))
    again = io.import_places(
        as_csv([*SHEET[:3], ["HX", "河西新区", "区", ""], *SHEET[4:]]), dry_run=True
    )
    assert again.counts() == {"total": 5, "created": 0, "updated": 1, "unchanged": 4}


def test_the_command_answers_in_chinese(db, tmp_path):
    sheet = tmp_path / "street.xlsx"
    sheet.write_bytes(as_xlsx(SHEET))
    out = stdio.StringIO()
    with translation.override("zh-hans"):
        call_command("places", "import", str(sheet), "--dry-run", stdout=out)
    assert "将新建 5 个" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(as_csv([*SHEET, ["X1", "", "网格", "HX-DQ-LY"]]))
    err = stdio.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError) as caught:
        call_command("places", "import", str(bad), stderr=err)
    assert "发现 1 个问题" in str(caught.value)
    assert err.getvalue().split()[:4] == ["行", "编码", "列", "问题"]
    assert err.getvalue().split()[-4:-1] == ["9", "X1", "名称"]


def test_an_unknown_level_names_the_chinese_levels(db):
    rows = [SHEET[2], ["HX", "河西区", "小区", ""]]
    with translation.override("zh-hans"):
        report = io.import_places(as_csv(rows))
    assert "区 (district)" in report.errors[0].message
    assert "楼栋 (building)" in report.errors[0].message
    assert "区 (district)、街道 (street)" in report.errors[0].message


def test_problems_name_the_sheets_columns_in_chinese(db):
    """A street's sheet says 上级编码 and 纬度: its problems name those columns, not the
    export's parent_code and lat (as the staff and department imports do)."""
    rows = [
        *SHEET[2:7],
        ["HX-DQ-LY-02", "柳荫二网格", "网格", "", "", "", "", ""],
        ["HX-DQ-LY-01-02", "2号楼", "楼栋", "HX-DQ-LY-01", "三十九", 116.40, "", ""],
    ]
    with translation.override("zh-hans"):
        report = io.import_places(as_xlsx(rows))
        problems = [(e.row, e.column, e.message) for e in report.errors]
    assert [e.field for e in report.errors][:2] == ["parent_code", "lat"]  # the API's keys
    assert problems[:2] == [
        (6, "上级编码", "网格需要填写上级编码（parent_code）。"),
        (7, "纬度", "纬度 (lat) 必须是数字。"),
    ]


def test_a_boundary_pasted_as_drawn_is_read_as_its_geometry(db):
    """geojson.io and QGIS save a drawn grid as a Feature in a FeatureCollection; pasted
    whole into 边界, it is the grid's polygon. Two features are two boundaries: refused."""
    ring = [[116.3, 39.9], [116.31, 39.9], [116.31, 39.91], [116.3, 39.91], [116.3, 39.9]]
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    drawn = {"type": "FeatureCollection", "features": [feature]}
    rows = [
        [*SHEET[2], "边界"],
        *SHEET[3:6],
        ["G1", "柳荫一网格", "网格", "HX-DQ-LY", "", "", "", "", json.dumps(drawn)],
        ["G2", "柳荫二网格", "网格", "HX-DQ-LY", "", "", "", "", json.dumps(feature)],
    ]
    report = io.import_places(as_xlsx(rows))
    assert report.ok, report.problems()
    assert Place.objects.get(code="G1").boundary["type"] == "Polygon"
    assert Place.objects.get(code="G2").boundary == feature["geometry"]
    two = {"type": "FeatureCollection", "features": [feature, feature]}
    with translation.override("zh-hans"):
        report = io.import_places(as_xlsx([rows[0], [*rows[4][:8], json.dumps(two)]]))
    assert [(e.column, e.message) for e in report.errors] == [
        (
            "边界",
            "边界是含 2 个要素的 FeatureCollection；一个地点只有一个边界（多个多边形请合并为一个 MultiPolygon）。",
        )
    ]


def test_codes_typed_full_width_are_the_codes(db):
    """A Chinese input method left in full-width mode types ＨＸ－ＤＱ: the code HX-DQ."""
    rows = [SHEET[2], SHEET[3], ["ＨＸ－ＤＱ", "东桥街道", "街道", "ＨＸ", "", "", "", ""]]
    report = io.import_places(as_xlsx(rows))
    assert report.ok, report.problems()
    assert Place.objects.get(code="HX-DQ").path == "/HX/HX-DQ/"
