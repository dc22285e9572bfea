"""Party organisations, Party members and check-ins (报到) through the API."""

import pytest

from gridgov.people.models import CheckIn, PartyMember, PartyOrganization, Role

from .factories import PartyOrganizationFactory, PersonFactory, user_with_role
from .utils import ids, resident_of

pytestmark = pytest.mark.django_db


def post(api, user, url, data):
    return api(user).post(url, data, format="json")


@pytest.mark.parametrize(
    "kind,place,ok",
    [
        ("branch", "G1", True),
        ("branch", "C1", True),
        ("branch", "B1", False),  # a branch at a building
        ("group", "B1", True),
        ("group", "G1", True),
        ("group", "C1", False),
        ("general_branch", "G1", False),
    ],
)
def test_kind_must_fit_the_level(api, tree, community_staff, kind, place, ok):
    response = post(
        api,
        community_staff,
        "/api/v1/party-organizations/",
        {"name": "x", "kind": kind, "place": place},
    )
    if ok:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400
        assert "place" in response.json()["error"]["detail"]
        assert not PartyOrganization.objects.exists()


def test_branch_at_building_message(api, tree, community_staff):
    response = api(community_staff).post(
        "/api/v1/party-organizations/",
        {"name": "x", "kind": "branch", "place": "B1"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.json()["error"]["detail"]["place"] == [
        "A Party branch cannot be bound to a Building."
    ]


def test_parent_must_sit_above(api, tree, community_staff):
    other = PartyOrganizationFactory(kind="branch", place=tree.g2)
    response = post(
        api,
        community_staff,
        "/api/v1/party-organizations/",
        {"name": "x", "kind": "group", "place": "B1", "parent": other.pk},
    )
    assert response.status_code == 400
    assert "parent" in response.json()["error"]["detail"]


def test_organizations_outside_scope_are_403(api, tree, community_staff, grid_worker):
    data = {"name": "x", "kind": "branch", "place": "G3"}
    assert post(api, community_staff, "/api/v1/party-organizations/", data).status_code == 403
    data["place"] = "G1"
    assert post(api, grid_worker, "/api/v1/party-organizations/", data).status_code == 403
    assert not PartyOrganization.objects.exists()


def test_in_service_member_needs_a_home_community(api, tree, community_staff):
    person = PersonFactory(place=tree.b1)
    branch = PartyOrganizationFactory(place=tree.g1)
    url = "/api/v1/party-members/"
    data = {"person": person.pk, "organization": branch.pk, "status": "in_service"}
    response = post(api, community_staff, url, data)
    assert response.status_code == 400
    assert "home_community" in response.json()["error"]["detail"]
    assert not PartyMember.objects.exists()
    response = post(api, community_staff, url, {**data, "home_community": "G1"})
    assert response.status_code == 400
    response = post(api, community_staff, url, {**data, "home_community": "C1"})
    assert response.status_code == 201, response.content
    assert response.json()["person_name"].endswith("*")


@pytest.mark.parametrize("status", ["regular", "mobile"])
def test_other_statuses_need_no_home_community(api, tree, community_staff, status):
    person = PersonFactory(place=tree.b1)
    branch = PartyOrganizationFactory(place=tree.g1)
    response = post(
        api,
        community_staff,
        "/api/v1/party-members/",
        {"person": person.pk, "organization": branch.pk, "status": status},
    )
    assert response.status_code == 201


def test_members_filter_by_status(api, tree, community_staff):
    branch = PartyOrganizationFactory(place=tree.g1)
    regular = PartyMember.objects.create(
        person=PersonFactory(place=tree.b1), organization=branch, status="regular"
    )
    PartyMember.objects.create(
        person=PersonFactory(place=tree.b1),
        organization=branch,
        status="in_service",
        home_community=tree.c1,
    )
    client = api(community_staff)
    assert ids(client.get("/api/v1/party-members/", {"status": "regular"})) == {regular.pk}


def test_person_in_another_grid_is_unknown_to_a_grid_worker(api, tree):
    person = PersonFactory(place=tree.b2, new_employment=True)
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    response = post(
        api,
        worker,
        "/api/v1/check-ins/",
        {"person": person.pk, "community": "C1", "kind": "new_employment"},
    )
    assert response.status_code == 400
    assert "person" in response.json()["error"]["detail"]
    assert not CheckIn.objects.exists()


def test_new_employment_worker_checks_themselves_in(api, tree):
    user, me = resident_of(tree.b1, new_employment=True)
    response = post(
        api,
        user,
        "/api/v1/check-ins/",
        {"person": me.pk, "community": "C3", "kind": "new_employment"},
    )
    assert response.status_code == 201, response.content
    assert ids(api(user).get("/api/v1/check-ins/")) == {response.json()["id"]}
    # The community checked into sees it, though the person lives elsewhere.
    c3_staff = user_with_role(Role.COMMUNITY_STAFF, tree.c3)
    assert response.json()["id"] in ids(api(c3_staff).get("/api/v1/check-ins/"))


def test_check_in_kind_must_match_the_person(api, tree, grid_worker):
    person = PersonFactory(place=tree.b1)
    response = post(
        api,
        grid_worker,
        "/api/v1/check-ins/",
        {"person": person.pk, "community": "C1", "kind": "party_member"},
    )
    assert response.status_code == 400
    assert "kind" in response.json()["error"]["detail"]


def test_resident_without_person_cannot_check_in(api, tree):
    user = user_with_role(Role.RESIDENT, tree.b1)
    response = post(api, user, "/api/v1/check-ins/", {"community": "C1", "kind": "party_member"})
    assert response.status_code == 403
