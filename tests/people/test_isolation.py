"""Place scope through the real API: nobody sees people outside their area, on any endpoint."""

import pytest

from gridgov.people.models import AccessLog, CheckIn, PartyMember, PartyOrganization, Role

from .factories import (
    HouseholdFactory,
    PersonFactory,
    RoleAssignmentFactory,
    user_with_role,
)
from .utils import ids

pytestmark = pytest.mark.django_db


def world(tree):
    """In every grid: a household with a person, a Party member with a check-in, and a grid worker."""
    rows = {}
    for grid, building, community in [
        (tree.g1, tree.b1, tree.c1),
        (tree.g2, tree.b2, tree.c1),
        (tree.g3, tree.b3, tree.c2),
        (tree.g4, tree.b4, tree.c3),
    ]:
        household = HouseholdFactory(building=building)
        person = PersonFactory(place=building, household=household)
        branch = PartyOrganization.objects.create(
            name=f"branch {grid.code}", kind=PartyOrganization.Kind.BRANCH, place=grid
        )
        member = PartyMember.objects.create(
            person=person,
            organization=branch,
            status=PartyMember.Status.IN_SERVICE,
            home_community=community,
        )
        check_in = CheckIn.objects.create(
            person=person, community=community, kind=CheckIn.Kind.PARTY_MEMBER
        )
        assignment = RoleAssignmentFactory(role=Role.GRID_WORKER, place=grid)
        log = AccessLog.objects.create(
            subject_type="people.person", subject_id=str(person.pk), place=building
        )
        rows[grid.code] = {
            "people": person.pk,
            "households": household.pk,
            "party-members": member.pk,
            "check-ins": check_in.pk,
            "role-assignments": assignment.pk,
            "access-logs": log.pk,
            "party-organizations": branch.pk,
        }
    return rows


# endpoint -> grids whose rows each user may see (the user's own role assignment aside)
ENDPOINTS = ["people", "households", "party-members", "check-ins", "role-assignments"]


def visible(api, user, endpoint):
    response = api(user).get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200, response.content
    return ids(response)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_grid_worker_of_grid_a_cannot_see_grid_b_in_lists(api, tree, endpoint):
    rows = world(tree)
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    seen = visible(api, worker, endpoint)
    for grid in ("G2", "G3", "G4"):
        assert rows[grid][endpoint] not in seen
    if endpoint != "role-assignments":
        # Role assignments are administered from above: a grid worker sees only their own.
        assert rows["G1"][endpoint] in seen


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_grid_worker_of_grid_a_gets_404_for_grid_b_details(api, tree, endpoint):
    rows = world(tree)
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    client = api(worker)
    for grid in ("G2", "G3", "G4"):
        response = client.get(f"/api/v1/{endpoint}/{rows[grid][endpoint]}/")
        assert response.status_code == 404, (endpoint, grid, response.content)
        assert response.json()["error"]["code"] == "not_found"


def test_grid_worker_of_grid_a_gets_404_for_personal_data_of_grid_b(api, tree):
    rows = world(tree)
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    response = api(worker).get(f"/api/v1/people/{rows['G2']['people']}/personal-data/")
    assert response.status_code == 404
    assert not AccessLog.objects.filter(user=worker).exists()


def test_grid_worker_sees_no_grid_b_member_inside_households(api, tree):
    world(tree)
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    body = api(worker).get("/api/v1/households/").json()
    members = {m["id"] for h in body["results"] for m in h["members"]}
    assert members == set(
        PersonFactory._meta.model.objects.filter(place=tree.b1).values_list("pk", flat=True)
    )


def test_grid_worker_cannot_filter_their_way_into_grid_b(api, tree):
    rows = world(tree)
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    client = api(worker)
    assert ids(client.get("/api/v1/people/", {"under": "G2"})) == set()
    assert ids(client.get("/api/v1/people/", {"household": rows["G2"]["households"]})) == set()
    assert ids(client.get("/api/v1/check-ins/", {"community": "C1"})) == {rows["G1"]["check-ins"]}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_community_staff_see_their_community_only(api, tree, endpoint):
    rows = world(tree)
    staff = user_with_role(Role.COMMUNITY_STAFF, tree.c1)
    seen = visible(api, staff, endpoint)
    assert rows["G1"][endpoint] in seen
    assert rows["G2"][endpoint] in seen
    assert rows["G3"][endpoint] not in seen  # C2, the neighbouring community
    assert rows["G4"][endpoint] not in seen


@pytest.mark.parametrize("endpoint", ENDPOINTS + ["access-logs"])
def test_street_staff_see_their_street_only(api, tree, endpoint):
    rows = world(tree)
    staff = user_with_role(Role.STREET_STAFF, tree.s1)
    seen = visible(api, staff, endpoint)
    assert {rows[g][endpoint] for g in ("G1", "G2", "G3")} <= seen
    assert rows["G4"][endpoint] not in seen


@pytest.mark.parametrize("endpoint", ENDPOINTS + ["access-logs", "party-organizations"])
def test_superuser_sees_everything(api, tree, endpoint):
    rows = world(tree)
    admin = user_with_role(Role.RESIDENT, tree.b1, is_superuser=True)
    seen = visible(api, admin, endpoint)
    assert {rows[g][endpoint] for g in rows} <= seen


def test_party_organizations_show_own_grid_and_the_committees_above(api, tree):
    rows = world(tree)
    committee = PartyOrganization.objects.create(
        name="C1 committee", kind=PartyOrganization.Kind.COMMITTEE, place=tree.c1
    )
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    seen = visible(api, worker, "party-organizations")
    assert seen == {rows["G1"]["party-organizations"], committee.pk}


def test_anonymous_gets_401_everywhere(api, tree):
    for endpoint in ENDPOINTS + ["departments", "party-organizations", "access-logs", "me"]:
        response = api().get(f"/api/v1/{endpoint}/")
        assert response.status_code in (401, 403), endpoint
        assert response.json()["error"]["code"] == "not_authenticated"
