"""工作人员账号 (/people/staff/): an area's administrators see the logins of its staff, who
has yet to change an initial password (初始密码未修改), and reset a forgotten password of
those below them (重置密码); everyone else is refused in Chinese. The admin's user list
filters and marks the logins still on an initial password."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from gridgov.people import passwords
from gridgov.people.models import InitialPassword, PasswordReset, Person, Role
from tests.people.factories import make_tree, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def staff(tree):
    """The community C1's staff member, and logins around it."""
    logins = {
        "c1-staff": user_with_role(Role.COMMUNITY_STAFF, tree.c1, username="c1-staff"),
        "g1-new": user_with_role(Role.GRID_WORKER, tree.g1, username="g1-new"),
        "g2-old": user_with_role(Role.GRID_WORKER, tree.g2, username="g2-old"),
        "c1-peer": user_with_role(Role.COMMUNITY_STAFF, tree.c1, username="c1-peer"),
        "s1-boss": user_with_role(Role.STREET_STAFF, tree.s1, username="s1-boss"),
        "g3-other": user_with_role(Role.GRID_WORKER, tree.g3, username="g3-other"),
    }
    Person.objects.create(user=logins["g1-new"], name="王芳", place=tree.g1)
    passwords.require_change(logins["g1-new"], InitialPassword.Reason.IMPORT)
    return logins


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def rows(page):
    return {
        part.split('"', 1)[0]: part.split("</tr>", 1)[0]
        for part in page.split('<tr data-login="')[1:]
    }


def test_the_community_sees_its_staff_and_who_has_not_changed_the_initial_password(staff):
    client = client_of(staff["c1-staff"])
    assert 'href="/people/staff/"' in client.get("/people/").content.decode()
    page = client.get("/people/staff/").content.decode()
    assert "工作人员账号" in page
    listed = rows(page)
    # Its own grids and its own level; not the street above, not the other community.
    assert set(listed) == {"c1-staff", "g1-new", "g2-old", "c1-peer"}
    assert "初始密码未修改" in listed["g1-new"] and "人员导入" in listed["g1-new"]
    assert "王*" in listed["g1-new"] and "王芳" not in listed["g1-new"]  # masked
    assert "本人已修改" in listed["g2-old"]
    # A reset button for those below it only.
    assert "重置密码" in listed["g1-new"] and "重置密码" in listed["g2-old"]
    assert "重置密码" not in listed["c1-peer"] and "重置密码" not in listed["c1-staff"]
    only = rows(client.get("/people/staff/?initial=1").content.decode())
    assert set(only) == {"g1-new"}
    assert set(rows(client.get("/people/staff/?q=g2").content.decode())) == {"g2-old"}


def test_a_reset_shows_the_new_password_once_and_is_recorded(staff):
    client = client_of(staff["c1-staff"])
    target = staff["g2-old"]
    response = client.post(reverse("web-staff-password-reset", args=[target.pk]))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    page = response.content.decode()
    password = page.split('<code id="new-password">')[1].split("</code>")[0]
    target.refresh_from_db()
    assert target.check_password(password)
    assert "密码已重置" in page and "只显示这一次" in page
    assert InitialPassword.objects.get(user=target).reason == "area-reset"
    row = PasswordReset.objects.get()
    assert (row.user, row.reset_by, row.channel) == (target, staff["c1-staff"], "web")
    listed = rows(client.get("/people/staff/").content.decode())
    assert "初始密码未修改" in listed["g2-old"] and "辖区管理员重置" in listed["g2-old"]


@pytest.mark.parametrize("whom", ["c1-peer", "s1-boss", "g3-other", "c1-staff"])
def test_a_reset_outside_what_one_administers_is_refused_in_chinese(staff, whom):
    target = staff[whom]
    before = target.password
    response = client_of(staff["c1-staff"]).post(
        reverse("web-staff-password-reset", args=[target.pk])
    )
    assert response.status_code == 403
    assert "只能重置本人辖区内下级工作人员的密码" in response.content.decode()
    target.refresh_from_db()
    assert target.password == before and not PasswordReset.objects.exists()


def test_a_superusers_password_is_reset_in_the_admin_only(staff, tree):
    root = get_user_model().objects.create_superuser("root", password="x")
    response = client_of(staff["c1-staff"]).post(
        reverse("web-staff-password-reset", args=[root.pk])
    )
    assert response.status_code == 403
    other_root = get_user_model().objects.create_superuser("root2", password="x")
    as_root = client_of(root)
    assert (
        as_root.post(reverse("web-staff-password-reset", args=[other_root.pk])).status_code == 403
    )
    assert (
        as_root.post(reverse("web-staff-password-reset", args=[staff["s1-boss"].pk])).status_code
        == 200
    )


def test_those_without_an_area_to_administer_are_refused(staff, tree):
    for user in [
        user_with_role(Role.GRID_WORKER, tree.g1),
        user_with_role(Role.RESIDENT, tree.b1),
        user_with_role(Role.HOTLINE_OPERATOR, tree.s1),
    ]:
        client = client_of(user)
        assert "/people/staff/" not in client.get("/people/").content.decode()
        listed = client.get("/people/staff/")
        assert listed.status_code == 403 and "只有辖区的管理人员" in listed.content.decode()
        reset = client.post(reverse("web-staff-password-reset", args=[staff["g2-old"].pk]))
        assert reset.status_code == 403
    assert not PasswordReset.objects.exists()
    assert (
        client_of(staff["c1-staff"])
        .get(reverse("web-staff-password-reset", args=[staff["g2-old"].pk]))
        .status_code
        == 405
    )
    assert (
        client_of(staff["c1-staff"])
        .post(reverse("web-staff-password-reset", args=[99999]))
        .status_code
        == 404
    )


def test_the_admin_filters_and_marks_the_initial_passwords(staff):
    root = get_user_model().objects.create_superuser("root", password="x")
    client = client_of(root)
    page = client.get("/admin/auth/user/?initial_password=yes").content.decode()
    assert "初始密码未修改" in page
    assert "g1-new" in page and "g2-old" not in page
    page = client.get("/admin/auth/user/?initial_password=no").content.decode()
    assert "g1-new" not in page and "g2-old" in page


def test_a_reset_in_the_admin_is_recorded_too(staff):
    root = get_user_model().objects.create_superuser("root", password="x")
    target = staff["g2-old"]
    response = client_of(root).post(
        reverse("admin:auth_user_password_change", args=[target.pk]),
        {"usable_password": "true", "password1": "chongzhi-mima-7", "password2": "chongzhi-mima-7"},
    )
    assert response.status_code == 302
    row = PasswordReset.objects.get()
    assert (row.user, row.reset_by, row.channel, row.tokens_revoked) == (target, root, "admin", 0)
    page = client_of(root).get("/admin/people/passwordreset/").content.decode()
    assert "g2-old" in page
