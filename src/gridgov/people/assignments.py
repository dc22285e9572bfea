"""Who may grant which role where (role assignments, 任命).

Two rules keep roles from spreading upwards:

- only staff *above* a place administer it: community staff assign at the
  grids and buildings of their community, street staff at its communities,
  district staff at its streets; department handlers are assigned by street
  or district staff whose area includes the department;
- nobody grants more than they hold: every right the new role carries
  (registry, personal data, editing, administration, audit) must already be
  the granter's at that place, and nobody changes their own roles.
"""

from .models import Role
from .scope import (
    ADMIN_ROLES,
    AUDIT_ROLES,
    EDITOR_ROLES,
    PERSONAL_DATA_ROLES,
    REGISTRY_ROLES,
    scope_for,
)

# Rights a role carries; a granter must hold each one at the target place.
RIGHTS = (REGISTRY_ROLES, PERSONAL_DATA_ROLES, EDITOR_ROLES, ADMIN_ROLES, AUDIT_ROLES)
DEPARTMENT_GRANTERS = frozenset({Role.STREET_STAFF, Role.DISTRICT_STAFF})


def target_place(assignment):
    """The place an assignment is about: its place, or its department's jurisdiction."""
    if assignment.role == Role.DEPARTMENT_HANDLER:
        return assignment.department.place if assignment.department_id else None
    return assignment.place if assignment.place_id else None


def administers_above(scope, place):
    """Does the user hold an administering role strictly above `place`?"""
    return any(
        place.path.startswith(root) and place.path != root for root in scope.paths(ADMIN_ROLES)
    )


def may_grant(user, assignment):
    """May `user` create (or keep, when changing it) this role assignment?"""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser and user.is_active:
        return True
    if assignment.user_id == user.pk:
        return False
    place = target_place(assignment)
    if place is None:
        return False
    scope = scope_for(user)
    if assignment.role == Role.DEPARTMENT_HANDLER:
        return scope.covers(place, DEPARTMENT_GRANTERS)
    if not administers_above(scope, place):
        return False
    return all(scope.covers(place, right) for right in RIGHTS if assignment.role in right)


def may_reset_password(user, target):
    """May `user` reset the password of the login `target` (重置密码)?

    Only if they could grant every role `target` holds (may_grant): so a community's staff
    reset those of its grids and buildings, a street's those of its communities and grids
    and of its departments' handlers — never their own, a colleague's at their level or
    above, one who also works outside their area, a superuser's or an admin user's (those
    are reset in the admin), nor a login without any role.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if target is None or target.pk == user.pk or target.is_superuser or target.is_staff:
        return False
    if user.is_superuser:
        return True
    held = getattr(target, "active_roles", None)  # prefetched by a list of logins
    if held is None:
        held = list(active_roles(target))
    return bool(held) and all(may_grant(user, assignment) for assignment in held)


def active_roles(target):
    return target.role_assignments.filter(active=True).select_related("place", "department__place")
