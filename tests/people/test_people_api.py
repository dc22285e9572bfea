"""People through the API: masking, the logged full view, who may see what, writes in scope."""

import pytest

from gridgov.people.models import AccessLog, Person, Role

from .factories import HouseholdFactory, PersonFactory, user_with_role
from .utils import ids, resident_of

pytestmark = pytest.mark.django_db


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_list_masks_names_phones_and_id_numbers(api, tree, people, grid_worker):
    people.g1.id_number = "110101199001011234"
    people.g1.save()
    (row,) = rows(api(grid_worker).get("/api/v1/people/"))
    assert row["name"] == "张*"
    assert row["phone"] == "138****1234"
    assert row["id_number"] == "1101**********1234"
    assert "1234123" not in str(row)


def test_detail_is_masked_too(api, tree, people, grid_worker):
    body = api(grid_worker).get(f"/api/v1/people/{people.g1.pk}/").json()
    assert body["phone"] == "138****1234"
    assert body["name"] == "张*"


def test_full_view_returns_unmasked_data_and_writes_one_log_row(api, tree, people, grid_worker):
    response = api(grid_worker).get(
        f"/api/v1/people/{people.g1.pk}/personal-data/",
        {"purpose": "visit"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": people.g1.pk,
        "name": "张三",
        "phone": "13812341234",
        "id_number": people.g1.id_number,
    }
    assert response["Cache-Control"] == "no-store"
    (log,) = AccessLog.objects.all()
    assert log.user == grid_worker
    assert (log.subject_type, log.subject_id) == ("people.person", str(people.g1.pk))
    assert log.fields == ["name", "phone", "id_number"]
    assert (log.channel, log.ip, log.purpose, log.place) == ("api", "10.1.2.3", "visit", tree.b1)


def test_every_full_view_is_logged(api, tree, people, community_staff):
    client = api(community_staff)
    for _ in range(3):
        response = client.get(
            f"/api/v1/people/{people.g2.pk}/personal-data/", {"purpose": "入户走访"}
        )
        assert response.status_code == 200
    assert AccessLog.objects.filter(user=community_staff, subject_id=str(people.g2.pk)).count() == 3


@pytest.mark.parametrize(
    "role,place", [(Role.MICRO_GRID_WORKER, "b1"), (Role.CADRE, "g1"), (Role.VOLUNTEER, "g1")]
)
def test_roles_without_the_right_get_403_on_personal_data(api, tree, people, role, place):
    user, me = resident_of(getattr(tree, place), role=role)
    client = api(user)
    # Registry roles see the resident of their area; volunteers only themselves.
    target = people.g1 if role in (Role.MICRO_GRID_WORKER, Role.CADRE) else me
    assert client.get(f"/api/v1/people/{target.pk}/").status_code == 200
    response = client.get(f"/api/v1/people/{target.pk}/personal-data/")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert "个人信息" in error["message"] and "personal data" in error["message_en"]
    assert not AccessLog.objects.exists()


def test_resident_gets_403_on_personal_data_even_of_themselves(api, tree, people):
    user, me = resident_of(tree.b1)
    response = api(user).get(f"/api/v1/people/{me.pk}/personal-data/")
    assert response.status_code == 403
    assert not AccessLog.objects.exists()


def test_resident_sees_only_themselves(api, tree, people):
    user, me = resident_of(tree.b1)
    client = api(user)
    assert ids(client.get("/api/v1/people/")) == {me.pk}
    assert client.get(f"/api/v1/people/{people.g1.pk}/").status_code == 404  # same building
    assert client.get(f"/api/v1/people/{me.pk}/").status_code == 200


def test_resident_sees_own_household_with_only_themselves_in_it(api, tree):
    household = HouseholdFactory(building=tree.b1)
    user, me = resident_of(tree.b1, household=household)
    spouse = PersonFactory(place=tree.b1, household=household)
    body = api(user).get("/api/v1/households/").json()
    (row,) = body["results"]
    assert row["id"] == household.pk
    assert [m["id"] for m in row["members"]] == [me.pk]
    assert spouse.pk not in {m["id"] for m in row["members"]}


def test_volunteer_sees_only_themselves(api, tree, people):
    user, me = resident_of(tree.g1, role=Role.VOLUNTEER)
    assert ids(api(user).get("/api/v1/people/")) == {me.pk}


def test_department_handler_sees_no_people(api, tree, people):
    handler = user_with_role(Role.DEPARTMENT_HANDLER)
    assert ids(api(handler).get("/api/v1/people/")) == set()


def test_filters(api, tree, people, street_staff):
    client = api(street_staff)
    assert ids(client.get("/api/v1/people/", {"under": "C1"})) == {people.g1.pk, people.g2.pk}
    assert ids(client.get("/api/v1/people/", {"under": "nowhere"})) == set()
    assert ids(client.get("/api/v1/people/", {"q": "王"})) == {people.g3.pk}
    # Street staff may see personal data, so a phone number finds its person.
    assert ids(client.get("/api/v1/people/", {"q": "13700002222"})) == {people.g3.pk}


def test_cadre_cannot_find_people_by_phone(api, tree, people):
    cadre = user_with_role(Role.CADRE, tree.g1)
    client = api(cadre)
    assert ids(client.get("/api/v1/people/", {"q": "13812341234"})) == set()
    assert ids(client.get("/api/v1/people/", {"q": "张"})) == {people.g1.pk}


def test_filter_by_role_and_party_membership(api, tree, people, community_staff):
    worker_person = PersonFactory(place=tree.b2, user=user_with_role(Role.GRID_WORKER, tree.g2))
    client = api(community_staff)
    assert ids(client.get("/api/v1/people/", {"role": "grid_worker"})) == {worker_person.pk}
    assert ids(client.get("/api/v1/people/", {"party_member": "true"})) == set()


# -- writes ------------------------------------------------------------------


def test_grid_worker_creates_a_person_in_their_grid(api, tree, grid_worker):
    response = api(grid_worker).post(
        "/api/v1/people/",
        {"name": "钱七", "phone": "13511112222", "place": "B1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "135****2222"
    assert Person.objects.get(pk=response.json()["id"]).phone == "13511112222"


def test_person_takes_the_households_building(api, tree, grid_worker):
    household = HouseholdFactory(building=tree.b1)
    response = api(grid_worker).post(
        "/api/v1/people/", {"name": "孙八", "household": household.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["place"] == "B1"


def test_create_outside_scope_is_403_and_writes_nothing(api, tree, grid_worker):
    response = api(grid_worker).post(
        "/api/v1/people/", {"name": "钱七", "place": "B2"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["message_en"]
    assert not Person.objects.exists()


def test_move_out_of_scope_is_403_and_writes_nothing(api, tree, people, grid_worker):
    response = api(grid_worker).patch(
        f"/api/v1/people/{people.g1.pk}/", {"place": "B2"}, format="json"
    )
    assert response.status_code == 403
    people.g1.refresh_from_db()
    assert people.g1.place == tree.b1


def test_update_in_scope(api, tree, people, grid_worker):
    response = api(grid_worker).patch(
        f"/api/v1/people/{people.g1.pk}/", {"lives_alone_elderly": True}, format="json"
    )
    assert response.status_code == 200, response.content
    people.g1.refresh_from_db()
    assert people.g1.lives_alone_elderly


def test_roles_that_only_read_cannot_write(api, tree, people):
    cadre = user_with_role(Role.CADRE, tree.g1)
    client = api(cadre)
    assert client.post("/api/v1/people/", {"name": "x", "place": "B1"}).status_code == 403
    response = client.patch(f"/api/v1/people/{people.g1.pk}/", {"name": "y"}, format="json")
    assert response.status_code == 403
    assert Person.objects.count() == 4


def test_household_in_another_grid_is_unknown(api, tree, grid_worker):
    household = HouseholdFactory(building=tree.b2)
    response = api(grid_worker).post(
        "/api/v1/people/", {"name": "x", "household": household.pk}, format="json"
    )
    assert response.status_code == 400
    assert "household" in response.json()["error"]["detail"]


def test_member_outside_household_building_is_400(api, tree, grid_worker):
    household = HouseholdFactory(building=tree.b1)
    response = api(grid_worker).post(
        "/api/v1/people/",
        {"name": "x", "household": household.pk, "place": "G1"},
        format="json",
    )
    assert response.status_code == 400
    assert "place" in response.json()["error"]["detail"]
    assert not Person.objects.exists()


def test_household_create_and_bad_building(api, tree, grid_worker):
    client = api(grid_worker)
    response = client.post("/api/v1/households/", {"building": "B1", "room": "302"})
    assert response.status_code == 201, response.content
    response = client.post("/api/v1/households/", {"building": "G1", "room": "302"})
    assert response.status_code == 400
    assert "G1" in str(response.json()["error"]["detail"]["building"])
    assert client.post("/api/v1/households/", {"building": "B2"}).status_code == 403


def test_no_delete_of_people(api, tree, people, district_staff):
    response = api(district_staff).delete(f"/api/v1/people/{people.g1.pk}/")
    assert response.status_code == 405


@pytest.mark.parametrize(
    "endpoint", ["people", "households", "party-members", "check-ins", "role-assignments"]
)
def test_browsable_api_renders_without_listing_outside_scope(api, tree, people, endpoint):
    staff = user_with_role(Role.COMMUNITY_STAFF, tree.c1)
    response = api(staff).get(f"/api/v1/{endpoint}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    content = response.content.decode()
    assert "王五" not in content and "13700002222" not in content


def test_a_viewset_that_would_skip_the_write_check_fails_at_import():
    from rest_framework import mixins

    from gridgov.people.api import ScopedViewSet

    with pytest.raises(TypeError, match="bypasses the rules check"):

        class Unchecked(mixins.CreateModelMixin, ScopedViewSet):
            pass
