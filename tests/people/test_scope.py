"""Scope: subtrees of a user's active role places, plus their departments."""

import pytest

from gridgov.people.models import Person, Role, RoleAssignment
from gridgov.people.scope import (
    PERSONAL_DATA_ROLES,
    REGISTRY_ROLES,
    ancestor_paths,
    filter_by_scope,
    forget_scope,
    scope_for,
)
from gridgov.places.models import Level, Place

from .factories import DepartmentFactory, PersonFactory, UserFactory, make_place, user_with_role

pytestmark = pytest.mark.django_db


def test_grid_worker_covers_their_grid_and_its_buildings_only(tree):
    scope = scope_for(user_with_role(Role.GRID_WORKER, tree.g1))
    assert scope.covers(tree.g1) and scope.covers(tree.b1)
    assert not scope.covers(tree.g2)
    assert not scope.covers(tree.c1)
    assert scope.paths() == ["/D/S1/C1/G1/"]


def test_community_staff_cover_all_grids_of_their_community(tree):
    scope = scope_for(user_with_role(Role.COMMUNITY_STAFF, tree.c1))
    assert all(scope.covers(p) for p in (tree.c1, tree.g1, tree.g2, tree.b1, tree.b2))
    assert not any(scope.covers(p) for p in (tree.c2, tree.g3, tree.s1))


def test_street_staff_cover_their_street(tree):
    scope = scope_for(user_with_role(Role.STREET_STAFF, tree.s1))
    assert scope.covers(tree.b3) and not scope.covers(tree.b4)


def test_code_prefixes_do_not_leak(tree):
    g10 = make_place("G10", Level.GRID, tree.c1)
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    assert not scope_for(worker).covers(g10)
    PersonFactory(place=g10)
    assert not filter_by_scope(Person.objects.all(), worker).exists()


def test_superuser_sees_everything(tree):
    admin = UserFactory(is_superuser=True)
    scope = scope_for(admin)
    assert scope.everything and scope.covers(tree.b4) and scope.has_role({Role.CADRE})
    PersonFactory(place=tree.b4)
    assert filter_by_scope(Person.objects.all(), admin).count() == 1


def test_inactive_assignments_and_users_count_for_nothing(tree):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    RoleAssignment.objects.filter(user=worker).update(active=False)
    assert scope_for(worker).paths() == []
    other = user_with_role(Role.GRID_WORKER, tree.g1, is_active=False)
    assert not scope_for(other).covers(tree.g1)


def test_roles_narrow_the_scope(tree):
    user = user_with_role(Role.CADRE, tree.g1)
    RoleAssignment.objects.create(user=user, role=Role.GRID_WORKER, place=tree.g2)
    forget_scope(user)
    scope = scope_for(user)
    assert scope.covers(tree.b1, REGISTRY_ROLES) and not scope.covers(tree.b1, PERSONAL_DATA_ROLES)
    assert scope.covers(tree.b2, PERSONAL_DATA_ROLES)
    PersonFactory(place=tree.b1)
    b2 = PersonFactory(place=tree.b2)
    assert list(filter_by_scope(Person.objects.all(), user, roles=PERSONAL_DATA_ROLES)) == [b2]


def test_scope_is_cached_until_forgotten(tree):
    user = user_with_role(Role.GRID_WORKER, tree.g1)
    assert not scope_for(user).covers(tree.g2)
    RoleAssignment.objects.create(user_id=user.pk, role=Role.GRID_WORKER, place=tree.g2)
    assert not scope_for(user).covers(tree.g2)
    forget_scope(user)
    assert scope_for(user).covers(tree.g2)


def test_saving_an_assignment_forgets_the_scope_of_its_user_object(tree):
    user = user_with_role(Role.GRID_WORKER, tree.g1)
    assert not scope_for(user).covers(tree.g2)
    assignment = RoleAssignment.objects.create(user=user, role=Role.GRID_WORKER, place=tree.g2)
    assert scope_for(user).covers(tree.g2)
    assignment.delete()
    assert not scope_for(user).covers(tree.g2)


def test_departments_join_the_scope(tree):
    department = DepartmentFactory(place=tree.d)
    handler = user_with_role(Role.DEPARTMENT_HANDLER, department=department)
    scope = scope_for(handler)
    assert scope.department_ids == {department.pk}
    assert scope.has_role({Role.DEPARTMENT_HANDLER})
    assert scope.paths() == []
    from gridgov.people.models import Department

    assert list(filter_by_scope(Department.objects.all(), handler, department_field="pk")) == [
        department
    ]


def test_several_place_fields_and_ancestors(tree):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    places = Place.objects.all()
    assert set(filter_by_scope(places, worker, place_field="").values_list("code", flat=True)) == {
        "G1",
        "B1",
    }
    above = filter_by_scope(places, worker, place_field="", ancestors=True)
    assert set(above.values_list("code", flat=True)) == {"D", "S1", "C1", "G1", "B1"}
    assert scope_for(worker).reaches(tree.s1) and not scope_for(worker).reaches(tree.s2)


def test_anonymous_has_an_empty_scope(tree):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not scope_for(anonymous).covers(tree.d)
    assert not filter_by_scope(Place.objects.all(), anonymous, place_field="").exists()


def test_ancestor_paths():
    assert ancestor_paths("/D/S/C/") == ["/D/", "/D/S/"]
    assert ancestor_paths("/D/") == []
