"""Admin masking and logging, the OpenAPI schema, and translations."""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from gridgov.people import api as people_api
from gridgov.people.models import AccessLog, PartyOrganization, Role

from .factories import PersonFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    client.admin = admin
    return client


def test_person_changelist_masks_phone_and_id(admin_client, tree):
    PersonFactory(place=tree.b1, name="张三", phone="13812341234", id_number="110101199001011234")
    response = admin_client.get(reverse("admin:people_person_changelist"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "138****1234" in content and "1101**********1234" in content
    assert "13812341234" not in content and "110101199001011234" not in content
    assert not AccessLog.objects.exists()


def test_person_change_form_is_a_logged_full_view(admin_client, tree):
    person = PersonFactory(place=tree.b1)
    response = admin_client.get(reverse("admin:people_person_change", args=[person.pk]))
    assert response.status_code == 200
    log = AccessLog.objects.get()
    assert (log.user, log.channel, log.purpose) == (admin_client.admin, "web", "admin")


@pytest.mark.parametrize(
    "model",
    [
        "person",
        "household",
        "department",
        "partyorganization",
        "partymember",
        "checkin",
        "roleassignment",
        "accesslog",
        "passwordreset",
    ],
)
def test_every_model_has_a_changelist(admin_client, tree, model):
    assert admin_client.get(reverse(f"admin:people_{model}_changelist")).status_code == 200


def test_admin_is_for_superusers_only(client, tree):
    staff = user_with_role(Role.DISTRICT_STAFF, tree.d, is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:people_person_changelist")).status_code == 403


@pytest.mark.parametrize("model", ["accesslog", "passwordreset"])
def test_evidence_admins_are_read_only_even_for_a_superuser(admin_client, tree, model):
    assert admin_client.get(reverse(f"admin:people_{model}_add")).status_code == 403
    model_admin = admin.site._registry[apps.get_model("people", model)]
    request = RequestFactory().get("/")
    request.user = admin_client.admin
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_people_views_document_cleanly_in_the_schema():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=people_api.urlpatterns)
    schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache
    paths = schema["paths"]
    assert "/people/{id}/personal-data/" in paths
    assert "/me/" in paths
    params = {p["name"] for p in paths["/people/"]["get"]["parameters"]}
    assert {"under", "household", "party_member", "role", "q"} <= params
    ok = paths["/people/{id}/personal-data/"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/PersonalData")


def test_chinese_translations_cover_models_roles_and_messages():
    with translation.override("zh-hans"):
        assert str(Role.GRID_WORKER.label) == "网格员"
        assert str(Role.CADRE.label) == "下沉干部"
        assert str(PartyOrganization._meta.verbose_name) == "党组织"
        assert str(AccessLog._meta.verbose_name_plural) == "个人信息查看记录"
        assert str(PartyOrganization.Kind.BRANCH.label) == "党支部"
    with translation.override("en"):
        assert str(Role.GRID_WORKER.label) == "Grid worker"


def test_validation_messages_are_chinese_by_default(api, tree):
    staff = user_with_role(Role.COMMUNITY_STAFF, tree.c1)
    response = api(staff).post(
        "/api/v1/party-organizations/",
        {"name": "x", "kind": "branch", "place": "B1"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["detail"]["place"] == ["党支部不能设在楼栋一级。"]


@pytest.mark.parametrize(
    "model, level", [("department", "s1"), ("roleassignment", "c1")]
)  # fmt: skip
def test_a_place_is_picked_by_name_not_by_database_id(admin_client, tree, model, level):
    html = admin_client.get(f"/admin/people/{model}/add/").content.decode()
    place = re.search(r'<select name="place"[^>]*>', html)
    assert place and "admin-autocomplete" in place.group(0), "a raw id box asks for the pk"
    wanted = getattr(tree, level)
    found = admin_client.get(
        "/admin/autocomplete/",
        {"term": wanted.name, "app_label": "people", "model_name": model,
         "field_name": "place"},
    ).json()  # fmt: skip
    assert str(wanted.pk) in [r["id"] for r in found["results"]]
