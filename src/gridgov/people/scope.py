"""Place scope: what part of the place tree (and which departments) a user may see.

A user's scope is the union of the subtrees under the places of their active
role assignments, plus their departments. Every API view and page narrows its
queryset with `filter_by_scope`, so scope is decided in one place.
"""

from dataclasses import dataclass, field

from django.db.models import Q

from .models import Role, RoleAssignment

# Roles that may browse the people registry within their scope.
REGISTRY_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.MICRO_GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.STREET_STAFF,
        Role.DISTRICT_STAFF,
        Role.HOTLINE_OPERATOR,
        Role.COMMUNITY_POLICE,
        Role.CADRE,
    }
)
# Roles whose work needs unmasked names, phones and ID numbers (DESIGN §8).
PERSONAL_DATA_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.STREET_STAFF,
        Role.DISTRICT_STAFF,
        Role.HOTLINE_OPERATOR,
        Role.COMMUNITY_POLICE,
    }
)


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    # role -> place paths (subtree roots) where the user holds that role
    paths_by_role: dict = field(default_factory=dict)
    department_ids: frozenset = frozenset()

    def paths(self, roles=None):
        """Subtree roots for the given roles (all roles when None)."""
        selected = self.paths_by_role if roles is None else {
            r: p for r, p in self.paths_by_role.items() if r in roles
        }
        return sorted({path for paths in selected.values() for path in paths})

    def covers(self, place, roles=None):
        if self.everything:
            return True
        if place is None:
            return False
        return any(place.path.startswith(p) for p in self.paths(roles))

    def has_role(self, roles):
        return self.everything or any(r in roles for r in self.paths_by_role) or (
            Role.DEPARTMENT_HANDLER in roles and bool(self.department_ids)
        )


def scope_for(user):
    """The user's scope, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cached = getattr(user, "_gridgov_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(everything=True)
    else:
        paths_by_role = {}
        department_ids = set()
        assignments = RoleAssignment.objects.filter(user=user, active=True).select_related("place")
        for assignment in assignments:
            if assignment.place_id:
                paths_by_role.setdefault(assignment.role, set()).add(assignment.place.path)
            if assignment.department_id:
                department_ids.add(assignment.department_id)
        scope = Scope(
            paths_by_role={r: frozenset(p) for r, p in paths_by_role.items()},
            department_ids=frozenset(department_ids),
        )
    user._gridgov_scope = scope
    return scope


def filter_by_scope(queryset, user, place_field="place", roles=None, department_field=None):
    """Narrow `queryset` to rows whose place lies in the user's scope.

    `place_field` is the lookup to a Place ("place", "household__building", or
    "" for Place itself); `roles` limits which role assignments count;
    `department_field`, when given, also admits rows of the user's departments.
    """
    scope = scope_for(user)
    if scope.everything:
        return queryset
    prefix = f"{place_field}__" if place_field else ""
    query = Q()
    for path in scope.paths(roles):
        query |= Q(**{f"{prefix}path__startswith": path})
    if department_field and scope.department_ids:
        query |= Q(**{f"{department_field}__in": scope.department_ids})
    if not query:
        return queryset.none()
    return queryset.filter(query)
