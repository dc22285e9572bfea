"""个人信息查看记录 (/people/access-log/): street and district staff read who saw whose
personal data in full in their area, on a page (the log was readable through the API only,
GET /api/v1/access-logs/, so a street office auditing its area had nothing to open). The
page names the record and its fields, never their values; other roles are refused."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from gridgov.people.models import AccessLog, Person, Role
from gridgov.places.models import Level, Place
from tests.people.factories import user_with_role
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

URL = reverse("web-access-log")


@pytest.fixture
def w():
    w = make_world()
    w.ticket = make_ticket(w)
    w.person = Person.objects.create(name="王大爷", phone="13900001111", place=w.buildings[0])
    # A view in this street's area, by the grid worker, of the ticket's requester...
    w.ticket_view = AccessLog.objects.create(
        user=w.gridworker_a,
        subject_type="tickets.ticket",
        subject_id=str(w.ticket.pk),
        fields=["requester_name", "requester_phone"],
        purpose="办理工单",
        channel=AccessLog.Channel.WEB,
        place=w.buildings[0],
        ip="10.0.0.7",
    )
    # ...of a resident, by the community, through the API...
    w.person_view = AccessLog.objects.create(
        user=w.community_staff,
        subject_type="people.person",
        subject_id=str(w.person.pk),
        fields=["name", "phone"],
        purpose="入户走访核实",
        channel=AccessLog.Channel.API,
        place=w.buildings[0],
    )
    # ...and one in the neighbouring street, which this street does not audit.
    other = Place.objects.create(code="S9", name="邻街道", level=Level.STREET, parent=w.district)
    w.elsewhere = AccessLog.objects.create(
        user=w.hotline,
        subject_type="people.person",
        subject_id="999",
        fields=["id_number"],
        purpose="邻街核查",
        place=other,
    )
    return w


def test_street_staff_read_their_areas_views_in_chinese(client, w):
    client.force_login(w.street_staff)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "个人信息查看记录" in html and "共 2 条记录" in html
    # The record named and linked, its fields in Chinese; the values never.
    ticket_link = reverse("tickets:detail", args=[w.ticket.code])
    assert f'href="{ticket_link}">工单 {w.ticket.code}</a>' in html
    assert "诉求人姓名、诉求人电话" in html
    assert (
        f'href="{reverse("web-person-detail", args=[w.person.pk])}">人员 #{w.person.pk}</a>' in html
    )
    assert "姓名、电话" in html
    assert "13900001111" not in html and "王大爷" not in html
    assert w.ticket.requester_phone not in html
    assert "办理工单" in html and "入户走访核实" in html and "10.0.0.7" in html
    assert "网页" in html and "接口" in html
    assert "邻街核查" not in html  # another street's


def test_district_staff_read_the_whole_district(client, w):
    client.force_login(w.district_staff)
    html = client.get(URL).content.decode()
    assert "共 3 条记录" in html and "邻街核查" in html


def test_filters(client, w):
    client.force_login(w.street_staff)
    html = client.get(URL, {"channel": "api"}).content.decode()
    assert "共 1 条记录" in html and "入户走访核实" in html
    html = client.get(URL, {"viewer": w.gridworker_a.username}).content.decode()
    assert "共 1 条记录" in html and "办理工单" in html
    AccessLog.objects.filter(pk=w.person_view.pk).update(at=timezone.now() - dt.timedelta(days=10))
    today = timezone.localdate().isoformat()
    html = client.get(URL, {"since": today, "until": today}).content.decode()
    assert "共 1 条记录" in html and "入户走访核实" not in html
    html = client.get(URL, {"since": "2026-02-30", "channel": "nonsense"}).content.decode()
    assert "共 2 条记录" in html  # a date that does not exist, an unknown channel: no filter
    html = client.get(URL, {"viewer": "nobody"}).content.decode()
    assert "没有符合条件的查看记录" in html


def test_the_people_page_leads_auditors_there_and_others_are_refused(client, w):
    client.force_login(w.street_staff)
    assert f'href="{URL}"' in client.get(reverse("web-people")).content.decode()
    for user in (w.community_staff, w.gridworker_a, w.city_handler, w.resident):
        client.force_login(user)
        if user.has_perm("people.view_person"):
            assert f'href="{URL}"' not in client.get(reverse("web-people")).content.decode()
        response = client.get(URL)
        assert response.status_code == 403, user
        assert "13900001111" not in response.content.decode()
    client.logout()
    assert client.get(URL).status_code == 302  # to the sign-in


def test_an_empty_log_says_so(client, w):
    AccessLog.objects.all().delete()
    user = user_with_role(Role.STREET_STAFF, w.street)
    client.force_login(user)
    assert "辖区内还没有人查看过完整的个人信息" in client.get(URL).content.decode()


def test_the_purposes_the_system_writes_are_said_in_chinese(client, w):
    """The API's ticket detail and requester lookup log the purpose as "ticket detail" and
    "requester", a record opened in the admin as "admin": the page showed these English
    words in its 事由 column. The log keeps them as written."""
    AccessLog.objects.all().delete()
    api = APIClient()
    api.force_authenticate(w.gridworker_a)
    assert api.get(f"/api/v1/tickets/{w.ticket.pk}/").status_code == 200
    assert api.get(f"/api/v1/tickets/{w.ticket.pk}/requester/").status_code == 200
    AccessLog.objects.create(
        user=w.gridworker_a,
        subject_type="people.person",
        subject_id=str(w.person.pk),
        fields=["name"],
        purpose="admin",
        place=w.buildings[0],
    )
    logged = set(AccessLog.objects.values_list("purpose", flat=True))
    assert logged == {"ticket detail", "requester", "admin"}
    client.force_login(w.street_staff)
    html = client.get(URL).content.decode()
    assert "查看工单详情" in html and "查看诉求人联系方式" in html and "在管理后台查看" in html
    for word in ("ticket detail", ">requester<", ">admin<"):
        assert word not in html
