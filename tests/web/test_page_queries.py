"""What the home page asks the database to offer 进社区报到 (web/check_in.offer): every home
page asks, and most logins may never report. Reading the login's person and then its Party
membership took two queries for each of them; one light query now says they are neither an
in-service Party member nor a new-employment worker. Those who are get their person, its
membership and its place in one query, which the rest of the page reuses."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.core import versions
from gridgov.people.models import PartyMember, PartyOrganization, Person
from gridgov.web import check_in

pytestmark = pytest.mark.django_db


def _fresh(user):
    """The login as a request loads it: nothing cached on it yet."""
    return get_user_model().objects.get(pk=user.pk)


def test_a_staff_login_with_a_person_is_told_no_in_one_query(city, django_assert_num_queries):
    Person.objects.create(name="社区干部老钱", place=city.c1, user=city.community_staff)
    user = _fresh(city.community_staff)
    with django_assert_num_queries(1):  # two before: the person, then its membership
        assert check_in.offer(user) is None


def test_a_login_without_a_person_is_told_no_in_one_query_and_not_asked_again(
    city, django_assert_num_queries
):
    user = _fresh(city.community_staff)
    with django_assert_num_queries(1):
        assert check_in.offer(user) is None
        assert not hasattr(user, "person")  # what 我的诉求 asks later: known already


def test_a_rider_is_offered_it_in_three_queries(city, django_assert_num_queries):
    rider = Person.objects.create(
        name="骑手小周", place=city.b1, new_employment=True, user=city.volunteer
    )
    with versions.scope():  # as in a request: the place tree's cache read and checked once
        check_in.offer(_fresh(city.volunteer))
        user = _fresh(city.volunteer)
        # Four before: the person, its membership, its place, its check-ins.
        with django_assert_num_queries(3):
            found = check_in.offer(user)
            assert user.person == rider  # kept for the page's other readers
    assert (found["community"], found["last"]) == (city.c1, None)


def test_an_in_service_member_is_offered_their_home_community(city, django_assert_num_queries):
    member = Person.objects.create(name="党员老吴", place=city.b3, user=city.volunteer)
    PartyMember.objects.create(
        person=member,
        organization=PartyOrganization.objects.get(name="幸福一网格党支部"),
        status=PartyMember.Status.IN_SERVICE,
        home_community=city.c1,
    )
    user = _fresh(city.volunteer)
    with django_assert_num_queries(3):  # as the rider's (the person, then its membership)
        found = check_in.offer(user)
    assert (found["person"], found["community"]) == (member, city.c1)


def test_the_home_page_reads_a_staff_logins_person_once(client, city):
    Person.objects.create(name="社区干部老钱", place=city.c1, user=city.community_staff)
    client.force_login(city.community_staff)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    # The login's person and membership (the people counted for the area aside).
    by_login = [
        q["sql"]
        for q in queries.captured_queries
        if re.search(r'WHERE "people_(person"."user|partymember"."person)_id" = \d', q["sql"])
    ]
    assert len(by_login) == 1, by_login
