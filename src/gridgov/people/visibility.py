"""What each user may see: the scoped querysets behind every list, detail and page.

Each function is `filter_by_scope` plus the user's own records, with the same
roles and places as the matching predicate in rules.py.
"""

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q

from .models import (
    AccessLog,
    CheckIn,
    Department,
    Household,
    PartyMember,
    PartyOrganization,
    Person,
    RoleAssignment,
)
from .scope import ADMIN_ROLES, AUDIT_ROLES, REGISTRY_ROLES, STAFF_ROLES, scope_for, scope_q


def _authenticated(user):
    return getattr(user, "is_authenticated", False) and user.is_active


def visible_people(user):
    if not _authenticated(user):
        return Person.objects.none()
    query = scope_q(user, "place", REGISTRY_ROLES) | Q(user=user)
    return (
        Person.objects.filter(query)
        .select_related("place", "household")
        .annotate(is_party_member=Exists(PartyMember.objects.filter(person=OuterRef("pk"))))
    )


def visible_households(user):
    if not _authenticated(user):
        return Household.objects.none()
    own = Exists(Person.objects.filter(household=OuterRef("pk"), user=user))
    query = scope_q(user, "building", REGISTRY_ROLES) | Q(own)
    return Household.objects.filter(query).select_related("building")


def visible_departments(user):
    if not _authenticated(user):
        return Department.objects.none()
    scope = scope_for(user)
    query = scope_q(user, "place", STAFF_ROLES, ancestors=True) | Q(pk__in=scope.department_ids)
    return Department.objects.filter(query).select_related("place")


def visible_party_organizations(user):
    if not _authenticated(user):
        return PartyOrganization.objects.none()
    own = Exists(PartyMember.objects.filter(organization=OuterRef("pk"), person__user=user))
    query = scope_q(user, "place", STAFF_ROLES, ancestors=True) | Q(own)
    return (
        PartyOrganization.objects.filter(query)
        .select_related("place", "parent", "secretary")
        .annotate(member_count=Count("members"))
        # Meta.ordering does not apply to a GROUP BY query.
        .order_by("place__path", "id")
    )


def visible_party_members(user):
    if not _authenticated(user):
        return PartyMember.objects.none()
    places = ("organization__place", "person__place", "home_community")
    query = scope_q(user, places, REGISTRY_ROLES) | Q(person__user=user)
    return PartyMember.objects.filter(query).select_related(
        "person", "person__place", "organization", "organization__place", "home_community"
    )


def visible_check_ins(user):
    if not _authenticated(user):
        return CheckIn.objects.none()
    query = scope_q(user, ("community", "person__place"), REGISTRY_ROLES) | Q(person__user=user)
    return CheckIn.objects.filter(query).select_related("person", "person__place", "community")


def visible_role_assignments(user):
    if not _authenticated(user):
        return RoleAssignment.objects.none()
    query = scope_q(user, ("place", "department__place"), ADMIN_ROLES) | Q(user=user)
    return RoleAssignment.objects.filter(query).select_related(
        "user", "place", "department", "department__place"
    )


def visible_access_logs(user):
    if not _authenticated(user):
        return AccessLog.objects.none()
    return AccessLog.objects.filter(scope_q(user, "place", AUDIT_ROLES)).select_related(
        "user", "place"
    )


def administered_logins(user, *, query="", initial_only=False):
    """工作人员账号: the active logins holding an active role in the area `user` administers,
    by login name, each with its active roles (`active_roles`), person and initial password
    loaded. Listed by the page /people/staff/ and GET /api/v1/people/staff/; `query` matches
    the login or the name (not the phone, as the people list), `initial_only` keeps those
    still on an initial password. Whether one may be reset: rules.may_reset_password_of."""
    if not _authenticated(user):
        return get_user_model().objects.none()
    in_area = RoleAssignment.objects.filter(active=True).filter(
        scope_q(user, ("place", "department__place"), ADMIN_ROLES)
    )
    roles = RoleAssignment.objects.filter(active=True).select_related(
        "place", "department", "department__place"
    )
    logins = (
        get_user_model()
        .objects.filter(is_active=True, pk__in=in_area.values("user_id"))
        .select_related("person", "initial_password")
        .prefetch_related(Prefetch("role_assignments", queryset=roles, to_attr="active_roles"))
    )
    if initial_only:
        logins = logins.filter(initial_password__isnull=False)
    query = query.strip()
    if query:
        logins = logins.filter(Q(username__icontains=query) | Q(person__name__icontains=query))
    return logins.order_by("username")


def assignable_users():
    """Logins a role may be granted to (any active login: new staff have no scope yet)."""
    return get_user_model().objects.filter(is_active=True)
