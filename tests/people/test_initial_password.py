"""A login whose password someone else set (the staff import, the admin) changes it at its
first sign-in: until then every page leads to /password/ with a Chinese explanation, the
API on its session answers 403, and no token is issued for it (people.passwords)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from gridgov.people import imports, passwords
from gridgov.people.models import InitialPassword, Role

from .factories import user_with_role
from .test_staff_import import HEADER, as_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(tree):
    """(login, initial password) of a grid worker made by the staff import."""
    report = imports.import_staff(
        as_csv([HEADER, ["ly-wang", "王芳", "13800001111", "网格员", "G1", ""]])
    )
    return report.passwords[0]


def signed_in(username, password):
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    return client, response


def test_the_staff_import_marks_its_logins(imported):
    assert InitialPassword.objects.get(user__username="ly-wang").reason == "import"


def test_signing_in_with_an_initial_password_lands_on_the_password_page(imported):
    client, response = signed_in(*imported)
    response = client.get(response.url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("web-password")
    text = response.content.decode()
    assert "请先把它改为只有您自己知道的密码" in text


@pytest.mark.parametrize("url", ["/", "/tickets/", "/people/", "/places/", "/admin/"])
def test_other_pages_lead_to_the_password_page(imported, url):
    client, _response = signed_in(*imported)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("web-password")


def test_the_api_on_the_session_is_refused(imported):
    client, _response = signed_in(*imported)
    response = client.get("/api/v1/tickets/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "password_change_required"


def test_no_token_is_issued_for_an_initial_password(imported):
    username, password = imported
    response = Client().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "password_change_required"
    assert not Token.objects.filter(user__username=username).exists()


def test_changing_it_clears_the_mark_and_opens_the_pages(imported):
    username, password = imported
    client, _response = signed_in(username, password)
    response = client.post(
        reverse("web-password"),
        {
            "old_password": password,
            "new_password1": "wo-de-mima-2024",
            "new_password2": "wo-de-mima-2024",
        },
    )
    assert response.status_code == 302
    assert not InitialPassword.objects.filter(user__username=username).exists()
    assert client.get("/tickets/").status_code == 200
    token = Client().post(
        "/api/v1/auth/token/", {"username": username, "password": "wo-de-mima-2024"}
    )
    assert token.status_code == 200


def test_a_login_with_its_own_password_is_not_held(tree):
    user = user_with_role(Role.GRID_WORKER, tree.g1, username="gw")
    user.set_password("ziji-de-mima-1")
    user.save()
    client, response = signed_in("gw", "ziji-de-mima-1")
    assert client.get("/tickets/").status_code == 200
    page = client.get(reverse("web-password")).content.decode()
    assert "请先把它改为只有您自己知道的密码" not in page


def test_an_admin_adding_a_user_with_a_password_marks_it(db):
    admin = get_user_model().objects.create_superuser("root", password="root-mima-123")
    client = Client()
    client.force_login(admin)
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "chushi-mima-9",
            "password2": "chushi-mima-9",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert InitialPassword.objects.get(user__username="newbie").reason == "admin-add"


def test_a_superuser_resetting_a_password_marks_it_again(imported):
    username, _password = imported
    user = get_user_model().objects.get(username=username)
    passwords.changed(user)
    admin = get_user_model().objects.create_superuser("root", password="root-mima-123")
    client = Client()
    client.force_login(admin)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = client.post(
        url,
        {"usable_password": "true", "password1": "chongzhi-mima-7", "password2": "chongzhi-mima-7"},
    )
    assert response.status_code == 302
    assert InitialPassword.objects.get(user=user).reason == "admin-reset"
    holder, response = signed_in(username, "chongzhi-mima-7")
    assert holder.get("/tickets/")["Location"] == reverse("web-password")
    # A superuser's own password, changed on the same page, is theirs.
    client.post(
        reverse("admin:auth_user_password_change", args=[admin.pk]),
        {"usable_password": "true", "password1": "root-mima-456", "password2": "root-mima-456"},
    )
    assert not InitialPassword.objects.filter(user=admin).exists()
