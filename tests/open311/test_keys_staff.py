"""Keys: rate limit per key, the request log, the staff page, the admin, the demo key."""

import re

import pytest
from django.urls import reverse

from gridgov.open311 import keys
from gridgov.open311.demo import DEMO_KEY, seed_open311
from gridgov.open311.models import ApiKey, Jurisdiction, RequestLog
from gridgov.people.models import Role
from gridgov.tickets.models import Channel, Ticket
from tests.people.factories import user_with_role
from tests.places.factories import make_tree

from .helpers import BASE, errors, open311_world, post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return open311_world()


def test_rate_limit_per_key(client, w):
    ApiKey.objects.filter(pk=w.key.pk).update(rate_limit=2)
    other, raw_other = keys.issue_key(name="另一个应用")
    url = f"{BASE}services.json?api_key={w.raw_key}"
    assert client.get(url).status_code == 200
    assert client.post(f"{BASE}requests.json", post_data(w)).status_code == 201
    response = client.get(url)
    [message] = errors(response, "json", 429)
    assert "try again in" in message and int(response["Retry-After"]) >= 1
    # Nothing is created over the limit; other keys are not affected.
    assert client.post(f"{BASE}requests.json", post_data(w)).status_code == 429
    assert Ticket.objects.count() == 1
    assert client.get(f"{BASE}services.json?api_key={raw_other}").status_code == 200


def test_rate_limit_without_a_key_is_per_address(client, w, settings):
    settings.GRIDGOV_OPEN311_ANON_PER_MINUTE = 1
    assert client.get(f"{BASE}services.json").status_code == 200
    errors(client.get(f"{BASE}discovery.xml"), "xml", 429)
    assert client.get(f"{BASE}services.json", REMOTE_ADDR="10.9.9.9").status_code == 200
    # A guessed key counts against the address, like no key.
    errors(client.get(f"{BASE}services.json?api_key=guess", REMOTE_ADDR="10.9.9.9"), "json", 429)


def test_every_call_is_logged_without_the_key(client, w):
    client.get(f"{BASE}requests.json?api_key={w.raw_key}&status=open")
    client.post(f"{BASE}requests.xml", post_data(w))
    client.post(f"{BASE}requests.xml", post_data(w, service_code=None))
    client.get(f"{BASE}services.txt")
    rows = list(RequestLog.objects.order_by("id"))
    assert [(r.method, r.endpoint, r.format, r.status) for r in rows] == [
        ("GET", "requests", "json", 200),
        ("POST", "requests", "xml", 201),
        ("POST", "requests", "xml", 400),
        ("GET", "services", "txt", 404),
    ]
    assert [r.api_key_id for r in rows] == [w.key.pk, w.key.pk, w.key.pk, None]
    assert rows[0].query == "status=open"
    assert rows[1].ticket is not None and rows[2].ticket is None
    assert all(w.raw_key not in r.query for r in rows)
    w.key.refresh_from_db()
    assert w.key.last_used_at is not None


def test_keys_are_stored_hashed(w):
    stored = ApiKey.objects.get(pk=w.key.pk)
    assert w.raw_key not in (stored.key_hash, stored.prefix)
    assert stored.prefix == w.raw_key[:8]
    assert keys.find_key(w.raw_key) == stored and keys.find_key("x") is None


# --- staff page -----------------------------------------------------------------------------


def test_street_staff_issue_a_key_shown_once_and_it_works(client, w):
    client.force_login(w.street_staff)
    page = client.get(reverse("open311:keys"))
    assert page.status_code == 200
    form = page.context["form"]
    # Street staff bind keys to their street; only district staff issue keys valid everywhere.
    assert form.fields["jurisdiction"].required
    jurisdiction = Jurisdiction.objects.get(place=w.street)
    response = client.post(
        reverse("open311:keys"),
        {
            "name": "街道随手拍小程序",
            "contact": "dev@example.com",
            "channel": Channel.PHOTO,
            "jurisdiction": jurisdiction.pk,
            "rate_limit": 30,
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    raw = response.context["raw"]
    assert raw in response.content.decode()
    key = ApiKey.objects.get(name="街道随手拍小程序")
    assert (key.created_by, key.channel, key.jurisdiction) == (
        w.street_staff,
        Channel.PHOTO,
        jurisdiction,
    )
    created = client.post(f"{BASE}requests.json", post_data(w, api_key=raw))
    assert created.status_code == 201
    assert Ticket.objects.get().channel == Channel.PHOTO
    # The key is not shown again: the list and the detail show its first characters only.
    listing = client.get(reverse("open311:keys")).content.decode()
    assert "街道随手拍小程序" in listing and raw not in listing
    detail = client.get(reverse("open311:key", args=[key.pk])).content.decode()
    assert raw not in detail and key.prefix in detail
    assert Ticket.objects.get().code in detail  # the request log links the ticket


def test_revoke_from_the_staff_page(client, w):
    key, raw = keys.issue_key(name="城市应用", jurisdiction=keys.find_jurisdiction("S1"))
    client.force_login(w.street_staff)
    response = client.post(reverse("open311:key-revoke", args=[key.pk]))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_by == w.street_staff and not key.active
    errors(client.post(f"{BASE}requests.json", post_data(w, api_key=raw)), "json", 403)


def test_who_sees_which_keys(client, w):
    other = make_tree(key="2", district=w.district, origin=(116.40, 39.90))
    mine, _ = keys.issue_key(name="本街道应用", jurisdiction=keys.find_jurisdiction("S1"))
    theirs, _ = keys.issue_key(name="外街道应用", jurisdiction=keys.find_jurisdiction("S2"))
    everywhere, _ = keys.issue_key(name="全区应用")
    client.force_login(w.street_staff)
    listing = client.get(reverse("open311:keys")).content.decode()
    assert "本街道应用" in listing
    assert "外街道应用" not in listing and "全区应用" not in listing
    assert client.get(reverse("open311:key", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("open311:key-revoke", args=[everywhere.pk])).status_code == 404
    # Street staff cannot bind a key to another street.
    response = client.post(
        reverse("open311:keys"),
        {
            "name": "x",
            "channel": "api",
            "rate_limit": 5,
            "jurisdiction": Jurisdiction.objects.get(place=other.street).pk,
        },
    )
    assert response.status_code == 200 and "jurisdiction" in response.context["form"].errors

    client.force_login(w.district_staff)
    listing = client.get(reverse("open311:keys")).content.decode()
    assert all(n in listing for n in ("本街道应用", "外街道应用", "全区应用"))
    response = client.post(
        reverse("open311:keys"), {"name": "区级应用", "channel": "api", "rate_limit": 5}
    )
    assert response.status_code == 200
    assert ApiKey.objects.get(name="区级应用").jurisdiction is None


def test_other_roles_may_not_manage_keys(client, w):
    client.force_login(w.gridworker_a)
    assert client.get(reverse("open311:keys")).status_code == 403
    client.logout()
    assert client.get(reverse("open311:keys")).status_code == 302  # to the login page


def test_admin_issues_a_key_and_shows_it_once(admin_client, w):
    response = admin_client.post(
        reverse("admin:open311_apikey_add"),
        {"name": "管理员应用", "contact": "", "channel": "api", "rate_limit": 60, "note": ""},
        follow=True,
    )
    assert response.status_code == 200
    message = " ".join(str(m) for m in response.context["messages"])
    raw = re.search(r"(?:is|是) (\S+) —", message).group(1)
    assert keys.find_key(raw) == ApiKey.objects.get(name="管理员应用")


def test_staff_page_in_chinese(client, w):
    client.force_login(w.street_staff)
    page = client.get(reverse("open311:keys")).content.decode()
    assert "签发" in page


# --- demo -----------------------------------------------------------------------------------


def test_demo_key_is_deterministic_and_idempotent(w):
    assert seed_open311() == DEMO_KEY
    assert seed_open311() == DEMO_KEY
    assert ApiKey.objects.filter(name__contains="demo").count() == 1
    assert keys.find_key(DEMO_KEY).active
    assert Jurisdiction.objects.filter(place=w.street).exists()


def test_jurisdiction_per_street_by_default(client, w):
    assert not Jurisdiction.objects.exists()
    assert client.get(f"{BASE}services.json?jurisdiction_id=S1").status_code == 200
    assert Jurisdiction.objects.get().place == w.street
    user_with_role(Role.STREET_STAFF, w.street, username="street2")


def test_staff_page_ignores_the_browser_language_but_follows_the_switcher(client, w):
    client.force_login(w.street_staff)
    page = client.get(reverse("open311:keys"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "签发" in page and '<html lang="zh-hans">' in page
    client.cookies["django_language"] = "en"
    page = client.get(reverse("open311:keys")).content.decode()
    assert "Issue a key" in page
