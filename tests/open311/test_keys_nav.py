"""The Open311 key page is reached from the pages street and district staff keep
(计划与设置), not only by typing its address."""

import pytest
from django.urls import reverse

from gridgov.people.models import Role
from tests.people.factories import user_with_role
from tests.places.factories import make_tree

pytestmark = pytest.mark.django_db


def _settings_links(client, user, url):
    client.force_login(user)
    html = client.get(url).content.decode()
    start = html.index('class="wb-nav wb-nav--settings"') if "wb-nav--settings" in html else -1
    return html[start : html.index("</nav>", start)] if start >= 0 else ""


def test_street_and_district_staff_find_the_key_page_under_settings(client):
    tree = make_tree()
    keys_url = reverse("open311:keys")
    for role, place in ((Role.STREET_STAFF, tree.street), (Role.DISTRICT_STAFF, tree.district)):
        user = user_with_role(role, place)
        for page in ("tickets:routing-rules", "tickets:queue"):
            links = _settings_links(client, user, reverse(page))
            assert f'href="{keys_url}">Open311 API 密钥</a>' in links, (role, page)
        assert client.get(keys_url).status_code == 200


def test_others_are_not_offered_it(client):
    tree = make_tree()
    keys_url = reverse("open311:keys")
    for role, place in ((Role.COMMUNITY_STAFF, tree.community), (Role.GRID_WORKER, tree.grids[0])):
        user = user_with_role(role, place)
        client.force_login(user)
        assert f'href="{keys_url}"' not in client.get(reverse("tickets:queue")).content.decode()
        assert client.get(keys_url).status_code == 403
