"""部门导入: the departments tickets are routed to come from a sheet (gridgov departments
import, /people/departments/import/), all or nothing, every bad row named in Chinese; a
second import updates them by code and says what changed. The admin's 管辖区域 picker
offers districts and streets only."""

import io as stdio

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import load_workbook

from gridgov.people import department_import
from gridgov.people.models import Department, Role
from tests.sheets import as_csv, as_xls, as_xlsx

from .factories import user_with_role

pytestmark = pytest.mark.django_db

HEADER = ["部门编码", "部门名称", "管辖区域编码", "联系电话"]


def departments():
    return [
        ["河西区职能部门名单"],
        HEADER,
        ["CG", "区城管执法局", "D", 12345678],
        ["ZJ", "区住建局", "D", ""],
        ["S1-ZFD", "东桥街道综合执法队", "S1", "010-8888"],
    ]


@pytest.mark.parametrize("make", [as_csv, as_xlsx, as_xls])
def test_a_department_sheet_makes_departments(tree, make):
    report = department_import.import_departments(make(departments()))
    assert not report.errors and report.written
    assert (report.total, report.created, report.updated) == (3, 3, 0)
    cg = Department.objects.get(code="CG")
    assert (cg.name, cg.place, cg.phone) == ("区城管执法局", tree.d, "12345678")
    assert Department.objects.get(code="S1-ZFD").place == tree.s1


def test_every_bad_row_is_named_in_chinese_and_nothing_is_written(tree):
    rows = [
        HEADER,
        ["CG", "区城管执法局", "D", ""],
        ["", "无编码的部门", "D", ""],
        ["CG", "又一个城管", "S1", ""],
        ["WG", "", "G1", ""],
        ["XX", "某部门", "NOPE", ""],
        ["SQ", "社区部门", "C1", ""],
        ["LONG", "电话太长", "S2", "1" * 33],
    ]
    report = department_import.import_departments(as_csv(rows))
    assert not report.written and not Department.objects.exists()
    problems = [(e.row, e.column, e.message) for e in report.errors]
    assert (3, "部门编码", "缺少部门编码。") in problems
    assert (4, "部门编码", "编码 CG 在第 2 行已经出现。") in problems
    assert (5, "部门名称", "缺少部门名称。") in problems
    assert (5, "管辖区域编码", "grid-G1（G1）是网格；部门的管辖区域只能是区或街道。") in problems
    assert (6, "管辖区域编码", "没有编码为 NOPE 的地点，请先导入地点树。") in problems
    assert (
        7,
        "管辖区域编码",
        "community-C1（C1）是居村；部门的管辖区域只能是区或街道。",
    ) in problems
    assert any(r == 8 and c == "联系电话" for r, c, _m in problems)
    assert {r for r, _c, _m in problems} == {3, 4, 5, 6, 7, 8}


def test_a_sheet_without_the_area_column_is_refused_by_name(tree):
    with translation.override("zh-hans"):
        with pytest.raises(department_import.ImportFormatError) as refused:
            department_import.import_departments(as_csv([["部门编码", "部门名称"], ["CG", "城管"]]))
    # Its own message (not the staff table's), the columns as the template names them.
    assert (
        str(refused.value)
        == "部门表需要以下列：部门编码、部门名称、管辖区域编码；缺少：管辖区域编码。"
    )


def test_importing_again_updates_names_and_says_what_changed(tree):
    department_import.import_departments(as_xlsx(departments()))
    rows = departments()
    rows[2] = ["CG", "区城市管理和综合执法局", "D", ""]  # renamed; phone left empty
    rows[4] = ["S1-ZFD", "东桥街道综合执法队", "S2", "010-8888"]  # moved street
    checked = department_import.import_departments(as_xlsx(rows), dry_run=True)
    assert (checked.created, checked.updated, checked.unchanged) == (0, 2, 1)
    assert not checked.written and Department.objects.get(code="CG").name == "区城管执法局"
    report = department_import.import_departments(as_xlsx(rows))
    assert [(c.code, c.label, c.old, c.new) for c in report.changes] == [
        ("CG", "部门名称", "区城管执法局", "区城市管理和综合执法局"),
        ("S1-ZFD", "管辖区域编码", "street-S1（S1）", "street-S2（S2）"),
    ]
    cg = Department.objects.get(code="CG")
    assert cg.name == "区城市管理和综合执法局" and cg.phone == "12345678"  # phone kept
    assert Department.objects.get(code="S1-ZFD").place == tree.s2
    again = department_import.import_departments(as_xlsx(rows))
    assert (again.updated, again.unchanged, again.changes) == (0, 3, [])


def test_the_command_checks_imports_and_lists_problems(tree, tmp_path):
    path = tmp_path / "部门.xls"
    path.write_bytes(as_xls(departments()))
    out = stdio.StringIO()
    call_command("departments", "import", str(path), "--dry-run", stdout=out)
    assert "新部门 3 个" in out.getvalue() and not Department.objects.exists()
    call_command("departments", "import", str(path), stdout=stdio.StringIO())
    assert Department.objects.count() == 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(as_csv([HEADER, ["WG", "网格部门", "G1", ""]]))
    err = stdio.StringIO()
    with pytest.raises(CommandError):
        call_command("departments", "import", str(bad), stderr=err)
    assert "管辖区域编码" in err.getvalue() and "区或街道" in err.getvalue()


# -- the page -----------------------------------------------------------------


def upload(rows, name="部门.xlsx"):
    out = stdio.BytesIO(as_xlsx(rows))
    out.name = name
    return out


def test_a_superuser_imports_departments_from_the_page(client, tree):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x"))
    assert 'href="/people/departments/import/"' in client.get("/people/").content.decode()
    template = client.get("/people/departments/import/template.xlsx")
    sheet = load_workbook(stdio.BytesIO(template.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    page = client.post("/people/departments/import/", {"file": upload(departments())})
    assert "新部门 3 个" in page.content.decode()
    assert Department.objects.count() == 3
    bad = [HEADER, ["WG", "网格部门", "G1", ""]]
    html = client.post("/people/departments/import/", {"file": upload(bad)}).content.decode()
    assert "<td>2</td><td>WG</td><td>管辖区域编码</td>" in html


def test_district_staff_import_the_departments_of_their_district_only(client, tree):
    from gridgov.places.models import Level

    from .factories import make_place

    other = make_place("D2", Level.DISTRICT, index=20)
    Department.objects.create(code="D2-CG", name="外区城管", place=other)
    client.force_login(user_with_role(Role.DISTRICT_STAFF, tree.d))
    assert 'href="/people/departments/import/"' in client.get("/people/").content.decode()
    rows = [HEADER, ["CG", "区城管执法局", "D", ""], ["S1-ZFD", "东桥执法队", "S1", ""]]
    page = client.post("/people/departments/import/", {"file": upload(rows)})
    assert Department.objects.filter(code__in=["CG", "S1-ZFD"]).count() == 2, page
    outside = [HEADER, ["X", "外区部门", "D2", ""], ["D2-CG", "改名", "D", ""]]
    html = client.post("/people/departments/import/", {"file": upload(outside)}).content.decode()
    assert "<td>2</td><td>X</td><td>管辖区域编码</td>" in html and "不在您的管辖范围内" in html
    assert "<td>3</td><td>D2-CG</td><td>部门编码</td>" in html
    assert not Department.objects.filter(code="X").exists()
    assert Department.objects.get(code="D2-CG").name == "外区城管"


def test_street_staff_cannot_import_departments(client, tree):
    client.force_login(user_with_role(Role.STREET_STAFF, tree.s1))
    assert 'href="/people/departments/import/"' not in client.get("/people/").content.decode()
    assert client.get("/people/departments/import/").status_code == 403
    assert client.get("/people/departments/import/template.xlsx").status_code == 403


# -- the admin's picker ---------------------------------------------------------


def test_the_admin_picker_offers_only_districts_and_streets(admin_client, tree):
    found = admin_client.get(
        "/admin/autocomplete/",
        {"term": "", "app_label": "people", "model_name": "department", "field_name": "place"},
    ).json()
    assert {r["id"] for r in found["results"]} == {str(p.pk) for p in (tree.d, tree.s1, tree.s2)}
    response = admin_client.post(
        "/admin/people/department/add/", {"code": "WG", "name": "网格部门", "place": tree.g1.pk}
    )
    assert response.status_code == 200 and not Department.objects.exists()


def test_a_phone_that_is_no_number_is_named(tree):
    rows = [HEADER, ["CG", "区城管执法局", "D", "见备注"], ["ZJ", "区住建局", "D", "010 8888 1234"]]
    report = department_import.import_departments(as_csv(rows))
    assert [(e.row, e.column) for e in report.errors] == [(2, "联系电话")]
    assert "不是电话号码" in report.errors[0].message and not Department.objects.exists()


def test_codes_typed_full_width_are_the_codes(tree):
    rows = [HEADER, ["ＣＧ－０１", "区城管执法局", "Ｄ", ""]]
    report = department_import.import_departments(as_csv(rows))
    assert not report.errors and report.written, report.errors
    assert Department.objects.get(code="CG-01").place == tree.d


def test_the_same_phone_written_otherwise_is_no_change_and_keeps_what_is_stored(tree):
    department_import.import_departments(as_csv(departments()))
    rows = departments()
    rows[4] = ["S1-ZFD", "东桥街道综合执法队", "S1", "010 8888"]  # stored as 010-8888
    rows[2] = ["CG", "区城管执法局", "D", "1234-5678"]  # stored as 12345678
    report = department_import.import_departments(as_csv(rows))
    assert (report.updated, report.unchanged, report.changes) == (0, 3, [])
    assert Department.objects.get(code="S1-ZFD").phone == "010-8888"
    assert Department.objects.get(code="CG").phone == "12345678"


def test_an_area_code_in_the_wrong_case_is_named_with_the_right_one(tree):
    with translation.override("zh-hans"):
        report = department_import.import_departments(
            as_csv([HEADER, ["CG", "区城管执法局", "s1", ""]])
        )
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "管辖区域编码", "未找到管辖区域编码 s1；是否为 S1？（编码区分大小写）")
    ]


def test_a_new_code_differing_only_in_case_from_a_department_is_refused_naming_it(tree):
    department_import.import_departments(as_csv(departments()))
    with translation.override("zh-hans"):
        report = department_import.import_departments(
            as_csv([HEADER, ["cg", "区城管执法局", "D", ""], ["CG", "区城管执法局", "D", ""]])
        )
    # Before, cg was created beside CG: a second department for the same office.
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (
            2,
            "部门编码",
            "部门编码 cg 与已有部门 CG（区城管执法局）仅大小写不同；编码区分大小写："
            "更新该部门请填写 CG，否则请另取编码。",
        )
    ]
    assert not report.written and not Department.objects.filter(code="cg").exists()
    # A department whose code is exactly cg is that department: updated, nothing refused.
    Department.objects.create(code="cg", name="城管小组", place=tree.d)
    again = department_import.import_departments(as_csv([HEADER, ["cg", "城管组", "D", ""]]))
    assert not again.errors and again.updated == 1


def test_two_new_codes_of_the_sheet_differing_only_in_case_are_refused(tree):
    rows = [HEADER, ["ZJ", "区住建局", "D", ""], ["zj", "区住建局", "D", ""]]
    with translation.override("zh-hans"):
        report = department_import.import_departments(as_csv(rows))
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (
            3,
            "部门编码",
            "部门编码 zj 与第 2 行的 ZJ 仅大小写不同；编码区分大小写：同一部门的编码请写法一致。",
        )
    ]
    assert not Department.objects.exists()
