"""The answer to an intake (TicketCreatedSerializer.represent_new) is the serializer's, byte
for byte: masked and revealed, routed and at the desk, closed on intake, with a point, with
photos, with suggestions, filed by a hotline operator and by street staff."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from gridgov.tickets import intake, serializers
from gridgov.tickets.models import Ticket

from .factories import make_world, ticket_data
from .test_api import TICKETS, client_for
from .test_photos import png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _request(user):
    request = Request(APIRequestFactory().post(TICKETS))
    request.user = user
    return request


def _both(result, user, photos=(), **context):
    """(fast, serializer) answers for a ticket just created, as JSON bytes."""
    ticket = result.ticket
    context = {"request": _request(user), "suggestions": result.suggestions, **context}
    fast = serializers.TicketCreatedSerializer.represent_new(ticket, dict(context), photos)
    # The serializer reads the related rows represent_new left on the ticket (as the view
    # did before it: nothing read back).
    slow = serializers.TicketCreatedSerializer(ticket, context=dict(context)).data
    render = JSONRenderer().render
    return render(fast), render(slow)


def _file(world, user, **overrides):
    data = ticket_data(**overrides)
    return intake.create_ticket(data, actor=user)


@pytest.mark.parametrize(
    "who, overrides",
    [
        ("hotline", {"category": "corridor"}),  # a grid matter, dispatched to the grid
        ("hotline", {"category": "unlicensed"}),  # a department's, by a routing rule
        ("street_staff", {"category": "corridor"}),  # street staff may do more with it
        ("hotline", {"category": "corridor", "nature": "praise"}),  # closed on intake
        (
            "hotline",
            {"category": "corridor", "nature": "consult", "answer": "周一至周五开放。"},
        ),  # answered and closed on intake
        (
            "hotline",
            {
                "category": "corridor",
                "anonymous": True,
                "requester_name": "",
                "requester_phone": "",
                "nature": "report",
            },
        ),
        (
            "hotline",
            {"category": "corridor", "address": "", "place": "QF-WJ-WJP-G01", "lat": 39.9071234},
        ),
        (
            "hotline",
            {"address": "望江街道某处", "place": "", "description": "路灯坏了，晚上很黑。"},
        ),
        ("hotline", {"external_id": "12345-0001", "urgency": "emergency", "category": "corridor"}),
    ],
)
def test_the_fast_answer_is_the_serializers(world, who, overrides):
    if overrides.get("category") in ("corridor", "unlicensed"):
        overrides = {**overrides, "category": getattr(world, overrides["category"]).code}
    if "lat" in overrides:  # a point, reported to the decimal: rounded when masked
        overrides = {**overrides, "place": world.grid_a.code, "lng": 116.3071234}
    user = getattr(world, who)
    result = _file(world, user, **overrides)
    fast, slow = _both(result, user)
    assert fast == slow
    # And with the requester's data revealed, as the detail view puts it in the context.
    ticket = result.ticket
    revealed = {
        ticket.pk: {
            "requester_name": ticket.requester_name,
            "requester_phone": ticket.requester_phone,
            "address": ticket.address,
        }
    }
    fast, slow = _both(result, user, revealed=revealed)
    assert fast == slow


def test_with_suggestions_and_overdue_and_photos(world):
    # No category: suggested from the text (the model may have none to give in tests).
    result = _file(world, world.hotline, title="楼道里堆满了杂物", description="楼道堆物，挡住通道")
    later = result.ticket.created_at + dt.timedelta(days=40)  # every deadline missed
    fast, slow = _both(result, world.hotline, now=later)
    assert fast == slow and b'"overdue":"accept"' in fast
    suggested = intake.IntakeResult(
        ticket=result.ticket, created=True, suggestions=[(world.corridor, 0.8125)]
    )
    fast, slow = _both(suggested, world.hotline)
    assert fast == slow and b'"score":0.8125' in fast

    photo = intake.create_ticket(
        ticket_data(category=world.corridor.code),
        actor=world.hotline,
        photos=[upload(png_bytes(), "a.png"), upload(png_bytes((20, 10)), "b.png")],
    )
    photos = list(photo.ticket.photos.order_by("id"))
    assert len(photos) == 2
    fast, slow = _both(photo, world.hotline, photos=photos)
    assert fast == slow and b"/photos/" in fast


def test_the_api_answers_an_intake_with_it(world):
    data = ticket_data(category=world.corridor.code)
    response = client_for(world.hotline).post(TICKETS, data, format="json")
    assert response.status_code == 201
    ticket = Ticket.objects.get(pk=response.json()["id"])
    expected = serializers.TicketCreatedSerializer(
        ticket,
        context={"request": _request(world.hotline), "now": ticket.created_at, "suggestions": []},
    ).data
    assert response.content == JSONRenderer().render(expected)


def test_in_utc_the_times_end_in_z_as_the_serializers_do(world):
    result = _file(world, world.hotline, category=world.corridor.code)
    with timezone.override(dt.UTC):
        fast, slow = _both(result, world.hotline)
    assert fast == slow and b'Z"' in fast
    fast, slow = _both(result, world.hotline)
    assert fast == slow and b'+08:00"' in fast
