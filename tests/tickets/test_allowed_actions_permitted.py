"""allowed_actions asks the auth backends as user.has_perm does, loading them once
(lifecycle._permitted): the same answer for every kind of user and ticket, and a backend
that raises PermissionDenied still ends the question."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from gridgov.tickets import lifecycle
from gridgov.tickets.lifecycle import ACTIONS, PERMISSIONS, _permitted
from tests.people.factories import UserFactory

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


class RefusesEscalation:
    """A backend before the others that forbids escalating outright."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user, perm, obj=None):
        if perm == PERMISSIONS["escalate"]:
            raise PermissionDenied
        return False


def _tickets(world):
    dispatched = make_ticket(world)
    received = make_ticket(world, category=world.community_matter.code)
    accepted = make_ticket(world)
    lifecycle.perform(accepted, "accept", world.gridworker_a)
    accepted.refresh_from_db()
    return [dispatched, received, accepted]


def _users(world):
    inactive = UserFactory(is_active=False, is_superuser=True)
    superuser = UserFactory(is_superuser=True)
    names = ["hotline", "district_staff", "street_staff", "community_staff", "gridworker_a"]
    names += ["gridworker_b", "city_handler", "resident"]
    return [getattr(world, n) for n in names] + [inactive, superuser, AnonymousUser()]


def _as_has_perm(user, ticket):
    return [a for a in ACTIONS if user.has_perm(PERMISSIONS[a], ticket)]


def test_the_same_actions_as_has_perm_for_every_user_and_ticket():
    world = make_world()
    tickets = _tickets(world)
    for user in _users(world):
        for ticket in tickets:
            assert _permitted(user, ACTIONS, ticket) == _as_has_perm(user, ticket)


def test_a_backend_refusing_ends_the_question(settings):
    world = make_world()
    tickets = _tickets(world)
    assert "escalate" in _permitted(world.gridworker_a, ACTIONS, tickets[0])
    settings.AUTHENTICATION_BACKENDS = [
        f"{__name__}.RefusesEscalation",
        *settings.AUTHENTICATION_BACKENDS,
    ]
    for user in [world.gridworker_a, world.street_staff]:
        for ticket in tickets:
            permitted = _permitted(user, ACTIONS, ticket)
            assert "escalate" not in permitted
            assert permitted == _as_has_perm(user, ticket)
