"""Who may see which person, and the logged full view of personal data (DESIGN §8).

The pages ask `rules` perms (`people.view_person`, `people.view_personal_data`);
scope narrowing comes from `gridgov.people.scope`.
"""

import rules

from gridgov.people.models import AccessLog, Person
from gridgov.people.scope import PERSONAL_DATA_ROLES, REGISTRY_ROLES, filter_by_scope, scope_for

PERSONAL_FIELDS = ["name", "phone", "id_number"]


def _has_perm(user, perm, person, roles):
    if rules.perm_exists(perm):
        return user.has_perm(perm, person)
    # Until gridgov.people registers its rules, the same meaning from the scope.
    return user.is_superuser or scope_for(user).covers(person.place, roles)


def may_use_registry(user):
    """Whether the user holds any role that may browse the people registry."""
    return user.is_authenticated and scope_for(user).has_role(REGISTRY_ROLES)


def people_in_scope(user):
    return filter_by_scope(Person.objects.all(), user, roles=REGISTRY_ROLES)


def can_view_person(user, person):
    return _has_perm(user, "people.view_person", person, REGISTRY_ROLES)


def can_view_personal_data(user, person):
    return _has_perm(user, "people.view_personal_data", person, PERSONAL_DATA_ROLES)


def client_ip(request):
    return request.META.get("REMOTE_ADDR") or None


def reveal_person(request, person, purpose=""):
    """Record one full view of a person's personal data; returns the unmasked fields."""
    AccessLog.objects.create(
        user=request.user,
        subject_type="people.person",
        subject_id=str(person.pk),
        fields=PERSONAL_FIELDS,
        purpose=purpose[:200],
        channel="web",
        ip=client_ip(request),
    )
    return {field: getattr(person, field) for field in PERSONAL_FIELDS}
