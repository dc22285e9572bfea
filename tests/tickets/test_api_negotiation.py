"""The tickets API's content negotiation (AnyAcceptedNegotiation) picks what DRF's own does,
for every Accept header, ?format= and format suffix: only a request accepting anything is
answered without DRF's loop."""

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from gridgov.tickets.api import AnyAcceptedNegotiation, ImageRenderer, TicketViewSet, XlsxRenderer

from .factories import make_world, ticket_data
from .test_api import TICKETS, client_for

ACCEPTS = [
    None,
    "*/*",
    " */* ",
    "",
    "application/json",
    "application/json; indent=4",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "*/*; q=0.5",
    "image/png",
    "application/xml",
    "*/*, application/json",
]
QUERIES = ["", "format=json", "format=api", "format=xlsx", "page=2"]


def _request(accept, query):
    extra = {} if accept is None else {"HTTP_ACCEPT": accept}
    return Request(APIRequestFactory().get(f"{TICKETS}?{query}" if query else TICKETS, **extra))


def _choice(negotiation, request, renderers, suffix):
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, suffix)
    except NotAcceptable:
        return "406"
    except Exception as exc:  # noqa: BLE001 - Http404 for an unknown format, compared alike
        return type(exc).__name__
    return type(renderer), media_type


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("suffix", [None, "json", "xlsx"])
def test_the_same_renderer_and_media_type_as_drf(accept, query, suffix):
    renderer_sets = [
        TicketViewSet().get_renderers(),
        [XlsxRenderer(), *TicketViewSet().get_renderers()],
        [ImageRenderer()],
    ]
    for renderers in renderer_sets:
        ours = _choice(AnyAcceptedNegotiation(), _request(accept, query), renderers, suffix)
        drf = _choice(DefaultContentNegotiation(), _request(accept, query), renderers, suffix)
        assert ours == drf, (accept, query, suffix, renderers)


@pytest.mark.django_db
def test_an_intake_without_accept_is_answered_in_json_and_with_text_html_in_the_browsable_api():
    world = make_world()
    data = {**ticket_data(), "category": world.corridor.code}
    plain = client_for(world.hotline).post(TICKETS, data, format="json")
    assert plain.status_code == 201 and plain["Content-Type"] == "application/json"
    html = client_for(world.hotline).post(TICKETS, data, format="json", HTTP_ACCEPT="text/html")
    assert html.status_code == 201 and html["Content-Type"].startswith("text/html")
