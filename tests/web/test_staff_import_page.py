"""导入人员 (/people/import/): a superuser uploads the staff list from the browser and
sees the new logins' initial passwords once; linked from 人员; nobody else gets in."""

import io

import pytest
from django.contrib.auth import get_user_model
from openpyxl import Workbook, load_workbook

from gridgov.people.models import Role, RoleAssignment
from tests.people.factories import make_tree, user_with_role

pytestmark = pytest.mark.django_db

HEADER = ["登录名", "姓名", "电话", "角色", "地点编码", "部门编码"]


def xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "人员.xlsx"
    return out


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def admin(client, tree):
    user = get_user_model().objects.create_superuser("admin", password="x")
    client.force_login(user)
    return user


def test_the_people_page_leads_the_superuser_to_the_import(client, admin):
    assert 'href="/people/import/"' in client.get("/people/").content.decode()
    page = client.get("/people/import/").content.decode()
    assert "导入人员" in page and 'href="/people/import/template.xlsx"' in page
    template = client.get("/people/import/template.xlsx")
    sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER


def test_the_page_and_its_template_send_departments_to_their_import(client, admin):
    """They said to add departments in the admin, before 导入部门 existed."""
    page = client.get("/people/import/").content.decode()
    assert '<a href="/people/departments/import/">导入部门</a>' in page
    assert "管理后台" not in page.split('id="staff-template"')[1].split("</section>")[0]
    template = client.get("/people/import/template.xlsx")
    book = load_workbook(io.BytesIO(template.content))
    notes = " ".join(row[0] for row in book.worksheets[1].iter_rows(values_only=True))
    assert "导入部门" in notes and "管理后台" not in notes


def test_a_staff_list_is_imported_and_the_passwords_shown_once(client, admin):
    rows = [HEADER, ["g1-wang", "王芳", "13800001111", "网格员", "G1", ""]]
    checked = client.post("/people/import/", {"file": xlsx(rows), "dry_run": "1"})
    assert "新登录账号 1 个" in checked.content.decode()
    assert not get_user_model().objects.filter(username="g1-wang").exists()
    done = client.post("/people/import/", {"file": xlsx(rows)})
    assert "no-cache" in done["Cache-Control"] or "no-store" in done["Cache-Control"]
    html = done.content.decode()
    password = html.split("<td>g1-wang</td><td><code>")[1].split("</code>")[0]
    wang = get_user_model().objects.get(username="g1-wang")
    assert wang.check_password(password)
    assert RoleAssignment.objects.get(user=wang).role == Role.GRID_WORKER
    again = client.post("/people/import/", {"file": xlsx(rows)}).content.decode()
    assert "<code>" not in again and "已有角色 1 个" in again


def test_bad_rows_are_listed_and_nothing_is_written(client, admin):
    rows = [HEADER, ["x1", "某甲", "", "网格员", "C1", ""], ["x2", "某乙", "", "网格长", "G1", ""]]
    html = client.post("/people/import/", {"file": xlsx(rows)}).content.decode()
    assert "发现 2 个问题" in html
    # The columns as the sheet names them, as on the departments import page.
    assert "<td>2</td><td>x1</td><td>地点编码</td>" in html
    assert "<td>3</td><td>x2</td><td>角色</td>" in html
    assert not get_user_model().objects.filter(username__in=["x1", "x2"]).exists()


def test_only_superusers_import_staff(client, tree):
    client.force_login(user_with_role(Role.STREET_STAFF, tree.s1))
    assert 'href="/people/import/"' not in client.get("/people/").content.decode()
    assert client.get("/people/import/").status_code == 403
    assert client.get("/people/import/template.xlsx").status_code == 403
