import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from gridgov.people.models import Role, RoleAssignment

from .factories import make_tree


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def make_user(db):
    def make(username, role=None, place=None, **extra):
        user = get_user_model().objects.create_user(username, password="x", **extra)
        if role:
            RoleAssignment.objects.create(user=user, role=role, place=place)
        return user

    return make


@pytest.fixture
def street_staff(make_user, tree):
    return make_user("street", Role.STREET_STAFF, tree.street)


@pytest.fixture
def resident(make_user, tree):
    return make_user("resident", Role.RESIDENT, tree.buildings[0])


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("admin", password="x")
