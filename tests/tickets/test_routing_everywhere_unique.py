"""One routing rule for everywhere (全区) per category: routing used only the earliest of two
(72c90f8), so a second one was a dead row. The database refuses it
(routing_rule_unique_everywhere), and the routing page, the API and the admin say why
instead of failing; migration 0021 removes a deployed database's duplicates, keeping the
earliest and saying what went in its note."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import translation

from gridgov.tickets import routing
from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.models import RoutingRule

from .factories import make_world
from .test_api import client_for

TAKEN_ZH = "该分类已有一条全区（所有地点）的派单规则"
TAKEN_EN = "This category has a rule for everywhere already"


@pytest.fixture
def world(db):
    return make_world()


def test_the_database_refuses_a_second_rule_for_everywhere(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutingRule.objects.create(category=world.unlicensed, department=world.housing)
    # Rules for places, and for everywhere of another category, are as before.
    RoutingRule.objects.create(
        category=world.unlicensed, place=world.street, department=world.housing
    )
    RoutingRule.objects.create(category=world.fire_lane, department=world.housing)


def test_the_routing_page_refuses_it_with_the_reason(client, world):
    client.force_login(world.district_staff)
    data = {"category": world.unlicensed.code, "place": "", "department": world.housing.code}
    response = client.post(reverse("tickets:routing-rules"), data)
    assert response.status_code == 400
    assert TAKEN_ZH in response.content.decode()
    assert RoutingRule.objects.filter(category=world.unlicensed).count() == 1
    # A rule for a place still says what it said.
    RoutingRule.objects.create(
        category=world.fire_lane, place=world.street, department=world.housing
    )
    placed = {**data, "category": world.fire_lane.code, "place": world.street.code}
    response = client.post(reverse("tickets:routing-rules"), placed)
    assert response.status_code == 400
    assert "该分类和地点的派单规则已存在" in response.content.decode()


def test_the_api_refuses_it_with_the_reason(world):
    url = "/api/v1/routing-rules/"
    district = client_for(world.district_staff)
    body = {"category": world.unlicensed.code, "place": None, "department": "ZJ"}
    response = district.post(url, body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400, response.content
    assert TAKEN_ZH in str(response.json()["error"]["detail"]["category"])
    response = district.post(url, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert TAKEN_EN in str(response.json()["error"]["detail"]["category"])
    # Moving a placed rule to everywhere is refused too.
    placed = RoutingRule.objects.create(
        category=world.unlicensed, place=world.street, department=world.housing
    )
    moved = district.patch(f"{url}{placed.pk}/", {"place": None}, format="json")
    assert moved.status_code == 400
    assert RoutingRule.objects.get(pk=placed.pk).place == world.street
    assert RoutingRule.objects.filter(category=world.unlicensed).count() == 2


def test_the_admin_refuses_it_with_the_reason(client, world, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x-secret-123")
    client.force_login(admin)
    data = {
        "category": world.unlicensed.pk,
        "place": "",
        "department": world.housing.pk,
        "note": "",
    }
    with translation.override("zh-hans"):
        response = client.post(
            reverse("admin:tickets_routingrule_add"), data, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    assert response.status_code == 200  # the form again, with the error
    assert TAKEN_ZH in response.content.decode()
    # Next to the category field (violation_error_code "unique"), not above the form.
    assert TAKEN_ZH in str(response.context["adminform"].form.errors["category"])
    assert RoutingRule.objects.filter(category=world.unlicensed).count() == 1
    # Changing the existing rule for everywhere is not refused by itself.
    rule = RoutingRule.objects.get(category=world.unlicensed)
    response = client.post(reverse("admin:tickets_routingrule_change", args=[rule.pk]), data)
    assert response.status_code == 302
    assert RoutingRule.objects.get(pk=rule.pk).department == world.housing


LAST_WITHOUT = ("tickets", "0020_lean_ticket_and_event_indexes")
WITH = ("tickets", "0021_routing_rule_unique_everywhere")


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_earliest_rule_and_says_what_it_removed(capsys):
    load_taxonomy()  # flushed with the transactional tests' data
    world = make_world()
    kept = RoutingRule.objects.get(category=world.unlicensed)  # → 城管执法局
    placed = RoutingRule.objects.create(
        category=world.unlicensed, place=world.street, department=world.housing
    )
    executor = MigrationExecutor(connection)
    executor.migrate([LAST_WITHOUT])
    try:
        old = executor.loader.project_state([LAST_WITHOUT]).apps
        OldRule = old.get_model("tickets", "RoutingRule")
        # The duplicates a deployed database may hold (the admin let them in).
        later = OldRule.objects.create(
            category_id=world.unlicensed.pk, department_id=world.housing.pk, note="住建统管"
        )
        latest = OldRule.objects.create(
            category_id=world.unlicensed.pk, department_id=world.city_mgmt.pk
        )
        other = OldRule.objects.create(
            category_id=world.fire_lane.pk, department_id=world.housing.pk
        )
        executor = MigrationExecutor(connection)
        executor.migrate([WITH])
    finally:
        # The whole schema again for the tests after this one.
        call_command("migrate", verbosity=0)
    assert set(RoutingRule.objects.values_list("pk", flat=True)) == {kept.pk, placed.pk, other.pk}
    kept.refresh_from_db()
    assert kept.department == world.city_mgmt
    assert kept.note == (
        f"删除了重复的全区规则#{later.pk}（→住建局，备注：住建统管）；"
        f"删除了重复的全区规则#{latest.pk}（→城管执法局）"
    )
    said = capsys.readouterr().out
    assert f"Routing rule #{later.pk} removed" in said and f"#{latest.pk} removed" in said
    # Routing follows the kept rule (a ticket with no place: the rules for everywhere), and
    # the constraint is in place.
    assert routing.route(world.unlicensed, None).department == world.city_mgmt
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutingRule.objects.create(category=world.unlicensed, department=world.housing)
