"""A bad file among the photos chosen on a phone: the error names which one, and says the
others were not kept either (a page may not fill a file input in again)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import TicketPhoto

from .factories import make_ticket, make_world
from .test_views import act, png_upload

pytestmark = pytest.mark.django_db


def test_resolving_with_one_bad_photo_of_three_says_which_and_to_choose_them_again(client):
    """办结 with three photos, the second no image: the form said 该文件不是 JPEG 或 PNG 图片。
    and came back with none of the three, leaving the worker to guess which to leave out."""
    world = make_world()
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    client.force_login(world.gridworker_a)
    bad = SimpleUploadedFile("IMG_2034.png", b"not an image", content_type="image/png")
    photos = [png_upload("IMG_2033.png"), bad, png_upload("IMG_2035.png")]
    response = act(client, ticket, "resolve", reply="已清理。", photos=photos)
    page = response.content.decode()
    assert "第 2 张照片（共 3 张，IMG_2034.png）：该文件不是 JPEG 或 PNG 图片。" in page
    assert "照片未保存，请重新选择。" in page
    ticket.refresh_from_db()
    assert ticket.status == "accepted" and not TicketPhoto.objects.exists()


def test_a_single_bad_photo_is_refused_as_before(client):
    world = make_world()
    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    client.force_login(world.gridworker_a)
    bad = SimpleUploadedFile("IMG_2034.png", b"not an image", content_type="image/png")
    page = act(client, ticket, "resolve", reply="已清理。", photos=[bad]).content.decode()
    assert "该文件不是 JPEG 或 PNG 图片。" in page and "第 1 张" not in page
