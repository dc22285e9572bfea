"""gridgov people import: the street's staff list (CSV or .xlsx, Chinese or English
columns and roles) becomes logins, person records and roles, all or nothing, with every
bad row named."""

import io as stdio

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import translation

from gridgov.people import imports
from gridgov.people.models import Department, Person, Role, RoleAssignment
from gridgov.people.scope import scope_for
from tests.sheets import as_csv, as_xls, as_xlsx

pytestmark = pytest.mark.django_db

HEADER = ["登录名", "姓名", "电话", "角色", "地点编码", "部门编码"]


@pytest.fixture
def dept(tree):
    return Department.objects.create(code="CG", name="城管执法队", place=tree.s1)


def staff(tree):
    return [
        ["东桥街道人员名单"],
        HEADER,
        ["ly-wang", "王芳", 13800001111, "网格员", "G1", ""],
        ["ly-li", "李强", "13800002222", "社区工作者", "C1", ""],
        ["dq-zhao", "赵敏", "", "street_staff", "S1", ""],
        ["dq-zhao", "赵敏", "", "12345 热线坐席", "S1", ""],
        ["cg-sun", "孙丽", "", "部门承办人", "", "CG"],
    ]


@pytest.mark.parametrize("make", [as_csv, as_xlsx, as_xls])
def test_a_staff_sheet_makes_logins_people_and_roles(tree, dept, make):
    report = imports.import_staff(make(staff(tree)))
    assert not report.errors and report.written
    assert (report.total, report.logins_created, report.roles_created) == (5, 4, 5)
    assert [u for u, _pw in report.passwords] == ["ly-wang", "ly-li", "dq-zhao", "cg-sun"]
    wang = get_user_model().objects.get(username="ly-wang")
    assert wang.check_password(dict(report.passwords)["ly-wang"])
    assert wang.person.name == "王芳" and wang.person.phone == "13800001111"
    assert wang.get_full_name() == "王芳"  # the header and timelines name them
    assert wang.person.place == tree.g1
    assert scope_for(wang).covers(tree.b1, {Role.GRID_WORKER})
    assert set(
        RoleAssignment.objects.filter(user__username="dq-zhao").values_list("role", flat=True)
    ) == {Role.STREET_STAFF, Role.HOTLINE_OPERATOR}
    handler = RoleAssignment.objects.get(user__username="cg-sun")
    assert handler.department == dept and handler.place is None
    assert Person.objects.get(user__username="cg-sun").place == tree.s1


def test_importing_again_changes_nothing(tree, dept):
    imports.import_staff(as_csv(staff(tree)))
    again = imports.import_staff(as_csv(staff(tree)))
    assert (again.logins_created, again.roles_created, again.unchanged) == (0, 0, 5)
    assert not again.passwords and Person.objects.count() == 4


def test_every_bad_row_is_named_and_nothing_is_written(tree, dept):
    rows = [
        *staff(tree),
        ["x1", "某甲", "", "网格员", "C1", ""],  # a grid worker at a community
        ["x2", "", "", "网格长", "G1", ""],
        ["x3", "某丙", "", "网格员", "NOPE", ""],
        ["x4", "某丁", "", "部门承办人", "", "ZZ"],
        ["x 5", "某戊", "", "居民", "B1", ""],
        ["ly-wang", "王芳", "", "网格员", "G1", ""],
    ]
    with translation.override("zh-hans"):
        report = imports.import_staff(as_csv(rows))
    found = [(e.row, e.username, e.field) for e in report.errors]
    assert found == [
        (8, "x1", "place_code"),
        (9, "x2", "name"),
        (9, "x2", "role"),
        (10, "x3", "place_code"),
        (11, "x4", "department_code"),
        (12, "x 5", "username"),
        (13, "ly-wang", "role"),
    ]
    messages = {e.username: e.message for e in report.errors}
    assert "NOPE" in messages["x3"] and "地点" in messages["x3"]
    assert "第 3 行" in messages["ly-wang"]
    assert not report.written and not get_user_model().objects.exists()


def test_a_missing_column_is_named(tree):
    with translation.override("zh-hans"), pytest.raises(imports.ImportFormatError) as caught:
        imports.import_staff(as_csv([["登录名", "姓名", "地点编码"], ["a", "b", "G1"]]))
    # The template's column names, listed as the departments import lists its own.
    assert str(caught.value) == "人员表格需要以下列：登录名、姓名、角色；缺少：角色。"


def test_the_command_prints_the_initial_passwords(tree, dept, tmp_path):
    sheet = tmp_path / "staff.xlsx"
    sheet.write_bytes(as_xlsx(staff(tree)))
    out = stdio.StringIO()
    with translation.override("zh-hans"):
        call_command("people", "import", str(sheet), "--dry-run", stdout=out)
        assert "新登录账号 4 个" in out.getvalue() and not get_user_model().objects.exists()
        call_command("people", "import", str(sheet), stdout=out)
    password = get_user_model().objects.get(username="ly-wang")
    line = next(x for x in out.getvalue().splitlines() if x.startswith("ly-wang"))
    assert password.check_password(line.split()[-1])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(as_csv([HEADER, ["y1", "某", "", "网格员", "C1", ""]]))
    err = stdio.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError, match="发现 1 个问题"):
        call_command("people", "import", str(bad), stderr=err)
    # The key and column as the sheet names them, as in gridgov departments import.
    assert err.getvalue().split()[:4] == ["行", "登录名", "列", "问题"]
    assert err.getvalue().splitlines()[2].split()[:3] == ["2", "y1", "地点编码"]


def test_an_unknown_department_is_to_be_imported_at_the_department_import(tree, tmp_path):
    """It sent the street to 管理后台 → 部门, before departments had an import of their own."""
    with translation.override("zh-hans"):
        report = imports.import_staff(
            as_csv([HEADER, ["cg-sun", "孙丽", "", "部门承办人", "", "NOPE"]])
        )
    (problem,) = report.errors
    assert problem.column == "部门编码"
    assert "请先导入部门" in problem.message and "/people/departments/import/" in problem.message
    assert "gridgov departments import" in problem.message and "管理后台" not in problem.message


def test_the_commands_of_both_imports_sum_up_alike(tree, dept, tmp_path):
    """gridgov people import counts the logins it updates, as departments import counts the
    departments, in the same words."""
    sheet = tmp_path / "staff.csv"
    sheet.write_bytes(as_csv([HEADER, ["ly-wang", "王芳", "", "网格员", "G1", ""]]))
    again = tmp_path / "again.csv"
    again.write_bytes(
        as_csv(
            [
                HEADER,
                ["ly-wang", "王芳芳", "", "网格员", "G1", ""],
                ["ly-li", "李强", "", "网格员", "G2", ""],
            ]
        )
    )
    departments = tmp_path / "departments.csv"
    departments.write_bytes(
        as_csv([["部门编码", "部门名称", "管辖区域编码"], ["CG", "城管", "S1"]])
    )
    out = stdio.StringIO()
    with translation.override("zh-hans"):
        call_command("people", "import", str(sheet), stdout=stdio.StringIO())
        call_command("people", "import", str(again), "--dry-run", stdout=out)
        call_command("people", "import", str(again), stdout=out)
        call_command("departments", "import", str(departments), stdout=out)
    lines = out.getvalue().splitlines()
    assert "表格将修改以下已有账号（密码不变）：" in lines
    assert "已修改以下已有账号（密码不变）：" in lines
    assert ["登录名", "列", "原为", "现为"] in [line.split() for line in lines]
    assert ["ly-wang", "姓名", "王芳", "王芳芳"] in [line.split() for line in lines]
    assert (
        "已检查 2 行：新登录账号 1 个，待更新 1 个，新角色 1 个，已有角色 1 个。"
        "未写入任何数据（--dry-run）。"
    ) in lines
    assert "已导入 2 行：新登录账号 1 个，更新 1 个，新角色 1 个，已有角色 1 个。" in lines
    assert "已导入 1 行：新部门 0 个，更新 1 个，无变化 0 个。" in lines


def test_a_phone_that_is_no_number_is_named_and_spaces_are_fine(tree):
    """暂无 where the sheet has no phone would become the login's phone; a number written
    with spaces or dashes, as offices write them, is one."""
    rows = [
        HEADER,
        ["ly-wang", "王芳", "138 0000 1111", "网格员", "G1", ""],
        ["ly-li", "李强", "暂无", "社区工作者", "C1", ""],
        ["ly-zhou", "周婷", "(010) 8888-1234", "网格员", "G2", ""],
    ]
    with translation.override("zh-hans"):
        report = imports.import_staff(as_csv(rows))
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (
            3,
            "电话",
            "“暂无”不是电话号码：应为 7 到 15 位数字（可含空格、横线、括号）；没有电话请留空。",
        )
    ]
    assert not report.written and not Person.objects.exists()


def test_codes_typed_full_width_find_their_place_and_department(tree, dept):
    rows = [
        HEADER,
        ["ly-wang", "王芳", "", "网格员", "Ｇ１", ""],
        ["cg-sun", "孙丽", "", "部门承办人", "", "ＣＧ"],
    ]
    report = imports.import_staff(as_csv(rows))
    assert not report.errors and report.written, report.errors
    assert Person.objects.get(user__username="ly-wang").place == tree.g1


def test_a_code_in_the_wrong_case_is_named_with_the_right_one(tree, dept):
    rows = [
        HEADER,
        ["ly-wang", "王芳", "", "网格员", "g1", ""],
        ["cg-sun", "孙丽", "", "部门承办人", "", "cg"],
        ["ly-li", "李强", "", "网格员", "NOPE", ""],
    ]
    with translation.override("zh-hans"):
        report = imports.import_staff(as_csv(rows))
    problems = [(e.row, e.column, e.message) for e in report.errors]
    assert problems[:2] == [
        (2, "地点编码", "未找到地点编码 g1；是否为 G1？（编码区分大小写）"),
        (3, "部门编码", "未找到部门编码 cg；是否为 CG？（编码区分大小写）"),
    ]
    assert "是否为" not in problems[2][2] and not report.written
