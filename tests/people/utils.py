"""Small helpers shared by the people tests."""

from gridgov.people.models import Role

from .factories import PersonFactory, user_with_role


def resident_of(place, role=Role.RESIDENT, **person_fields):
    """A login with `role` at `place` and its own person record there."""
    user = user_with_role(role, place)
    person = PersonFactory(place=place, user=user, **person_fields)
    return user, person


def ids(response):
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return {row["id"] for row in rows}
