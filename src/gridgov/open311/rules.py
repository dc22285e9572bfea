"""Who may issue, see and revoke Open311 API keys: street and district staff.

District staff (and superusers) manage every key; street staff the keys bound
to a jurisdiction inside their street. A key valid everywhere needs district staff.
"""

import rules

from gridgov.people.models import Role
from gridgov.people.scope import scope_for

KEY_ROLES = {Role.STREET_STAFF, Role.DISTRICT_STAFF}


@rules.predicate
def is_key_staff(user):
    return scope_for(user).has_role(KEY_ROLES)


@rules.predicate
def covers_key(user, key):
    scope = scope_for(user)
    if key is None:
        return scope.has_role(KEY_ROLES)
    if key.jurisdiction_id is None:
        return scope.has_role({Role.DISTRICT_STAFF})
    return scope.covers(key.jurisdiction.place, KEY_ROLES)


rules.add_perm("open311.manage_keys", rules.is_superuser | is_key_staff)
rules.add_perm("open311.manage_key", rules.is_superuser | covers_key)
