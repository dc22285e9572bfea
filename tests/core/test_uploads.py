"""A multipart body over GRIDGOV_MAX_UPLOAD_BYTES is refused (400) from its Content-Length,
before any of it is read into memory or a temporary file: the views' own limits (a
photo's 10 MB, an import's 20 MB) apply only once Django has taken the whole body in."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler

from gridgov.tickets.models import Ticket
from tests.tickets.factories import make_world, ticket_data
from tests.tickets.test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(monkeypatch):
    """The bytes Django's own upload handlers were given."""
    chunks = []
    for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        original = handler.receive_data_chunk

        def record(self, raw_data, start, original=original):
            chunks.append(len(raw_data))
            return original(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", record)
    return chunks


def test_a_body_over_the_limit_is_refused_before_it_is_read(settings, received):
    settings.GRIDGOV_MAX_UPLOAD_BYTES = 1024 * 1024
    settings.GRIDGOV_MAX_IMPORT_BYTES = 256 * 1024
    world = make_world()
    big = SimpleUploadedFile("lamp.jpg", b"\xff" * (2 * 1024 * 1024), content_type="image/jpeg")
    client = client_for(world.hotline)
    client.raise_request_exception = False
    response = client.post(TICKETS, {**ticket_data(), "photos": [big]}, format="multipart")
    assert response.status_code == 400
    assert received == []  # not a byte taken in
    assert not Ticket.objects.exists()


def test_the_limit_is_never_below_an_import_file(settings, received):
    settings.GRIDGOV_MAX_UPLOAD_BYTES = 1024 * 1024
    settings.GRIDGOV_MAX_IMPORT_BYTES = 3 * 1024 * 1024  # staff raised it: honoured
    world = make_world()
    upload = SimpleUploadedFile("12345.csv", b"x" * (2 * 1024 * 1024))
    client = client_for(world.hotline)
    response = client.post("/api/v1/imports/tickets/", {"file": upload}, format="multipart")
    assert response.status_code == 400 and response.json()["error"]["code"] != "server_error"
    assert sum(received) == 2 * 1024 * 1024  # read, and refused by the import as a file
