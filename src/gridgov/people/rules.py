"""Permissions of the people app: small predicates, one `add_perm` line per permission.

Scoped predicates ask whether the user's scope (for a set of roles) covers the
object's place; asked without an object they say whether the user holds such a
role anywhere (for menus and "may I create at all" checks). Lists are narrowed
by the same scope in visibility.py, so a list never shows what a detail refuses.
"""

import rules

from .assignments import may_grant, may_reset_password
from .models import Person, Role
from .scope import (
    ADMIN_ROLES,
    AUDIT_ROLES,
    EDITOR_ROLES,
    PERSONAL_DATA_ROLES,
    REGISTRY_ROLES,
    STAFF_ROLES,
    scope_for,
)


def scoped(name, roles, places_of, reach=False):
    """A predicate: does the user's scope for `roles` cover one of the object's places?

    With `reach`, places above the user's subtrees count too.
    """

    def check(user, obj=None):
        scope = scope_for(user)
        if obj is None:
            return scope.has_role(roles)
        test = scope.reaches if reach else scope.covers
        return any(test(place, roles) for place in places_of(obj) if place is not None)

    return rules.predicate(check, name=name)


def _own(user, person):
    return bool(user.is_authenticated and person is not None and person.user_id == user.pk)


# -- where objects are ------------------------------------------------------


def person_places(person):
    return [person.place]


def household_places(household):
    return [household.building]


def organization_places(organization):
    return [organization.place]


def party_member_places(member):
    # Their branch, where they live, and (in-service members) where they report.
    return [member.organization.place, member.person.place, member.home_community]


def check_in_places(check_in):
    return [check_in.community, check_in.person.place]


def role_assignment_places(assignment):
    if assignment.department_id:
        return [assignment.department.place]
    return [assignment.place] if assignment.place_id else []


def access_log_places(log):
    return [log.place]


def department_places(department):
    return [department.place]


# -- self -------------------------------------------------------------------


@rules.predicate
def is_self(user, person):
    return _own(user, person)


@rules.predicate
def is_own_household(user, household):
    if household is None or household.pk is None or not user.is_authenticated:
        return False
    return household.members.filter(user=user).exists()


@rules.predicate
def is_own_party_member(user, member):
    return member is not None and _own(user, member.person)


@rules.predicate
def is_own_check_in(user, check_in):
    if check_in is None:
        # Anyone with a person record may check themselves in (报到).
        return user.is_authenticated and Person.objects.filter(user=user).exists()
    return check_in.person_id is not None and _own(user, check_in.person)


@rules.predicate
def is_own_role_assignment(user, assignment):
    return assignment is not None and user.is_authenticated and assignment.user_id == user.pk


@rules.predicate
def is_in_organization(user, organization):
    if organization is None or organization.pk is None or not user.is_authenticated:
        return False
    return organization.members.filter(person__user=user).exists()


@rules.predicate
def handles_department(user, department):
    if department is None:
        return False
    return department.pk in scope_for(user).department_ids


@rules.predicate
def may_grant_role(user, assignment):
    if assignment is None:
        return scope_for(user).has_role(ADMIN_ROLES)
    return may_grant(user, assignment)


@rules.predicate
def may_reset(user, target):
    if target is None:
        # Whether the user administers an area at all (the staff logins page, its link).
        return scope_for(user).has_role(ADMIN_ROLES)
    return may_reset_password(user, target)


# -- scope ------------------------------------------------------------------

registry_covers_person = scoped("registry_covers_person", REGISTRY_ROLES, person_places)
personal_data_covers_person = scoped(
    "personal_data_covers_person", PERSONAL_DATA_ROLES, person_places
)
editor_covers_person = scoped("editor_covers_person", EDITOR_ROLES, person_places)
registry_covers_household = scoped("registry_covers_household", REGISTRY_ROLES, household_places)
editor_covers_household = scoped("editor_covers_household", EDITOR_ROLES, household_places)
staff_reaches_department = scoped(
    "staff_reaches_department", STAFF_ROLES, department_places, reach=True
)
staff_reaches_organization = scoped(
    "staff_reaches_organization", STAFF_ROLES, organization_places, reach=True
)
admin_covers_organization = scoped("admin_covers_organization", ADMIN_ROLES, organization_places)
registry_covers_party_member = scoped(
    "registry_covers_party_member", REGISTRY_ROLES, party_member_places
)
admin_covers_party_member = scoped(
    "admin_covers_party_member", ADMIN_ROLES, lambda m: [m.organization.place]
)
registry_covers_check_in = scoped("registry_covers_check_in", REGISTRY_ROLES, check_in_places)
editor_covers_check_in = scoped("editor_covers_check_in", EDITOR_ROLES, check_in_places)
admin_covers_role_assignment = scoped(
    "admin_covers_role_assignment", ADMIN_ROLES, role_assignment_places
)
district_staff_covers_place = scoped(
    "district_staff_covers_place", {Role.DISTRICT_STAFF}, lambda place: [place]
)
auditor_covers_access_log = scoped("auditor_covers_access_log", AUDIT_ROLES, access_log_places)

is_superuser = rules.is_superuser

# -- permissions ------------------------------------------------------------

rules.add_perm("people.view_person", is_superuser | is_self | registry_covers_person)
rules.add_perm("people.view_personal_data", is_superuser | personal_data_covers_person)
rules.add_perm("people.add_person", is_superuser | editor_covers_person)
rules.add_perm("people.change_person", is_superuser | editor_covers_person)
rules.add_perm("people.view_household", is_superuser | is_own_household | registry_covers_household)
rules.add_perm("people.add_household", is_superuser | editor_covers_household)
rules.add_perm("people.change_household", is_superuser | editor_covers_household)
rules.add_perm(
    "people.view_department", is_superuser | handles_department | staff_reaches_department
)
rules.add_perm(
    "people.view_party_organization",
    is_superuser | is_in_organization | staff_reaches_organization,
)
rules.add_perm("people.add_party_organization", is_superuser | admin_covers_organization)
rules.add_perm("people.change_party_organization", is_superuser | admin_covers_organization)
rules.add_perm(
    "people.view_party_member", is_superuser | is_own_party_member | registry_covers_party_member
)
rules.add_perm("people.add_party_member", is_superuser | admin_covers_party_member)
rules.add_perm("people.change_party_member", is_superuser | admin_covers_party_member)
rules.add_perm("people.view_check_in", is_superuser | is_own_check_in | registry_covers_check_in)
rules.add_perm("people.add_check_in", is_superuser | is_own_check_in | editor_covers_check_in)
rules.add_perm(
    "people.view_role_assignment",
    is_superuser | is_own_role_assignment | admin_covers_role_assignment,
)
rules.add_perm("people.add_role_assignment", is_superuser | may_grant_role)
rules.add_perm("people.change_role_assignment", is_superuser | may_grant_role)
rules.add_perm("people.delete_role_assignment", is_superuser | may_grant_role)
rules.add_perm("people.view_access_log", is_superuser | auditor_covers_access_log)
# 重置密码 of a login (a User): its area's administrators, as for granting its roles. Asked of
# a login through may_reset_password_of: Django answers every perm of a superuser yes, and a
# superuser's (or an admin user's) password is reset in the admin only.
rules.add_perm("people.reset_password", is_superuser | may_reset)
rules.add_rule("people.reset_password", may_reset)
# 人员导入 creates logins, which only superusers do (the admin is theirs too).
rules.add_perm("people.import_staff", is_superuser)
# 部门导入: asked of the place a department is to serve; without one, whether the user may
# open the import at all (district staff anywhere), each row then checked.
rules.add_perm("people.import_departments", is_superuser | district_staff_covers_place)

# Django's codenames (view_partymember, …) name the same rules, so a generic
# "{app_label}.{action}_{model_name}" mapping finds them.
for _model, _name in [
    ("partyorganization", "party_organization"),
    ("partymember", "party_member"),
    ("checkin", "check_in"),
    ("roleassignment", "role_assignment"),
    ("accesslog", "access_log"),
]:
    for _action in ("view", "add", "change", "delete"):
        if rules.perm_exists(f"people.{_action}_{_name}"):
            rules.add_perm(
                f"people.{_action}_{_model}",
                rules.permissions.permissions[f"people.{_action}_{_name}"],
            )


def may_reset_password_of(user, target):
    """May `user` reset the password of the login `target` (重置密码)?"""
    return rules.test_rule("people.reset_password", user, target)


def department_import_guard(user):
    """`can_change` for department_import.import_departments: may `user` have a department
    serve this place."""
    if user.is_superuser:
        return None
    return lambda place: user.has_perm("people.import_departments", place)
