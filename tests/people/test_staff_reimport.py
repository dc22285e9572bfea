"""Importing the staff list again brings the name and phone of existing logins up to the
sheet's and lists each change; it never touches a password, and a sheet with a bad row
still writes nothing."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from gridgov.people import imports
from gridgov.people.models import InitialPassword, Person

from .test_staff_import import HEADER, as_csv

pytestmark = pytest.mark.django_db

FIRST = [HEADER, ["ly-wang", "王芳", "13800001111", "网格员", "G1", ""]]


def person(username):
    return Person.objects.get(user__username=username)


def test_a_new_name_and_phone_are_written_and_reported(tree):
    imports.import_staff(as_csv(FIRST))
    user = get_user_model().objects.get(username="ly-wang")
    user.set_password("ziji-de-mima-1")
    user.save()
    InitialPassword.objects.filter(user=user).delete()  # changed it already
    again = imports.import_staff(
        as_csv([HEADER, ["ly-wang", "王芳芳", "13900009999", "网格员", "G1", ""]])
    )
    assert again.written and again.logins_updated == 1
    assert [(c.username, c.field, c.old, c.new) for c in again.changes] == [
        ("ly-wang", "name", "王芳", "王芳芳"),
        ("ly-wang", "phone", "13800001111", "13900009999"),
    ]
    assert (person("ly-wang").name, person("ly-wang").phone) == ("王芳芳", "13900009999")
    user.refresh_from_db()
    assert user.get_full_name() == "王芳芳"
    assert user.check_password("ziji-de-mima-1") and not again.passwords
    assert not InitialPassword.objects.filter(user=user).exists()


def test_an_empty_phone_keeps_the_phone_and_the_same_sheet_reports_nothing(tree):
    imports.import_staff(as_csv(FIRST))
    again = imports.import_staff(as_csv([HEADER, ["ly-wang", "王芳", "", "网格员", "G1", ""]]))
    assert again.logins_updated == 0 and again.changes == []
    assert person("ly-wang").phone == "13800001111"


def test_a_dry_run_reports_the_changes_and_writes_none(tree):
    imports.import_staff(as_csv(FIRST))
    check = imports.import_staff(
        as_csv([HEADER, ["ly-wang", "王芳芳", "", "网格员", "G1", ""]]), dry_run=True
    )
    assert [(c.field, c.new) for c in check.changes] == [("name", "王芳芳")]
    assert person("ly-wang").name == "王芳"


def test_a_bad_row_writes_no_change_either(tree, tmp_path):
    imports.import_staff(as_csv(FIRST))
    report = imports.import_staff(
        as_csv(
            [
                HEADER,
                ["ly-wang", "王芳芳", "", "网格员", "G1", ""],
                ["ly-li", "李强", "", "网格员", "NOPE", ""],
            ]
        )
    )
    assert [(e.row, e.field) for e in report.errors] == [(3, "place_code")]
    assert not report.written and person("ly-wang").name == "王芳"
    bad = [
        HEADER,
        ["ly-wang", "王芳芳", "", "网格员", "G1", ""],
        ["ly-li", "李强", "", "网格员", "X", ""],
    ]
    with pytest.raises(CommandError):
        call_command("people", "import", _file(tmp_path, bad), stdout=io.StringIO())
    assert person("ly-wang").name == "王芳"


def _file(tmp_path, rows):
    path = tmp_path / "staff.csv"
    path.write_bytes(as_csv(rows))
    return str(path)


def test_a_login_made_in_the_admin_gets_its_person_record(tree):
    get_user_model().objects.create_user("ly-wang", password="x-mima-123")
    report = imports.import_staff(as_csv(FIRST))
    assert [(c.field, c.old, c.new) for c in report.changes] == [
        ("name", "", "王芳"),
        ("phone", "", "13800001111"),
    ]
    assert person("ly-wang").place == tree.g1


def test_the_command_and_the_page_list_the_changes(tree, tmp_path):
    imports.import_staff(as_csv(FIRST))
    out = io.StringIO()
    path = _file(tmp_path, [HEADER, ["ly-wang", "王芳芳", "", "网格员", "G1", ""]])
    call_command("people", "import", path, "--dry-run", stdout=out)
    assert "王芳芳" in out.getvalue() and "原为" in out.getvalue()
    admin = get_user_model().objects.create_superuser("root", password="root-mima-123")
    client = Client()
    client.force_login(admin)
    upload = io.BytesIO(as_csv([HEADER, ["ly-wang", "王芳芳", "13900001234", "网格员", "G1", ""]]))
    upload.name = "staff.csv"
    page = client.post(reverse("web-staff-import"), {"file": upload}).content.decode()
    assert 'id="staff-import-changes"' in page and "王芳芳" in page and "13900001234" in page
    assert "已修改以下已有账号（密码不变）" in page and "<td>姓名</td>" in page


@pytest.mark.parametrize("written", ["138-0000-1111", "138 0000 1111", "(138)0000-1111"])
def test_the_same_phone_written_otherwise_is_no_change_and_keeps_what_is_stored(tree, written):
    imports.import_staff(as_csv(FIRST))
    again = imports.import_staff(as_csv([HEADER, ["ly-wang", "王芳", written, "网格员", "G1", ""]]))
    assert (again.logins_updated, again.changes, again.unchanged) == (0, [], 1)
    assert person("ly-wang").phone == "13800001111"
