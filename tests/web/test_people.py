"""The people registry pages: login, scope, masking, the logged full view."""

import pytest

from gridgov.people.models import AccessLog, Person

pytestmark = pytest.mark.django_db


def names_on(response):
    return {person.pk for person in response.context["page"].object_list}


def test_people_requires_login(client, city):
    response = client.get("/people/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/people/")
    assert client.get(f"/people/{city.zhang.pk}/").status_code == 302
    assert client.post(f"/people/{city.zhang.pk}/reveal/").status_code == 302
    assert not AccessLog.objects.exists()


def test_people_list_is_masked(client, city):
    client.force_login(city.grid_worker)
    response = client.get("/people/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "张**" in html
    assert "138****1234" in html
    assert "张三丰" not in html
    assert "13812341234" not in html
    assert "独居老人" in html


def test_grid_worker_sees_only_their_grid(client, city):
    client.force_login(city.grid_worker)
    assert names_on(client.get("/people/")) == {city.zhang.pk}
    client.force_login(city.grid_worker2)
    assert names_on(client.get("/people/")) == {city.li.pk}


def test_community_staff_see_both_grids_of_their_community(client, city):
    client.force_login(city.community_staff)
    assert names_on(client.get("/people/")) == {city.zhang.pk, city.li.pk}


def test_out_of_scope_person_is_404(client, city):
    client.force_login(city.grid_worker)
    assert client.get(f"/people/{city.li.pk}/").status_code == 404
    assert client.get(f"/people/{city.wang.pk}/").status_code == 404
    assert client.post(f"/people/{city.li.pk}/reveal/").status_code == 404
    assert client.get("/people/999999/").status_code == 404
    assert not AccessLog.objects.exists()


def test_roles_without_registry_access_are_refused(client, city):
    client.force_login(city.volunteer)
    response = client.get("/people/")
    assert response.status_code == 403
    assert "无权" in response.content.decode()
    assert client.get(f"/people/{city.zhang.pk}/").status_code == 403


def test_filter_by_place_and_search(client, city):
    client.force_login(city.community_staff)
    assert names_on(client.get("/people/?place=G2")) == {city.li.pk}
    assert names_on(client.get("/people/?place=C1")) == {city.zhang.pk, city.li.pk}
    # A place outside the scope filters to nothing rather than widening it.
    assert names_on(client.get("/people/?place=G3")) == set()
    assert names_on(client.get("/people/?q=李四")) == {city.li.pk}
    assert names_on(client.get("/people/?q=幸福里9栋")) == {city.li.pk}
    # No search by phone: masked viewers could otherwise confirm numbers.
    assert names_on(client.get("/people/?q=13812341234")) == set()


def test_pagination_keeps_filters(client, city):
    for i in range(30):
        Person.objects.create(name=f"赵{i}", phone="13600000000", place=city.b1)
    client.force_login(city.grid_worker)
    response = client.get("/people/?place=G1")
    page = response.context["page"]
    assert page.paginator.count == 31
    assert len(page.object_list) == 25
    html = response.content.decode()
    assert "?place=G1&amp;page=2" in html
    assert "第 1 页，共 2 页" in html
    second = client.get("/people/?place=G1&page=2")
    assert len(second.context["page"].object_list) == 6


def test_person_detail_is_masked_with_reveal_button(client, city):
    client.force_login(city.grid_worker)
    response = client.get(f"/people/{city.zhang.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "张**" in html
    assert "138****1234" in html
    assert "1101**********1234" in html
    assert "13812341234" not in html
    assert "查看完整信息" in html
    assert f'action="/people/{city.zhang.pk}/reveal/"' in html
    assert not AccessLog.objects.exists()


def test_reveal_shows_full_data_and_writes_access_log(client, city):
    client.force_login(city.grid_worker)
    response = client.post(
        f"/people/{city.zhang.pk}/reveal/", {"purpose": "入户走访"}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "张三丰" in html
    assert "13812341234" in html
    assert "110101199001011234" in html
    assert "已记录" in html
    assert "no-store" in response["Cache-Control"]
    log = AccessLog.objects.get()
    assert log.user == city.grid_worker
    assert log.subject_type == "people.person"
    assert log.subject_id == str(city.zhang.pk)
    assert set(log.fields) >= {"name", "phone", "id_number"}
    assert log.channel == "web"
    assert log.purpose == "入户走访"
    assert log.ip == "10.1.2.3"


def test_reveal_is_post_only(client, city):
    client.force_login(city.grid_worker)
    assert client.get(f"/people/{city.zhang.pk}/reveal/").status_code == 405
    assert not AccessLog.objects.exists()


def test_community_staff_may_reveal_in_their_community(client, city):
    client.force_login(city.community_staff)
    response = client.post(f"/people/{city.li.pk}/reveal/", {"purpose": "入户走访"})
    assert response.status_code == 200
    assert "13987654321" in response.content.decode()
    assert AccessLog.objects.filter(user=city.community_staff, subject_id=str(city.li.pk)).exists()


def test_roles_without_personal_data_get_no_button_and_no_reveal(client, city):
    # A sent-down cadre may browse the registry of their grid, masked only.
    client.force_login(city.cadre)
    response = client.get(f"/people/{city.zhang.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "张**" in html
    assert "查看完整信息" not in html
    response = client.post(f"/people/{city.zhang.pk}/reveal/")
    assert response.status_code == 403
    assert "13812341234" not in response.content.decode()
    assert not AccessLog.objects.exists()


def test_people_pages_in_english(client, city):
    client.post("/i18n/setlang/", {"language": "en", "next": "/people/"})
    client.force_login(city.grid_worker)
    html = client.get("/people/").content.decode()
    assert "People in my area" in html
    html = client.get(f"/people/{city.zhang.pk}/").content.decode()
    assert "View full information" in html
