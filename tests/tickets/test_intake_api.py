"""Intake through the API: idempotency, bad input (400, nothing written), photos
without EXIF, inferred categories, consultations answered on intake."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image

from gridgov.tickets.models import KnowledgeAnswer, Ticket, TicketEvent, TicketPhoto

from .factories import make_ticket, make_world, ticket_data
from .test_api import TICKETS, act, client_for, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def jpeg_with_gps(name="lamp.jpg"):
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (39.0, 54.0, 30.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (116.0, 18.0, 5.0),
        }
    )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    # The test is only meaningful if the upload really carries a GPS block.
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def assert_no_exif(photo):
    with photo.image.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
    assert image.format == "JPEG"
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert len(image.getexif()) == 0
    assert "exif" not in image.info


def test_idempotency_key_retry_returns_the_same_ticket(world):
    client = client_for(world.hotline)
    data = ticket_data(category=world.corridor.code)
    first = client.post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="call-20261127-0001")
    assert first.status_code == 201
    again = client.post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="call-20261127-0001")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["code"] == first.json()["code"]
    assert Ticket.objects.count() == 1
    assert TicketEvent.objects.filter(action="create").count() == 1
    # Another key is another submission.
    other = client.post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="call-20261127-0002")
    assert other.status_code == 201
    assert Ticket.objects.count() == 2


def test_an_idempotency_key_sent_again_with_another_demand_is_refused(world):
    """A key reused for a different demand (a client bug) is a 422 naming the first ticket,
    and nothing is filed; the first demand's own retry still replays it."""
    client = client_for(world.hotline)
    data = ticket_data(category=world.corridor.code)
    first = client.post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="call-0003")
    assert first.status_code == 201
    changed = {**data, "description": "另一件事：3栋门口的路灯不亮。"}
    again = client.post(TICKETS, changed, format="json", HTTP_IDEMPOTENCY_KEY="call-0003")
    assert again.status_code == 422, again.content
    body = again.json()
    assert body["error"]["code"] == "idempotency_key_reused"
    assert first.json()["code"] in json.dumps(body, ensure_ascii=False)
    assert Ticket.objects.count() == 1
    replay = client.post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="call-0003")
    assert (replay.status_code, replay.json()["id"]) == (200, first.json()["id"])
    # The digest that tells them apart is not shown in the timeline.
    events = client.get(f"{TICKETS}{first.json()['id']}/events/").json()
    rows = events["results"] if isinstance(events, dict) else events
    assert all("request_digest" not in (row["data"] or {}) for row in rows)


def test_a_ticket_filed_before_digests_were_kept_is_replayed(world):
    client = client_for(world.hotline)
    data = ticket_data(category=world.corridor.code)
    first = client.post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="call-0004")
    event = TicketEvent.objects.get(ticket_id=first.json()["id"], action="create")
    event.data.pop("request_digest")
    TicketEvent.objects.filter(pk=event.pk).update(data=event.data)
    changed = {**data, "description": "内容有改动的重试。"}
    again = client.post(TICKETS, changed, format="json", HTTP_IDEMPOTENCY_KEY="call-0004")
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])


@pytest.mark.parametrize("photos", [0, 1])
def test_the_answer_to_an_intake_is_the_ticket_as_read_back(world, photos):
    """The 201 is built from the objects in hand (by the serializer the thread keeps, with
    querysets of nothing for the callbacks, extensions and whistles a new ticket lacks);
    the replay of its Idempotency-Key reads the ticket back. Both answer the same, twice."""
    client = client_for(world.hotline)
    data = ticket_data(category=world.corridor.code)
    answers = []
    for key in ("same-1", "same-2"):
        for _try in range(2):
            form = {**data, "photos": [jpeg_with_gps()]} if photos else data  # a new file each
            answers.append(
                client.post(
                    TICKETS,
                    form,
                    format="multipart" if photos else "json",
                    HTTP_IDEMPOTENCY_KEY=key,
                )
            )
    assert [a.status_code for a in answers] == [201, 200, 201, 200]
    first, replayed, second, replayed_second = (a.json() for a in answers)
    assert first == replayed and second == replayed_second
    assert len(first["photos"]) == photos and first["extensions"] == first["whistles"] == []
    assert first["id"] != second["id"]


def test_idempotency_key_is_per_caller(world):
    data = ticket_data(category=world.corridor.code)
    a = client_for(world.hotline).post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    b = client_for(world.street_staff).post(TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"category": "NO-SUCH-CATEGORY"}, "category"),
        ({"address": "", "place": "NO-SUCH-PLACE"}, "place"),
        ({"address": "", "lat": 31.23, "lng": 121.47}, "location"),  # Shanghai: not ours
        ({"address": "北京市朝阳区建国路88号"}, "address"),  # a district not ours
        ({"requester_phone": ""}, "requester_phone"),  # a complaint needs a phone
        ({"requester_phone": "12345"}, "requester_phone"),  # no number to call back
        ({"channel": "fax"}, "channel"),
        ({"title": "", "description": ""}, "title"),
        ({"nature": "help", "answer": "请拨打12345"}, "answer"),
    ],
)
def test_bad_input_is_400_with_the_field_and_writes_nothing(world, overrides, field):
    before = snapshot()
    response = client_for(world.hotline).post(TICKETS, ticket_data(**overrides), format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "请求参数有误" and error["message_en"]
    assert field in error["detail"], error
    assert isinstance(error["detail"][field], list) and error["detail"][field][0]
    assert snapshot() == before


def test_a_photo_that_is_not_an_image_is_400_and_writes_nothing(world):
    before = snapshot()
    fake = SimpleUploadedFile("lamp.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    response = client_for(world.hotline).post(
        TICKETS, {**ticket_data(), "photos": [fake]}, format="multipart"
    )
    assert response.status_code == 400
    assert "photos" in response.json()["error"]["detail"]
    assert snapshot() == before
    assert TicketPhoto.objects.count() == 0


def test_photos_are_stored_reencoded_without_exif_gps(world):
    response = client_for(world.hotline).post(
        TICKETS,
        {**ticket_data(channel="photo"), "photos": [jpeg_with_gps()]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["photos"]) == 1
    assert_no_exif(TicketPhoto.objects.get())
    # Photos are served through the ticket's scope, not as public media.
    url = body["photos"][0]["url"]
    assert url.startswith(f"http://testserver{TICKETS}{body['id']}/photos/")
    served = client_for(world.gridworker_a).get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert client_for(world.gridworker_b).get(url).status_code == 404
    assert client_for().get(url).status_code == 401
    # A file gone from storage (a restore without the media) is a 404, not a server error.
    stored = TicketPhoto.objects.get()
    content = stored.image.open("rb").read()
    stored.image.close()
    stored.image.storage.delete(stored.image.name)
    assert client_for(world.gridworker_a).get(url).status_code == 404
    stored.image.storage.save(stored.image.name, io.BytesIO(content))

    # Resolving with photos (multipart) attaches them to the resolve event.
    ticket_id = body["id"]
    assert act(world.gridworker_a, ticket_id, "accept").status_code == 200
    response = client_for(world.gridworker_a).post(
        f"{TICKETS}{ticket_id}/resolve/",
        {"reply": "已清理", "photos": [jpeg_with_gps("after.jpg")]},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    resolved = TicketPhoto.objects.get(event__action="resolve")
    assert response.json()["ticket"]["photos"][1]["event"] == resolved.event_id
    assert_no_exif(resolved)


def test_resolve_with_a_bad_photo_writes_nothing(world):
    ticket = make_ticket(world)
    act(world.gridworker_a, ticket.pk, "accept")
    before = snapshot()
    fake = SimpleUploadedFile("x.png", b"not a png", content_type="image/png")
    response = client_for(world.gridworker_a).post(
        f"{TICKETS}{ticket.pk}/resolve/", {"reply": "已处理", "photos": [fake]}, format="multipart"
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_category_inferred_from_text_comes_with_suggestions(world):
    data = ticket_data(title="消防通道被堵", description="小区消防通道被私家车堵住了")
    response = client_for(world.hotline).post(
        TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="inferred-1"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["category"]["code"] == world.fire_lane.code
    assert body["suggestions"][0]["category"]["code"] == world.fire_lane.code
    assert 0 < body["suggestions"][0]["score"] <= 1
    replay = client_for(world.hotline).post(
        TICKETS, data, format="json", HTTP_IDEMPOTENCY_KEY="inferred-1"
    )
    assert replay.json()["suggestions"] == body["suggestions"]
    given = client_for(world.hotline).post(
        TICKETS, {**data, "category": world.fire_lane.code}, format="json"
    )
    assert given.json()["suggestions"] == []


def test_location_by_point_or_place_code(world):
    client = client_for(world.hotline)
    by_point = client.post(
        TICKETS, ticket_data(address="", lat=39.905, lng=116.315), format="json"
    ).json()
    assert by_point["grid"]["code"] == world.grid_b.code
    by_code = client.post(
        TICKETS, ticket_data(address="", place=world.buildings[0].code), format="json"
    ).json()
    assert by_code["place"]["code"] == world.buildings[0].code
    assert by_code["grid"]["code"] == world.grid_a.code


def test_consultation_answered_on_intake_from_the_knowledge_base(world):
    answer = KnowledgeAnswer.objects.create(
        question="居住证怎么办理？",
        answer="携带身份证和租房合同到社区服务站办理。",
        keywords=["居住证"],
        reviewed_at=timezone.now(),
    )
    response = client_for(world.hotline).post(
        TICKETS,
        ticket_data(
            nature="consult",
            title="咨询居住证办理",
            description="想问一下居住证怎么办理",
            requester_phone="",
            knowledge_answer=answer.pk,
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "closed"
    assert body["resolution"] == answer.answer
    answer.refresh_from_db()
    assert answer.used_count == 1
    actions = list(
        TicketEvent.objects.filter(ticket_id=body["id"]).values_list("action", flat=True)
    )
    assert actions == ["create", "answer", "close"]
    # The desk that took it in (the district's hotline) answered it: no bureau handles it.
    ticket = Ticket.objects.get(pk=body["id"])
    assert ticket.owner_place == world.district and ticket.owner_department is None
    assert ticket.events.get(action="create").data["route"] == "answered"


def test_anonymous_demand_and_multipart_booleans(world):
    response = client_for(world.hotline).post(
        TICKETS,
        {
            **ticket_data(nature="report", requester_name="", requester_phone=""),
            "anonymous": "true",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["anonymous"] is True


def test_at_most_nine_photos_on_resolve(world):
    ticket = make_ticket(world)
    act(world.gridworker_a, ticket.pk, "accept")
    before = snapshot()
    photos = [jpeg_with_gps(f"p{i}.jpg") for i in range(10)]
    response = client_for(world.gridworker_a).post(
        f"{TICKETS}{ticket.pk}/resolve/", {"reply": "已处理", "photos": photos}, format="multipart"
    )
    assert response.status_code == 400
    assert "9" in response.json()["error"]["detail"]["photos"][0]
    assert snapshot() == before


@pytest.mark.parametrize(
    "who, channel, allowed",
    [
        ("resident", "hotline", False),
        ("resident", "window", False),
        ("resident", "patrol", False),
        ("resident", "visit", False),
        ("resident", "photo", True),
        ("resident", "wechat", True),
        ("hotline", "hotline", True),
        ("hotline", "patrol", False),
        ("gridworker_a", "patrol", True),
        ("gridworker_a", "visit", True),
        ("city_handler", "window", False),
    ],
)
def test_who_may_file_on_which_channel(world, who, channel, allowed):
    """A resident's API token could file as the 12345 hotline or a grid patrol (which
    needs no phone): the channel says who took the demand in, so it is checked."""
    before = snapshot()
    data = ticket_data(channel=channel, category=world.corridor.code)
    response = client_for(getattr(world, who)).post(TICKETS, data, format="json")
    if allowed:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 403, response.json()
        assert response.json()["error"]["code"] == "permission_denied"
        assert snapshot() == before


def test_a_demand_without_a_title_is_titled_by_its_first_sentence(world):
    """Filed without a title, the first 60 characters of the caller's words were the title:
    half a paragraph as the heading of the ticket and a line of every list."""
    words = (
        "魏家坡小区3栋楼道里堆满了纸箱和旧家具，已经两个多星期没人清理，晚上回家经常被绊倒。"
        "物业说不归他们管，请尽快处理。"
    )
    data = ticket_data(title="", description=words)
    response = client_for(world.hotline).post(TICKETS, data, format="json")
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.title == words.split("。")[0][:29] + "…"
    assert len(ticket.title) == 30 and ticket.description == words
    short = ticket_data(title="", description="路灯坏了。请修一下")
    response = client_for(world.hotline).post(TICKETS, short, format="json")
    assert Ticket.objects.get(pk=response.json()["id"]).title == "路灯坏了"


@pytest.mark.parametrize("phone", ["+86 138-1234-5678", "(010) 6552-1234", "0731 8888 1234"])
def test_phones_as_people_write_them_are_taken(world, phone):
    data = ticket_data(category=world.corridor.code, requester_phone=phone)
    response = client_for(world.hotline).post(TICKETS, data, format="json")
    assert response.status_code == 201, response.json()
