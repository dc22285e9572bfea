"""补充照片 in 我的诉求: the requester adds photos to their own demand while it is handled;
they see them on their page, the unit sees them in its timeline, and a bad file or a closed
demand writes nothing."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import TicketEvent, TicketPhoto

from .factories import make_world_with_resident, reported_by_resident
from .test_views import png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world_with_resident()


def add(client, ticket, *files):
    url = reverse("tickets:mine-add-photos", args=[ticket.code])
    return client.post(url, {"add-photos": list(files)})


def my_photo_urls(client, ticket):
    html = client.get(reverse("tickets:mine-detail", args=[ticket.code])).content.decode()
    return re.findall(r'<img src="(/tickets/mine/[^"]+/photos/\d+/)"', html), html


def test_the_requester_adds_photos_and_sees_them_and_the_unit_does_too(client, world):
    ticket = reported_by_resident(world)
    client.force_login(world.resident)
    urls, html = my_photo_urls(client, ticket)
    assert urls == [] and 'id="add-photos-form"' in html
    response = add(client, ticket, png_upload("now.png"))
    assert response.status_code == 302
    event = TicketEvent.objects.get(ticket=ticket, action="add-photos")
    assert event.actor == world.resident
    (photo,) = TicketPhoto.objects.filter(ticket=ticket)
    assert photo.event == event
    urls, html = my_photo_urls(client, ticket)
    assert urls == [reverse("tickets:mine-photo", args=[ticket.code, photo.pk])]
    assert "照片已补充到您的诉求中。" in html
    assert client.get(urls[0]).status_code == 200
    # The grid handling it sees the photo on the ticket's page.
    client.force_login(world.gridworker_a)
    detail = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert f"/photos/{photo.pk}/" in detail


def test_a_file_that_is_no_image_is_refused_and_nothing_written(client, world):
    ticket = reported_by_resident(world)
    client.force_login(world.resident)
    bad = SimpleUploadedFile("note.png", b"not an image at all", content_type="image/png")
    response = add(client, ticket, bad)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not TicketPhoto.objects.filter(ticket=ticket).exists()
    assert not TicketEvent.objects.filter(ticket=ticket, action="add-photos").exists()


def test_a_closed_demand_offers_no_form_and_refuses_photos(client, world):
    ticket = reported_by_resident(world)
    perform(ticket, "merge", world.hotline, into=reported_by_resident(world).code)
    client.force_login(world.resident)
    _urls, html = my_photo_urls(client, ticket)
    assert 'id="add-photos-form"' not in html
    response = add(client, ticket, png_upload())
    assert response.status_code == 302  # back to the page, with why
    assert not TicketPhoto.objects.filter(ticket=ticket).exists()
    page = client.get(response["Location"]).content.decode()
    assert "并入工单" in page


def test_someone_elses_demand_is_not_found(client, world):
    ticket = reported_by_resident(world)
    client.force_login(world.gridworker_b)
    assert add(client, ticket, png_upload()).status_code == 404
    assert not TicketPhoto.objects.filter(ticket=ticket).exists()


def test_sending_no_photo_says_so_and_writes_nothing(client, world):
    """补充照片 sent with no photo chosen said 照片已补充到您的诉求中。 and wrote an empty
    补充照片 row into the unit's timeline."""
    ticket = reported_by_resident(world)
    client.force_login(world.resident)
    response = add(client, ticket)
    assert response.status_code == 400
    assert "请先选择照片。" in response.content.decode()
    assert not TicketEvent.objects.filter(ticket=ticket, action="add-photos").exists()


def test_the_photos_added_are_a_step_of_the_requesters_progress_and_the_units_timeline(
    client, world
):
    """A photo added later showed on the demand's page but 办理进度 did not say it was sent;
    the photos staff add are theirs, not a step of the requester's."""
    from gridgov.tickets import photos as photo_files

    ticket = reported_by_resident(world)
    client.force_login(world.resident)
    assert add(client, ticket, png_upload("a.png"), png_upload("b.png")).status_code == 302
    photo_files.add(ticket, photo_files.clean_all([png_upload("site.png")]), world.gridworker_a)
    urls, html = my_photo_urls(client, ticket)
    assert re.findall(r'data-action="([^"]+)"', html) == ["create", "dispatch", "add-photos"]
    assert "您补充了 2 张照片。" in html
    assert len(urls) == 2  # the two photos once, at the top: not again in the step
    # The unit's timeline has both additions, the resident's named as theirs.
    client.force_login(world.gridworker_a)
    detail = client.get(reverse("tickets:detail", args=[ticket.code])).content.decode()
    assert detail.count("补充照片") >= 2
