"""分类交办: properties of routing.route for any category, place and set of routing rules
(hypothesis).

The place tree: district D1 with two streets (each 社区 → 2 网格 → 楼栋) and a second
district D2 with one street; a ticket lies at any of its places, at any level, or nowhere.
Its category is any of the taxonomy's, with any home level (承办层级). Each example writes
a few random routing rules (category × place or everywhere → department), in a savepoint
rolled back after it.

The rule tested, from routing's docstrings (module, _rule_for; RoutingRule "the most
specific matching rule wins"): a rule applies when its category is the ticket's or one of
its parents and its place is the ticket's place or above it (or it has no place). Of those,
the rule with the deepest place wins; at the same place, the one whose category is nearest
the ticket's (one rule per category and place, also for everywhere). Without one,
the office of the place at the category's home level above the location; without that,
the dispatch desk: the street above the location, or the district for a place above any
street, or the first district for no place.
"""

import copy

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.people.models import Department
from gridgov.places.models import Level, Place, level_rank
from gridgov.tickets import intake, reference, routing
from gridgov.tickets.models import Category, HomeLevel, RoutingRule
from tests.places.factories import PlaceFactory, make_tree

from .factories import make_world

pytestmark = pytest.mark.django_db

once_per_test = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def city():
    """make_world's tree, a second street in its district and a second district, and three
    departments; the categories of a few branches of the taxonomy."""
    world = make_world()
    make_tree(key="2", district=world.district, origin=(116.50, 39.90))
    d2 = PlaceFactory(code="D2", name="朝阳区", level=Level.DISTRICT)
    s3 = PlaceFactory(code="S3", name="望京街道", level=Level.STREET, parent=d2)
    c3 = PlaceFactory(code="C3", name="花家地社区", level=Level.COMMUNITY, parent=s3)
    g3 = PlaceFactory(code="G3a", name="花家地北里", level=Level.GRID, parent=c3)
    PlaceFactory(code="B3a1", name="1号楼", level=Level.BUILDING, parent=g3)
    police = Department.objects.create(code="GA", name="公安分局", place=d2)
    places = list(Place.objects.order_by("path"))
    tree = reference.categories()
    # Three whole branches (every level), so rules for parents and children both occur.
    roots = sorted((c for c in tree.by_id.values() if c.depth == 1), key=lambda c: c.code)[:3]
    branch = [
        c for c in tree.by_id.values() if any(a.pk in {r.pk for r in roots} for a in c.lineage())
    ]
    categories = sorted(branch, key=lambda c: c.code)
    for extra in (world.corridor, world.fire_lane, world.unlicensed):
        categories += [c for c in tree.by_id[extra.pk].lineage() if c not in categories]
    return {
        "world": world,
        "places": places,
        "departments": [world.city_mgmt, world.housing, police],
        "categories": categories,
    }


def rank(place):
    return -1 if place is None else level_rank(place.level)


def covers(rule_place, place):
    """The rule's place is the location or above it (a rule without a place covers all)."""
    if rule_place is None:
        return True
    return place is not None and place.path.startswith(rule_place.path)


def expected_rule(category, place, rules):
    """The most specific rule, stated anew from the docstrings (not _rule_for's key)."""
    nearness = {c.pk: i for i, c in enumerate(category.lineage())}
    applying = [r for r in rules if r.category_id in nearness and covers(r.place, place)]
    if not applying:
        return None
    return max(applying, key=lambda r: (rank(r.place), -nearness[r.category_id], -r.pk))


def draw_case(data, city):
    category = copy.copy(data.draw(st.sampled_from(city["categories"]), label="category"))
    category.home_level = data.draw(st.sampled_from(HomeLevel.values), label="home level")
    place = data.draw(st.none() | st.sampled_from(city["places"]), label="place")
    # Rule categories and places: the ticket's lineage and the location's ancestors more
    # often than not (rules that compete), else any other (a child category, another
    # street: rules that must not apply).
    lineage = category.lineage()
    rule_category = st.sampled_from(lineage) | st.sampled_from(city["categories"])
    above = [None, *(place.ancestors() + [place] if place is not None else [])]
    rule_place = st.sampled_from(above) | st.sampled_from(city["places"])
    specs = data.draw(
        st.lists(
            st.tuples(rule_category, rule_place, st.sampled_from(city["departments"])),
            max_size=8,
        ),
        label="rules",
    )
    return category, place, specs


def write_rules(specs):
    """The drawn rules, replacing make_world's (unless drawn again). One per category and
    place, also for everywhere, as the unique constraints have it."""
    RoutingRule.objects.all().delete()
    seen = set()
    for rule_category, rule_place, department in specs:
        key = (rule_category.pk, rule_place.pk if rule_place is not None else None)
        if key in seen:
            continue
        seen.add(key)
        RoutingRule.objects.create(
            category_id=rule_category.pk, place=rule_place, department=department
        )
    return list(RoutingRule.objects.select_related("place", "department"))


def street_of(place):
    return place.ancestor_at(Level.STREET) if place is not None else None


@once_per_test
@given(data=st.data())
def test_every_ticket_gets_an_owner_by_the_most_specific_rule(city, data):
    category, place, specs = draw_case(data, city)
    with transaction.atomic():
        rules = write_rules(specs)
        route = routing.route(category, place)
        # Never nobody, and never both a department and an office.
        assert route.unit is not None
        assert (route.department is None) != (route.place is None)

        winner = expected_rule(category, place, rules)
        if winner is not None:
            assert route.rule is not None and route.rule.pk == winner.pk
            assert route.department.pk == winner.department_id
            assert route.rule_category.pk == winner.category_id
            assert not route.dispatch_desk
            assert routing.decided_by(route) == "rule"
        else:
            assert route.rule is None and route.department is None
            office = None
            if place is not None and category.home_level != HomeLevel.DEPARTMENT:
                office = place.ancestor_at(category.home_level)
            if office is not None:
                assert route.place.pk == office.pk
                assert route.place.level == category.home_level
                assert route.home_level == category.home_level
                assert not route.dispatch_desk
            else:
                assert route.dispatch_desk
                assert routing.decided_by(route) == "dispatch_desk"
                if place is None:
                    first = Place.objects.filter(level=Level.DISTRICT).order_by("path")[0]
                    assert route.place.pk == first.pk
                else:
                    desk = street_of(place) or place.ancestor_at(Level.DISTRICT)
                    assert route.place.pk == desk.pk

        if route.place is not None and place is not None:
            # An office owner lies above (or at) the location, and inside its street when the
            # location is in one: a ticket never lands in another street or district.
            assert place.path.startswith(route.place.path)
            street = street_of(place)
            if street is not None:
                assert route.place.path.startswith(street.path)
            else:
                assert route.place.level == Level.DISTRICT
        if route.department is not None:
            # A department only by a rule covering the location.
            assert covers(route.rule.place, place)
        transaction.set_rollback(True)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_intake_routes_every_demand_to_an_owner(city, data):
    """What create_ticket dispatches by (intake.route_for): an unplaced demand no rule
    covers waits at the desk of whoever took it in (the hotline's: the first district's),
    otherwise as route(); an unsure category goes to the location's dispatch desk."""
    category, place, specs = draw_case(data, city)
    unsure = data.draw(st.booleans(), label="unsure")
    hotline = city["world"].hotline
    with transaction.atomic():
        write_rules(specs)
        found = intake.route_for(category, place, hotline, unsure=unsure)
        assert found.unit is not None
        if unsure or found.dispatch_desk:
            assert found.department is None and found.dispatch_desk
            if place is None:
                assert found.place.pk == routing.intake_desk(hotline).pk
            else:
                assert place.path.startswith(found.place.path)
                assert found.place.level in (Level.STREET, Level.DISTRICT)
        else:
            assert found == routing.route(category, place)
        transaction.set_rollback(True)


def test_the_category_home_level_decides_without_rules(city):
    """An example the properties cover, spelled out: a grid matter at a building goes to
    its grid; a street matter at a grid to the street; a grid matter at the street to the
    street's desk."""
    RoutingRule.objects.all().delete()
    world = city["world"]
    grid_matter = copy.copy(Category.objects.get(pk=world.corridor.pk))
    grid_matter.home_level = HomeLevel.GRID
    assert routing.route(grid_matter, world.buildings[0]).place == world.grid_a
    street_matter = copy.copy(grid_matter)
    street_matter.home_level = HomeLevel.STREET
    assert routing.route(street_matter, world.grid_b).place == world.street
    at_street = routing.route(grid_matter, world.street)
    assert at_street.place == world.street and at_street.dispatch_desk


def test_a_second_rule_for_the_same_category_everywhere_is_refused(city):
    """The unique constraint on (category, place) let a NULL place repeat, and routing took
    the earlier of two rules for everywhere (72c90f8): the later was a dead row. The
    database refuses it now (routing_rule_unique_everywhere); the earlier rule routes,
    also after it is edited."""
    RoutingRule.objects.all().delete()
    world = city["world"]
    earlier = RoutingRule.objects.create(category=world.corridor, department=world.city_mgmt)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutingRule.objects.create(category=world.corridor, department=world.housing)
    assert routing.route(world.corridor, world.buildings[0]).department == world.city_mgmt
    earlier.note = "夜间也派"
    earlier.save()
    assert routing.route(world.corridor, world.buildings[0]).department == world.city_mgmt
