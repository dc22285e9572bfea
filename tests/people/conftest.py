import pytest
from rest_framework.test import APIClient

from gridgov.people.models import Role

from .factories import PersonFactory, make_tree, user_with_role


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def api():
    """`api(user)` -> an APIClient authenticated as `user` (None: anonymous)."""

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def people(tree):
    """One resident in every building, by grid name: people.g1 … people.g4."""
    return type(
        "People",
        (),
        {
            "g1": PersonFactory(place=tree.b1, name="张三", phone="13812341234"),
            "g2": PersonFactory(place=tree.b2, name="李四", phone="13900001111"),
            "g3": PersonFactory(place=tree.b3, name="王五", phone="13700002222"),
            "g4": PersonFactory(place=tree.b4, name="赵六", phone="13600003333"),
        },
    )


@pytest.fixture
def grid_worker(tree):
    return user_with_role(Role.GRID_WORKER, tree.g1)


@pytest.fixture
def community_staff(tree):
    return user_with_role(Role.COMMUNITY_STAFF, tree.c1)


@pytest.fixture
def street_staff(tree):
    return user_with_role(Role.STREET_STAFF, tree.s1)


@pytest.fixture
def district_staff(tree):
    return user_with_role(Role.DISTRICT_STAFF, tree.d)
