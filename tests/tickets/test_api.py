"""The tickets API: the closed loop, scope (404), permissions (403), state (409),
masking and the access log, list filters."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from gridgov.people.models import AccessLog
from gridgov.tickets import intake
from gridgov.tickets.filters import visible_tickets
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Callback, Ticket, TicketEvent

from .factories import make_ticket, make_world, ticket_data

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def act(user, ticket_id, action, **params):
    return client_for(user).post(f"{TICKETS}{ticket_id}/{action}/", params, format="json")


def snapshot():
    """Row counts that a refused request must leave alone."""
    return (
        Ticket.objects.count(),
        TicketEvent.objects.count(),
        Callback.objects.count(),
        list(Ticket.objects.order_by("pk").values_list("pk", "status", "version")),
    )


@pytest.fixture
def world():
    return make_world()


def test_closed_loop_through_the_api(world):
    hotline = client_for(world.hotline)
    response = hotline.post(
        TICKETS,
        ticket_data(address="魏家坡小区3号楼2单元", category=world.corridor.code),
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["code"].startswith("GD")
    assert created["status"] == "dispatched"
    assert created["grid"]["code"] == world.grid_a.code
    assert created["owner"] == {
        "type": "place",
        "code": world.grid_a.code,
        "name": world.grid_a.name,
        "level": "grid",
    }
    assert created["category"]["code"] == world.corridor.code
    assert created["category"]["full_name"] == "网格事件 / 楼道堆物"
    assert all(created[k] for k in ("accept_by", "respond_by", "resolve_by"))
    assert created["requester_phone"] == "138****1234"
    assert "supervise" in created["allowed_actions"]
    ticket_id = created["id"]

    worker = client_for(world.gridworker_a)
    assert "accept" in worker.get(f"{TICKETS}{ticket_id}/").json()["allowed_actions"]
    # docs/tickets-api.md, step 2: a callback before the work is a 409 saying what is possible.
    early = act(world.hotline, ticket_id, "callback", resolved=True, satisfaction="satisfied")
    assert early.status_code == 409
    assert early.json()["error"]["detail"]["allowed_for_you"] == ["supervise", "merge"]
    steps = [
        (world.gridworker_a, "accept", {}, "accepted"),
        (world.gridworker_a, "contact", {"note": "已电话联系居民"}, "in_progress"),
        (world.gridworker_a, "resolve", {"reply": "已清理楼道杂物"}, "resolved"),
        (world.hotline, "callback", {"resolved": True, "satisfaction": "satisfied"}, "closed"),
    ]
    requester = f"{TICKETS}{ticket_id}/requester/"
    for user, action, params, status in steps:
        if action == "callback":
            # Step 4: the resolved ticket waits at the desk, which may see the caller in full.
            shown = hotline.get(requester, {"purpose": "回访"})
            assert shown.status_code == 200
            assert shown.json()["address"] == "魏家坡小区3号楼2单元"
        response = act(user, ticket_id, action, **params)
        assert response.status_code == 200, (action, response.json())
        body = response.json()
        assert body["event"]["action"] == action
        assert body["event"]["actor"]["username"] == user.username
        assert body["ticket"]["status"] == status

    timeline = hotline.get(f"{TICKETS}{ticket_id}/events/")
    assert timeline.status_code == 200
    events = timeline.json()
    assert [(e["action"], e["from_status"], e["to_status"]) for e in events] == [
        ("create", "", "received"),
        ("dispatch", "received", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("contact", "accepted", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("callback", "resolved", "closed"),
    ]
    actors = [e["actor"]["username"] if e["actor"] else None for e in events]
    assert actors == ["hotline", None, "gw_a", "gw_a", "gw_a", "hotline"]
    assert all(e["at"] for e in events)
    assert all(e["actor"]["name"] for e in events if e["actor"])
    assert events[2]["owner"]["code"] == world.grid_a.code
    assert events[-1]["data"] == {"resolved": True, "satisfaction": "satisfied"}
    # What decided the route (the walk-through's second jq): no rule covers 楼道堆物,
    # so its home level, the grid, took it.
    assert events[0]["data"]["route"] == "home_level"
    assert events[1]["data"]["home_level"] == "grid" and "rule" not in events[1]["data"]

    detail = hotline.get(f"{TICKETS}{ticket_id}/").json()
    assert detail["status"] == "closed"
    assert detail["callbacks"][0]["satisfaction"] == "satisfied"
    assert detail["overdue"] is None
    assert detail["allowed_actions"] == ["reopen"]
    # Step 6: closed, it no longer waits for the desk: the caller is masked to the hotline.
    assert hotline.get(requester, {"purpose": "回访"}).status_code == 403


def test_anonymous_callers_get_401(world):
    ticket = make_ticket(world)
    anonymous = client_for()
    assert anonymous.get(TICKETS).status_code == 401
    assert anonymous.get(f"{TICKETS}{ticket.pk}/").status_code == 401
    assert anonymous.post(TICKETS, ticket_data(), format="json").status_code == 401
    response = anonymous.post(f"{TICKETS}{ticket.pk}/accept/", {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_invalid_transition_is_409_with_allowed_actions_and_writes_nothing(world):
    ticket = make_ticket(world)
    before = snapshot()
    response = act(world.hotline, ticket.pk, "callback", resolved=True, satisfaction="satisfied")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["message"] and error["message_en"]
    assert "accept" in error["detail"]["allowed"]
    assert "callback" not in error["detail"]["allowed"]
    assert "accept" not in error["detail"]["allowed_for_you"]  # hotline cannot sign for it
    assert error["detail"]["status"] == "dispatched"
    assert snapshot() == before


def test_stale_version_is_409_and_writes_nothing(world):
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    before = snapshot()
    response = act(world.gridworker_a, ticket.pk, "contact", version=ticket.version - 1)
    assert response.status_code == 409
    assert response.json()["error"]["detail"]["version"] == ticket.version
    assert snapshot() == before
    response = act(world.gridworker_a, ticket.pk, "contact", version=ticket.version)
    assert response.status_code == 200
    assert response.json()["ticket"]["version"] == ticket.version + 1


def test_grid_worker_of_another_grid_gets_403(world):
    # Located in grid B, but the street gave it to grid A: grid B's worker sees it
    # (it lies in grid B) and may not sign for it.
    ticket = make_ticket(world, address="幸福里小区3栋")
    assert ticket.owner_place == world.grid_b
    perform(ticket, "return", world.gridworker_b, reason_code="wrong_place")
    perform(ticket, "dispatch", world.street_staff, unit=world.grid_a.code)
    assert client_for(world.gridworker_b).get(f"{TICKETS}{ticket.pk}/").status_code == 200
    before = snapshot()
    response = act(world.gridworker_b, ticket.pk, "accept")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert error["message"] and error["message_en"] and error["detail"]["reason"]
    assert snapshot() == before
    # Callbacks belong to dispatchers, not to the grid that owns the ticket.
    perform(ticket, "accept", world.gridworker_a)
    perform(ticket, "resolve", world.gridworker_a, reply="已处理")
    response = act(world.gridworker_a, ticket.pk, "callback", resolved=True, satisfaction="basic")
    assert response.status_code == 403


def test_out_of_scope_ticket_is_404(world):
    ticket = make_ticket(world)  # grid A
    other = client_for(world.gridworker_b)
    before = snapshot()
    for response in (
        other.get(f"{TICKETS}{ticket.pk}/"),
        other.get(f"{TICKETS}{ticket.pk}/events/"),
        other.get(f"{TICKETS}{ticket.pk}/requester/"),
        other.post(f"{TICKETS}{ticket.pk}/accept/", {}, format="json"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert ticket.pk not in [t["id"] for t in other.get(TICKETS).json()["results"]]
    assert client_for(world.resident).get(f"{TICKETS}{ticket.pk}/").status_code == 404
    assert snapshot() == before


def test_return_without_reason_is_400_and_writes_nothing(world):
    ticket = make_ticket(world)
    before = snapshot()
    response = act(world.gridworker_a, ticket.pk, "return")
    assert response.status_code == 400
    assert "reason_code" in response.json()["error"]["detail"]
    response = act(world.gridworker_a, ticket.pk, "return", reason_code="other")
    assert response.status_code == 400
    assert response.json()["error"]["detail"]["reason"]
    assert snapshot() == before
    response = act(world.gridworker_a, ticket.pk, "return", reason_code="wrong_place")
    assert response.status_code == 200
    assert response.json()["ticket"]["owner"]["code"] == world.street.code


def test_every_lifecycle_action_has_an_endpoint(world):
    ticket = make_ticket(world)
    client = client_for(world.hotline)
    from gridgov.tickets.lifecycle import ACTIONS

    for action in ACTIONS:
        response = client.post(f"{TICKETS}{ticket.pk}/{action}/", {}, format="json")
        if action == "supervise":  # the hotline may press on any open ticket, saying for what
            assert response.status_code == 400, response.json()
            body = {"reason": "群众反复来电，请尽快处理"}
            response = client.post(f"{TICKETS}{ticket.pk}/{action}/", body, format="json")
            assert response.status_code == 200
            continue
        assert response.status_code in (400, 403, 409), (action, response.status_code)
        assert set(response.json()["error"]) >= {"code", "message", "message_en"}


def test_extension_whistle_and_merge_through_the_api(world):
    ticket = make_ticket(world, category=world.unlicensed.code, title="无证摊贩")
    assert act(world.city_handler, ticket.pk, "accept").status_code == 200
    until = (ticket.resolve_by + dt.timedelta(days=3)).isoformat()
    response = act(world.city_handler, ticket.pk, "extend", until=until, reason="需联合执法")
    assert response.status_code == 200
    assert response.json()["ticket"]["extensions"][0]["state"] == "pending"
    response = act(world.street_staff, ticket.pk, "approve-extension")
    assert response.status_code == 200, response.json()
    assert response.json()["ticket"]["extensions"][0]["state"] == "approved"

    response = act(
        world.street_staff,
        ticket.pk,
        "whistle",
        departments=["CG", "ZJ"],
        report_within_hours=2,
        reason="多部门联合整治",
    )
    assert response.status_code == 200, response.json()
    # 住建 was summoned: its handler now sees the ticket in the list and may report.
    housing = client_for(world.housing_handler)
    assert ticket.pk in [t["id"] for t in housing.get(TICKETS).json()["results"]]
    response = act(
        world.housing_handler, ticket.pk, "whistle-report", department="ZJ", note="已到场"
    )
    assert response.status_code == 200
    whistle = response.json()["ticket"]["whistles"][0]
    summonses = {x["department"]["code"]: x for x in whistle["summonses"]}
    assert summonses["ZJ"]["reported_at"] and summonses["ZJ"]["late"] is False
    assert summonses["CG"]["reported_at"] is None and summonses["CG"]["late"] is False
    response = act(world.street_staff, ticket.pk, "whistle-rate", department="ZJ", rating=4)
    assert response.status_code == 200

    duplicate = make_ticket(world, category=world.unlicensed.code, requester_phone="13900001111")
    response = act(world.hotline, duplicate.pk, "merge", into=ticket.code)
    assert response.status_code == 200
    assert response.json()["ticket"]["status"] == "merged"
    assert response.json()["ticket"]["merged_into"] == ticket.code


def test_requester_is_masked_unless_entitled_and_full_views_are_logged(world):
    ticket = make_ticket(world)
    url = f"{TICKETS}{ticket.pk}/"

    # Community staff see the ticket but are not its handlers: masked, nothing logged.
    community = client_for(world.community_staff)
    detail = community.get(url).json()
    assert (detail["requester_name"], detail["requester_phone"]) == ("张*", "138****1234")
    assert detail["requester_masked"] is True
    # The exact address (魏家坡小区3号楼2单元) is personal data too: the building instead.
    building = ticket.building
    assert detail["address"] == (building.address or building.name) != ticket.address
    assert (detail["lat"], detail["lng"]) == (building.lat, building.lng)
    response = community.get(f"{url}requester/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert AccessLog.objects.count() == 0

    # Lists are always masked, even for the owning grid.
    worker = client_for(world.gridworker_a)
    row = worker.get(TICKETS).json()["results"][0]
    assert row["requester_phone"] == "138****1234"
    assert AccessLog.objects.count() == 0

    # The owning grid's worker sees the detail in full; the view is logged.
    response = worker.get(url)
    assert response.json()["requester_phone"] == "13812341234"
    assert response.json()["requester_masked"] is False
    assert response.json()["address"] == "魏家坡小区3号楼2单元"
    assert response["Cache-Control"] == "no-store"
    log = AccessLog.objects.get()
    assert (log.user, log.subject_type, log.subject_id) == (
        world.gridworker_a,
        "tickets.ticket",
        str(ticket.pk),
    )
    assert log.fields == ["requester_name", "requester_phone", "address"]
    assert log.place == ticket.place

    response = worker.get(f"{url}requester/", {"purpose": "回访前核实"})
    assert response.status_code == 200
    assert response.json() == {
        "id": ticket.pk,
        "anonymous": False,
        "requester_name": "张三",
        "requester_phone": "13812341234",
        "address": "魏家坡小区3号楼2单元",
    }
    assert AccessLog.objects.count() == 2
    assert AccessLog.objects.first().purpose == "回访前核实"


def test_list_scope_mirrors_the_view_permission(world):
    tickets = [
        make_ticket(world),
        make_ticket(world, address="幸福里小区3栋"),
        make_ticket(world, category=world.unlicensed.code),
        make_ticket(world, category=world.community_matter.code),
    ]
    perform(
        tickets[0],
        "whistle",
        world.street_staff,
        departments=["ZJ"],
        reason="需住建部门到场",
    )
    users = [
        world.hotline,
        world.district_staff,
        world.street_staff,
        world.community_staff,
        world.gridworker_a,
        world.gridworker_b,
        world.city_handler,
        world.housing_handler,
        world.resident,
    ]
    for user in users:
        listed = {t["id"] for t in client_for(user).get(TICKETS).json()["results"]}
        allowed = {t.pk for t in tickets if user.has_perm("tickets.view_ticket", t)}
        assert listed == allowed, user.username
        assert set(visible_tickets(user).values_list("pk", flat=True)) == allowed
    assert {t["id"] for t in client_for(world.housing_handler).get(TICKETS).json()["results"]} == {
        tickets[0].pk
    }


def _ids(user, **params):
    response = client_for(user).get(TICKETS, params)
    assert response.status_code == 200, response.json()
    return {t["id"] for t in response.json()["results"]}


def test_list_filters(world):
    now = timezone.now()
    old = intake.create_ticket(
        {**ticket_data(), "category": world.corridor.code},
        actor=world.hotline,
        now=now - dt.timedelta(days=40),
    ).ticket
    recent = make_ticket(world, channel="wechat")
    other_grid = make_ticket(world, address="幸福里小区3栋", channel="wechat")
    department = make_ticket(world, category=world.unlicensed.code)
    perform(recent, "accept", world.gridworker_a)
    staff = world.district_staff

    assert _ids(staff) == {old.pk, recent.pk, other_grid.pk, department.pk}
    assert _ids(staff, status="accepted") == {recent.pk}
    assert _ids(staff, status="accepted,dispatched") == {
        old.pk,
        recent.pk,
        other_grid.pk,
        department.pk,
    }
    assert _ids(staff, overdue="true") == {old.pk}
    assert _ids(staff, overdue="false") == {recent.pk, other_grid.pk, department.pk}
    assert _ids(staff, unit=world.grid_a.code) == {old.pk, recent.pk}
    assert _ids(staff, unit="CG") == {department.pk}
    assert _ids(staff, place=world.grid_b.code) == {other_grid.pk}
    assert _ids(staff, place=world.community.code) == {
        old.pk,
        recent.pk,
        other_grid.pk,
        department.pk,
    }
    assert client_for(staff).get(TICKETS, {"place": "NOPE"}).status_code == 400
    assert _ids(staff, channel="wechat") == {recent.pk, other_grid.pk}
    cut = (now - dt.timedelta(days=1)).isoformat()
    assert _ids(staff, created_before=cut) == {old.pk}
    assert _ids(staff, created_after=cut) == {recent.pk, other_grid.pk, department.pk}
    assert _ids(staff, category="GE") == {old.pk, recent.pk, other_grid.pk}  # sub-categories
    assert _ids(staff, q=recent.code) == {recent.pk}
    assert _ids(staff, q="纸箱") == {old.pk, recent.pk, other_grid.pk, department.pk}

    response = client_for(staff).get(TICKETS, {"ordering": "deadline"})
    first = response.json()["results"][0]
    assert first["id"] == old.pk and first["overdue"] == "accept"

    response = client_for(staff).get(TICKETS, {"status": "nonsense"})
    assert response.status_code == 400
    assert "status" in response.json()["error"]["detail"]


def test_list_and_detail_queries_do_not_grow_with_the_data(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.district_staff)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    make_ticket(world)
    few = count(TICKETS)
    for _ in range(6):
        make_ticket(world, category=world.unlicensed.code)
    assert count(TICKETS) <= few
    ticket = make_ticket(world)
    perform(ticket, "whistle", world.street_staff, departments=["CG", "ZJ"], reason="联合处置")
    with django_assert_max_num_queries(25):
        client.get(f"{TICKETS}{ticket.pk}/")


def test_the_unit_filter_compares_owner_ids_not_joined_codes(world):
    """unit=<code> looks the unit up first and filters on the owner columns, which the
    (owner, status) indexes serve: an OR over the joined place's and department's codes made
    PostgreSQL read every ticket (0.6-1.2 s in a 500,000-ticket city, 40 ms after)."""
    from gridgov.tickets.filters import TicketFilter

    grid_ticket = make_ticket(world)
    department_ticket = make_ticket(world, category=world.unlicensed.code)
    for code, expected in ((world.grid_a.code, grid_ticket), ("CG", department_ticket)):
        found = TicketFilter({"unit": code}, queryset=Ticket.objects.all()).qs
        assert list(found) == [expected]
        assert "places_place" not in str(found.query)
        assert "people_department" not in str(found.query)
    assert "unit" in TicketFilter({"unit": "NOPE"}, queryset=Ticket.objects.all()).errors


def test_an_address_not_resolved_to_a_building_is_shown_with_its_numbers_starred(world):
    """No building found: the typed address, its numbers starred, and the point to three
    decimals, to those who may not see them in full."""
    ticket = make_ticket(
        world, address="幸福里小区12号楼3单元501室", lat=39.9051234, lng=116.3051234
    )
    assert ticket.building is None
    detail = client_for(world.community_staff).get(f"{TICKETS}{ticket.pk}/").json()
    assert detail["address"] == "幸福里小区**号楼*单元***室"
    assert (detail["lat"], detail["lng"]) == (39.905, 116.305)
