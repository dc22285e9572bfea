"""The place sheet's geometry checked against itself: a building pin far outside its grid is
refused with its row, one just outside and grids overlapping by more than a sliver are
warnings that do not stop the import; a parent code typed in the wrong case is named with
the code it differs from."""

import io as stdio
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from gridgov.places import io
from gridgov.places.models import Place
from tests.places.factories import square
from tests.sheets import as_xlsx

pytestmark = pytest.mark.django_db

HEADER = ["编码", "名称", "层级", "上级编码", "纬度", "经度", "地址", "别名", "边界"]
# A grid of 0.002° (about 170 m × 220 m) with south-west corner at 116.400, 39.910.
GRID = square(116.400, 39.910, 0.002)


def sheet(*rows, grid=GRID):
    return [
        HEADER,
        ["HX", "河西区", "区", "", "", "", "", "", ""],
        ["HX-DQ", "东桥街道", "街道", "HX", "", "", "", "", ""],
        ["HX-DQ-LY", "柳荫社区", "社区", "HX-DQ", "", "", "", "", ""],
        ["HX-DQ-LY-01", "柳荫一网格", "网格", "HX-DQ-LY", "", "", "", "", json.dumps(grid)],
        *rows,
    ]


def building(code, lat, lng, parent="HX-DQ-LY-01"):
    return [code, f"{code}号楼", "楼栋", parent, lat, lng, "", "", ""]


def zh_import(rows, **kwargs):
    with translation.override("zh-hans"):
        return io.import_places(as_xlsx(rows), **kwargs)


def test_a_building_inside_its_grid_is_no_problem(db):
    report = zh_import(sheet(building("B1", 39.911, 116.401)))
    assert report.written and not report.errors and not report.warnings


def test_a_building_far_outside_its_grid_is_refused_with_its_row(db):
    # 39.913 is 0.001° (about 111 m) north of the grid: a coordinate or a parent gone wrong.
    report = zh_import(sheet(building("B1", 39.911, 116.401), building("B2", 39.913, 116.401)))
    assert not report.written and not Place.objects.exists()
    [error] = report.errors
    assert (error.row, error.code, error.column, error.kind) == (7, "B2", "纬度", "outside_grid")
    assert "楼栋位于所属网格 HX-DQ-LY-01 的边界外 111 米（超过 50 米）" in error.message
    assert "纬度/经度" in error.message and "上级编码" in error.message


def test_a_building_just_outside_its_grid_is_imported_with_a_warning(db):
    # 39.9122 is about 22 m north of the grid's edge: a pin on the road before the gate.
    report = zh_import(sheet(building("B1", 39.9122, 116.401)))
    assert report.written and not report.errors
    assert Place.objects.get(code="B1").lat == 39.9122
    [warning] = report.warnings
    assert (warning.row, warning.code, warning.column) == (6, "B1", "纬度")
    assert warning.message.startswith("楼栋位于所属网格 HX-DQ-LY-01 的边界外 22 米；已导入")


def test_a_building_is_checked_against_its_grid_in_the_database(db):
    zh_import(sheet())
    rows = [HEADER, building("B9", 39.920, 116.401)]  # about 890 m north
    report = zh_import(rows)
    assert [(e.row, e.code, e.kind) for e in report.errors] == [(2, "B9", "outside_grid")]
    assert not Place.objects.filter(code="B9").exists()


def test_grids_overlapping_by_more_than_a_sliver_are_a_warning(db):
    overlapping = square(116.4015, 39.910, 0.002)  # a quarter of the first grid
    sliver = square(116.40199, 39.912, 0.002)  # touches the first at a corner only
    edge = square(116.40199, 39.910, 0.002)  # 0.5% over the first grid's east edge
    rows = sheet(
        ["HX-DQ-LY-02", "柳荫二网格", "网格", "HX-DQ-LY", "", "", "", "", json.dumps(overlapping)],
        ["HX-DQ-LY-03", "柳荫三网格", "网格", "HX-DQ-LY", "", "", "", "", json.dumps(sliver)],
    )
    report = zh_import(rows)
    assert report.written and not report.errors
    assert [(w.row, w.code, w.column, w.kind) for w in report.warnings] == [
        (6, "HX-DQ-LY-02", "边界", "overlap")
    ]
    assert report.warnings[0].message.startswith(
        "该网格与第 5 行的网格 HX-DQ-LY-01 重叠，重叠面积占较小网格的 25.0%"
    )
    edge_only = sheet(
        ["HX-DQ-LY-02", "柳荫二网格", "网格", "HX-DQ-LY", "", "", "", "", json.dumps(edge)]
    )
    assert zh_import(edge_only).warnings == []


def test_the_command_prints_the_warnings_and_imports(db, tmp_path):
    path = tmp_path / "地点.xlsx"
    path.write_bytes(as_xlsx(sheet(building("B1", 39.9122, 116.401))))
    err = stdio.StringIO()
    with translation.override("zh-hans"):
        call_command("places", "import", str(path), stdout=stdio.StringIO(), stderr=err)
    assert "边界外 22 米" in err.getvalue() and Place.objects.filter(code="B1").exists()
    path.write_bytes(as_xlsx(sheet(building("B2", 39.913, 116.401))))
    with translation.override("zh-hans"), pytest.raises(CommandError):
        call_command("places", "import", str(path), stdout=stdio.StringIO(), stderr=err)
    assert "超过 50 米" in err.getvalue() and not Place.objects.filter(code="B2").exists()


def test_a_parent_code_in_the_wrong_case_is_named_with_the_right_one(db):
    rows = sheet(building("B1", 39.911, 116.401, parent="hx-dq-ly-01"))
    report = zh_import(rows)
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (6, "上级编码", "未找到上级编码 hx-dq-ly-01；是否为 HX-DQ-LY-01？（编码区分大小写）")
    ]
    zh_import(sheet())  # now from the database
    report = zh_import([HEADER, building("B1", 39.911, 116.401, parent="hx-dq-ly-01")])
    assert "是否为 HX-DQ-LY-01？" in report.errors[0].message and not report.written
    unknown = zh_import([HEADER, building("B1", 39.911, 116.401, parent="NOPE")])
    assert "是否为" not in unknown.errors[0].message
