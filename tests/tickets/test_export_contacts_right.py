"""The export "with contacts" (`?purpose=`) is for those whose work shows some requester in
full (`tickets.export_contacts`: the owning offices' roles, the dispatch desks, department
handlers). Community police, micro-grid workers and cadres see tickets but never a caller
in full: their `?purpose=` is refused (403, nothing logged); their plain export stays."""

import pytest
from django.urls import reverse

from gridgov.people.models import AccessLog, Role
from tests.people.factories import user_with_role

from .factories import make_ticket, make_world
from .test_api import TICKETS, client_for
from .test_export import rows

pytestmark = pytest.mark.django_db
EXPORT = f"{TICKETS}export.xlsx"


@pytest.fixture
def world():
    w = make_world()
    w.police = user_with_role(Role.COMMUNITY_POLICE, w.community, username="police")
    w.micro = user_with_role(Role.MICRO_GRID_WORKER, w.grid_a, username="micro")
    w.cadre = user_with_role(Role.CADRE, w.grid_a, username="cadre")
    w.ticket = make_ticket(w)  # 楼道堆物 in grid A: grid worker A's
    return w


def test_roles_that_never_see_a_caller_in_full_get_403_for_a_purpose(client, world):
    for user in (world.police, world.micro, world.cadre):
        assert not user.has_perm("tickets.export_contacts"), user.username
        assert not user.has_perm("tickets.view_requester", world.ticket)
        response = client_for(user).get(EXPORT, {"purpose": "回访"})
        assert response.status_code == 403, user.username
        assert response.json()["error"]["code"] == "permission_denied"
        _header, data = rows(client_for(user).get(EXPORT))  # the masked export stays theirs
        assert [row["联系电话"] for row in data] == ["138****1234"]
        client.force_login(user)
        assert client.get(reverse("tickets:export"), {"purpose": "回访"}).status_code == 403
    assert not AccessLog.objects.exists()


def test_the_list_page_offers_the_export_with_contacts_only_to_those_who_may(client, world):
    from django.urls import reverse

    for user, offered in ((world.police, False), (world.cadre, False), (world.hotline, True)):
        client.force_login(user)
        html = client.get(reverse("tickets:list")).content.decode()
        assert ('id="export-contacts"' in html) is offered, user


def test_handlers_and_dispatchers_may_export_with_contacts(world):
    allowed = (
        world.gridworker_a,
        world.community_staff,
        world.street_staff,
        world.district_staff,
        world.hotline,
        world.city_handler,
    )
    phones = {}
    for user in allowed:
        assert user.has_perm("tickets.export_contacts"), user.username
        _header, data = rows(client_for(user).get(EXPORT, {"purpose": "回访"}))
        phones[user] = [row["联系电话"] for row in data]
    # Row by row it is still tickets.view_requester: the grid worker owns the ticket and
    # gets it in full, logged once with the purpose; community staff above get it masked.
    assert phones[world.gridworker_a] == ["13812341234"]
    assert phones[world.community_staff] == ["138****1234"]
    log = AccessLog.objects.get(user=world.gridworker_a)
    assert log.purpose == "回访" and log.subject_id == str(world.ticket.pk)
    assert log.channel == AccessLog.Channel.API_EXPORT
