"""The field-work pages on a grid worker's phone: the patrols due, a walk recorded with a
hazard reported as a ticket in the same step, the households to visit, a visit logged with
a demand filed for a named member; nothing written on bad input, nothing outside the area."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from gridgov.tickets import patrols
from gridgov.tickets.models import Channel, PatrolRecord, PatrolTask, Ticket, Visit

from .factories import add_households, make_world

pytestmark = pytest.mark.django_db
CHECKLIST = ["消防通道", "楼道堆物", "电动车充电"]


@pytest.fixture
def world():
    w = add_households(make_world())
    w.task = patrols.create_task(w.community_staff, w.grid_a, "日常巡查", CHECKLIST, 1)
    w.task_b = patrols.create_task(w.community_staff, w.grid_b, "日常巡查", CHECKLIST, 1)
    return w


def html(response):
    return response.content.decode()


def test_the_patrols_due_and_a_walk_with_a_hazard_reported(client, world):
    client.force_login(world.gridworker_a)
    page = html(client.get(reverse("tickets:patrols")))
    assert f'data-task="{world.task.pk}"' in page and f'data-task="{world.task_b.pk}"' not in page
    assert "尚未巡查" in page and "巡查走访" in page  # in the main navigation too
    url = reverse("tickets:patrol-walk", args=[world.task.pk])
    form = html(client.get(url))
    assert all(item in form for item in CHECKLIST)
    assert form.count('value="ok"') == form.count(" checked") == len(CHECKLIST)  # all right
    data = {"item_0": "issue", "item_1": "ok", "item_2": "skipped", "hazard_open": "on"}
    data.update(hazard="3栋东侧消防通道堆放建材，挡住通道。", hazard_category=world.fire_lane.code)
    response = client.post(url, data)
    assert response.status_code == 302 and response.url == reverse("tickets:patrols")
    record = PatrolRecord.objects.get()
    assert record.results == {"消防通道": "issue", "楼道堆物": "ok", "电动车充电": "skipped"}
    ticket = record.ticket
    assert ticket.channel == Channel.PATROL and ticket.grid == world.grid_a
    assert ticket.category == world.fire_lane and ticket.created_by == world.gridworker_a
    page = html(client.get(reverse("tickets:patrols"), follow=True))
    assert f'发现的隐患已上报为工单 <a href="/tickets/{ticket.code}/">{ticket.code}</a>' in page
    assert f'data-task="{world.task.pk}"' not in page  # walked today: no longer due
    assert ticket.code in page  # in my latest patrols


def _jpeg(name="hazard.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def test_a_hazard_is_reported_with_its_photos(client, world):
    """A patrol's hazard could not carry a photo (the page sent the worker to 随手拍, a
    second ticket); the photos now go with the hazard's ticket, checked as at intake."""
    from gridgov.tickets.models import TicketPhoto

    client.force_login(world.gridworker_a)
    url = reverse("tickets:patrol-walk", args=[world.task.pk])
    form = html(client.get(url))
    assert 'enctype="multipart/form-data"' in form and 'name="hazard_photos"' in form
    walk = {"item_0": "issue", "item_1": "ok", "item_2": "ok", "hazard_open": "on"}
    # Photos without words: refused, nothing written, and the worker told to choose again.
    response = client.post(url, {**walk, "hazard_photos": [_jpeg()]})
    assert response.status_code == 400 and "请描述照片所示的隐患" in html(response)
    assert not PatrolRecord.objects.exists() and not Ticket.objects.exists()
    # Not an image: the intake's check, on the photo field; nothing written.
    not_an_image = SimpleUploadedFile("x.jpg", b"not a picture", content_type="image/jpeg")
    response = client.post(url, {**walk, "hazard": "消防通道被占", "hazard_photos": [not_an_image]})
    assert response.status_code == 400 and "JPEG" in html(response)
    assert not PatrolRecord.objects.exists() and not Ticket.objects.exists()
    response = client.post(
        url, {**walk, "hazard": "3栋东侧消防通道堆放建材。", "hazard_photos": [_jpeg(), _jpeg()]}
    )
    assert response.status_code == 302
    ticket = PatrolRecord.objects.get().ticket
    assert TicketPhoto.objects.filter(ticket=ticket, event=None).count() == 2


def test_a_problem_needs_words_and_a_refused_walk_writes_nothing(client, world):
    client.force_login(world.gridworker_a)
    url = reverse("tickets:patrol-walk", args=[world.task.pk])
    response = client.post(url, {"item_0": "issue", "item_1": "ok", "item_2": "ok"})
    assert response.status_code == 400 and "请说明问题" in html(response)
    response = client.post(url, {"item_0": "ok", "item_1": "ok", "item_2": "bogus"})
    assert response.status_code == 400
    # The task was stopped while the worker walked: refused with the reason, and neither
    # the record nor the hazard's ticket is written.
    world.task.active = False
    world.task.save()
    walk = {"item_0": "issue", "item_1": "ok", "item_2": "ok", "hazard_open": "on"}
    walk["hazard"] = "消防通道被占"
    response = client.post(url, walk)
    assert response.status_code == 400 and "不再有效" in html(response)
    assert not PatrolRecord.objects.exists() and not Ticket.objects.exists()


def test_patrols_outside_the_grid_and_for_others_are_refused(client, world):
    client.force_login(world.gridworker_a)
    url = reverse("tickets:patrol-walk", args=[world.task_b.pk])
    assert client.post(url, {"item_0": "ok", "item_1": "ok", "item_2": "ok"}).status_code == 404
    client.force_login(world.resident)
    assert client.get(reverse("tickets:patrols")).status_code == 403
    assert client.get(reverse("tickets:visits")).status_code == 403
    assert "巡查走访" not in html(client.get("/"))
    assert not PatrolRecord.objects.exists()


def test_households_to_visit_and_a_visit_with_a_demand(client, world):
    Visit.objects.create(
        household=world.home_a2,
        visitor=world.gridworker_a,
        at=timezone.now() - dt.timedelta(days=3),
    )
    client.force_login(world.gridworker_a)
    page = html(client.get(reverse("tickets:visits")))
    assert f'data-household="{world.home_a.pk}"' in page  # never visited
    assert f'data-household="{world.home_a2.pk}"' not in page  # visited three days ago
    assert f'data-household="{world.home_b.pk}"' not in page  # another grid
    url = reverse("tickets:visit-new", args=[world.home_a.pk])
    form = html(client.get(url))
    assert "王*" in form and "王大爷" not in form and "13611112222" not in form
    # 诉求性质 is needed to file the demand: starred, as the review found it unmarked.
    assert re.search(r'<label for="id_nature">[^<]*<span class="req"', form)
    # A demand for nobody named has no phone to call back: refused, nothing written.
    data = {"heard": "王大爷反映楼道灯坏了一个月", "file_demand": "on", "nature": "help"}
    response = client.post(url, data)
    assert response.status_code == 400 and "联系电话" in html(response)
    assert not Visit.objects.filter(household=world.home_a).exists()
    assert not Ticket.objects.exists()
    data.update(requester=str(world.wang.pk), category=world.corridor.code)
    response = client.post(url, data)
    assert response.status_code == 302
    visit = Visit.objects.get(household=world.home_a)
    assert visit.visitor == world.gridworker_a and visit.heard == data["heard"]
    ticket = visit.ticket
    assert ticket.channel == Channel.VISIT and ticket.requester == world.wang
    assert ticket.requester_phone == "13611112222" and ticket.building == world.buildings[0]
    page = html(client.get(reverse("tickets:visits")))
    assert f'data-household="{world.home_a.pk}"' not in page and ticket.code in page
    # A visit without a demand is just logged.
    client.post(reverse("tickets:visit-new", args=[world.home_a2.pk]), {"heard": "一切正常"})
    assert Visit.objects.filter(household=world.home_a2).count() == 2
    assert Ticket.objects.count() == 1


def test_a_household_outside_the_area_is_refused(client, world):
    """As one that does not exist (404): a 403 beside a missing id's 404 told the visitor
    that household existed (the API answers both alike)."""
    client.force_login(world.gridworker_a)
    url = reverse("tickets:visit-new", args=[world.home_b.pk])
    missing = reverse("tickets:visit-new", args=[987654321])
    assert client.get(url).status_code == 404 == client.get(missing).status_code
    assert client.post(url, {"heard": "x"}).status_code == 404
    assert client.post(missing, {"heard": "x"}).status_code == 404
    assert not Visit.objects.exists()
    # Who visits no household is refused whatever the id, before it is looked up.
    client.force_login(world.resident)
    assert client.get(url).status_code == 403 == client.get(missing).status_code


def test_the_home_page_counts_the_patrols_due_and_the_households_to_visit(client, world):
    client.force_login(world.gridworker_a)
    page = html(client.get("/"))
    assert "今天有 1 项巡查待完成" in page and f'data-task="{world.task.pk}"' in page
    assert "2 户超过 90 天未走访" in page  # home_a and home_a2 in grid A
    client.force_login(world.resident)
    assert "dash-fieldwork" not in html(client.get("/"))


def test_community_staff_plan_a_patrol_the_grid_worker_then_walks(client, world):
    client.force_login(world.community_staff)
    page = client.get(reverse("tickets:patrol-plan")).content.decode()
    assert f'data-task="{world.task.pk}"' in page and f'data-task="{world.task_b.pk}"' in page
    data = {
        "grid": world.grid_a.code,
        "title": "消防安全专项巡查",
        "checklist": "消火栓\n\n疏散通道\n",
        "every_days": "7",
    }
    assert client.post(reverse("tickets:patrol-plan"), data).status_code == 302
    task = PatrolTask.objects.get(title="消防安全专项巡查")
    assert task.checklist == ["消火栓", "疏散通道"] and task.every_days == 7 and task.active
    client.force_login(world.gridworker_a)
    assert f'data-task="{task.pk}"' in html(client.get(reverse("tickets:patrols")))
    # Stopped by the community: no longer due.
    client.force_login(world.community_staff)
    url = reverse("tickets:patrol-task", args=[task.pk])
    assert client.post(url, {**data, "active": ""}).status_code == 302
    task.refresh_from_db()
    assert not task.active
    client.force_login(world.gridworker_a)
    assert f'data-task="{task.pk}"' not in html(client.get(reverse("tickets:patrols")))
    # A checklist with the same item twice is refused, nothing changes.
    client.force_login(world.community_staff)
    response = client.post(url, {**data, "checklist": "消火栓\n消火栓", "active": "on"})
    assert response.status_code == 400 and "不能重复" in html(response)
    task.refresh_from_db()
    assert task.checklist == ["消火栓", "疏散通道"] and not task.active


def test_patrol_planning_stays_in_the_planners_grids(client, world):
    client.force_login(world.gridworker_b)  # plans grid B only
    page = html(client.get(reverse("tickets:patrol-plan")))
    assert f'data-task="{world.task_b.pk}"' in page and f'data-task="{world.task.pk}"' not in page
    url = reverse("tickets:patrol-task", args=[world.task.pk])
    assert client.get(url).status_code == 404
    data = {"grid": world.grid_a.code, "title": "x", "checklist": "a", "every_days": "1"}
    assert client.post(reverse("tickets:patrol-plan"), data).status_code == 400
    client.force_login(world.resident)
    assert client.get(reverse("tickets:patrol-plan")).status_code == 403


def test_community_staff_narrow_the_households_to_visit_by_grid(client, world):
    client.force_login(world.community_staff)
    page = html(client.get(reverse("tickets:visits")))
    for home in (world.home_a, world.home_a2, world.home_b):  # every grid of the community
        assert f'data-household="{home.pk}"' in page
    assert f'value="{world.grid_b.code}"' in page
    page = html(client.get(reverse("tickets:visits"), {"grid": world.grid_b.code}))
    assert f'data-household="{world.home_b.pk}"' in page
    assert f'data-household="{world.home_a.pk}"' not in page
    # A grid worker has one grid: no choice to make.
    client.force_login(world.gridworker_a)
    assert 'id="visits-grid"' not in html(client.get(reverse("tickets:visits")))


def test_the_visit_page_shows_what_was_heard_at_the_last_visits(client, world):
    """Only the time of the last visit showed: whoever knocked next could not read what the
    family had said. What was heard is for those who may see the household's personal data;
    a sent-down cadre gets the times and the visitors."""
    from gridgov.people.models import Role
    from tests.people.factories import user_with_role

    now = timezone.now()
    for days, heard in ((30, "王大爷腿脚不便，需要送药上门"), (3, "楼道灯已修好，王大爷满意")):
        patrols.log_visit(
            world.gridworker_a, world.home_a, heard=heard, at=now - dt.timedelta(days=days)
        )
    url = reverse("tickets:visit-new", args=[world.home_a.pk])
    client.force_login(world.community_staff)
    page = html(client.get(url))
    log = page.split('class="panel visit-log"')[1]
    assert "以往走访" in page and log.index("楼道灯已修好") < log.index("需要送药上门")
    cadre = user_with_role(Role.CADRE, world.grid_a, username="cadre")
    client.force_login(cadre)
    page = html(client.get(url))
    assert page.count("data-visit=") == 2 and "王大爷" not in page


def test_the_visit_page_says_who_lives_there(client, world):
    """The household's page said 2 名成员 and no more: not whom the worker was calling on, nor
    that one of them is an elderly person living alone (the reason for many visits). The
    members are listed, masked as in the requester list."""
    from gridgov.people.models import Person

    Person.objects.filter(pk=world.wang.pk).update(relation="head", lives_alone_elderly=True)
    Person.objects.create(
        name="王小明",
        phone="13700000000",
        place=world.buildings[0],
        household=world.home_a,
        relation="child",
    )
    client.force_login(world.gridworker_a)
    page = html(client.get(reverse("tickets:visit-new", args=[world.home_a.pk])))
    members = page[page.index('id="visit-members"') : page.index('id="visit-form"')]
    assert "王*" in members and "户主" in members and "独居老人" in members
    assert "王**" in members and "子女" in members
    assert "王大爷" not in page and "王小明" not in page and "13611112222" not in page
