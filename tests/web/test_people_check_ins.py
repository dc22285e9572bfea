"""报到 in the people registry: community staff see which in-service Party members have
reported to a community, on the list (a mark and a filter) and on a person's page."""

import pytest
from django.utils import timezone

from gridgov.people.models import CheckIn, PartyMember, PartyOrganization
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(city):
    """李四海 (G2, 幸福社区) is an in-service Party member who reported to 幸福社区."""
    branch = PartyOrganization.objects.get(name="幸福一网格党支部")
    PartyMember.objects.create(
        person=city.li,
        organization=branch,
        status=PartyMember.Status.IN_SERVICE,
        home_community=city.c1,
        employer="区税务局",
    )
    return CheckIn.objects.create(
        person=city.li, community=city.c1, kind=CheckIn.Kind.PARTY_MEMBER, note="进社区报到"
    )


def test_a_reported_party_member_is_marked_on_the_list(client, city, reported):
    client.force_login(city.community_staff)
    html = client.get("/people/").content.decode()
    rows = {row.split("</tr>")[0] for row in html.split("<tr>")[1:]}
    li_row = next(r for r in rows if f"/people/{city.li.pk}/" in r)
    zhang_row = next(r for r in rows if f"/people/{city.zhang.pk}/" in r)
    assert "在职党员已报到" in li_row
    assert "在职党员已报到" not in zhang_row


def test_the_list_filters_reported_party_members(client, city, reported):
    PersonFactory(place=city.b1, new_employment=True)
    client.force_login(city.community_staff)
    response = client.get("/people/", {"mark": "checked_in"})
    assert {p.pk for p in response.context["page"].object_list} == {city.li.pk}
    assert 'value="checked_in" selected' in response.content.decode()
    elderly = client.get("/people/", {"mark": "elderly"}).context["page"].object_list
    assert {p.pk for p in elderly} == {city.zhang.pk}
    workers = client.get("/people/", {"mark": "new_employment"}).context["page"].object_list
    assert [p.new_employment for p in workers] == [True]
    # An unknown mark filters nothing rather than failing.
    assert client.get("/people/", {"mark": "nonsense"}).context["page"].paginator.count == 3


def test_a_person_page_says_where_and_when_they_reported(client, city, reported):
    client.force_login(city.community_staff)
    html = client.get(f"/people/{city.li.pk}/").content.decode()
    assert "报到" in html
    assert "幸福社区" in html
    assert timezone.localtime(reported.checked_in_at).strftime("%Y-%m-%d") in html
    assert "进社区报到" in html
    # Nobody else's page has a check-in row.
    assert 'id="check-ins"' not in client.get(f"/people/{city.zhang.pk}/").content.decode()


def test_check_ins_in_english(client, city, reported):
    client.force_login(city.community_staff)
    client.cookies["django_language"] = "en"
    html = client.get("/people/").content.decode()
    assert "Party member, checked in" in html
    assert "在职党员已报到" not in html
    detail = client.get(f"/people/{city.li.pk}/").content.decode()
    assert "Checked in" in detail
