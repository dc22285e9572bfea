"""A hazard typed on a patrol walk and then unticked (发现隐患 taken off) was filed as a ticket
all the same: the form took anything in the hazard's fields for the section in use. A worker
who unticks means "no hazard after all", or mis-tapped; filing it reports what they took
back, dropping it loses their words. So the walk comes back, nothing written, everything
kept and the fields in view, with the reason beside the box: tick it to report, or clear the
hazard. (With JavaScript the hidden fields are disabled and not sent: browser tests.)

The API has no box: its `hazard` is the hazard found. An empty one ({}, "") was taken for
none and the walk recorded; it is now refused with the reason, as the page refuses the box
ticked and left empty."""

import re

import pytest
from django.urls import reverse

from gridgov.tickets import patrols
from gridgov.tickets.models import PatrolRecord, PatrolTask, Ticket

from .factories import make_world
from .test_fieldwork_pages import _jpeg
from .test_patrol_hazard_left_empty import CHECKLIST, WALK, walk_form
from .test_patrols import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk(client):
    world = make_world()
    task = patrols.create_task(world.community_staff, world.grid_a, "日常巡查", CHECKLIST, 1)
    client.force_login(world.gridworker_a)
    return world, reverse("tickets:patrol-walk", args=[task.pk])


UNTICKED = "填写了隐患内容，但未勾选“发现隐患”：要上报请勾选；不上报请清空隐患内容。"
TYPED = "3栋楼道堆满纸箱，挡住了通道"


def switch_error(html):
    """The error beside the 发现隐患 box, or None."""
    field = html.split('data-field="hazard_open"', 1)[1].split("data-field=", 1)[0]
    found = re.search(r'<div class="field-errors"[^>]*>(.*?)</div>', field, re.S)
    return found and re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_a_hazard_typed_then_unticked_comes_back_kept_and_writes_nothing(client, walk):
    world, url = walk
    page = client.get(url).content.decode()
    # The page as a phone with no script sends it: the hazard typed, the box left unticked.
    data = {
        **walk_form(page).values,
        **WALK,
        "hazard": TYPED,
        "hazard_category": world.fire_lane.code,
        "hazard_address": "3栋东侧",
    }
    assert "hazard_open" not in data
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 400  # HEAD: 302 and the hazard filed as a ticket
    assert switch_error(html) == UNTICKED
    assert not PatrolRecord.objects.exists() and not Ticket.objects.exists()
    kept = walk_form(html).values
    assert "hazard_open" not in kept  # the box as the worker left it
    assert kept["hazard"] == TYPED and kept["hazard_address"] == "3栋东侧"
    assert kept["hazard_category"] == world.fire_lane.code
    assert kept["note"] == WALK["note"] and kept["item_1"] == "issue"
    # The fields stay in view although the box is unticked (the stylesheet hides them else).
    assert '<div class="hazard is-held" id="hazard-section">' in html
    # Ticked (it was a mis-tap): the walk and its hazard are recorded.
    response = client.post(url, {**kept, "hazard_open": "on"})
    assert response.status_code == 302
    ticket = PatrolRecord.objects.get().ticket
    assert ticket.description == TYPED and ticket.category == world.fire_lane


def test_cleared_the_walk_is_recorded_without_a_hazard(client, walk):
    world, url = walk
    response = client.post(url, {**WALK, "hazard": TYPED})
    assert response.status_code == 400 and switch_error(response.content.decode()) == UNTICKED
    kept = walk_form(response.content.decode()).values
    response = client.post(url, {**kept, "hazard": "", "hazard_category": ""})
    assert response.status_code == 302
    record = PatrolRecord.objects.get()
    assert record.ticket is None and record.note == WALK["note"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("field", ["hazard", "hazard_category", "hazard_address", "hazard_photos"])
def test_any_hazard_field_filled_without_the_box_is_refused(client, walk, field):
    world, url = walk
    value = {
        "hazard": TYPED,
        "hazard_category": world.fire_lane.code,
        "hazard_address": "3栋东侧",
        "hazard_photos": [_jpeg()],
    }[field]
    response = client.post(url, {**WALK, field: value})
    html = response.content.decode()
    assert response.status_code == 400
    assert switch_error(html) == UNTICKED
    assert not PatrolRecord.objects.exists() and not Ticket.objects.exists()
    if field == "hazard_photos":  # a page cannot keep a photo: the worker is told
        assert "照片未保存，请重新选择" in html


def test_the_box_ticked_is_still_a_hazard_to_describe(client, walk):
    """The ticked cases keep their own words under the hazard (test_patrol_hazard_left_empty)."""
    world, url = walk
    data = {**WALK, "hazard_open": "on", "hazard_category": world.fire_lane.code}
    html = client.post(url, data).content.decode()
    assert switch_error(html) is None and "请描述隐患，或清空所选的分类和具体位置" in html
    assert not PatrolRecord.objects.exists()


@pytest.mark.parametrize("hazard", [{}, "", []])
def test_the_api_refuses_an_empty_hazard_instead_of_dropping_it(walk, hazard):
    world, _url = walk
    task = PatrolTask.objects.get()
    records = f"/api/v1/patrols/tasks/{task.pk}/records/"
    response = api(world.gridworker_a).post(
        records, {"results": {"楼道堆物": "issue"}, "hazard": hazard}, format="json"
    )
    assert response.status_code == 400  # HEAD: 201, the walk recorded, no word
    assert response.json()["error"]["detail"] == {
        "hazard": ["隐患为空：请填写隐患描述；未发现隐患时不要传 hazard。"]
    }
    assert not PatrolRecord.objects.exists() and not Ticket.objects.exists()
    # No hazard at all (left out, or null): the walk is recorded.
    for body in ({"results": {}}, {"results": {}, "hazard": None}):
        assert api(world.gridworker_a).post(records, body, format="json").status_code == 201
    assert PatrolRecord.objects.filter(ticket=None).count() == 2
