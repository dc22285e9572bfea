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


def _address_view(w, **kwargs):
    """What the ticket's page logs for its holding unit on every visit: the address alone."""
    return AccessLog.objects.create(
        user=w.gridworker_a,
        subject_type="tickets.ticket",
        subject_id=str(w.ticket.pk),
        fields=["address"],
        purpose="ticket page",
        channel=AccessLog.Channel.WEB,
        place=w.buildings[0],
        **kwargs,
    )


def test_what_was_seen_tells_the_reveals_from_the_flood_of_address_views(client, w):
    """查看内容: the reveals of a name, phone or ID number an auditor looks for, apart from
    the address views a ticket's page logs on every visit; all of them by default, with
    the split said above the table whatever is chosen."""
    for _ in range(3):
        _address_view(w)
    # The address with a name is a reveal of the name: not "address only".
    AccessLog.objects.create(
        user=w.community_staff,
        subject_type="tickets.ticket",
        subject_id=str(w.ticket.pk),
        fields=["requester_name", "address"],
        purpose="核实诉求人",
        place=w.buildings[0],
    )
    client.force_login(w.street_staff)
    html = client.get(URL).content.decode()
    assert "共 6 条记录" in html  # everything by default
    assert 'id="log-seen"' in html and "查看内容" in html
    assert '<option value="" selected>全部</option>' in html
    assert "联系方式与证件（姓名、电话、身份证号…）" in html and ">仅地址</option>" in html
    split = html[html.index('id="seen-split"') :]
    split = split[: split.index("</p>")]
    assert "按查看内容" in split and "联系方式与证件 3" in split and "仅地址 3" in split
    assert "seen=address" in split and "seen=contacts" in split

    html = client.get(URL, {"seen": "contacts"}).content.decode()
    assert "共 3 条记录" in html
    assert "办理工单" in html and "入户走访核实" in html and "核实诉求人" in html
    assert "诉求人姓名、地址" in html
    assert "ticket page" not in html
    assert '<option value="contacts" selected>' in html
    # The split still counts the whole selection, the chosen kind marked.
    assert '<strong aria-current="true">联系方式与证件 3</strong>' in html

    html = client.get(URL, {"seen": "address"}).content.decode()
    assert "共 3 条记录" in html and html.count("ticket page") == 3
    assert "办理工单" not in html and "核实诉求人" not in html

    # With the other filters: the split is of their selection.
    html = client.get(URL, {"seen": "address", "channel": "api"}).content.decode()
    assert "没有符合条件的查看记录" in html and "联系方式与证件 2" in html and "仅地址 0" in html
    html = client.get(URL, {"seen": "contacts", "viewer": w.community_staff.username})
    html = html.content.decode()
    assert "共 2 条记录" in html and "入户走访核实" in html and "核实诉求人" in html


def test_a_filter_not_offered_is_refused_beside_its_field(client, w):
    """An unknown channel or kind of view, a day that does not exist: refused by name
    beside the field, and nothing listed. They were ignored, which listed every view."""
    _address_view(w)
    client.force_login(w.street_staff)
    for params, field in (
        ({"seen": "names"}, "seen"),
        ({"channel": "nonsense"}, "channel"),
        ({"since": "2026-02-30"}, "since"),
        ({"until": "tomorrow", "seen": "address"}, "until"),
    ):
        response = client.get(URL, params)
        assert response.status_code == 200
        html = response.content.decode()
        marked = html[html.index(f'data-field="{field}"') :]
        marked = marked[: marked.index("</div>\n  </div>")]
        assert 'class="field-errors"' in marked, params
        assert 'id="filters-refused"' in html and "有筛选条件无效" in html
        assert "共 " not in html and "ticket page" not in html and "办理工单" not in html
    html = client.get(URL, {"since": "2026-02-30"}).content.decode()
    assert "2026-02-30 不是有效日期" in html
    html = client.get(URL, {"seen": "names"}).content.decode()
    assert "names" in html


def test_address_only_is_an_exact_match_of_the_address_field(w):
    """The kinds are built from the fields the models declare personal, and split the
    log (the database's JSON comparison, on SQLite and PostgreSQL alike)."""
    from gridgov.people.filters import Seen, address_fields, filter_seen
    from gridgov.tickets.models import Ticket

    assert address_fields() == ["address"]
    assert "address" in Ticket.PERSONAL_DATA_FIELDS and "address" not in Person.PERSONAL_DATA_FIELDS
    address = _address_view(w)
    logs = AccessLog.objects.all()
    assert list(filter_seen(logs, Seen.ADDRESS)) == [address]
    others = set(filter_seen(logs, Seen.CONTACTS))
    assert others == {w.ticket_view, w.person_view, w.elsewhere}
    assert filter_seen(logs, "").count() == 4


def test_the_views_the_ticket_page_logs_are_told_apart(client, w):
    """What the ticket's page really logs: the holding unit's view of the exact address on
    every visit (仅地址), and its 查看联系方式 (联系方式与证件, with the address)."""
    AccessLog.objects.all().delete()
    ticket_url = reverse("tickets:detail", args=[w.ticket.code])
    client.force_login(w.gridworker_a)
    for _ in range(2):
        assert client.get(ticket_url).status_code == 200
    client.post(reverse("tickets:reveal", args=[w.ticket.code]), HTTP_HX_REQUEST="true")
    assert AccessLog.objects.count() == 3
    client.force_login(w.street_staff)
    html = client.get(URL, {"seen": "address"}).content.decode()
    assert "共 2 条记录" in html and "联系方式与证件 1" in html
    html = client.get(URL, {"seen": "contacts"}).content.decode()
    assert "共 1 条记录" in html and "诉求人姓名、诉求人电话" in html
