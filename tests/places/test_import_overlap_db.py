"""The place sheet's grids against the grids already in the database: a street importing its
second community's grids on day two, drawn over the first community's, was told nothing (the
overlap check compared the sheet's grids with each other only), and the address lookup then
put buildings in whichever grid came first. Now an overlap of more than 1% of the smaller grid
is a warning naming both grids; the import still goes through (command, page and API)."""

import io as stdio

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import translation

from gridgov.places import io
from gridgov.places.models import Level, Place

from .factories import PlaceFactory, make_tree, rectangle, square
from .test_io import collection, feature

pytestmark = pytest.mark.django_db

# make_tree: G1a = 116.30–116.31, G1b = 116.31–116.32 (lng), both 39.90–39.91 (lat), in
# 魏家坡社区 C1 of 学院路街道 S1. G7 spans 116.3085–116.3105: 75% in G1a, 25% in G1b.
OVER_BOTH = square(116.3085, 39.902, 0.002)


def zh_import(*features, **kwargs):
    with translation.override("zh-hans"):
        return io.import_places(collection(*features), "geojson", **kwargs)


def overlaps(report):
    return [(w.row, w.code, w.column, w.message) for w in report.warnings if w.kind == "overlap"]


def test_a_new_grid_over_existing_grids_is_imported_with_a_warning_naming_both(tree):
    report = zh_import(feature("G7", "新网格", "grid", "C1", OVER_BOTH))
    assert report.written and not report.errors
    assert Place.objects.get(code="G7").boundary == OVER_BOTH
    assert overlaps(report) == [
        (
            1,
            "G7",
            "边界",
            "网格 G7 与已有网格 G1a（魏家坡小区）重叠，重叠面积占较小网格的 75.0%；已导入，"
            "但落在重叠处的诉求将归入先创建的网格 G1a，请重新绘制边界。",
        ),
        (
            1,
            "G7",
            "边界",
            "网格 G7 与已有网格 G1b（幸福里小区）重叠，重叠面积占较小网格的 25.0%；已导入，"
            "但落在重叠处的诉求将归入先创建的网格 G1b，请重新绘制边界。",
        ),
    ]


def test_a_dry_run_says_it_too(tree):
    report = zh_import(feature("G7", "新网格", "grid", "C1", OVER_BOTH), dry_run=True)
    assert not report.written and report.created == 1
    assert [w.message.split("重叠")[0] for w in report.warnings] == [
        "网格 G7 与已有网格 G1a（魏家坡小区）",
        "网格 G7 与已有网格 G1b（幸福里小区）",
    ]


def test_neighbours_that_only_touch_or_share_a_sliver_are_no_warning(tree):
    touching = square(116.32, 39.90)  # G1b's east edge
    sliver = square(116.31995, 39.90)  # 0.5% over G1b's east edge
    corner = square(116.32, 39.91)  # G1b's north-east corner
    edge = zh_import(feature("G9", "边上网格", "grid", "C1", sliver), dry_run=True)
    assert edge.created == 1 and edge.warnings == []
    report = zh_import(
        feature("G7", "东网格", "grid", "C1", touching),
        feature("G8", "东北网格", "grid", "C1", corner),
    )
    assert report.written and report.created == 2 and report.warnings == []


def test_a_grid_redrawn_is_not_compared_with_its_old_self(tree):
    # G1a moved 0.003° east: 70% of it over its old self (replaced, so nothing to say) and
    # 30% over G1b, which is still there. G1a was created before G1b, so it gets the reports.
    report = zh_import(feature("G1a", "魏家坡小区", "grid", "C1", square(116.303, 39.90)))
    assert report.written and report.updated == 1
    assert overlaps(report) == [
        (
            1,
            "G1a",
            "边界",
            "网格 G1a 与已有网格 G1b（幸福里小区）重叠，重叠面积占较小网格的 30.0%；已导入，"
            "但落在重叠处的诉求将归入先创建的网格 G1a，请重新绘制边界。",
        )
    ]
    # The same boundary again, a little smaller: over its old self only.
    again = zh_import(feature("G1a", "魏家坡小区", "grid", "C1", square(116.303, 39.90, 0.007)))
    assert again.written and again.warnings == []


def test_two_existing_grids_both_in_the_sheet_are_compared_as_the_sheet_draws_them(tree):
    report = zh_import(
        feature("G1a", "魏家坡小区", "grid", "C1", square(116.303, 39.90)),
        feature("G1b", "幸福里小区", "grid", "C1", square(116.31, 39.90)),
    )
    [warning] = report.warnings
    assert warning.message.startswith("该网格与第 1 行的网格 G1a 重叠，重叠面积占较小网格的 30.0%")


def test_another_streets_grid_is_a_warning_naming_that_street(tree):
    # Another street refusing the sheet would stop this street's whole tree on a drawing that
    # only the other office may redo: a warning, naming whom to call.
    other = make_tree("2", district=tree.district, origin=(116.32, 39.90))
    other.street.name = "东桥街道"
    other.street.save()
    # 116.315–116.321: 5/6 over G1b (this street), 1/6 over G2a (东桥街道).
    report = zh_import(feature("G7", "新网格", "grid", "C1", square(116.315, 39.902, 0.006)))
    assert report.written and not report.errors
    assert [m for *_rest, m in overlaps(report)] == [
        "网格 G7 与已有网格 G1b（幸福里小区）重叠，重叠面积占较小网格的 83.3%；已导入，"
        "但落在重叠处的诉求将归入先创建的网格 G1b，请重新绘制边界。",
        "网格 G7 与东桥街道的已有网格 G2a（魏家坡小区）重叠，重叠面积占较小网格的 16.7%；"
        "已导入，但落在重叠处的诉求将归入先创建的网格 G2a，请与该街道核对后重新绘制边界。",
    ]


def test_a_grid_of_the_next_district_is_compared_too(tree):
    district = PlaceFactory(
        code="D2", name="朝阳区", level=Level.DISTRICT, boundary=rectangle(116.32, 39.80, 0.3, 0.3)
    )
    make_tree("2", district=district, origin=(116.32, 39.90))
    report = zh_import(feature("G7", "新网格", "grid", "C1", square(116.319, 39.902, 0.002)))
    assert [(w.code, w.message.split("重叠")[0]) for w in report.warnings] == [
        ("G7", "网格 G7 与已有网格 G1b（幸福里小区）"),
        ("G7", "网格 G7 与学院路街道的已有网格 G2a（魏家坡小区）"),
    ]


def test_only_the_streets_near_the_sheet_are_read(tree):
    """A city's thousands of grid boundaries are not all read for a street's sheet: only the
    grids of the streets above the sheet's grids, of those whose boundary comes near, and, in
    the sheet's district, of those with no boundary to tell."""
    make_tree("2", district=tree.district, origin=(116.32, 39.90))  # next door: read
    make_tree("3", district=tree.district, origin=(116.40, 39.95))  # same district, far
    PlaceFactory(code="S4", name="无边界街道", level=Level.STREET, parent=tree.district)
    far = PlaceFactory(
        code="D5", name="远区", level=Level.DISTRICT, boundary=square(117.0, 40.5, 0.2)
    )
    PlaceFactory(code="S5", name="远街道", level=Level.STREET, parent=far)
    unknown = PlaceFactory(code="D6", name="无边界区", level=Level.DISTRICT)
    PlaceFactory(code="S6", name="别区无边界街道", level=Level.STREET, parent=unknown)
    _fmt, records, errors = io.read_records(
        collection(feature("G7", "新网格", "grid", "C1", square(116.3185, 39.902, 0.002)))
    )
    tree_ = io.check_tree(records, errors)
    grids = [(rec, io._area(rec.boundary)) for rec in records]
    index = io.shapely.STRtree([geom for _rec, geom in grids])
    assert sorted(io._nearby_grid_paths(tree_, grids, index)) == ["/D1/S1/", "/D1/S2/", "/D1/S4/"]


def test_the_command_prints_the_overlap_and_imports(tree, tmp_path):
    path = tmp_path / "网格.geojson"
    path.write_bytes(collection(feature("G7", "新网格", "grid", "C1", OVER_BOTH)))
    err = stdio.StringIO()
    with translation.override("zh-hans"):
        call_command("places", "import", str(path), stdout=stdio.StringIO(), stderr=err)
    assert "网格 G7 与已有网格 G1a（魏家坡小区）重叠" in err.getvalue()
    assert Place.objects.filter(code="G7").exists()


def test_the_page_lists_the_overlap_and_imports(client, tree):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x"))
    data = collection(feature("G7", "新网格", "grid", "C1", OVER_BOTH))
    upload = SimpleUploadedFile("网格.geojson", data)
    html = client.post("/places/import/", {"file": upload}).content.decode()
    assert 'id="place-import-warnings"' in html
    assert "网格 G7 与已有网格 G1a（魏家坡小区）重叠，重叠面积占较小网格的 75.0%" in html
    assert Place.objects.filter(code="G7").exists()


def test_the_api_answers_the_overlap_in_its_warnings(api, street_staff):
    api.force_authenticate(street_staff)
    upload = SimpleUploadedFile(
        "网格.geojson", collection(feature("G7", "新网格", "grid", "C1", OVER_BOTH))
    )
    response = api.post(
        "/api/v1/places/import/",
        {"file": upload},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] == 1
    assert [(w["row"], w["code"], w["column"], w["kind"]) for w in body["warnings"]] == [
        (1, "G7", "边界", "overlap"),
        (1, "G7", "边界", "overlap"),
    ]
    assert body["warnings"][1]["message"].startswith(
        "网格 G7 与已有网格 G1b（幸福里小区）重叠，重叠面积占较小网格的 25.0%"
    )
