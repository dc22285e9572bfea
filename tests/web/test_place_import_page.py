"""导入地点 (/places/import/): the place sheet uploaded from the browser, with the template
to fill in, reached from the map page; for superusers and district/street staff only."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from openpyxl import Workbook, load_workbook

from gridgov.people.models import Role
from gridgov.places.models import Place
from tests.people.factories import make_tree, user_with_role

pytestmark = pytest.mark.django_db


def xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "地点.xlsx"
    return out


@pytest.fixture
def admin(client):
    user = get_user_model().objects.create_superuser("admin", password="x")
    client.force_login(user)
    return user


def test_an_empty_map_leads_the_superuser_to_the_import(client, admin):
    html = client.get("/places/").content.decode()
    assert "暂无地点数据。" in html and 'href="/places/import/"' in html
    page = client.get("/places/import/").content.decode()
    assert "导入地点" in page and 'href="/places/import/template.xlsx"' in page


def test_the_template_imports_as_it_is(client, admin):
    response = client.get("/places/import/template.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]][:4] == ["编码", "名称", "层级", "上级编码"]
    upload = io.BytesIO(response.content)
    upload.name = "places-template.xlsx"
    checked = client.post("/places/import/", {"file": upload, "dry_run": "1"})
    assert "将新建 5 个" in checked.content.decode() and not Place.objects.exists()


def test_bad_rows_are_listed_with_their_row_and_nothing_is_written(client, admin):
    rows = [
        ["编码", "名称", "层级", "上级编码"],
        ["HX", "河西区", "区", ""],
        ["HX-DQ", "东桥街道", "小区", "HX"],
        ["HX-X", "某街道", "街道", "NOPE"],
    ]
    html = client.post("/places/import/", {"file": xlsx(rows)}).content.decode()
    assert "未导入任何数据" in html and "发现 2 个问题" in html
    # The columns as the sheet names them.
    assert "<td>3</td><td>HX-DQ</td><td>层级</td>" in html
    assert "<td>4</td><td>HX-X</td><td>上级编码</td>" in html
    assert not Place.objects.exists()


def test_a_good_sheet_is_imported(client, admin):
    rows = [["编码", "名称", "层级", "上级编码"], ["HX", "河西区", "区", ""]]
    html = client.post("/places/import/", {"file": xlsx(rows)}).content.decode()
    assert "已导入" in html and "新建 1 个" in html
    assert Place.objects.get(code="HX").level == "district"


def test_street_staff_import_under_their_street_only(client):
    tree = make_tree()
    client.force_login(user_with_role(Role.STREET_STAFF, tree.s1))
    assert 'href="/places/import/"' in client.get("/places/").content.decode()
    rows = [
        ["编码", "名称", "层级", "上级编码"],
        ["G9", "新网格", "网格", "C1"],
        ["G8", "外网格", "网格", "C3"],
    ]
    html = client.post("/places/import/", {"file": xlsx(rows)}).content.decode()
    assert "发现 1 个问题" in html and "<td>3</td><td>G8</td>" in html
    assert not Place.objects.filter(code__in=["G8", "G9"]).exists()


def test_a_grid_worker_has_no_import(client):
    tree = make_tree()
    client.force_login(user_with_role(Role.GRID_WORKER, tree.g1))
    assert 'href="/places/import/"' not in client.get("/places/").content.decode()
    assert client.get("/places/import/").status_code == 403
    assert client.get("/places/import/template.xlsx").status_code == 403


STREET_SHEET = [
    ["编码", "名称", "层级", "上级编码"],
    ["HX", "河西区", "区", ""],
    ["HX-DQ", "东桥街道", "街道", "HX"],
    ["HX-DQ-LY", "柳荫社区", "社区", "HX-DQ"],
]


def test_street_staff_upload_their_sheet_with_the_district_row_as_it_is(client):
    """The street's sheet starts 区 → 街道 (README, day one): its district row, unchanged,
    is no change outside the street, so it does not stop the street's new grid."""
    from gridgov.places import io as places_io

    places_io.import_places(xlsx(STREET_SHEET))
    client.force_login(user_with_role(Role.STREET_STAFF, Place.objects.get(code="HX-DQ")))
    rows = [*STREET_SHEET, ["HX-DQ-LY-01", "柳荫一网格", "网格", "HX-DQ-LY"]]
    html = client.post("/places/import/", {"file": xlsx(rows)}).content.decode()
    assert "已导入" in html and "新建 1 个" in html and "3 个无变化" in html, html
    assert Place.objects.get(code="HX-DQ-LY-01").path == "/HX/HX-DQ/HX-DQ-LY/HX-DQ-LY-01/"


def test_an_unchanged_district_row_lets_street_staff_change_nothing_above_them(client):
    from gridgov.places import io as places_io

    places_io.import_places(xlsx(STREET_SHEET))
    client.force_login(user_with_role(Role.STREET_STAFF, Place.objects.get(code="HX-DQ")))
    new_street = [*STREET_SHEET, ["HX-XQ", "西桥街道", "街道", "HX"]]
    renamed = [STREET_SHEET[0], ["HX", "河西新区", "区", ""], *STREET_SHEET[2:]]
    for rows, code in ((new_street, "HX-XQ"), (renamed, "HX")):
        html = client.post("/places/import/", {"file": xlsx(rows)}).content.decode()
        assert "未导入任何数据" in html and f"您无权修改 {code} 处的地点。" in html, code
    assert not Place.objects.filter(code="HX-XQ").exists()
    assert Place.objects.get(code="HX").name == "河西区"


def test_a_row_without_its_parent_is_one_problem_for_street_staff(client):
    """Street staff leaving 上级编码 empty read one problem, not also 您无权修改 (a
    place without a parent would be a district, which only a superuser creates)."""
    from gridgov.places import io as places_io

    places_io.import_places(xlsx(STREET_SHEET))
    client.force_login(user_with_role(Role.STREET_STAFF, Place.objects.get(code="HX-DQ")))
    rows = [*STREET_SHEET, ["HX-DQ-LY-01", "柳荫一网格", "网格", ""]]
    html = client.post("/places/import/", {"file": xlsx(rows)}).content.decode()
    assert "发现 1 个问题" in html and "网格需要填写上级编码（parent_code）。" in html
    assert "您无权修改" not in html


def test_a_building_just_outside_its_grid_is_imported_and_shown_to_check(client, admin):
    grid = {
        "type": "Polygon",
        "coordinates": [
            [[116.4, 39.91], [116.402, 39.91], [116.402, 39.912], [116.4, 39.912], [116.4, 39.91]]
        ],
    }
    rows = [
        ["编码", "名称", "层级", "上级编码", "纬度", "经度", "边界"],
        ["HX", "河西区", "区", "", "", "", ""],
        ["HX-DQ", "东桥街道", "街道", "HX", "", "", ""],
        ["HX-DQ-LY", "柳荫社区", "社区", "HX-DQ", "", "", ""],
        ["HX-DQ-LY-01", "柳荫一网格", "网格", "HX-DQ-LY", "", "", json.dumps(grid)],
        ["HX-DQ-LY-01-01", "1号楼", "楼栋", "HX-DQ-LY-01", 39.9122, 116.401, ""],
    ]
    html = client.post("/places/import/", {"file": xlsx(rows)}).content.decode()
    assert Place.objects.filter(code="HX-DQ-LY-01-01").exists()
    assert 'id="place-import-warnings"' in html and "请核对以下各行" in html
    assert "楼栋位于所属网格 HX-DQ-LY-01 的边界外 22 米；已导入" in html
