"""The rules permissions, role by role (allowed and refused), without HTTP."""

import pytest

from gridgov.people.models import AccessLog, Role

from .factories import (
    CheckInFactory,
    DepartmentFactory,
    HouseholdFactory,
    PartyMemberFactory,
    PartyOrganizationFactory,
    PersonFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

# role, where -> may it see / see the personal data of / change a person living in B1?
MATRIX = [
    (Role.GRID_WORKER, "g1", True, True, True),
    (Role.GRID_WORKER, "g2", False, False, False),
    (Role.MICRO_GRID_WORKER, "b1", True, False, False),
    (Role.COMMUNITY_STAFF, "c1", True, True, True),
    (Role.COMMUNITY_STAFF, "c2", False, False, False),
    (Role.STREET_STAFF, "s1", True, True, True),
    (Role.STREET_STAFF, "s2", False, False, False),
    (Role.DISTRICT_STAFF, "d", True, True, True),
    (Role.HOTLINE_OPERATOR, "s1", True, True, False),
    (Role.COMMUNITY_POLICE, "c1", True, True, False),
    (Role.CADRE, "g1", True, False, False),
    (Role.MEDIATOR, "c1", False, False, False),
    (Role.VOLUNTEER, "g1", False, False, False),
    (Role.RESIDENT, "b1", False, False, False),
]


@pytest.mark.parametrize("role,where,view,personal,change", MATRIX)
def test_person_permissions(tree, role, where, view, personal, change):
    user = user_with_role(role, getattr(tree, where))
    person = PersonFactory(place=tree.b1)
    assert user.has_perm("people.view_person", person) is view
    assert user.has_perm("people.view_personal_data", person) is personal
    assert user.has_perm("people.change_person", person) is change


def test_self_may_see_but_not_unmask(tree):
    user = user_with_role(Role.RESIDENT, tree.b1)
    me = PersonFactory(place=tree.b1, user=user)
    assert user.has_perm("people.view_person", me)
    assert not user.has_perm("people.view_personal_data", me)


def test_household_permissions(tree):
    household = HouseholdFactory(building=tree.b1)
    resident = user_with_role(Role.RESIDENT, tree.b1)
    PersonFactory(place=tree.b1, household=household, user=resident)
    assert resident.has_perm("people.view_household", household)
    assert not user_with_role(Role.RESIDENT, tree.b1).has_perm("people.view_household", household)
    assert user_with_role(Role.CADRE, tree.g1).has_perm("people.view_household", household)
    assert not user_with_role(Role.CADRE, tree.g1).has_perm("people.change_household", household)


def test_department_permissions(tree):
    district_dept = DepartmentFactory(place=tree.d)
    street2_dept = DepartmentFactory(place=tree.s2)
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    assert worker.has_perm("people.view_department", district_dept)  # serves their area
    assert not worker.has_perm("people.view_department", street2_dept)
    handler = user_with_role(Role.DEPARTMENT_HANDLER, department=street2_dept)
    assert handler.has_perm("people.view_department", street2_dept)
    assert not handler.has_perm("people.view_department", district_dept)
    resident = user_with_role(Role.RESIDENT, tree.b1)
    assert not resident.has_perm("people.view_department", district_dept)


def test_party_permissions(tree):
    member = PartyMemberFactory(person=PersonFactory(place=tree.b1))
    branch = member.organization
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    assert worker.has_perm("people.view_party_member", member)
    assert worker.has_perm("people.view_party_organization", branch)
    assert not worker.has_perm("people.change_party_organization", branch)
    staff = user_with_role(Role.COMMUNITY_STAFF, tree.c1)
    assert staff.has_perm("people.change_party_organization", branch)
    assert staff.has_perm("people.add_party_member", member)
    # Django's codenames are the same rules.
    assert staff.has_perm("people.change_partyorganization", branch)
    other = user_with_role(Role.GRID_WORKER, tree.g2)
    assert not other.has_perm("people.view_party_member", member)
    assert not other.has_perm("people.view_party_organization", branch)
    own = UserFactory()
    member.person.user = own
    member.person.save()
    assert own.has_perm("people.view_party_member", member)
    assert own.has_perm("people.view_party_organization", branch)
    committee = PartyOrganizationFactory(kind="committee", place=tree.c1)
    assert other.has_perm("people.view_party_organization", committee)  # above their grid


def test_check_in_permissions(tree):
    check_in = CheckInFactory(person=PersonFactory(place=tree.b1, new_employment=True))
    assert check_in.community == tree.c1
    assert user_with_role(Role.GRID_WORKER, tree.g1).has_perm("people.view_check_in", check_in)
    assert not user_with_role(Role.GRID_WORKER, tree.g3).has_perm("people.view_check_in", check_in)


def test_access_log_permissions(tree):
    log = AccessLog.objects.create(subject_type="people.person", subject_id="1", place=tree.b1)
    assert user_with_role(Role.STREET_STAFF, tree.s1).has_perm("people.view_access_log", log)
    assert user_with_role(Role.DISTRICT_STAFF, tree.d).has_perm("people.view_access_log", log)
    assert not user_with_role(Role.STREET_STAFF, tree.s2).has_perm("people.view_access_log", log)
    assert not user_with_role(Role.COMMUNITY_STAFF, tree.c1).has_perm("people.view_access_log", log)
    assert UserFactory(is_superuser=True).has_perm("people.view_access_log", log)


def test_without_an_object_perms_say_whether_the_role_exists_anywhere(tree):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    cadre = user_with_role(Role.CADRE, tree.g1)
    assert worker.has_perm("people.view_personal_data")
    assert not cadre.has_perm("people.view_personal_data")
    assert not worker.has_perm("people.view_access_log")
