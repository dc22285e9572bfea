"""Who is offered which intake form: the 12345 hotline form to its operators and the street
and district offices; a grid worker or a community office the window form (a UI review found
grid workers offered 热线受理 first, their tickets then read as 12345 calls)."""

import pytest

from .factories import make_world

pytestmark = pytest.mark.django_db
HOTLINE, WINDOW = "/tickets/new/hotline/", "/tickets/new/window/"


def links(client, user, path):
    client.force_login(user)
    html = client.get(path).content.decode()
    return html.count(f'href="{HOTLINE}"'), html.count(f'href="{WINDOW}"')


@pytest.mark.parametrize("login", ["gridworker_a", "community_staff"])
def test_grid_workers_and_communities_are_offered_the_window_not_the_hotline(client, login):
    world = make_world()
    user = getattr(world, login)
    for path in ("/", "/tickets/"):
        hotline, window = links(client, user, path)
        assert hotline == 0 and window >= 1, path


@pytest.mark.parametrize("login", ["hotline", "street_staff"])
def test_the_hotline_and_the_street_are_offered_the_hotline_form(client, login):
    world = make_world()
    for path in ("/", "/tickets/"):
        hotline, _window = links(client, getattr(world, login), path)
        assert hotline >= 1, path
