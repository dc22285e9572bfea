from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from shapely.geometry import Point, shape

from gridgov.demo import seed
from gridgov.people.models import Person, RoleAssignment
from gridgov.places.models import Level, Place

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    seed.build_demo()


def _counts():
    return (
        Place.objects.count(),
        Person.objects.count(),
        get_user_model().objects.count(),
        RoleAssignment.objects.count(),
    )


def test_demo_has_the_promised_size(demo):
    levels = Counter(Place.objects.values_list("level", flat=True))
    assert levels[Level.DISTRICT] >= 1
    assert levels[Level.STREET] >= 2
    assert levels[Level.COMMUNITY] >= 6
    assert levels[Level.GRID] >= 40
    assert levels[Level.BUILDING] >= 400
    assert Place.objects.filter(level=Level.BUILDING, address="").count() == 0


def test_demo_grids_do_not_overlap_and_hold_their_buildings(demo):
    grids = {g.pk: shape(g.boundary) for g in Place.objects.filter(level=Level.GRID)}
    shapes = list(grids.values())
    assert all(s.is_valid for s in shapes)
    for i, a in enumerate(shapes):
        for b in shapes[i + 1 :]:
            assert a.intersection(b).area < 1e-12
    for building in Place.objects.filter(level=Level.BUILDING):
        assert grids[building.parent_id].contains(Point(building.lng, building.lat))


def test_demo_is_deterministic_and_idempotent(demo):
    before = _counts()
    names_before = list(Person.objects.order_by("id").values_list("name", "phone")[:50])
    seed.build_demo()
    assert _counts() == before
    assert list(Person.objects.order_by("id").values_list("name", "phone")[:50]) == names_before


def test_every_documented_login_exists_with_its_role(demo):
    users = get_user_model().objects
    for login in seed.demo_logins():
        user = users.get(username=login.username)
        assert user.check_password(seed.DEMO_PASSWORD)
        if login.role == "superuser":
            assert user.is_superuser
            continue
        assignment = (
            RoleAssignment.objects.get(user=user, role=login.role, place__code=login.place_code)
            if login.place_code
            else RoleAssignment.objects.get(user=user, role=login.role)
        )
        assert assignment.active


def test_every_role_is_present_in_the_demo(demo):
    from gridgov.people.models import Role

    present = set(RoleAssignment.objects.values_list("role", flat=True))
    assert present == set(Role.values)


def test_demo_command_builds_without_serving(capsys):
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert seed.DEMO_PASSWORD in out
    assert "gridworker" in out
    assert Place.objects.filter(level=Level.GRID).count() >= 40


def test_demo_tickets_cover_every_state_with_full_timelines(demo):
    from gridgov.tickets import sla
    from gridgov.tickets.models import Callback, Status, Ticket, Whistle

    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert {Status.CLOSED, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS} <= statuses
    assert {Status.RESOLVED, Status.REOPENED} <= statuses
    assert Ticket.objects.filter(sla.overdue_q()).exists()
    assert Whistle.objects.filter(closed_at__isnull=True).exists()  # one department still due
    closed = Ticket.objects.filter(status=Status.CLOSED).first()
    actions = list(closed.events.values_list("action", flat=True))
    assert actions[0] == "create" and actions[-1] == "callback"
    assert {"accept", "resolve"} <= set(actions)
    assert closed.resolution  # the official reply
    assert Callback.objects.filter(satisfaction="dissatisfied").exists()
    # Every ticket lies in the demo tree and has an owner.
    assert not Ticket.objects.filter(place__isnull=True).exists()
    assert not Ticket.objects.filter(
        owner_place__isnull=True, owner_department__isnull=True
    ).exists()
