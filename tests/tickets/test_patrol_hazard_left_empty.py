"""A patrol walk whose hazard section was opened and left without a description recorded
the walk and dropped the hazard without a word: the category and place the worker chose
were lost, and a worker who opened the section to report something was not told that
nothing was reported. The walk now comes back with the error under the hazard, the
section open and everything entered still there; nothing is written until the worker
describes the hazard or unticks the section (or clears what was chosen).

Whether the section was opened is in the POST itself: 发现隐患 is a real checkbox. It was a
<details> that a script reported through a hidden field, so on a phone without the script
an opened, empty section posted nothing to say so and the walk was recorded."""

import re
from html.parser import HTMLParser

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


class _WalkForm(HTMLParser):
    """The walk form's controls as a browser with no script sends them, untouched (files
    left out), and the checkboxes inside the hazard section (#hazard-section)."""

    VOID = {"input", "br", "img", "hr", "meta", "link", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.values, self.hazard_switches = {}, []
        self._open, self._text, self._select, self._first = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        in_hazard = any(a.get("id") == "hazard-section" for a in self._open)
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind == "checkbox" and in_hazard:
                self.hazard_switches.append((name, attrs.get("value", "on")))
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.values[name] = attrs.get("value", "on")
            elif kind not in ("file", "submit", "button", "reset"):
                self.values[name] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._text, self.values[name] = name, ""
        elif tag == "select" and name:
            self._select, self._first = name, None
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            self._first = value if self._first is None else self._first
            if "selected" in attrs:
                self.values[self._select] = value
        if tag not in self.VOID:
            self._open.append(attrs)

    def handle_data(self, data):
        if self._text:
            self.values[self._text] += data.removeprefix("\n")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._text = None
        elif tag == "select" and self._select:
            self.values.setdefault(self._select, self._first or "")
            self._select = None
        if tag not in self.VOID and self._open:
            self._open.pop()


def walk_form(html):
    form = _WalkForm()
    start = html.index('<form id="patrol-form"')
    form.feed(html[start : html.index("</form>", start)])
    return form


def hazard_error(html):
    found = re.search(
        r'data-field="hazard".*?<div class="field-errors"[^>]*>(.*?)</div>', html, re.S
    )
    return found and re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_a_category_and_place_without_a_description_come_back(client, walk):
    world, url = walk
    data = {**WALK, "hazard_open": "on", "hazard_category": world.fire_lane.code}
    data["hazard_address"] = "3栋东侧"
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 400
    assert hazard_error(html) == "请描述隐患，或清空所选的分类和具体位置：没有描述不会上报工单。"
    assert not PatrolRecord.objects.exists() and not Ticket.objects.exists()
    # What was entered is all there, the hazard section open.
    assert walk_form(html).values["hazard_open"] == "on"
    assert 'value="3栋东侧"' in html and "3栋楼道有纸箱" in html
    assert re.search(rf'<option value="{world.fire_lane.code}" selected>', html)
    assert (
        '<input type="radio" name="item_1" value="issue" required id="id_item_1_1" checked>' in html
    )
    # Described: the walk and its hazard are recorded.
    response = client.post(url, {**data, "hazard": "消防通道堆放建材"})
    assert response.status_code == 302
    assert PatrolRecord.objects.get().ticket.category == world.fire_lane


def test_an_opened_empty_section_is_said_and_unticking_it_records_the_walk(client, walk):
    _world, url = walk
    page = client.get(url).content.decode()
    assert 'name="hazard_open"' in page and 'id="hazard-section"' in page
    response = client.post(url, {**WALK, "hazard_open": "on"})
    html = response.content.decode()
    assert response.status_code == 400 and "已勾选“发现隐患”但未填写隐患" in hazard_error(html)
    assert walk_form(html).values["hazard_open"] == "on" and "3栋楼道有纸箱" in html
    assert not PatrolRecord.objects.exists()
    # Unticked (a checkbox left unticked is not sent): recorded without a hazard.
    response = client.post(url, WALK)
    assert response.status_code == 302 and PatrolRecord.objects.get().ticket is None


def test_without_a_script_the_form_itself_says_the_section_was_opened(client, walk):
    """The page as a phone with no script posts it: the hazard section opened and left
    empty comes back with the error under the hazard and nothing written; not opened, the
    walk is recorded at the first tap."""
    _world, url = walk
    page = client.get(url).content.decode()
    form = walk_form(page)
    # Opening the section is ticking a box that is sent with the form (on HEAD it was a
    # <details>, which sends nothing: the walk was recorded and the hazard dropped).
    assert form.hazard_switches == [("hazard_open", "on")], "opening the section posts nothing"
    assert "hazard_open" not in form.values  # closed as the page comes
    opened = {**form.values, "note": "3栋楼道有纸箱", "item_1": "issue", "hazard_open": "on"}
    response = client.post(url, opened)
    html = response.content.decode()
    assert response.status_code == 400
    assert hazard_error(html) == (
        "已勾选“发现隐患”但未填写隐患：请描述隐患；如不上报隐患，请取消勾选后再记录巡查。"
    )
    assert not PatrolRecord.objects.exists() and not Ticket.objects.exists()
    kept = walk_form(html).values
    assert kept["hazard_open"] == "on" and kept["note"] == "3栋楼道有纸箱"
    assert kept["item_1"] == "issue"
    # The page as it comes, sent at once: a walk without a hazard, as before.
    response = client.post(url, form.values)
    assert response.status_code == 302
    record = PatrolRecord.objects.get()
    assert record.ticket is None and record.results == {"消防通道": "ok", "楼道堆物": "ok"}
