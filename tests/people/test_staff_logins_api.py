"""工作人员账号 through the API: GET /api/v1/people/staff/ lists the logins the caller
administers as the page /people/staff/ does (masked, scoped), and POST
/api/v1/people/staff/{username}/reset-password/ resets one with the page's rules
(people.passwords.reset, assignments.may_reset_password): the new password answered once,
the old password, sessions and token ended, a PasswordReset row with channel api."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gridgov.people import passwords
from gridgov.people.models import InitialPassword, PasswordReset, Role, RoleAssignment

from .factories import PersonFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db

OLD_PASSWORD = "ziji-de-mima-1"


def staff_url(username=None):
    if username is None:
        return "/api/v1/people/staff/"
    return f"/api/v1/people/staff/{username}/reset-password/"


def with_token(user):
    """An integration's client: the caller's API token, as a street's own app uses."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def worker_in(place, username, role=Role.GRID_WORKER, **user_fields):
    user = user_with_role(role, place, username=username, **user_fields)
    user.set_password(OLD_PASSWORD)
    user.save()
    return user


@pytest.fixture
def by_community(tree):
    return user_with_role(Role.COMMUNITY_STAFF, tree.c1, username="c1-admin")


def test_an_allowed_reset_answers_the_password_once_and_ends_the_old_one(tree, by_community):
    worker = worker_in(tree.g1, "zhang.san")  # a dot in the login name
    session = Client()
    assert session.login(username="zhang.san", password=OLD_PASSWORD)
    assert session.get("/tickets/").status_code == 200
    worker_api = with_token(worker)
    assert worker_api.get("/api/v1/me/").status_code == 200

    response = with_token(by_community).post(staff_url("zhang.san"))

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["username"] == "zhang.san"
    password = body["password"]
    worker.refresh_from_db()
    assert worker.check_password(password) and not worker.check_password(OLD_PASSWORD)
    assert InitialPassword.objects.get(user=worker).reason == "area-reset"
    # The token stops working and the browser that was signed in is signed out.
    assert worker_api.get("/api/v1/me/").status_code == 401
    assert not Token.objects.filter(user=worker).exists()
    assert session.get("/tickets/").status_code == 302
    row = PasswordReset.objects.get()
    assert (row.user, row.username, row.reset_by, row.channel) == (
        worker,
        "zhang.san",
        by_community,
        "api",
    )
    assert (row.tokens_revoked, row.ip) == (1, "127.0.0.1")


def _world_as_it_was(target, tokens):
    target.refresh_from_db()
    return (
        target.check_password(OLD_PASSWORD)
        and not InitialPassword.objects.filter(user=target).exists()
        and not PasswordReset.objects.exists()
        and Token.objects.filter(user=target).count() == tokens
    )


@pytest.mark.parametrize(
    ("make_target", "status", "why"),
    [
        # In the area, but not below the caller: 403 with the reason.
        (lambda t: worker_in(t.c1, "peer", Role.COMMUNITY_STAFF), 403, "a colleague"),
        (lambda t: worker_in(t.g1, "boss", is_superuser=True), 403, "a superuser"),
        (lambda t: worker_in(t.g1, "admin-user", is_staff=True), 403, "an admin user"),
        (lambda t: _also_in(worker_in(t.g1, "both"), t.g3), 403, "works elsewhere too"),
        # Not in the caller's area at all: 404, as any object the caller cannot see.
        (lambda t: worker_in(t.s1, "above", Role.STREET_STAFF), 404, "above them"),
        (lambda t: worker_in(t.g3, "next-door"), 404, "another community's grid"),
        (lambda t: _without_roles(worker_in(t.g1, "no-role")), 404, "a login without roles"),
        (lambda t: _superuser_without_roles(), 404, "a superuser without roles"),
    ],
)
def test_a_refused_reset_writes_nothing(tree, by_community, make_target, status, why):
    target = make_target(tree)
    Token.objects.create(user=target)

    client = with_token(by_community)
    response = client.post(staff_url(target.username))

    assert response.status_code == status, (why, response.content)
    if status == 403:
        assert "只能重置本人辖区内下级工作人员的密码" in response.json()["error"]["message"]
    assert _world_as_it_was(target, tokens=1), why
    # The list agrees: a 403 is listed without the reset, a 404 is not listed.
    rows = client.get(staff_url()).json()["results"]
    listed = {row["username"]: row["may_reset_password"] for row in rows}
    assert listed.get(target.username) is (False if status == 403 else None), why


def _also_in(user, place):
    RoleAssignment.objects.create(user=user, role=Role.GRID_WORKER, place=place)
    return user


def _without_roles(user):
    RoleAssignment.objects.filter(user=user).update(active=False)
    return user


def _superuser_without_roles():
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    user.set_password(OLD_PASSWORD)
    user.save()
    return user


def test_the_caller_cannot_reset_themselves(tree, by_community):
    response = with_token(by_community).post(staff_url("c1-admin"))
    assert response.status_code == 403
    assert not PasswordReset.objects.exists()


def test_outsiders_are_turned_away(tree, api):
    target = worker_in(tree.g1, "gw")
    grid_worker = user_with_role(Role.GRID_WORKER, tree.g2)
    other_community = user_with_role(Role.COMMUNITY_STAFF, tree.c3)
    # Anonymous: 401 on both.
    assert api().get(staff_url()).status_code == 401
    assert api().post(staff_url("gw")).status_code == 401
    # Signed in, but administering no area: 403 with the reason, on both.
    for response in (api(grid_worker).get(staff_url()), api(grid_worker).post(staff_url("gw"))):
        assert response.status_code == 403
        assert "只有辖区的管理人员" in response.json()["error"]["message"]
    # Administering another area: the login is not there to be found.
    assert api(other_community).post(staff_url("gw")).status_code == 404
    assert api(other_community).post(staff_url("nobody-at-all")).status_code == 404
    assert not PasswordReset.objects.exists() and target.check_password(OLD_PASSWORD)
    # A reset is a POST: GET is not allowed.
    assert api(other_community).get(staff_url("gw")).status_code == 405


def test_the_list_is_the_callers_area_masked(tree, by_community, api):
    worker = worker_in(tree.g1, "gw1")
    PersonFactory(user=worker, place=tree.b1, name="张三丰", phone="13812345678")
    worker_in(tree.b2, "micro", Role.MICRO_GRID_WORKER)
    worker_in(tree.c1, "peer", Role.COMMUNITY_STAFF)
    worker_in(tree.g3, "next-door")
    worker_in(tree.s1, "above", Role.STREET_STAFF)
    gone = worker_in(tree.g2, "gone")
    gone.is_active = False
    gone.save()
    passwords.require_change(worker, InitialPassword.Reason.IMPORT)

    response = api(by_community).get(staff_url())

    assert response.status_code == 200, response.content
    body = response.json()
    rows = {row["username"]: row for row in body["results"]}
    # The page's set: active logins with a role in the community, the caller included.
    assert list(rows) == ["c1-admin", "gw1", "micro", "peer"]
    assert body["count"] == 4
    text = response.content.decode()
    assert "张三丰" not in text and "13812345678" not in text
    gw1 = rows["gw1"]
    assert gw1["name"] == "张**"
    assert gw1["roles"] == [
        {
            "role": "grid_worker",
            "label": "网格员",
            "place": tree.g1.code,
            "place_name": tree.g1.name,
            "department": None,
            "department_name": None,
        }
    ]
    assert (gw1["initial_password"], gw1["initial_password_reason"]) == (True, "import")
    assert gw1["initial_password_set_at"]
    assert gw1["may_reset_password"] is True
    assert rows["micro"]["initial_password"] is False
    assert rows["micro"]["initial_password_reason"] is None
    assert rows["peer"]["may_reset_password"] is False
    assert rows["c1-admin"]["may_reset_password"] is False

    # The page's filters: login or name, and those still on an initial password.
    def listed(**query):
        response = api(by_community).get(staff_url(), query)
        assert response.status_code == 200, response.content
        return [row["username"] for row in response.json()["results"]]

    assert listed(q="张三") == ["gw1"]
    assert listed(q="MICR") == ["micro"]
    assert listed(q="13812345678") == []  # no search by phone
    assert listed(initial="true") == ["gw1"]
    assert listed(initial="1", q="peer") == []
    assert listed(initial="false") == ["c1-admin", "gw1", "micro", "peer"]
    assert listed(page_size=2, page=2) == ["micro", "peer"]


def test_a_street_lists_its_communities_and_a_superuser_everyone(tree, api):
    street = user_with_role(Role.STREET_STAFF, tree.s1, username="s1-admin")
    worker_in(tree.g3, "g3-worker")
    worker_in(tree.c1, "c1-staff", Role.COMMUNITY_STAFF)
    worker_in(tree.g4, "g4-worker")
    names = [row["username"] for row in api(street).get(staff_url()).json()["results"]]
    assert names == ["c1-staff", "g3-worker", "s1-admin"]
    root = get_user_model().objects.create_superuser("root", password="x")
    names = [row["username"] for row in api(root).get(staff_url()).json()["results"]]
    assert names == ["c1-staff", "g3-worker", "g4-worker", "s1-admin"]


def test_an_unknown_or_wrong_parameter_is_a_400(tree, by_community, api):
    worker_in(tree.g1, "gw")
    response = api(by_community).get(staff_url(), {"inital": "1"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unknown_parameter"
    assert error["detail"]["unknown"] == ["inital"]
    assert "未知的查询参数" in error["message"]
    assert api(by_community).get(staff_url(), {"initial": "maybe"}).status_code == 400
    # The reset reads no query parameter either: refused before anything is done.
    response = api(by_community).post(staff_url("gw") + "?notify=sms")
    assert response.status_code == 400
    assert not PasswordReset.objects.exists()
