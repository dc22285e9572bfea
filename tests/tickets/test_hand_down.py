"""交办 (小事不出网格): the office holding a ticket hands it down to an office below it that
covers the matter, a community to the grid of the 小区; `dispatch` from a handling status
(lifecycle._hand_down)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from gridgov.tickets import intake, kpis, lifecycle, queues
from tests.places.factories import make_tree

from .factories import make_ticket, make_world, ticket_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def community_ticket(world, **overrides):
    """A community matter at 魏家坡小区3号楼 (grid A), signed for by the community."""
    ticket = make_ticket(world, category=world.community_matter.code, **overrides)
    assert ticket.owner_place == world.community and ticket.place.code.startswith("B1a")
    lifecycle.perform(ticket, "accept", world.community_staff)
    return ticket


def refused(exc_class, ticket, actor, **params):
    """The dispatch is refused with `exc_class`; nothing is written."""
    version, events = ticket.version, ticket.events.count()
    with pytest.raises(exc_class) as caught:
        lifecycle.perform(ticket, "dispatch", actor, **params)
    ticket.refresh_from_db()
    assert ticket.version == version and ticket.events.count() == events
    return caught.value


def test_a_community_hands_a_ticket_it_signed_for_to_the_grid_of_its_place(world):
    ticket = community_ticket(world)
    respond_by, resolve_by = ticket.respond_by, ticket.resolve_by
    assert "dispatch" in lifecycle.allowed_actions(ticket, world.community_staff)
    assert [p.code for p in lifecycle.hand_down_units(ticket)] == [world.grid_a.code]
    events = ticket.events.count()
    now = timezone.now()
    event = lifecycle.perform(
        ticket, "dispatch", world.community_staff, unit=world.grid_a.code, reason="请上门看看"
    )
    ticket.refresh_from_db()
    assert ticket.status == "dispatched" and ticket.owner_place == world.grid_a
    assert ticket.accepted_at is None and ticket.accept_by > now
    # The requester's time runs on: their deadlines do not move.
    assert (ticket.respond_by, ticket.resolve_by) == (respond_by, resolve_by)
    assert ticket.events.count() == events + 1
    assert event.reason == "请上门看看"
    assert event.data["handed_down"]["from"] == world.community.name
    assert event.data["handed_down"]["held"]["status"] == "accepted"
    # The grid finds it to sign for (待签收), and signs.
    waiting = queues.mine(world.gridworker_a).filter(
        queues.tab_filters(now, world.gridworker_a)["accept"]
    )
    assert ticket in waiting
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    assert ticket.status == "accepted"


def test_a_street_hands_down_to_the_community_or_the_grid_of_the_place(world):
    ticket = community_ticket(world)
    lifecycle.perform(ticket, "escalate", world.community_staff, reason="需街道协调")
    lifecycle.perform(ticket, "accept", world.street_staff)
    assert [p.code for p in lifecycle.hand_down_units(ticket)] == [
        world.community.code,
        world.grid_a.code,
    ]
    lifecycle.perform(ticket, "dispatch", world.street_staff, unit=world.grid_a.code)
    assert ticket.owner_place == world.grid_a and ticket.status == "dispatched"


def test_an_office_signs_for_a_ticket_before_it_hands_it_down(world):
    ticket = make_ticket(world, category=world.community_matter.code)
    assert ticket.status == "dispatched"
    assert "dispatch" not in lifecycle.allowed_actions(ticket, world.community_staff)
    refused(lifecycle.InvalidTransition, ticket, world.community_staff, unit=world.grid_a.code)


def test_a_grid_hands_nothing_up_or_sideways(world):
    ticket = make_ticket(world)  # 楼道堆物: grid A's
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    assert "dispatch" not in lifecycle.allowed_actions(ticket, world.gridworker_a)
    # A grid has nobody below it: refused as a state of the ticket (409), with the reason.
    up = refused(lifecycle.InvalidTransition, ticket, world.gridworker_a, unit=world.community.code)
    assert "没有下级单位可以交办" in up.message
    refused(lifecycle.InvalidTransition, ticket, world.gridworker_a, unit=world.grid_b.code)


def test_a_community_hands_down_only_within_its_area_and_to_the_matters_grid(world):
    ticket = community_ticket(world)
    other = make_tree(key="2", district=world.district, origin=(116.60, 39.90))
    up = refused(lifecycle.NotAllowed, ticket, world.community_staff, unit=world.street.code)
    assert world.street.name in up.message
    refused(lifecycle.NotAllowed, ticket, world.community_staff, unit=other.grids[0].code)
    refused(lifecycle.NotAllowed, ticket, world.community_staff, unit=other.community.code)
    refused(lifecycle.NotAllowed, ticket, world.community_staff, unit=world.community.code)
    refused(lifecycle.NotAllowed, ticket, world.community_staff, department=world.city_mgmt.code)
    # Its own grid B does not cover 魏家坡小区3号楼: a bad choice, not a lack of right.
    wrong = refused(lifecycle.BadParameters, ticket, world.community_staff, unit=world.grid_b.code)
    assert world.grid_b.name in wrong.message
    refused(lifecycle.BadParameters, ticket, world.community_staff)  # no unit named


def test_a_department_does_not_hand_down(world):
    ticket = make_ticket(world, category=world.unlicensed.code)
    assert ticket.owner_department == world.city_mgmt
    lifecycle.perform(ticket, "accept", world.city_handler)
    assert "dispatch" not in lifecycle.allowed_actions(ticket, world.city_handler)
    refused(lifecycle.InvalidTransition, ticket, world.city_handler, unit=world.grid_a.code)


def test_the_desk_does_not_redispatch_a_ticket_a_unit_is_handling(world):
    ticket = community_ticket(world)
    assert "dispatch" not in lifecycle.allowed_actions(ticket, world.hotline)
    refused(lifecycle.NotAllowed, ticket, world.hotline, unit=world.grid_a.code)


def test_the_grid_returns_a_handed_down_ticket_to_the_community_as_it_held_it(world):
    ticket = community_ticket(world)
    lifecycle.perform(ticket, "contact", world.community_staff, note="已联系")
    ticket.refresh_from_db()
    accepted_at, accept_by = ticket.accepted_at, ticket.accept_by
    dispatched_at = ticket.dispatched_at
    lifecycle.perform(ticket, "dispatch", world.community_staff, unit=world.grid_a.code)
    event = lifecycle.perform(ticket, "return", world.gridworker_a, reason_code="unclear_ownership")
    ticket.refresh_from_db()
    assert ticket.owner_place == world.community and ticket.status == "in_progress"
    assert (ticket.accepted_at, ticket.accept_by) == (accepted_at, accept_by)
    assert ticket.dispatched_at == dispatched_at
    assert ticket.return_count == 0  # not the desk's round of returns
    assert event.data["returned_to"] == world.community.name
    # The community decides again: it may hand it down again, or handle it.
    assert "dispatch" in lifecycle.allowed_actions(ticket, world.community_staff)


def test_a_ticket_the_desk_dispatched_still_returns_to_the_desk(world):
    ticket = make_ticket(world, category=world.community_matter.code)
    lifecycle.perform(ticket, "return", world.community_staff, reason_code="wrong_place")
    assert ticket.status == "returned" and ticket.owner_place == world.street


def test_the_community_is_credited_with_the_response_its_grid_made(world):
    tz = timezone.get_fixed_timezone(8 * 60)
    t0 = dt.datetime(2026, 3, 2, 9, tzinfo=tz)
    data = ticket_data(category=world.community_matter.code)
    ticket = intake.create_ticket(data, actor=world.hotline, now=t0).ticket
    h = dt.timedelta(hours=1)
    lifecycle.perform(ticket, "accept", world.community_staff, now=t0 + h)
    lifecycle.perform(ticket, "dispatch", world.community_staff, now=t0 + 2 * h, unit="G1a")
    lifecycle.perform(ticket, "accept", world.gridworker_a, now=t0 + 3 * h)
    lifecycle.perform(ticket, "contact", world.gridworker_a, now=t0 + 4 * h)
    end = dt.datetime(2026, 4, 10, tzinfo=tz)
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    grid, community = kpis.compute([world.grid_a, world.community], *march, now=end)
    assert grid.counts["dispatched"] == 1 and grid.counts["responded"] == 1
    assert community.counts["dispatched"] == 1
    assert community.counts["response_due"] == 1 and community.counts["responded"] == 1


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_hand_down_and_its_refusals(world):
    ticket = community_ticket(world)
    url = f"/api/v1/tickets/{ticket.pk}/dispatch/"
    answer = api(world.gridworker_a).post(url, {"unit": world.grid_b.code}, format="json")
    assert answer.status_code == 403
    answer = api(world.community_staff).post(
        url, {"unit": world.grid_a.code, "reason": "请网格员处理"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["event"]["data"]["handed_down"]["from"] == world.community.name
    assert body["ticket"]["owner"]["code"] == world.grid_a.code
    assert body["ticket"]["status"] == "dispatched"


# --- the ticket page --------------------------------------------------------------------------


def test_the_community_hands_down_on_the_ticket_page(client, world):
    ticket = make_ticket(world, category=world.community_matter.code)
    client.force_login(world.community_staff)
    page = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert 'id="action-dispatch"' not in page  # not before signing for it
    lifecycle.perform(ticket, "accept", world.community_staff)
    page = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    form = page[page.index('id="action-dispatch"') :]
    form = form[: form.index("</form>")]
    assert "交办" in form and "交办要求" in form
    assert f'value="place:{world.grid_a.code}"' in form
    assert world.grid_b.code not in form and f"place:{world.street.code}" not in form
    url = reverse("tickets:act", args=[ticket.code, "dispatch"])
    answer = client.post(
        url,
        {
            "dispatch-version": ticket.version + 0,
            "dispatch-target": f"place:{world.grid_a.code}",
            "dispatch-reason": "请网格员上门",
        },
        HTTP_HX_REQUEST="true",
    )
    assert "已完成：交办" in answer.content.decode()
    ticket.refresh_from_db()
    assert ticket.owner_place == world.grid_a and ticket.status == "dispatched"
    client.force_login(world.gridworker_a)
    queue = client.get(reverse("tickets:queue") + "?tab=accept").content.decode()
    assert ticket.code in queue
    page = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert "交办" in page and world.community.name in page  # the timeline says who handed it


def test_the_sweep_escalates_a_grid_that_never_signs_back_to_the_community(world):
    from gridgov.tickets import sweep

    ticket = community_ticket(world)
    lifecycle.perform(ticket, "dispatch", world.community_staff, unit=world.grid_a.code)
    ticket.refresh_from_db()
    # Within the grace period after the grid's accept_by: supervised, not escalated.
    report = sweep.run(now=ticket.accept_by + dt.timedelta(hours=1), remind=False)
    assert (ticket.code, "accept") in report.supervised and not report.escalated
    ticket.refresh_from_db()
    assert ticket.owner_place == world.grid_a
    later = ticket.accept_by + sweep.grace() + dt.timedelta(hours=1)
    sweep.run(now=later, remind=False)
    ticket.refresh_from_db()
    assert ticket.status == "escalated" and ticket.owner_place == world.community
