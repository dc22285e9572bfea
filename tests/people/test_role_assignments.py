"""Role assignments: level rules, only staff above may assign, no escalation."""

import pytest

from gridgov.people.models import Role, RoleAssignment

from .factories import DepartmentFactory, UserFactory, user_with_role
from .utils import ids

pytestmark = pytest.mark.django_db

URL = "/api/v1/role-assignments/"


def grant(api, granter, **data):
    return api(granter).post(URL, data, format="json")


def test_community_staff_assign_a_grid_worker_in_their_community(api, tree, community_staff):
    newcomer = UserFactory()
    response = grant(api, community_staff, user=newcomer.pk, role="grid_worker", place="G2")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["role"], body["place"], body["username"]) == (
        "grid_worker",
        "G2",
        newcomer.username,
    )
    assert RoleAssignment.objects.filter(user=newcomer, place=tree.g2).exists()


def test_role_at_the_wrong_level_is_400_and_writes_nothing(api, tree, community_staff):
    newcomer = UserFactory()
    response = grant(api, community_staff, user=newcomer.pk, role="grid_worker", place="B1")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "place" in error["detail"]
    assert not RoleAssignment.objects.filter(user=newcomer).exists()


def test_level_message_is_clear_in_english(api, tree, community_staff):
    newcomer = UserFactory()
    response = api(community_staff).post(
        URL,
        {"user": newcomer.pk, "role": "grid_worker", "place": "B1"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.json()["error"]["detail"]["place"] == [
        "A Grid worker cannot be assigned at a Building."
    ]


def test_handler_needs_a_department(api, tree, street_staff):
    newcomer = UserFactory()
    response = grant(api, street_staff, user=newcomer.pk, role="department_handler")
    assert response.status_code == 400
    assert "department" in response.json()["error"]["detail"]


def test_duplicate_assignment_is_400(api, tree, community_staff):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    response = grant(api, community_staff, user=worker.pk, role="grid_worker", place="G1")
    assert response.status_code == 400
    assert RoleAssignment.objects.filter(user=worker).count() == 1


@pytest.mark.parametrize(
    "granter_role,granter_place,role,place",
    [
        # a grid worker administers nothing
        (Role.GRID_WORKER, "g1", "micro_grid_worker", "B1"),
        # not above the place: community staff may not make peers
        (Role.COMMUNITY_STAFF, "c1", "community_staff", "C1"),
        # outside scope: the neighbouring community
        (Role.COMMUNITY_STAFF, "c1", "grid_worker", "G3"),
        # upwards
        (Role.COMMUNITY_STAFF, "c1", "street_staff", "S1"),
        (Role.STREET_STAFF, "s1", "district_staff", "D"),
        # cadres and micro-grid workers cannot grant what they cannot see
        (Role.CADRE, "g1", "grid_worker", "G1"),
    ],
)
def test_escalation_to_others_is_refused(api, tree, granter_role, granter_place, role, place):
    granter = user_with_role(granter_role, getattr(tree, granter_place))
    newcomer = UserFactory()
    response = grant(api, granter, user=newcomer.pk, role=role, place=place)
    assert response.status_code == 403, response.content
    assert response.json()["error"]["message_en"]
    assert not RoleAssignment.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize(
    "role,place",
    [("street_staff", "S1"), ("grid_worker", "G1"), ("community_staff", "C2"), ("resident", "B1")],
)
def test_nobody_grants_themselves_a_role(api, tree, community_staff, role, place):
    response = grant(api, community_staff, user=community_staff.pk, role=role, place=place)
    assert response.status_code == 403
    assert RoleAssignment.objects.filter(user=community_staff).count() == 1


def test_nobody_widens_their_own_assignment(api, tree, community_staff):
    own = RoleAssignment.objects.get(user=community_staff)
    client = api(community_staff)
    assert client.get(f"{URL}{own.pk}/").status_code == 200  # may see their own
    for change in ({"place": "S1", "role": "street_staff"}, {"place": "C2"}):
        response = client.patch(f"{URL}{own.pk}/", change, format="json")
        assert response.status_code == 403
    own.refresh_from_db()
    assert (own.role, own.place) == (Role.COMMUNITY_STAFF, tree.c1)


def test_street_staff_cannot_move_an_assignment_out_of_their_street(api, tree, street_staff):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    assignment = RoleAssignment.objects.get(user=worker)
    response = api(street_staff).patch(f"{URL}{assignment.pk}/", {"place": "G4"}, format="json")
    assert response.status_code == 403
    assignment.refresh_from_db()
    assert assignment.place == tree.g1


def test_street_staff_deactivate_and_revoke(api, tree, street_staff):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    assignment = RoleAssignment.objects.get(user=worker)
    client = api(street_staff)
    response = client.patch(f"{URL}{assignment.pk}/", {"active": False}, format="json")
    assert response.status_code == 200
    assert client.delete(f"{URL}{assignment.pk}/").status_code == 204
    assert not RoleAssignment.objects.filter(user=worker).exists()


def test_grid_worker_sees_only_their_own_assignments(api, tree, grid_worker):
    user_with_role(Role.GRID_WORKER, tree.g2)
    seen = ids(api(grid_worker).get(URL))
    assert seen == set(RoleAssignment.objects.filter(user=grid_worker).values_list("pk", flat=True))


def test_department_handlers_are_assigned_by_staff_of_the_departments_area(api, tree):
    department = DepartmentFactory(place=tree.s1, code="CG-S1")
    newcomer = UserFactory()
    data = {"user": newcomer.pk, "role": "department_handler", "department": "CG-S1"}
    community = user_with_role(Role.COMMUNITY_STAFF, tree.c1)
    assert api(community).post(URL, data, format="json").status_code == 403
    other_street = user_with_role(Role.STREET_STAFF, tree.s2)
    assert api(other_street).post(URL, data, format="json").status_code == 403
    street = user_with_role(Role.STREET_STAFF, tree.s1)
    assert api(street).post(URL, data, format="json").status_code == 201
    assert RoleAssignment.objects.get(user=newcomer).department == department
    assert street.pk  # street staff see the handler assignment of their street
    assert newcomer.role_assignments.get().pk in ids(api(street).get(URL))


def test_superuser_may_assign_anything(api, tree):
    admin = UserFactory(is_superuser=True)
    newcomer = UserFactory()
    response = grant(api, admin, user=newcomer.pk, role="district_staff", place="D")
    assert response.status_code == 201
