"""重置密码: a street's or community's administrator resets a forgotten password of the staff
below them in their area (people.reset_password, assignments.may_reset_password); the new
password is an initial password, the login's sessions and API token end, and a
PasswordReset row says who reset whose and when. Only superusers could, in the admin."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gridgov.people import passwords
from gridgov.people.models import InitialPassword, PasswordReset, Role, RoleAssignment
from gridgov.people.rules import may_reset_password_of

from .factories import DepartmentFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def may(user, target):
    return may_reset_password_of(user, target)


@pytest.fixture
def by_community(tree):
    return user_with_role(Role.COMMUNITY_STAFF, tree.c1)


@pytest.mark.parametrize(
    ("role", "where"),
    [
        (Role.GRID_WORKER, "g1"),
        (Role.GRID_WORKER, "g2"),
        (Role.MICRO_GRID_WORKER, "b1"),
        (Role.COMMUNITY_POLICE, "g1"),
        (Role.VOLUNTEER, "g1"),
        (Role.RESIDENT, "b1"),
    ],
)
def test_community_staff_reset_the_staff_of_their_grids(tree, by_community, role, where):
    assert may(by_community, user_with_role(role, getattr(tree, where)))


@pytest.mark.parametrize(
    ("role", "where", "why"),
    [
        (Role.GRID_WORKER, "g3", "another community's grid"),
        (Role.COMMUNITY_STAFF, "c1", "a colleague at their level"),
        (Role.COMMUNITY_POLICE, "c1", "at the community itself"),
        (Role.STREET_STAFF, "s1", "above them"),
        (Role.DISTRICT_STAFF, "d", "above them"),
    ],
)
def test_community_staff_reset_nobody_else(tree, by_community, role, where, why):
    assert not may(by_community, user_with_role(role, getattr(tree, where))), why


def test_nor_one_who_also_works_outside_their_area(tree, by_community):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    assert may(by_community, worker)
    RoleAssignment.objects.create(user=worker, role=Role.GRID_WORKER, place=tree.g3)
    assert not may(by_community, worker)
    # A role no longer held does not count.
    RoleAssignment.objects.filter(user=worker, place=tree.g3).update(active=False)
    assert may(by_community, worker)


def test_nor_a_superuser_an_admin_user_a_login_without_roles_or_themselves(tree, by_community):
    boss = user_with_role(Role.GRID_WORKER, tree.g1, is_superuser=True)
    admin_user = user_with_role(Role.GRID_WORKER, tree.g1, is_staff=True)
    assert not may(by_community, boss)
    assert not may(by_community, admin_user)
    assert not may(by_community, UserFactory())
    assert not may(by_community, by_community)


def test_street_staff_reset_their_communities_grids_and_departments(tree):
    street = user_with_role(Role.STREET_STAFF, tree.s1)
    assert may(street, user_with_role(Role.COMMUNITY_STAFF, tree.c1))
    assert may(street, user_with_role(Role.GRID_WORKER, tree.g3))
    assert may(street, user_with_role(Role.HOTLINE_OPERATOR, tree.s1)) is False  # their level
    assert may(street, user_with_role(Role.STREET_STAFF, tree.s1)) is False
    assert may(street, user_with_role(Role.GRID_WORKER, tree.g4)) is False  # the other street
    street_department = DepartmentFactory(place=tree.s1)
    district_department = DepartmentFactory(place=tree.d)
    assert may(street, user_with_role(Role.DEPARTMENT_HANDLER, department=street_department))
    assert not may(street, user_with_role(Role.DEPARTMENT_HANDLER, department=district_department))
    district = user_with_role(Role.DISTRICT_STAFF, tree.d)
    assert may(district, user_with_role(Role.DEPARTMENT_HANDLER, department=district_department))
    assert may(district, user_with_role(Role.STREET_STAFF, tree.s1))
    assert not may(street, district)


def test_workers_without_an_area_to_administer_reset_nothing(tree):
    target = user_with_role(Role.MICRO_GRID_WORKER, tree.b1)
    for role, place in [(Role.GRID_WORKER, tree.g1), (Role.HOTLINE_OPERATOR, tree.d)]:
        user = user_with_role(role, place)
        assert not user.has_perm("people.reset_password")
        assert not may(user, target)


def test_superusers_reset_anyone_but_superusers(tree):
    root = get_user_model().objects.create_superuser("root", password="x")
    assert may(root, user_with_role(Role.DISTRICT_STAFF, tree.d))
    assert not may(root, get_user_model().objects.create_superuser("root2", password="x"))


def test_a_reset_ends_the_sessions_and_the_token_and_is_recorded(tree, by_community):
    worker = user_with_role(Role.GRID_WORKER, tree.g1, username="gw")
    worker.set_password("ziji-de-mima-1")
    worker.save()
    session = Client()
    assert session.login(username="gw", password="ziji-de-mima-1")
    assert session.get("/tickets/").status_code == 200
    token = Token.objects.create(user=worker)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/me/").status_code == 200

    password = passwords.reset(worker, by_community, ip="10.0.0.7")

    worker.refresh_from_db()
    assert worker.check_password(password) and not worker.check_password("ziji-de-mima-1")
    assert InitialPassword.objects.get(user=worker).reason == "area-reset"
    # The browser that was signed in is signed out; the token is gone.
    response = session.get("/tickets/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert api.get("/api/v1/me/").status_code == 401
    assert not Token.objects.filter(user=worker).exists()
    row = PasswordReset.objects.get()
    assert (row.user, row.username, row.reset_by, row.channel) == (
        worker,
        "gw",
        by_community,
        "web",
    )
    assert (row.tokens_revoked, row.ip) == (1, "10.0.0.7")
    # The holder signs in with it and must change it first.
    holder = Client()
    holder.post(reverse("login"), {"username": "gw", "password": password})
    assert holder.get("/tickets/")["Location"] == reverse("web-password")


def test_the_record_outlives_the_login(tree, by_community):
    worker = user_with_role(Role.GRID_WORKER, tree.g1, username="gw")
    passwords.reset(worker, by_community)
    worker.delete()
    row = PasswordReset.objects.get()
    assert row.user is None and row.username == "gw" and row.reset_by == by_community
