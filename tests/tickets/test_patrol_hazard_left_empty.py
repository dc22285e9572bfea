"""A patrol walk whose hazard section was opened and left without a description recorded
the walk and dropped the hazard without a word: the category and place the worker chose
were lost, and a worker who opened the section to report something was not told that
nothing was reported. The walk now comes back with the error under the hazard, the
section open and everything entered still there; nothing is written until the worker
describes the hazard or closes the section (or clears what was chosen)."""

import re

import pytest
from django.urls import reverse

from gridgov.tickets import patrols
from gridgov.tickets.models import PatrolRecord, Ticket

from .factories import make_world

pytestmark = pytest.mark.django_db
CHECKLIST = ["消防通道", "楼道堆物"]
WALK = {"item_0": "ok", "item_1": "issue", "note": "3栋楼道有纸箱"}


@pytest.fixture
def walk(client):
    world = make_world()
    task = patrols.create_task(world.community_staff, world.grid_a, "日常巡查", CHECKLIST, 1)
    client.force_login(world.gridworker_a)
    return world, reverse("tickets:patrol-walk", args=[task.pk])


def hazard_error(html):
    found = re.search(
        r'data-field="hazard".*?<div class="field-errors"[^>]*>(.*?)</div>', html, re.S
    )
    return found and re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_a_category_and_place_without_a_description_come_back(client, walk):
    world, url = walk
    data = {**WALK, "hazard_category": world.fire_lane.code, "hazard_address": "3栋东侧"}
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 400
    assert hazard_error(html) == "请描述隐患，或清空所选的分类和具体位置：没有描述不会上报工单。"
    assert not PatrolRecord.objects.exists() and not Ticket.objects.exists()
    # What was entered is all there, the hazard section open.
    assert '<details class="hazard" id="hazard-section" open>' in html
    assert 'value="3栋东侧"' in html and "3栋楼道有纸箱" in html
    assert re.search(rf'<option value="{world.fire_lane.code}" selected>', html)
    assert (
        '<input type="radio" name="item_1" value="issue" required id="id_item_1_1" checked>' in html
    )
    # Described: the walk and its hazard are recorded.
    response = client.post(url, {**data, "hazard": "消防通道堆放建材"})
    assert response.status_code == 302
    assert PatrolRecord.objects.get().ticket.category == world.fire_lane


def test_an_opened_empty_section_is_said_and_closing_it_records_the_walk(client, walk):
    _world, url = walk
    page = client.get(url).content.decode()
    assert 'name="hazard_open"' in page and 'id="hazard-section"' in page
    response = client.post(url, {**WALK, "hazard_open": "1"})
    html = response.content.decode()
    assert response.status_code == 400 and "“发现隐患”一栏已展开但未填写" in hazard_error(html)
    assert '<details class="hazard" id="hazard-section" open>' in html and "3栋楼道有纸箱" in html
    assert not PatrolRecord.objects.exists()
    # The section closed (the page clears hazard_open): recorded without a hazard.
    response = client.post(url, {**WALK, "hazard_open": ""})
    assert response.status_code == 302 and PatrolRecord.objects.get().ticket is None
