"""Helpers for the place browser: the collapsible tree and the map's area."""

from dataclasses import dataclass, field

from django.db.models import Count

from gridgov.places.models import Level, Place


@dataclass
class Node:
    place: Place
    has_children: bool
    in_scope: bool  # inside one of the user's subtrees
    contains_scope: bool  # an ancestor of one of the user's subtrees
    is_scope_root: bool = False  # the place of one of the user's role assignments
    is_focus: bool = False
    children: list = field(default_factory=list)  # filled for expanded nodes

    @property
    def open(self):
        return bool(self.children)


def _annotated(queryset):
    return queryset.annotate(n_children=Count("children")).order_by("code")


def build_nodes(queryset, scope_paths, expanded_codes=frozenset(), focus_code=None):
    """Tree nodes for `queryset`, recursing into places whose code is expanded."""
    nodes = []
    for place in _annotated(queryset):
        node = Node(
            place=place,
            has_children=place.n_children > 0,
            in_scope=any(place.path.startswith(p) for p in scope_paths),
            contains_scope=any(p.startswith(place.path) and p != place.path for p in scope_paths),
            is_scope_root=place.path in scope_paths,
            is_focus=place.code == focus_code,
        )
        if node.has_children and place.code in expanded_codes:
            node.children = build_nodes(
                Place.objects.filter(parent=place), scope_paths, expanded_codes, focus_code
            )
        nodes.append(node)
    return nodes


def expanded_codes_for(paths):
    """Codes to open so that every place in `paths` is visible in the tree."""
    codes = set()
    for path in paths:
        codes.update(path.strip("/").split("/")[:-1])
    return codes


def map_area(place):
    """The area whose grids the map draws around `place`: grids and buildings show their community."""
    if place.level in (Level.GRID, Level.BUILDING):
        return place.ancestor_at(Level.COMMUNITY) or place
    return place
