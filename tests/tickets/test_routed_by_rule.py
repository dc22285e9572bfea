"""A ticket's timeline says which routing rule sent it where, or that no rule did and the
category's home level (承办层级) chose the office: it said only 系统自动派单。, and a street
asking why a matter went to 城管 could not tell. The dispatch event keeps the rule's id,
codes and names (the rule may change later); the API's events carry them."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.tickets import routing
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Category, HomeLevel, RoutingRule, Status, TicketEvent

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


def _dispatch_data(ticket):
    return TicketEvent.objects.filter(ticket=ticket, action="dispatch").latest("id").data


def _timeline(client, user, ticket):
    client.force_login(user)
    return client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()


def test_the_rule_that_dispatched_a_ticket_is_named_in_its_timeline_and_events(client):
    world = make_world()
    rule = RoutingRule.objects.create(
        category=world.corridor, place=world.street, department=world.housing
    )
    ticket = make_ticket(world)
    assert ticket.owner_department == world.housing
    data = _dispatch_data(ticket)
    assert data["rule"] == {
        "id": rule.pk,
        "category": world.corridor.code,
        "place": world.street.code,
        "department": world.housing.code,
        "names": {
            "category": world.corridor.full_name,
            "place": world.street.name,
            "department": world.housing.name,
        },
    }
    html = _timeline(client, world.street_staff, ticket)
    assert (
        f"派单规则（第 {rule.pk} 号）：{world.street.name}的“{world.corridor.full_name}”类诉求"
        f"派给{world.housing.name}。"
    ) in html
    api = APIClient()
    api.force_authenticate(world.street_staff)
    events = api.get(f"/api/v1/tickets/{ticket.pk}/events/").json()
    dispatch = next(e for e in events if e["action"] == "dispatch")
    assert dispatch["data"]["rule"]["id"] == rule.pk


def test_a_rule_for_everywhere_and_one_for_a_parent_category(client):
    world = make_world()  # its rule: 城管执法 (a parent of what is filed) everywhere → 城管
    child = Category.objects.filter(parent=world.unlicensed, active=True).first() or (
        world.unlicensed
    )
    ticket = make_ticket(world, category=child.code, title="占道经营", description="路口摆摊")
    rule = RoutingRule.objects.get(category=world.unlicensed, place=None)
    assert _dispatch_data(ticket)["rule"]["id"] == rule.pk
    assert _dispatch_data(ticket)["rule"]["category"] == world.unlicensed.code
    html = _timeline(client, world.street_staff, ticket)
    assert (
        f"派单规则（第 {rule.pk} 号）：全区（所有地点）的“{world.unlicensed.full_name}”类诉求"
        f"派给{world.city_mgmt.name}。"
    ) in html


def test_without_a_rule_the_home_level_is_named(client):
    world = make_world()
    ticket = make_ticket(world)  # 楼道堆物: a grid event, no rule
    assert ticket.owner_place == world.grid_a
    assert _dispatch_data(ticket)["home_level"] == HomeLevel.GRID
    assert "rule" not in _dispatch_data(ticket)
    html = _timeline(client, world.street_staff, ticket)
    assert "此处无该分类的派单规则：按分类的承办层级派给所在网格。" in html


def test_a_home_level_dispatch_is_not_said_to_be_by_the_rules(client):
    """派至：魏家坡小区（按规则自动） above 此处无该分类的派单规则 read as a contradiction on
    every grid matter (found walking the demo as the grid worker); a rule's dispatch keeps it."""
    world = make_world()
    by_level = make_ticket(world)  # 楼道堆物: a grid event, no rule
    html = _timeline(client, world.street_staff, by_level)
    assert f"派至：{world.grid_a.name}" in html
    assert "按规则自动" not in html
    RoutingRule.objects.create(
        category=world.corridor, place=world.street, department=world.housing
    )
    by_rule = make_ticket(world)
    assert f"派至：{world.housing.name}（按规则自动）" in _timeline(
        client, world.street_staff, by_rule
    )


def test_the_desk_dispatching_by_the_rules_records_the_rule_but_not_a_unit_named_by_hand():
    world = make_world()
    category = (
        Category.objects.filter(home_level=HomeLevel.DEPARTMENT, active=True)
        .exclude(pk__in=[c.pk for c in world.unlicensed.lineage()])
        .exclude(parent=world.unlicensed)
        .first()
    )
    assert not routing.has_rules(category)
    ticket = make_ticket(world, category=category.code)
    assert ticket.status == Status.RECEIVED  # no rule: at the street's desk
    rule = RoutingRule.objects.create(category=category, department=world.housing)
    perform(ticket, "dispatch", world.street_staff)
    assert _dispatch_data(ticket)["rule"]["id"] == rule.pk
    perform(
        ticket, "return", world.housing_handler, reason_code="unclear_ownership", reason="不归我们"
    )
    ticket.refresh_from_db()
    perform(ticket, "dispatch", world.street_staff, department=world.city_mgmt.code)
    data = _dispatch_data(ticket)
    assert data["department"] == world.city_mgmt.code and "rule" not in data


def test_an_imported_ticket_names_the_rule_or_the_home_level_too():
    from gridgov.tickets import imports

    from .test_import_closed import HEADERS, row

    world = make_world()
    data = [row(2, "R-grid", "办理中"), row(3, "R-rule", "办理中")]
    data[1][1][5] = "城管执法"  # 诉求类型: the category the world's rule sends to 城管
    report = imports.import_rows(HEADERS, data, actor=world.hotline)
    assert report.ok, report.errors
    by_grid = TicketEvent.objects.get(ticket__external_id="R-grid", action="dispatch")
    assert by_grid.data["home_level"] == HomeLevel.GRID and "rule" not in by_grid.data
    by_rule = TicketEvent.objects.get(ticket__external_id="R-rule", action="dispatch")
    rule = RoutingRule.objects.get(category=world.unlicensed, place=None)
    assert by_rule.data["rule"]["id"] == rule.pk
    assert by_rule.data["department"] == world.city_mgmt.code


def _create_data(ticket):
    return TicketEvent.objects.get(ticket=ticket, action="create").data


def test_the_create_event_says_what_decided_as_the_dispatch_event_does(client):
    """The create event said route "rule" for every routed demand, also one no rule covered
    that went to the office of its category's home level (the dispatch event's
    data.home_level said so)."""
    world = make_world()
    by_level = make_ticket(world)  # 楼道堆物: no rule, the grid's (its home level)
    assert "rule" not in _dispatch_data(by_level)
    assert _dispatch_data(by_level)["home_level"] == HomeLevel.GRID
    assert _create_data(by_level)["route"] == "home_level"
    by_rule = make_ticket(world, category=world.unlicensed.code)
    assert _dispatch_data(by_rule)["rule"]["category"] == world.unlicensed.code
    assert _create_data(by_rule)["route"] == "rule"
    # Neither: a department's category no rule routes waits at the street's desk.
    orphan = Category.objects.filter(home_level=HomeLevel.DEPARTMENT).exclude(
        pk__in=[c.pk for c in Category.objects.all() if routing.has_rules(c)]
    )[0]
    waiting = make_ticket(world, category=orphan.code)
    assert waiting.status == Status.RECEIVED
    assert _create_data(waiting)["route"] == "dispatch_desk"
    assert not TicketEvent.objects.filter(ticket=waiting, action="dispatch").exists()
    # The events API and the timeline tell the same.
    api = APIClient()
    api.force_authenticate(world.street_staff)
    events = api.get(f"/api/v1/tickets/{by_level.pk}/events/").json()
    create = next(e for e in events if e["action"] == "create")
    assert create["data"]["route"] == "home_level"
    html = _timeline(client, world.street_staff, by_level)
    assert "此处无该分类的派单规则：按分类的承办层级派给所在网格。" in html
