"""factory_boy factories for the people app, and a helper to make a user with a role.

Kept simple on purpose: other apps' tests import these. `PlaceFactory` and
`make_tree` are minimal stand-ins for the places app's own factories.
"""

from types import SimpleNamespace

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from gridgov.people.models import (
    ROLE_LEVELS,
    CheckIn,
    Department,
    Household,
    PartyMember,
    PartyOrganization,
    Person,
    Role,
    RoleAssignment,
)
from gridgov.places.models import LEVELS, Level, Place, level_rank


def square(index, size=0.01, lng0=116.30, lat0=39.90):
    """A small square GeoJSON polygon; different indexes give disjoint squares."""
    lng = lng0 + (index % 50) * size * 2
    lat = lat0 + (index // 50) * size * 2
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _parent_for(place):
    if place.level == Level.DISTRICT:
        return None
    return PlaceFactory(level=LEVELS[level_rank(place.level) - 1])


class PlaceFactory(DjangoModelFactory):
    """A place; without a parent, the chain of parents up to a district is made too."""

    class Meta:
        model = Place

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.LazyAttribute(lambda o: f"{o.level}-{o.code}")
    level = Level.DISTRICT
    parent = factory.LazyAttribute(_parent_for)
    boundary = factory.LazyAttributeSequence(
        lambda o, n: None if o.level == Level.BUILDING else square(n)
    )


def make_place(code, level, parent=None, index=0):
    return Place.objects.create(
        code=code,
        name=f"{level}-{code}",
        level=level,
        parent=parent,
        boundary=None if level == Level.BUILDING else square(index),
    )


def make_tree(prefix=""):
    """A small tree with neighbours at every level:

    D                     district
    ├── S1                street
    │   ├── C1            community
    │   │   ├── G1 ─ B1   grid ─ building
    │   │   └── G2 ─ B2
    │   └── C2
    │       └── G3 ─ B3
    └── S2
        └── C3
            └── G4 ─ B4
    """
    t = SimpleNamespace()
    t.d = make_place(f"{prefix}D", Level.DISTRICT, index=0)
    t.s1 = make_place(f"{prefix}S1", Level.STREET, t.d, 1)
    t.s2 = make_place(f"{prefix}S2", Level.STREET, t.d, 2)
    t.c1 = make_place(f"{prefix}C1", Level.COMMUNITY, t.s1, 3)
    t.c2 = make_place(f"{prefix}C2", Level.COMMUNITY, t.s1, 4)
    t.c3 = make_place(f"{prefix}C3", Level.COMMUNITY, t.s2, 5)
    t.g1 = make_place(f"{prefix}G1", Level.GRID, t.c1, 6)
    t.g2 = make_place(f"{prefix}G2", Level.GRID, t.c1, 7)
    t.g3 = make_place(f"{prefix}G3", Level.GRID, t.c2, 8)
    t.g4 = make_place(f"{prefix}G4", Level.GRID, t.c3, 9)
    t.b1 = make_place(f"{prefix}B1", Level.BUILDING, t.g1)
    t.b2 = make_place(f"{prefix}B2", Level.BUILDING, t.g2)
    t.b3 = make_place(f"{prefix}B3", Level.BUILDING, t.g3)
    t.b4 = make_place(f"{prefix}B4", Level.BUILDING, t.g4)
    return t


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests")
    is_active = True


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"张{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    id_number = factory.Sequence(lambda n: f"110101199001{n:06d}")
    household = None
    # Household members live in its building; others get a grid of their own.
    place = factory.LazyAttribute(
        lambda o: o.household.building if o.household else PlaceFactory(level=Level.GRID)
    )


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    building = factory.SubFactory(PlaceFactory, level=Level.BUILDING)
    unit = "1"
    room = factory.Sequence(lambda n: str(101 + n))


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"DEPT{n:03d}")
    name = factory.Sequence(lambda n: f"Department {n}")
    place = factory.SubFactory(PlaceFactory, level=Level.DISTRICT)
    phone = "010-12345"


class PartyOrganizationFactory(DjangoModelFactory):
    class Meta:
        model = PartyOrganization

    name = factory.Sequence(lambda n: f"Branch {n}")
    kind = PartyOrganization.Kind.BRANCH
    place = factory.SubFactory(PlaceFactory, level=Level.GRID)


class PartyMemberFactory(DjangoModelFactory):
    class Meta:
        model = PartyMember

    person = factory.SubFactory(PersonFactory)
    organization = factory.SubFactory(
        PartyOrganizationFactory, place=factory.SelfAttribute("..person.place")
    )
    status = PartyMember.Status.REGULAR


class CheckInFactory(DjangoModelFactory):
    class Meta:
        model = CheckIn

    person = factory.SubFactory(PersonFactory, new_employment=True)
    community = factory.LazyAttribute(lambda o: o.person.place.ancestor_at(Level.COMMUNITY))
    kind = CheckIn.Kind.NEW_EMPLOYMENT


class RoleAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.GRID_WORKER
    place = factory.SubFactory(PlaceFactory, level=Level.GRID)


def user_with_role(role, place=None, department=None, **user_fields):
    """A new login holding `role` at `place` (or, for handlers, `department`).

    Without a place, one is made at the lowest level the role allows.
    """
    user = UserFactory(**user_fields)
    if role == Role.DEPARTMENT_HANDLER:
        RoleAssignment.objects.create(
            user=user, role=role, department=department or DepartmentFactory()
        )
        return user
    if place is None:
        level = max(ROLE_LEVELS[role], key=level_rank)
        place = PlaceFactory(level=level)
    RoleAssignment.objects.create(user=user, role=role, place=place)
    return user
