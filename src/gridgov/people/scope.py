"""Place scope: what part of the place tree (and which departments) a user may see.

A user's scope is the union of the subtrees under the places of their active
role assignments, plus their departments. Every API view and page narrows its
queryset with `filter_by_scope` (or `scope_q`), so scope is decided in one place.

Residents and volunteers hold place-bound roles too, but those places say where
they live or serve, not what they may browse. Without `roles`, scope counts
every role (fine for public things such as places); queries over personal
records must pass `roles` (REGISTRY_ROLES, PERSONAL_DATA_ROLES, STAFF_ROLES …).
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
# Roles that keep the registry (people, households) up to date.
EDITOR_ROLES = frozenset(
    {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_STAFF}
)
# Roles that administer an area: role assignments, Party organisations.
ADMIN_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_STAFF})
# Roles that audit who looked at personal data.
AUDIT_ROLES = frozenset({Role.STREET_STAFF, Role.DISTRICT_STAFF})
# Roles that see nothing but their own records.
SELF_ONLY_ROLES = frozenset({Role.RESIDENT, Role.VOLUNTEER})
# Place-bound working roles: every role but handlers (bound to a department)
# and the self-only roles.
STAFF_ROLES = frozenset(Role) - SELF_ONLY_ROLES - {Role.DEPARTMENT_HANDLER}


def ancestor_paths(path):
    """'/D/S/C/' -> ['/D/', '/D/S/']: the strict ancestors of a path."""
    codes = path.strip("/").split("/")
    return ["/" + "/".join(codes[:i]) + "/" for i in range(1, len(codes))]


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    # role -> place paths (subtree roots) where the user holds that role
    paths_by_role: dict = field(default_factory=dict)
    department_ids: frozenset = frozenset()
    # What callers work out from the scope once per request (queues' parts of 我的待办):
    # scope_for caches the scope per request, and forget_scope drops this with it.
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def paths(self, roles=None):
        """Subtree roots for the given roles (all roles when None)."""
        selected = [p for r, p in self.paths_by_role.items() if roles is None or r in roles]
        return sorted({path for paths in selected for path in paths})

    def covers(self, place, roles=None):
        """Is `place` inside one of the user's subtrees?"""
        if self.everything:
            return True
        if place is None:
            return False
        return any(place.path.startswith(p) for p in self.paths(roles))

    def reaches(self, place, roles=None):
        """Is `place` inside the user's subtrees or above them (e.g. a district department)?"""
        if self.covers(place, roles):
            return True
        return place is not None and any(p.startswith(place.path) for p in self.paths(roles))

    def has_role(self, roles):
        if self.everything:
            return True
        if any(r in roles for r in self.paths_by_role):
            return True
        return Role.DEPARTMENT_HANDLER in roles and bool(self.department_ids)


def scope_for(user):
    """The user's scope, cached on the user object.

    A login is loaded afresh for every request, so the cache lives for one
    request; call `forget_scope(user)` after changing the same object's roles.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cached = getattr(user, "_gridgov_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(everything=True)
    else:
        # Plain values: no Place objects (and their boundaries) built on every request.
        assignments = RoleAssignment.objects.filter(user=user, active=True).values_list(
            "role", "place__path", "department_id"
        )
        scope = scope_from_assignments(assignments)
    user._gridgov_scope = scope
    return scope


def scope_from_assignments(assignments):
    """The Scope of (role, place path or None, department id or None) of active assignments."""
    paths_by_role = {}
    department_ids = set()
    for role, path, department_id in assignments:
        if role is None:  # an outer join found no assignment
            continue
        if path:
            paths_by_role.setdefault(role, set()).add(path)
        if department_id:
            department_ids.add(department_id)
    return Scope(
        paths_by_role={r: frozenset(p) for r, p in paths_by_role.items()},
        department_ids=frozenset(department_ids),
    )


def remember_scope(user, scope):
    """Give `user` a scope read elsewhere (api.authentication reads it with the login)."""
    user._gridgov_scope = Scope(everything=True) if user.is_superuser else scope


def forget_scope(user):
    user.__dict__.pop("_gridgov_scope", None)


# Explicit "all rows" and "no row": an empty Q() would vanish when OR-ed with
# other terms, turning "everything" into "only the other terms".
EVERYTHING = Q(pk__isnull=False)
NOTHING = Q(pk__in=[])


def scope_q(user, place_field="place", roles=None, department_field=None, ancestors=False):
    """The Q object behind `filter_by_scope`, for callers that OR it with more terms."""
    scope = scope_for(user)
    if scope.everything:
        return EVERYTHING
    place_fields = (place_field,) if isinstance(place_field, str) else tuple(place_field)
    paths = scope.paths(roles)
    above = sorted({a for p in paths for a in ancestor_paths(p)}) if ancestors else []
    query = Q()
    for name in place_fields:
        prefix = f"{name}__" if name else ""
        for path in paths:
            query |= Q(**{f"{prefix}path__startswith": path})
        if above:
            query |= Q(**{f"{prefix}path__in": above})
    if department_field and scope.department_ids:
        query |= Q(**{f"{department_field}__in": sorted(scope.department_ids)})
    return query if query else NOTHING


def filter_by_scope(
    queryset, user, place_field="place", roles=None, department_field=None, ancestors=False
):
    """Narrow `queryset` to rows whose place lies in the user's scope.

    `place_field` is the lookup to a Place ("place", "household__building", or
    "" for Place itself), or a tuple of them (a row is in scope if any is);
    `roles` limits which role assignments count; `department_field`, when
    given, also admits rows of the user's departments; `ancestors` also admits
    places above the user's subtrees (departments and Party committees that
    serve them).
    """
    # Place fields are forward foreign keys, so the joins never duplicate rows.
    return queryset.filter(scope_q(user, place_field, roles, department_field, ancestors))
