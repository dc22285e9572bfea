"""分类交办: who owns a ticket, from its category and location.

The owner is the department named by the most specific routing rule for the
category (or a parent category) covering the ticket's place; otherwise the
office of the place at the category's home level above the location. What no
rule covers goes to the street's dispatch desk (the street office), so nothing
is lost.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.places.models import Level, Place

from . import reference
from .models import HomeLevel, RoutingRule


@dataclass(frozen=True)
class Route:
    place: Place | None
    department: object | None
    # True when nothing matched and the ticket waits at a dispatch desk.
    dispatch_desk: bool = False
    # What decided it, for the dispatch event (route_data): the rule, or else the
    # category's home level; carried out of route() so nothing is looked up twice.
    rule: object | None = None
    rule_category: object | None = None  # the rule's category, from the lineage in hand
    home_level: str | None = None

    @property
    def unit(self):
        return self.department or self.place


def has_rules(category):
    """Does a routing rule name this category or one of its parents?"""
    return bool(reference.routing_rules([c.pk for c in category.lineage()]))


def _rule_for(category, place):
    """(the rule that routes `category` at `place`, its category from the lineage) or
    (None, None)."""
    if category is None:
        return None, None
    chain = category.lineage()
    rules = reference.routing_rules([c.pk for c in chain])
    best, best_key = None, None
    depth = {c.pk: i for i, c in enumerate(chain)}
    for rule in rules:
        if rule.place is not None and (place is None or not place.path.startswith(rule.place.path)):
            continue
        # More specific place first, then the more specific category, then the earlier rule
        # (a tie the unique constraints now rule out, also for everywhere: kept so that the
        # order the database returns rules in never decides).
        key = (len(rule.place.path) if rule.place else 0, -depth[rule.category_id], -rule.pk)
        if best_key is None or key > best_key:
            best, best_key = rule, key
    return best, (chain[depth[best.category_id]] if best is not None else None)


def rule_words(rule, category=None):
    """A routing rule in words: its category's full name, its place's (全区（所有地点） for a
    rule for everywhere), its department's. The routing page says with these what a rule
    saved or removed does, and a ticket's timeline which rule sent it. `rule`: a RoutingRule
    (`category`: its category, when in hand) or the record an event keeps (route_data)."""
    if isinstance(rule, dict):
        names = rule.get("names") or {}
    else:
        category = category or rule.category
        names = {
            "category": category.full_name,
            "place": rule.place.name if rule.place else None,
            "department": rule.department.name,
        }
    return {**names, "place": names.get("place") or _("Everywhere")}


def route_data(route):
    """What a dispatch by the rules records of what decided it: {"rule": its id, codes and
    names as they were (a rule may change or go later)}, or {"home_level": …} when no rule
    covered the category there; {} for a unit named by hand or a dispatch desk."""
    rule = route.rule
    if rule is not None:
        category = route.rule_category or rule.category
        return {
            "rule": {
                "id": rule.pk,
                "category": category.code,
                "place": rule.place.code if rule.place else None,
                "department": rule.department.code,
                "names": {
                    "category": category.full_name,
                    "place": rule.place.name if rule.place else None,
                    "department": rule.department.name,
                },
            }
        }
    return {"home_level": route.home_level} if route.home_level else {}


def decided_by(route):
    """What decided where a demand went, as its create event's `route` says it, in step with
    the dispatch event's data (route_data): "rule", "home_level" (no rule for the category
    there: its home level's office), "dispatch_desk" (neither: it waits at the desk)."""
    if route.rule is not None:
        return "rule"
    if route.home_level:
        return "home_level"
    return "dispatch_desk"


def dispatch_desk(place):
    """The street above a place, or the district when the street is unknown."""
    if place is None:
        return Place.objects.filter(level=Level.DISTRICT).order_by("path").first()
    return place.ancestor_at(Level.STREET) or place.ancestor_at(Level.DISTRICT)


def intake_desk(user):
    """The dispatch desk of whoever takes a demand in: their street (`home_street`), else
    the district's. An unplaced demand waits there, and a consultation answered on the
    spot is that desk's."""
    return home_street(user) or dispatch_desk(None)


def home_street(user):
    """The one street all of `user`'s places lie in, else None (several streets, the
    district, no place-bound role).

    A demand whose place cannot be found waits at this street's dispatch desk rather
    than the district's: that street took it in (its window, its import, its grid
    workers' or residents' reports), and there its own staff can see and place it.
    """
    from gridgov.people.scope import ancestor_paths, scope_for

    paths = scope_for(user).paths() if user is not None else []
    if not paths:
        return None
    prefixes = {p for path in paths for p in (*ancestor_paths(path), path)}
    streets = {p.path: p for p in Place.objects.filter(level=Level.STREET, path__in=prefixes)}
    found = {next((s for s in streets if path.startswith(s)), None) for path in paths}
    return streets[found.pop()] if len(found) == 1 and None not in found else None


def route(category, place):
    if category is not None:
        rule, rule_category = _rule_for(category, place)
        if rule is not None:
            return Route(None, rule.department, rule=rule, rule_category=rule_category)
        home = category.home_level
        if home != HomeLevel.DEPARTMENT and place is not None:
            owner = place.ancestor_at(home)
            if owner is not None:
                return Route(place=owner, department=None, home_level=home)
    return Route(place=dispatch_desk(place), department=None, dispatch_desk=True)


def next_level_up(ticket):
    """The escalation ladder 网格 → 社区 → 街道; None above the street (whistle instead)."""
    if ticket.owner_department_id:
        # A department escalates to the street where the matter lies; a matter placed in
        # no street has no rung above the department (not the district: DESIGN §4).
        return ticket.place.ancestor_at(Level.STREET) if ticket.place is not None else None
    owner = ticket.owner_place
    if owner is None or owner.level in (Level.STREET, Level.DISTRICT):
        return None
    ancestors = owner.ancestors()  # cached: no query
    return ancestors[-1] if ancestors else None


RULE_TAKEN = gettext_lazy("A rule for this category and place exists already.")
# A second rule for everywhere: the database constraint's own words (the admin shows them).
EVERYWHERE_TAKEN = next(
    c.violation_error_message
    for c in RoutingRule._meta.constraints
    if c.name == "routing_rule_unique_everywhere"
)


def taken_message(place):
    """Why a second rule for a category at `place` is refused."""
    return EVERYWHERE_TAKEN if place is None else RULE_TAKEN


def save_rule(rule):
    """Save `rule`: False when the unique constraints refuse it, as another request saved a
    rule for its category and place since rule_taken said there was none."""
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        return False
    return True


def rule_taken(category, place, exclude=None):
    """Whether another rule (not `exclude`) already routes this category at this place:
    one rule per category and place, also for rules without a place (NULLs differ in SQL)."""
    rules = RoutingRule.objects.filter(category=category, place=place)
    return rules.exclude(pk=exclude.pk).exists() if exclude is not None else rules.exists()


# --- the routing table, as each user sees and writes it ---------------------------------------


def visible_rules(user):
    """The rules that route tickets in the user's area: the rules for everywhere, for the
    places above, at or under those of their ticket roles, and the rules naming one of their
    departments; every rule for a superuser. The routing page and GET /api/v1/routing-rules/
    list these; who may write which is rules.py's `tickets.manage_routing`."""
    from gridgov.people.scope import scope_q

    from .rules import VIEW_ROLES

    in_area = scope_q(user, "place", VIEW_ROLES, department_field="department", ancestors=True)
    rules = RoutingRule.objects.select_related("category__parent__parent", "place", "department")
    return rules.filter(in_area | Q(place__isnull=True))


def writable_places(user):
    """The streets, communities and grids a user may route a category for (their street's or
    district's: rules.py's SETTINGS_ROLES); a rule for everywhere is the district's alone."""
    from gridgov.people.scope import filter_by_scope

    from .rules import SETTINGS_ROLES

    places = Place.objects.filter(level__in=(Level.STREET, Level.COMMUNITY, Level.GRID))
    return filter_by_scope(places, user, place_field="", roles=SETTINGS_ROLES).order_by("path")
