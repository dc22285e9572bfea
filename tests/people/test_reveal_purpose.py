"""A full view of a person's data says why (查看事由): the access log records the purpose of
every view (docs/permissions.md, 查看记录), so a blank one is refused in the helper, the API
and the page, with nothing revealed and nothing logged."""

import pytest

from gridgov.people.models import AccessLog, Role
from gridgov.people.personal_data import PersonalDataDenied, PurposeRequired, reveal

from .factories import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("purpose", ["", "   ", None])
def test_reveal_without_a_purpose_reveals_and_logs_nothing(tree, purpose):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    person = PersonFactory(place=tree.b1, phone="13812341234")
    with pytest.raises(PurposeRequired):
        reveal(worker, person, ["phone"], "web", purpose=purpose)
    assert not AccessLog.objects.exists()


def test_a_caller_without_the_right_is_refused_as_before_with_or_without_purpose(tree):
    cadre = user_with_role(Role.CADRE, tree.g1)
    person = PersonFactory(place=tree.b1)
    with pytest.raises(PersonalDataDenied):
        reveal(cadre, person, ["phone"], "api")
    assert not AccessLog.objects.exists()


def test_the_purpose_is_logged_trimmed(tree):
    worker = user_with_role(Role.GRID_WORKER, tree.g1)
    person = PersonFactory(place=tree.b1)
    reveal(worker, person, ["phone"], "web", purpose="  入户走访 ")
    assert AccessLog.objects.get().purpose == "入户走访"


@pytest.mark.parametrize("params", [{}, {"purpose": ""}, {"purpose": "  "}])
def test_api_refuses_a_full_view_without_purpose(api, tree, people, grid_worker, params):
    response = api(grid_worker).get(f"/api/v1/people/{people.g1.pk}/personal-data/", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "purpose_required"
    assert "查看事由" in error["message"] and "purpose" in error["message_en"]
    assert "13812341234" not in response.content.decode()
    assert "张三" not in response.content.decode()
    assert not AccessLog.objects.exists()


def test_api_without_the_right_still_answers_403_not_400(api, tree, people):
    cadre = user_with_role(Role.CADRE, tree.g1)
    response = api(cadre).get(f"/api/v1/people/{people.g1.pk}/personal-data/")
    assert response.status_code == 403


@pytest.mark.parametrize("data", [{}, {"purpose": ""}, {"purpose": "   "}])
def test_page_refuses_a_full_view_without_purpose(client, tree, people, grid_worker, data):
    client.force_login(grid_worker)
    response = client.post(f"/people/{people.g1.pk}/reveal/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写查看事由" in html
    assert "13812341234" not in html and "张三" not in html
    assert "138****1234" in html  # still the masked page, with the form to try again
    assert not AccessLog.objects.exists()


def test_page_asks_for_the_purpose_before_sending(client, tree, people, grid_worker):
    client.force_login(grid_worker)
    html = client.get(f"/people/{people.g1.pk}/").content.decode()
    assert 'name="purpose" maxlength="200" required' in html


def test_page_with_a_purpose_reveals_and_logs_it(client, tree, people, grid_worker):
    client.force_login(grid_worker)
    response = client.post(f"/people/{people.g1.pk}/reveal/", {"purpose": "入户走访"})
    assert response.status_code == 200
    assert "13812341234" in response.content.decode()
    assert AccessLog.objects.get().purpose == "入户走访"
