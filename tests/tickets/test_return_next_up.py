"""退单 goes on to the next ticket to sign for, as 签收 does. A grid worker going through
待签收 on a phone either signs for a ticket or returns it; after 签收 the page offered 下一件
（待签收）, after 退单 only the returned ticket with nothing to do on it (found walking the
demo as 魏家坡小区's grid worker)."""

import pytest

from .factories import make_ticket, make_world
from .test_views import act, client_for, html_of

pytestmark = pytest.mark.django_db


def test_after_a_return_the_worker_goes_on_to_the_next_ticket_to_sign_for(client):
    world = make_world()
    first, second = make_ticket(world), make_ticket(world)
    client_for(client, world.gridworker_a)
    html = html_of(act(client, first, "return", reason_code="wrong_place", reason="不在本网格"))
    first.refresh_from_db()
    assert first.status == "returned"
    assert f"下一件（待签收）：{second.code}，还剩 1 件" in html
    html = html_of(act(client, second, "return", reason_code="wrong_place", reason="不在本网格"))
    assert "下一件" not in html  # none left
