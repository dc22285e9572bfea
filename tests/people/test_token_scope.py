"""API token authentication reads the login and its scope in one query (api.authentication)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gridgov.people.models import Role, RoleAssignment
from gridgov.people.scope import forget_scope, scope_for

from .factories import DepartmentFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/places/"


def authenticate(user):
    """(user, token) as the API's authentication class answers them."""
    from rest_framework.test import APIRequestFactory

    from gridgov.api.authentication import TokenAuthentication

    key = Token.objects.create(user=user).key
    request = APIRequestFactory().get(URL, HTTP_AUTHORIZATION=f"Token {key}")
    return TokenAuthentication().authenticate(request)


def test_the_scope_read_with_the_token_is_the_scope_of_the_roles(tree):
    user = user_with_role(Role.GRID_WORKER, tree.g1)
    RoleAssignment.objects.create(user=user, role=Role.COMMUNITY_STAFF, place=tree.c2)
    RoleAssignment.objects.create(user=user, role=Role.STREET_STAFF, place=tree.s2, active=False)
    department = DepartmentFactory()
    RoleAssignment.objects.create(user=user, role=Role.DEPARTMENT_HANDLER, department=department)

    authed, token = authenticate(user)

    assert authed.pk == user.pk and token.user is authed
    with CaptureQueriesContext(connection) as queries:
        scope = scope_for(authed)
    assert len(queries) == 0  # remembered, not read again
    forget_scope(user)
    assert scope == scope_for(user)  # what the ORM reads
    assert scope.covers(tree.b1) and scope.covers(tree.g3)
    assert not scope.covers(tree.g2) and not scope.covers(tree.s2)  # inactive street role
    assert scope.department_ids == frozenset({department.pk})


def test_a_login_without_roles_has_an_empty_scope(tree):
    authed, _token = authenticate(UserFactory())
    assert scope_for(authed).paths() == [] and not scope_for(authed).covers(tree.b1)


def test_a_superuser_sees_everything(tree):
    authed, _token = authenticate(UserFactory(is_superuser=True))
    assert scope_for(authed).everything


def test_the_api_refuses_an_unknown_token_and_an_inactive_login(tree):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get(URL).status_code == 401

    user = user_with_role(Role.GRID_WORKER, tree.g1)
    key = Token.objects.create(user=user).key
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(URL).status_code == 200
    user.is_active = False
    user.save()
    assert client.get(URL).status_code == 401


def test_one_query_answers_who_and_where(tree):
    user = user_with_role(Role.GRID_WORKER, tree.g1)
    key = Token.objects.create(user=user).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/people/").status_code == 200
    role_queries = [q for q in queries if "people_roleassignment" in q["sql"]]
    assert len(role_queries) == 1 and "authtoken_token" in role_queries[0]["sql"]


def test_the_reference_data_tokens_come_with_the_login(tree, monkeypatch):
    """The tokens saying whether the per-process caches of reference data are current (read
    by every intake) come in the login's query: read after it, they cost no query."""
    from gridgov.api.authentication import TokenAuthentication
    from gridgov.core import versions

    user = user_with_role(Role.GRID_WORKER, tree.g1)
    key = Token.objects.create(user=user).key
    read = []
    login = TokenAuthentication.authenticate_credentials

    def then_read_tokens(self, key):
        answer = login(self, key)
        with CaptureQueriesContext(connection) as queries:
            read.append((versions.current(), len(queries)))
        return answer

    monkeypatch.setattr(TokenAuthentication, "authenticate_credentials", then_read_tokens)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(URL).status_code == 200
    tokens, queries = read[0]
    assert queries == 0 and "places" in tokens
    assert tokens == versions.current()  # as the table holds them
