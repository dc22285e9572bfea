"""报到 from the home page: a new-employment worker (the demo's rider, `volunteer`) or an
in-service Party member reports to their community in one press, once; the community then
finds them marked on its people list. Nobody else is offered it or may post it."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from gridgov.people.models import CheckIn, PartyMember, PartyOrganization, Person, Role
from gridgov.web import check_in
from tests.people.factories import user_with_role

pytestmark = pytest.mark.django_db


def test_a_rider_reports_to_the_community_once(client, city):
    rider = Person.objects.create(
        name="骑手小周", place=city.b1, new_employment=True, user=city.volunteer
    )
    client.force_login(city.volunteer)
    html = client.get("/").content.decode()
    assert "进社区报到" in html
    assert "向幸福社区报到" in html
    response = client.post("/check-in/", follow=True)
    assert response.redirect_chain == [("/", 302)]
    [record] = CheckIn.objects.filter(person=rider)
    assert (record.community, record.kind) == (city.c1, CheckIn.Kind.NEW_EMPLOYMENT)
    day = timezone.localdate(record.checked_in_at).isoformat()
    html = response.content.decode()
    assert f"您已于 {day} 向幸福社区报到。" in html
    assert 'action="/check-in/"' not in html
    client.post("/check-in/")
    assert CheckIn.objects.filter(person=rider).count() == 1


def test_an_in_service_member_reports_to_their_home_community(client, city):
    user = user_with_role(Role.RESIDENT, city.b1)
    member = Person.objects.create(name="党员老吴", place=city.b1, user=user)
    PartyMember.objects.create(
        person=member,
        organization=PartyOrganization.objects.get(name="幸福一网格党支部"),
        status=PartyMember.Status.IN_SERVICE,
        home_community=city.c1,
    )
    client.force_login(user)
    assert "在职党员向居住地社区报到" in client.get("/").content.decode()
    client.post("/check-in/")
    [record] = CheckIn.objects.filter(person=member)
    assert (record.community, record.kind) == (city.c1, CheckIn.Kind.PARTY_MEMBER)
    # The community sees who reported.
    client.force_login(city.community_staff)
    marked = client.get("/people/", {"mark": "checked_in"}).context["page"].object_list
    assert [p.pk for p in marked] == [member.pk]


def test_others_are_not_offered_it_and_may_not_post_it(client, city):
    Person.objects.create(name="居民老孙", place=city.b1, user=city.volunteer)
    client.force_login(city.volunteer)
    assert 'id="check-in"' not in client.get("/").content.decode()
    assert client.post("/check-in/").status_code == 403
    client.force_login(city.community_staff)  # staff without a person record
    assert 'id="check-in"' not in client.get("/").content.decode()
    assert client.post("/check-in/").status_code == 403
    assert client.get("/check-in/").status_code == 405
    assert not CheckIn.objects.exists()


def test_in_english(client, city):
    Person.objects.create(name="骑手小周", place=city.b1, new_employment=True, user=city.volunteer)
    client.force_login(city.volunteer)
    client.cookies["django_language"] = "en"
    html = client.get("/").content.decode()
    assert "Report to the community" in html
    assert "Report to 幸福社区" in html
    assert "进社区报到" not in html


@pytest.mark.django_db(transaction=True)
def test_two_presses_at_once_report_once(city, monkeypatch):
    """A double click on 向幸福社区报到: both requests found no check-in before either had
    written one, and both wrote one."""
    rider = Person.objects.create(
        name="骑手小周", place=city.b1, new_employment=True, user=city.volunteer
    )
    both_looked = threading.Barrier(2)
    real = check_in.offer

    def offer(user):
        found = real(user)
        try:
            both_looked.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(check_in, "offer", offer)
    statuses = []

    def press():
        try:
            client = Client()
            client.force_login(city.volunteer)
            statuses.append(client.post("/check-in/").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses == [302, 302]
    assert CheckIn.objects.filter(person=rider).count() == 1
