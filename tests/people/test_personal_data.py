"""`reveal` (the helper other apps call), the access-log API and /me/."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from gridgov.people.models import AccessLog, Role
from gridgov.people.personal_data import PersonalDataDenied, reveal

from .factories import DepartmentFactory, PersonFactory, UserFactory, user_with_role
from .utils import ids, resident_of

pytestmark = pytest.mark.django_db


def test_reveal_checks_logs_and_returns_the_values(tree):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    person = PersonFactory(place=tree.b1, phone="13812341234")
    request = RequestFactory().get("/people/1/", REMOTE_ADDR="192.0.2.7")
    values = reveal(worker, person, ["phone"], "web", request, purpose="callback")
    assert values == {"phone": "13812341234"}
    log = AccessLog.objects.get()
    assert (log.channel, log.fields, log.ip, log.purpose) == (
        "web",
        ["phone"],
        "192.0.2.7",
        "callback",
    )


def test_reveal_refuses_and_logs_nothing(tree):
    cadre = user_with_role(Role.CADRE, tree.g1)
    person = PersonFactory(place=tree.b1)
    with pytest.raises(PersonalDataDenied):
        reveal(cadre, person, ["phone"], "api")
    assert issubclass(PersonalDataDenied, PermissionDenied)
    assert not AccessLog.objects.exists()


def test_reveal_rejects_fields_that_are_not_personal_data(tree):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    person = PersonFactory(place=tree.b1)
    with pytest.raises(ValueError):
        reveal(worker, person, ["place"], "api")
    with pytest.raises(ValueError):
        reveal(worker, person, ["phone"], "fax")
    assert not AccessLog.objects.exists()


def test_access_logs_are_for_street_and_district_staff(api, tree, people):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    api(worker).get(f"/api/v1/people/{people.g1.pk}/personal-data/", {"purpose": "入户走访"})
    log = AccessLog.objects.get()
    street = user_with_role(Role.STREET_STAFF, tree.s1)
    body = api(street).get("/api/v1/access-logs/", {"user": worker.pk}).json()
    (row,) = body["results"]
    assert (row["id"], row["username"], row["place"]) == (log.pk, worker.username, "B1")
    assert ids(api(user_with_role(Role.STREET_STAFF, tree.s2)).get("/api/v1/access-logs/")) == set()
    community = user_with_role(Role.COMMUNITY_STAFF, tree.c1)
    assert ids(api(community).get("/api/v1/access-logs/")) == set()
    assert api(community).get(f"/api/v1/access-logs/{log.pk}/").status_code == 404


def test_access_logs_are_read_only(api, tree):
    staff = user_with_role(Role.DISTRICT_STAFF, tree.d)
    client = api(staff)
    assert client.post("/api/v1/access-logs/", {"subject_id": "1"}).status_code == 405
    log = AccessLog.objects.create(subject_type="people.person", subject_id="1", place=tree.b1)
    assert client.delete(f"/api/v1/access-logs/{log.pk}/").status_code == 405
    assert client.patch(f"/api/v1/access-logs/{log.pk}/", {"ip": "1.1.1.1"}).status_code == 405


def test_me_for_a_grid_worker(api, tree):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    person = PersonFactory(place=tree.b1, user=worker)
    body = api(worker).get("/api/v1/me/").json()
    assert body["username"] == worker.username
    assert body["person"] == person.pk
    assert body["roles"] == [
        {
            "role": "grid_worker",
            "label": "网格员",
            "place": "G1",
            "place_name": tree.g1.name,
            "department": None,
        }
    ]
    assert body["scope"] == ["G1"]
    assert body["may_view_personal_data"] is True
    assert body["personal_data_scope"] == ["G1"]
    assert body["may_view_access_logs"] is False


def test_me_for_a_resident_and_a_handler(api, tree):
    resident, _me = resident_of(tree.b1)
    body = api(resident).get("/api/v1/me/").json()
    assert body["scope"] == [] and body["may_view_personal_data"] is False
    department = DepartmentFactory(place=tree.d, code="ZJ")
    handler = user_with_role(Role.DEPARTMENT_HANDLER, department=department)
    body = api(handler).get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["departments"] == ["ZJ"]
    assert body["roles"][0]["label"] == "Department handler"


def test_me_for_street_staff_and_superuser(api, tree):
    body = api(user_with_role(Role.STREET_STAFF, tree.s1)).get("/api/v1/me/").json()
    assert body["may_view_access_logs"] is True
    body = api(UserFactory(is_superuser=True)).get("/api/v1/me/").json()
    assert body["is_superuser"] and body["scope"] == ["D"] and body["may_view_personal_data"]


def test_departments_serving_the_area(api, tree):
    district = DepartmentFactory(place=tree.d)
    mine = DepartmentFactory(place=tree.s1)
    other = DepartmentFactory(place=tree.s2)
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    assert ids(api(worker).get("/api/v1/departments/")) == {district.pk, mine.pk}
    handler = user_with_role(Role.DEPARTMENT_HANDLER, department=other)
    assert ids(api(handler).get("/api/v1/departments/")) == {other.pk}
    assert api(handler).get(f"/api/v1/departments/{mine.pk}/").status_code == 404
    resident, _me = resident_of(tree.b1)
    assert ids(api(resident).get("/api/v1/departments/")) == set()
