"""Who may read and change places.

Place geography is public information, like a map: anyone, signed in or not,
may read places and run lookups. Changing places is for superusers and for
district/street staff inside their own area.
"""

import rules


def editor_roles():
    """Roles whose scope lets them edit the place tree."""
    from gridgov.people.models import Role

    return {Role.DISTRICT_STAFF, Role.STREET_STAFF}


@rules.predicate
def is_place_editor(user, place=None):
    """Covers `place` with a district/street staff role; with no place, holds
    any such role (enough to open an import, whose rows are checked one by one)."""
    # Imported here: people depends on places, not the other way round.
    from gridgov.people.scope import scope_for

    scope = scope_for(user)
    if place is None:
        return scope.has_role(editor_roles())
    return scope.covers(place, roles=editor_roles())


can_change_place = rules.is_superuser | is_place_editor

rules.add_perm("places.view_place", rules.always_allow)
rules.add_perm("places.add_place", can_change_place)
rules.add_perm("places.change_place", can_change_place)
rules.add_perm("places.delete_place", rules.is_superuser)


def import_guard(user):
    """`can_change` for import_places: a None place means a new root, which
    only a superuser may create."""

    def can_change(place):
        if place is None:
            return user.is_superuser
        return user.has_perm("places.change_place", place)

    return can_change
