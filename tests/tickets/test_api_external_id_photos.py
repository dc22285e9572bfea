"""The tickets API for integrators (a 12345 platform, a mini-program): the sender's own case
number (`external_id`) at intake, one ticket per channel and case; photos added after
intake (POST /api/v1/tickets/{id}/photos/), each addition an event of the timeline."""

import io
import threading

import pytest
from django.db import connection
from django.utils import translation
from PIL import Image

from gridgov.people.models import Role
from gridgov.tickets import imports, intake, timeline
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Ticket, TicketCounter, TicketEvent, TicketPhoto
from tests.people.factories import user_with_role

from .factories import (
    make_ticket,
    make_world,
    make_world_with_resident,
    reported_by_resident,
    ticket_data,
)
from .test_api import TICKETS, client_for, snapshot
from .test_import import rows, write_csv
from .test_intake_api import assert_no_exif, jpeg_with_gps

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world_with_resident()


def post_case(user, external_id, **overrides):
    data = ticket_data(external_id=external_id, **overrides)
    return client_for(user).post(TICKETS, data, format="json")


def counters():
    return list(TicketCounter.objects.values_list("day", "last"))


# --- external_id ----------------------------------------------------------------------------


def test_the_senders_case_number_is_kept_shown_and_filtered_on(world):
    first = post_case(world.hotline, "BJ12345-2026-000123")
    assert first.status_code == 201, first.content
    assert first.json()["external_id"] == "BJ12345-2026-000123"
    other = post_case(world.hotline, "BJ12345-2026-000124")
    plain = client_for(world.hotline).post(TICKETS, ticket_data(), format="json")
    assert plain.json()["external_id"] == ""
    client = client_for(world.street_staff)
    detail = client.get(f"{TICKETS}{first.json()['id']}/").json()
    assert detail["external_id"] == "BJ12345-2026-000123"
    found = client.get(TICKETS, {"external_id": "BJ12345-2026-000123"}).json()["results"]
    assert [(t["id"], t["external_id"]) for t in found] == [
        (first.json()["id"], "BJ12345-2026-000123")
    ]
    assert other.json()["id"] not in [t["id"] for t in found]
    assert client.get(TICKETS, {"external_id": "BJ12345"}).json()["results"] == []  # exact
    too_long = post_case(world.hotline, "X" * 65)
    assert too_long.status_code == 400
    assert "external_id" in too_long.json()["error"]["detail"]


def test_a_case_sent_again_is_409_naming_its_ticket_and_writes_nothing(world):
    first = post_case(world.hotline, "WX-88001", channel="wechat", nature="report")
    assert first.status_code == 201, first.content
    before, codes = snapshot(), counters()
    # Whoever sends it again (another login, another description): one ticket per case.
    again = post_case(
        world.street_staff, "WX-88001", channel="wechat", nature="report", description="又来了"
    )
    assert again.status_code == 409, again.content
    error = again.json()["error"]
    assert error["code"] == "external_id_exists"
    assert error["detail"]["ticket"] == {"id": first.json()["id"], "code": first.json()["code"]}
    assert error["detail"]["external_id"] == "WX-88001"
    assert first.json()["code"] in error["message"] and first.json()["code"] in error["message_en"]
    assert "外部编号" in error["message"]
    assert snapshot() == before
    assert counters() == codes  # refused before a ticket code was spent on it
    # Another channel's case numbers are another platform's.
    assert post_case(world.hotline, "WX-88001").status_code == 201


def test_a_retry_under_its_idempotency_key_is_replayed_not_refused(world):
    client = client_for(world.hotline)
    data = ticket_data(external_id="12345-777")
    first = client.post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="push-777")
    retry = client.post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="push-777")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["id"] == first.json()["id"]
    other_key = client.post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="push-777b")
    assert other_key.status_code == 409
    assert Ticket.objects.count() == 1


def test_a_case_imported_before_is_refused_and_a_case_pushed_before_is_not_imported(
    world, tmp_path
):
    """The import and the API keep one ticket per (channel, 工单编号) between them."""
    imported = imports.import_file(write_csv(tmp_path / "a.csv", rows(n=2, bad=False)))
    assert imported.created == 2
    known = Ticket.objects.get(external_id="12345-000001")
    refused = post_case(world.hotline, "12345-000001")
    assert refused.status_code == 409
    assert refused.json()["error"]["detail"]["ticket"]["id"] == known.pk
    pushed = post_case(world.hotline, "12345-000002")
    assert pushed.status_code == 201
    report = imports.import_file(write_csv(tmp_path / "b.csv", rows(n=3, bad=False)))
    assert report.created == 0 and report.already_imported == 3
    assert Ticket.objects.filter(external_id="12345-000002").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_case_pushed_twice_at_once_becomes_one_ticket(monkeypatch):
    """Both pushes pass the check made before a code is reserved; the check under the
    case's lock in the intake's transaction refuses the second."""
    world = make_world()
    both_checked = threading.Barrier(2)
    real = intake.next_codes

    def next_codes(day, count=1):  # both have checked before either writes
        try:
            both_checked.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        return real(day, count)

    monkeypatch.setattr(intake, "next_codes", next_codes)
    outcomes = []

    def push():
        try:
            intake.create_ticket(ticket_data(external_id="C-1"), actor=world.hotline)
            outcomes.append("created")
        except intake.ExternalIdTaken:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["created", "refused"]
    assert Ticket.objects.filter(external_id="C-1").count() == 1


# --- photos after intake --------------------------------------------------------------------


def png(color="blue"):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    out.seek(0)
    out.name = "more.png"
    return out


def add_photos(user, ticket_id, *files, **headers):
    return client_for(user).post(
        f"{TICKETS}{ticket_id}/photos/", {"photos": list(files)}, format="multipart", **headers
    )


def test_the_owning_unit_adds_photos_and_the_timeline_shows_who_added_what(world):
    ticket = make_ticket(world)  # grid A's
    version = ticket.version
    updated = Ticket.objects.get(pk=ticket.pk).updated_at
    response = add_photos(world.gridworker_a, ticket.pk, jpeg_with_gps(), png())
    assert response.status_code == 201, response.content
    body = response.json()
    event = TicketEvent.objects.get(ticket=ticket, action="add-photos")
    stored = list(TicketPhoto.objects.filter(ticket=ticket).order_by("id"))
    assert [p.event_id for p in stored] == [event.pk, event.pk]
    assert event.data == {"photos": [p.pk for p in stored]}
    assert event.actor == world.gridworker_a and event.owner_place == world.grid_a
    assert event.from_status == event.to_status == ticket.status
    assert body["event"]["id"] == event.pk and body["event"]["actor"]["username"] == "gw_a"
    assert [p["id"] for p in body["photos"]] == [p.pk for p in stored]
    assert_no_exif(stored[0])  # re-encoded as at intake: no GPS position
    assert (stored[1].width, stored[1].height) == (40, 30)
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.version == version and fresh.updated_at > updated
    # Read back: the list, the detail, the API timeline, the photo itself.
    client = client_for(world.street_staff)
    listed = client.get(f"{TICKETS}{ticket.pk}/photos/").json()
    assert [(p["id"], p["event"]) for p in listed] == [(p.pk, event.pk) for p in stored]
    assert [p["id"] for p in client.get(f"{TICKETS}{ticket.pk}/").json()["photos"]] == [
        p.pk for p in stored
    ]
    events = client.get(f"{TICKETS}{ticket.pk}/events/").json()
    assert events[-1]["action"] == "add-photos"
    assert events[-1]["data"] == {"photos": [p.pk for p in stored]}
    assert client.get(listed[0]["url"]).status_code == 200
    # The workbench's timeline names it in the reader's language, with the photos.
    row = next(e for e in timeline.events(ticket) if e.action == "add-photos")
    with translation.override("zh-hans"):
        assert str(row.label) == "补充照片"
    assert [p.pk for p in row.photos.all()] == [p.pk for p in stored]


def test_photos_are_checked_as_at_intake_and_a_bad_one_writes_nothing(world):
    ticket = make_ticket(world)
    before = snapshot(), TicketPhoto.objects.count()
    not_an_image = io.BytesIO(b"GIF89a not really")
    not_an_image.name = "x.jpg"
    for response in (
        add_photos(world.gridworker_a, ticket.pk, png(), not_an_image),
        add_photos(world.gridworker_a, ticket.pk),  # none
        add_photos(world.gridworker_a, ticket.pk, *[png() for _ in range(10)]),
    ):
        assert response.status_code == 400, response.content
        assert "photos" in response.json()["error"]["detail"]
    # JSON is not how files come.
    json_body = client_for(world.gridworker_a).post(
        f"{TICKETS}{ticket.pk}/photos/", {"photos": []}, format="json"
    )
    assert json_body.status_code == 415
    assert (snapshot(), TicketPhoto.objects.count()) == before


def test_who_may_add_photos(world):
    """Those who act on the ticket, 403 for those who only see it, 404 outside the area."""
    ticket = make_ticket(world)  # grid A's, located in grid A
    cadre = user_with_role(Role.CADRE, world.grid_a, username="cadre")
    assert client_for(cadre).get(f"{TICKETS}{ticket.pk}/").status_code == 200
    before = snapshot(), TicketPhoto.objects.count()
    seen_only = add_photos(cadre, ticket.pk, png())
    assert seen_only.status_code == 403
    assert seen_only.json()["error"]["code"] == "permission_denied"
    outside = add_photos(world.gridworker_b, ticket.pk, png())
    assert outside.status_code == 404
    assert client_for(world.gridworker_b).get(f"{TICKETS}{ticket.pk}/photos/").status_code == 404
    assert (snapshot()[:3], TicketPhoto.objects.count()) == (before[0][:3], before[1])
    for user in (world.hotline, world.community_staff, world.street_staff):
        assert add_photos(user, ticket.pk, png()).status_code == 201, user.username


def test_no_photos_on_a_closed_or_merged_ticket(world):
    closed = make_ticket(world)
    perform(closed, "accept", world.gridworker_a)
    perform(closed, "resolve", world.gridworker_a, reply="已清理")
    perform(closed, "callback", world.hotline, resolved=True, satisfaction="satisfied")
    survivor = make_ticket(world, title="楼道堆物（首次来电）")
    merged = make_ticket(world)
    perform(merged, "merge", world.hotline, into=survivor.code)
    before = snapshot(), TicketPhoto.objects.count()
    refused = add_photos(world.hotline, closed.pk, png(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "conflict" and error["detail"]["status"] == "closed"
    assert error["detail"]["reason"].startswith("工单已办结关闭，不能再补充照片")
    into = add_photos(world.hotline, merged.pk, png())
    assert into.status_code == 409
    assert survivor.code in into.json()["error"]["detail"]["reason"]
    assert (snapshot(), TicketPhoto.objects.count()) == before
    assert add_photos(world.hotline, survivor.pk, png()).status_code == 201


def test_a_requester_adds_photos_to_their_own_demand(world):
    """A resident's 随手拍 (or a mini-program's report) is theirs to add to: they see what
    their demand's page shows and their own additions, not the staff's."""
    ticket = reported_by_resident(world)
    assert client_for(world.resident).get(f"{TICKETS}{ticket.pk}/").status_code == 404
    mine = add_photos(world.resident, ticket.pk, png("green"))
    assert mine.status_code == 201, mine.content
    assert mine.json()["event"]["actor"]["username"] == ""  # the requester: no name shown
    staff = add_photos(world.gridworker_a, ticket.pk, png("black"))
    assert staff.status_code == 201
    own_id, staff_id = mine.json()["photos"][0]["id"], staff.json()["photos"][0]["id"]
    client = client_for(world.resident)
    listed = client.get(f"{TICKETS}{ticket.pk}/photos/").json()
    assert [p["id"] for p in listed] == [own_id]
    assert client.get(f"{TICKETS}{ticket.pk}/photos/{own_id}/").status_code == 200
    assert client.get(f"{TICKETS}{ticket.pk}/photos/{staff_id}/").status_code == 404
    staff_view = client_for(world.street_staff).get(f"{TICKETS}{ticket.pk}/photos/").json()
    assert [p["id"] for p in staff_view] == [own_id, staff_id]
    # Someone else's demand stays out of reach.
    neighbour = user_with_role(Role.RESIDENT, world.buildings[0], username="neighbour")
    assert add_photos(neighbour, ticket.pk, png()).status_code == 404


def test_the_schema_documents_both_additions(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    create = schema["paths"]["/api/v1/tickets/"]["post"]
    assert "external_id_exists" in create["responses"]["409"]["description"]
    assert "external_id" in create["description"]
    photos = schema["paths"]["/api/v1/tickets/{id}/photos/"]
    assert {"get", "post"} <= set(photos)
    assert set(photos["post"]["requestBody"]["content"]) == {"multipart/form-data"}
    assert {"201", "400", "403", "404", "409"} <= set(photos["post"]["responses"])
    assert "add-photos" in photos["post"]["description"]
    assert "/api/v1/tickets/{id}/photos/{photo_id}/" in schema["paths"]
