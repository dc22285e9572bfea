"""我的诉求: a requester follows their own demands; staff and residents see their own
navigation; the home dashboard shows the queue, my units' KPIs and hot issues."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.insights import predictor
from gridgov.insights.models import HotIssue
from gridgov.people.models import AccessLog, Role
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Callback, Ticket, TicketPhoto
from tests.people.factories import PersonFactory, user_with_role

from .factories import make_ticket, make_world_with_resident, reported_by_resident
from .test_views import act, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world_with_resident()


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    return response, response.content.decode()


def test_my_demands_lists_what_i_reported_or_asked_and_nothing_else(client, world):
    filed = reported_by_resident(world)
    asked = make_ticket(world, requester=world.person, requester_name="", title="路灯不亮")
    other = make_ticket(world, title="别人的诉求")
    # Filed by the resident for someone else, naming them (an API client): not theirs.
    make_ticket(world, actor=world.resident, channel="api", title="代别人反映")
    response, html = page(client, world.resident, reverse("tickets:mine"))
    assert response.status_code == 200
    codes = re.findall(r'data-code="([^"]+)"', html)
    assert codes == [asked.code, filed.code]  # newest first
    assert other.code not in html

    response, _html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[other.code])
    )
    assert response.status_code == 404
    client.logout()
    response = client.get(reverse("tickets:mine-detail", args=[filed.code]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_progress_shows_the_steps_for_the_requester_but_not_internal_ones(client, world):
    ticket = reported_by_resident(world)
    assert ticket.owner_place == world.grid_a
    perform(ticket, "return", world.gridworker_a, reason_code="other", reason="内部退单说明XYZ")
    ticket.refresh_from_db()
    perform(ticket, "dispatch", world.street_staff, unit=world.grid_a.code)
    for action, params in (
        ("accept", {}),
        ("contact", {"method": "phone", "note": "已电话联系"}),
        ("resolve", {"reply": "杂物已清理，通道已恢复畅通。"}),
    ):
        ticket.refresh_from_db()
        perform(ticket, action, world.gridworker_a, **params)

    response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[ticket.code])
    )
    assert response.status_code == 200
    steps = re.findall(r'<li class="step step--[^"]+" data-action="([^"]+)"', html)
    assert steps == ["create", "dispatch", "dispatch", "accept", "contact", "resolve"]
    assert "您的诉求已受理" in html and "已签收" in html and "已与您联系" in html
    assert "杂物已清理，通道已恢复畅通。" in html  # the reply
    # Internal acts and the people behind them stay inside.
    assert "内部退单说明XYZ" not in html and "return" not in steps
    for staff in (world.gridworker_a, world.street_staff):
        assert staff.username not in html
    assert "在工作台中打开" not in html  # a resident has no workbench


def test_residents_are_sent_to_their_demands_and_see_no_staff_links(client, world):
    response, _html = page(client, world.resident, reverse("tickets:queue"))
    assert response.status_code == 302 and response["Location"] == reverse("tickets:mine")
    _response, home = page(client, world.resident, "/")
    nav = home.split('class="site-nav"')[1].split("</nav>")[0]
    assert reverse("tickets:report") in nav and reverse("tickets:mine") in nav
    for staff_only in ("tickets:new-hotline", "tickets:map", "tickets:kpis", "insights:hot-issues"):
        assert reverse(staff_only) not in nav

    response, home = page(client, world.gridworker_a, "/")
    nav = home.split('class="site-nav"')[1].split("</nav>")[0]
    # A grid worker's intake is the window's, not the 12345 hotline's (test_intake_links).
    assert reverse("tickets:queue") in nav and reverse("tickets:new-window") in nav
    assert reverse("insights:hot-issues") in nav
    assert page(client, world.gridworker_a, reverse("tickets:queue"))[0].status_code == 200


def test_the_dashboard_counts_my_queue_as_the_queue_page_does(client, world):
    waiting = make_ticket(world)  # dispatched to grid A: to accept
    handled = make_ticket(world, title="第二件")
    perform(handled, "accept", world.gridworker_a)
    make_ticket(world, address="坡子街小区1号楼", title="别的网格")  # grid B's

    _response, queue = page(client, world.gridworker_a, reverse("tickets:queue") + "?tab=all")
    _response, home = page(client, world.gridworker_a, "/")

    def tab_counts(html):
        return dict(re.findall(r'data-tab="(\w+)">[^<]*<span class="wb-tab__count">(\d+)<', html))

    assert tab_counts(home) == tab_counts(queue)
    assert tab_counts(home)["accept"] == "1" and tab_counts(home)["all"] == "2"
    assert waiting.code not in home  # counts, not the rows
    # This month's KPIs of the grid worker's own unit.
    assert f'data-unit="{world.grid_a.code}"' in home
    assert f'data-unit="{world.grid_b.code}"' not in home


def hot_issue(ticket, key, title, heat, state=HotIssue.State.NEW):
    return HotIssue.objects.create(
        key=key,
        title=title,
        place=ticket.grid,
        first_at=ticket.created_at,
        last_at=ticket.created_at,
        ticket_count=3,
        requester_count=3,
        heat=heat,
        state=state,
        refreshed_at=ticket.created_at,
    )


def test_the_dashboard_shows_undecided_hot_issues_to_staff_only(client, world):
    ticket = make_ticket(world)
    issue = hot_issue(ticket, "a", "楼道堆物反复出现", 12.5)
    hot_issue(ticket, "b", "已研判的问题", 30, state=HotIssue.State.CONFIRMED)
    _response, home = page(client, world.community_staff, "/")
    assert f'data-issue="{issue.pk}"' in home and "楼道堆物反复出现" in home
    assert "已研判的问题" not in home
    _response, home = page(client, world.resident, "/")
    assert "楼道堆物反复出现" not in home


def test_the_demo_resident_has_demands_to_follow(django_user_model, settings):
    from gridgov.demo.seed import seed_logins, seed_people, seed_places
    from gridgov.demo.tickets import seed_tickets

    settings.GRIDGOV_DEMO_TICKET_LIMIT = 20
    seed_places()
    seed_people()
    seed_logins()
    seed_tickets()
    resident = django_user_model.objects.get(username="resident")
    mine = Ticket.objects.filter(created_by=resident, requester=resident.person)
    assert mine.count() == 3
    assert {t.status for t in mine} >= {"resolved", "closed"}


def test_the_api_gives_a_requester_their_demands_and_steps_only(world):
    from rest_framework.test import APIClient

    filed = reported_by_resident(world)
    other = make_ticket(world, title="别人的诉求")
    perform(filed, "accept", world.gridworker_a)
    api = APIClient()
    assert api.get("/api/v1/tickets/mine/").status_code == 401
    api.force_authenticate(world.resident)
    listed = api.get("/api/v1/tickets/mine/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert [row["code"] for row in listed["results"]] == [filed.code]
    assert listed["results"][0]["owner"]["code"] == world.grid_a.code
    assert "requester_name" not in listed["results"][0]

    one = api.get(f"/api/v1/tickets/mine/{filed.code}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert [step["action"] for step in one["steps"]] == ["create", "dispatch", "accept"]
    assert one["steps"][2]["text"] == f"{world.grid_a.name}已签收。"
    assert api.get(f"/api/v1/tickets/mine/{other.code}/").status_code == 404
    # What the hotline filed for callers is the callers', not the operator's.
    api.force_authenticate(world.hotline)
    assert api.get("/api/v1/tickets/mine/").json()["results"] == []
    assert api.get(f"/api/v1/tickets/mine/{other.code}/").status_code == 404


def resolved_report(world, **overrides):
    ticket = reported_by_resident(world, **overrides)
    perform(ticket, "accept", world.gridworker_a)
    ticket.refresh_from_db()
    perform(ticket, "resolve", world.gridworker_a, reply="已清理。")
    ticket.refresh_from_db()
    return ticket


def rate(client, ticket, **answers):
    data = {f"rate-{k}": v for k, v in answers.items()}
    data.setdefault("rate-version", ticket.version)
    return client.post(reverse("tickets:mine-rate", args=[ticket.code]), data)


def test_the_requester_rates_a_resolved_demand_and_it_closes(client, world):
    ticket = resolved_report(world)
    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[ticket.code])
    )
    assert 'id="rate-form"' in html and "您对办理结果满意吗？" in html
    response = rate(client, ticket, resolved="yes", satisfaction="satisfied", note="很及时")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    callback = Callback.objects.get(ticket=ticket)
    assert callback.by == world.resident and callback.owner_place == world.grid_a
    assert callback.satisfaction == "satisfied" and callback.resolved
    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[ticket.code])
    )
    assert 'id="rate-form"' not in html
    assert "您已评价（满意），诉求已办结。" in html and "很及时" in html
    # Staff see in the timeline that the requester rated it themselves.
    _response, html = page(
        client, world.gridworker_a, reverse("tickets:detail", args=[ticket.code])
    )
    assert "诉求人在“我的诉求”中自行评价" in html


def neighbour(world):
    """Another resident, of the next building."""
    user = user_with_role(Role.RESIDENT, world.buildings[1])
    PersonFactory(user=user, place=world.buildings[1])
    return user


def test_a_dissatisfied_rating_reopens_it_and_nobody_else_may_rate(client, world):
    ticket = resolved_report(world)
    client.force_login(neighbour(world))
    assert rate(client, ticket, resolved="no", satisfaction="dissatisfied").status_code == 404
    client.force_login(world.resident)
    response = rate(client, ticket, resolved="yes")  # no satisfaction: a form error
    assert response.status_code == 400 and not Callback.objects.exists()
    response = rate(client, ticket, resolved="no", satisfaction="dissatisfied", note="还是堆着")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "reopened" and ticket.reopen_count == 1
    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[ticket.code])
    )
    assert "诉求将重新办理" in html and 'id="rate-form"' not in html
    # Rating again while it is being handled is refused, and writes nothing.
    response = rate(client, ticket, resolved="yes", satisfaction="satisfied")
    assert response.status_code == 302 and Callback.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == "reopened"


def test_the_api_rates_my_resolved_demand(world):
    from rest_framework.test import APIClient

    ticket = resolved_report(world)
    api = APIClient()
    api.force_authenticate(world.resident)
    url = f"/api/v1/tickets/mine/{ticket.code}/rate/"
    assert api.post(url, {"resolved": True}, format="json").status_code == 400
    answer = api.post(url, {"resolved": True, "satisfaction": "basic"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "closed"
    assert answer.json()["steps"][-1]["action"] == "callback"
    again = api.post(url, {"resolved": True, "satisfaction": "basic"}, format="json")
    assert again.status_code == 409
    api.force_authenticate(world.hotline)  # filed for a caller? no: not the operator's
    assert (
        api.post(url, {"resolved": True, "satisfaction": "basic"}, format="json").status_code == 404
    )


def test_a_mini_program_report_is_the_reporters_own(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.resident)
    answer = api.post(
        "/api/v1/tickets/",
        {
            "channel": "wechat",
            "nature": "complaint",  # needs a way to call back: the person record gives it
            "title": "楼道灯坏了",
            "description": "1号楼3单元楼道灯坏了一个星期。",
            "address": "魏家坡小区1号楼",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    ticket = Ticket.objects.get(code=answer.json()["code"])
    assert ticket.requester == world.person and ticket.created_by == world.resident
    mine = api.get("/api/v1/tickets/mine/").json()["results"]
    assert [row["code"] for row in mine] == [ticket.code]
    # Someone else's phone given: the reporter speaks for them, the ticket names them.
    other = api.post(
        "/api/v1/tickets/",
        {
            "channel": "wechat",
            "nature": "help",
            "description": "替邻居老人反映：家里水管漏水。",
            "address": "魏家坡小区1号楼",
            "requester_phone": "13900001111",
        },
        format="json",
    ).json()
    assert Ticket.objects.get(code=other["code"]).requester is None


def test_a_merged_demand_shows_the_matter_handled_and_its_requester_rates_it(client, world):
    mine = reported_by_resident(world)
    survivor = make_ticket(world, title="同一楼道堆物")
    perform(mine, "merge", world.hotline, into=survivor.code)
    _response, html = page(client, world.resident, reverse("tickets:mine-detail", args=[mine.code]))
    assert 'id="rate-form"' not in html  # nothing to rate yet
    perform(survivor, "accept", world.gridworker_a)
    survivor.refresh_from_db()
    perform(survivor, "resolve", world.gridworker_a, reply="楼道已清空。")

    mine.refresh_from_db()
    _response, html = page(client, world.resident, reverse("tickets:mine-detail", args=[mine.code]))
    steps = re.findall(r'data-action="([^"]+)"', html)
    assert steps == ["create", "dispatch", "merge", "accept", "resolve"]
    assert "楼道已清空。" in html and 'id="rate-form"' in html
    assert survivor.code not in html  # another requester's ticket stays out of sight
    assert rate(client, mine, resolved="no", satisfaction="dissatisfied").status_code == 302
    survivor.refresh_from_db()
    mine.refresh_from_db()
    assert survivor.status == "reopened" and mine.status == "merged"
    assert Callback.objects.get(ticket=mine).owner_place == world.grid_a


def test_a_photo_report_from_the_page_names_the_reporter(client, world):
    client.force_login(world.resident)
    building = world.buildings[0]
    response = client.post(
        reverse("tickets:report"),
        {
            "description": "楼道里堆满了纸箱",
            "lat": building.lat,
            "lng": building.lng,
            "address": "",
            "category": "",
            "idempotency_key": "mine-1",
        },
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == "photo" and ticket.requester == world.person


# --- the third browser walk: a resident's 随手拍 of stairway clutter --------------------------


def report_with_photo(client, world, description, category=""):
    """The resident's 随手拍 from the page: a photo, a few words, the building's address."""
    client.force_login(world.resident)
    response = client.post(
        reverse("tickets:report"),
        {
            "description": description,
            "address": world.buildings[0].address,
            "lat": "",
            "lng": "",
            "category": category,
            "idempotency_key": "walk-3",
            "photos": [png_upload()],
        },
    )
    assert response.status_code == 200
    return Ticket.objects.get()


def photo_urls(html):
    return re.findall(r'<img src="(/tickets/[^"]+/photos/\d+/)"', html)


def served(client, url):
    response = client.get(url)
    if response.status_code == 200:
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    return response.status_code


def test_a_residents_report_shows_its_photos_to_them_and_to_the_owning_unit(client, world):
    """The walk: the resident's own photo was on no page of theirs. They see the photos filed
    with it and the result's, staff who may see the ticket all of them, nobody else any."""
    ticket = report_with_photo(client, world, "楼道里堆满了纸箱", category=world.corridor.code)
    filed = TicketPhoto.objects.get(ticket=ticket)
    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[ticket.code])
    )
    mine_url = reverse("tickets:mine-photo", args=[ticket.code, filed.pk])
    assert photo_urls(html) == [mine_url] and f'<a href="{mine_url}"' in html
    assert served(client, mine_url) == 200
    staff_url = reverse("tickets:photo", args=[ticket.code, filed.pk])
    assert served(client, staff_url) == 404  # not through the workbench, which they lack

    # The owning grid sees it on the ticket, resolves it with a photo of the result.
    assert ticket.owner_place == world.grid_a
    _response, html = page(
        client, world.gridworker_a, reverse("tickets:detail", args=[ticket.code])
    )
    assert photo_urls(html) == [staff_url]
    assert served(client, staff_url) == 200
    perform(ticket, "accept", world.gridworker_a)
    # An internal step's photo (none has one today; were it to) stays with the staff.
    perform(ticket, "supervise", world.street_staff, reason="催一下")
    internal = TicketPhoto.objects.create(
        ticket=ticket, event=ticket.events.get(action="supervise"), image=filed.image.name
    )
    response = act(client, ticket, "resolve", reply="纸箱已清走。", photos=png_upload("after.png"))
    assert response.status_code == 200
    result = TicketPhoto.objects.get(ticket=ticket, event__action="resolve")

    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[ticket.code])
    )
    step = html.split('data-action="resolve"')[1].split("</li>")[0]
    result_url = reverse("tickets:mine-photo", args=[ticket.code, result.pk])
    assert photo_urls(step) == [result_url]
    assert served(client, result_url) == 200
    internal_url = reverse("tickets:mine-photo", args=[ticket.code, internal.pk])
    assert internal_url not in html and served(client, internal_url) == 404

    # Another resident, and a grid worker of another grid, get none of them.
    client.force_login(neighbour(world))
    assert served(client, mine_url) == 404 and served(client, result_url) == 404
    client.force_login(world.gridworker_b)
    assert served(client, staff_url) == 404


def test_a_residents_photo_of_stairway_clutter_is_the_buildings_grids(client, world, monkeypatch):
    """The walk: "楼道里堆满了纸箱…" at a building went to the community, and the grid worker
    saw the requester masked. The trained model knows the board's first-level categories
    (城乡建设, a community matter) and the text named only one word of 楼道堆物's (楼道)."""

    def board_model(text, top=3):  # what the demo's trained model answered
        return [("城乡建设", 0.363), ("商贸旅游", 0.198), ("环境保护", 0.129)]

    monkeypatch.setattr(predictor, "model_top", board_model)
    world.person.phone = "13900002222"
    world.person.save()
    ticket = report_with_photo(client, world, "楼道里堆满了纸箱和旧家具，挡住了通道")
    assert ticket.building == world.buildings[0] and ticket.category == world.corridor
    assert ticket.owner_place == world.grid_a == world.buildings[0].parent  # 小事不出网格
    assert ticket.status == "dispatched"

    # The building's grid worker handles it, so sees the requester in full (logged).
    _response, html = page(
        client, world.gridworker_a, reverse("tickets:detail", args=[ticket.code])
    )
    assert 'name="reveal"' in html
    response = client.post(
        reverse("tickets:reveal", args=[ticket.code]),
        {"purpose": "联系诉求人"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "刘居民" in html and "13900002222" in html
    # The page itself logged the exact address the holding unit sees (requester_text).
    assert AccessLog.objects.filter(user=world.gridworker_a, purpose="联系诉求人").count() == 1


def test_the_requester_reads_an_extended_date_as_a_local_day(world):
    """The approval stores the date in UTC: 07:30 Beijing time read as the day before."""
    from gridgov.tickets import progress
    from gridgov.tickets.models import TicketEvent

    ticket = make_ticket(world)
    perform(ticket, "accept", world.gridworker_a)
    # A week past the deadline, wherever today puts it: a fixed 2026-12-31 came before the
    # deadline of a ticket made in late December or later, and the extension was refused.
    ticket.refresh_from_db()
    day = timezone.localtime(ticket.resolve_by).date() + dt.timedelta(days=7)
    until = f"{day.isoformat()}T07:30:00+08:00"
    perform(ticket, "extend", world.gridworker_a, until=until, reason="等配件")
    perform(ticket, "approve-extension", world.community_staff, approve=True)
    event = TicketEvent.objects.get(ticket=ticket, action="approve-extension")
    assert day.isoformat() in progress._step(event)


def test_the_reply_being_rated_stands_above_the_rating_questions(client, world):
    """评价 asked 您反映的问题解决了吗？ with the unit's reply (and its photos) at the foot
    of the page, under the form: on a phone, a screen below the questions about it."""
    ticket = reported_by_resident(world)
    perform(ticket, "accept", world.gridworker_a)
    client.force_login(world.gridworker_a)
    done = act(client, ticket, "resolve", reply="纸箱已清走，通道已恢复畅通。", photos=png_upload())
    assert done.status_code == 200
    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[ticket.code])
    )
    reply = html.index('id="rate-reply"')
    assert reply < html.index('id="rate-form"')
    assert html.index("纸箱已清走，通道已恢复畅通。", reply) < html.index('id="rate-form"')
    (photo,) = TicketPhoto.objects.filter(ticket=ticket)
    photo_url = reverse("tickets:mine-photo", args=[ticket.code, photo.pk])
    assert html.index(photo_url, reply) < html.index('id="rate-form"')
    # Once rated, nothing is asked and the reply is where the steps tell it.
    ticket.refresh_from_db()
    assert rate(client, ticket, resolved="yes", satisfaction="satisfied").status_code == 302
    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[ticket.code])
    )
    assert 'id="rate-reply"' not in html and "纸箱已清走，通道已恢复畅通。" in html


def test_where_names_the_building_once_when_the_address_is_its_name(client, world):
    building = world.buildings[0]
    said = f"{world.grid_a.name}{building.name}"  # as the demo's addresses: 魏家坡小区3栋
    ticket = make_ticket(world, requester=world.person, requester_name="", address=said)
    assert ticket.place == building
    url = reverse("tickets:mine-detail", args=[ticket.code])
    _response, html = page(client, world.resident, url)
    where = re.search(r"<dt>位置</dt><dd>(.*?)</dd>", html, re.S).group(1)
    # Was 魏家坡小区3栋 <span>魏家坡小区3栋</span>: the address said again.
    assert where.count(building.name) == 1, where
    assert said in where
    # An address that says more than the place is still shown.
    other = make_ticket(world, requester=world.person, requester_name="", address=f"{said}2单元")
    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[other.code])
    )
    assert f"{said}2单元" in re.search(r"<dt>位置</dt><dd>(.*?)</dd>", html, re.S).group(1)


def test_the_rating_questions_are_required_in_the_browser_too(client, world):
    """The radios were marked required but the form said novalidate: a phone sent the rating
    unanswered and came back with the server's errors. The server still asks."""
    ticket = resolved_report(world)
    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[ticket.code])
    )
    form = re.search(r'<form id="rate-form"[^>]*>.*?</form>', html, re.S).group(0)
    assert "novalidate" not in form.split(">", 1)[0]
    for name, count in (("rate-resolved", 2), ("rate-satisfaction", 3)):
        radios = re.findall(rf'<input type="radio" name="{name}"[^>]*>', form)
        assert len(radios) == count and all(" required" in r for r in radios)
    response = rate(client, ticket, note="")
    assert response.status_code == 400
    html = response.content.decode()
    assert '<div class="field has-error" data-field="resolved">' in html
    assert '<div class="field has-error" data-field="satisfaction">' in html
    ticket.refresh_from_db()
    assert ticket.status == "resolved"


def test_a_resolved_demand_waiting_for_the_residents_rating_says_so(client, world):
    """A resolved demand the resident is asked to rate read just 已办结 on 我的诉求 and its
    page, as if nothing were left to do."""
    ticket = resolved_report(world)
    _response, html = page(client, world.resident, reverse("tickets:mine"))
    assert 'data-status="resolved">已办结，待您评价</span>' in html
    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[ticket.code])
    )
    assert 'data-status="resolved">已办结，待您评价</span>' in html
    assert rate(client, ticket, resolved="yes", satisfaction="satisfied").status_code == 302
    for url in (reverse("tickets:mine"), reverse("tickets:mine-detail", args=[ticket.code])):
        _response, html = page(client, world.resident, url)
        assert "待您评价" not in html and 'data-status="closed">已结案</span>' in html


def test_on_a_resolved_demand_the_rating_comes_before_the_photos_form(client, world):
    """补充照片 sat above 评价办理结果: the rating is what the resident is asked to do now."""
    ticket = resolved_report(world)
    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[ticket.code])
    )
    assert html.index('id="rate-form"') < html.index('id="add-photos-form"')


def test_on_a_resolved_demand_the_photos_form_does_not_say_it_helps_the_handling(client, world):
    """补充照片 said 有助于承办单位办理 under a demand already resolved and waiting for the
    resident's rating (found walking the demo as the resident): nobody handles it unless the
    rating says it is not solved. While it is handled the hint stays."""
    handled = reported_by_resident(world)
    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[handled.code])
    )
    assert "拍一张现场现在的照片，有助于承办单位办理。" in html
    ticket = resolved_report(world)
    _response, html = page(
        client, world.resident, reverse("tickets:mine-detail", args=[ticket.code])
    )
    assert 'id="add-photos-form"' in html
    assert "有助于承办单位办理" not in html
    assert "问题仍未解决？请拍一张现场现在的照片，并在上方选择“否”：诉求将重新办理。" in html


def test_the_api_and_the_home_page_word_a_demand_as_my_demands_does(client, world):
    """The requester's API (the mini-program) and the home page's 我的诉求 panel said 已办结 of
    a demand waiting for the resident's rating, and the API's steps left out the photos the
    resident added: 我的诉求 said 已办结，待您评价 and 您补充了 1 张照片。"""
    from rest_framework.test import APIClient

    from gridgov.tickets import photos as photo_files
    from tests.tickets.test_views import png_upload

    ticket = resolved_report(world)
    photo_files.add(ticket, photo_files.clean_all([png_upload("a.png")]), world.resident)
    api = APIClient()
    api.force_authenticate(world.resident)
    listed = api.get("/api/v1/tickets/mine/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert listed["results"][0]["status"] == "resolved"
    assert listed["results"][0]["status_label"] == "已办结，待您评价"
    one = api.get(f"/api/v1/tickets/mine/{ticket.code}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert one["status_label"] == "已办结，待您评价"
    assert "您补充了 1 张照片。" in [step["text"] for step in one["steps"]]
    _response, html = page(client, world.resident, reverse("home"))
    assert 'data-status="resolved">已办结，待您评价</span>' in html

    assert rate(client, ticket, resolved="yes", satisfaction="satisfied").status_code == 302
    one = api.get(f"/api/v1/tickets/mine/{ticket.code}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert one["status_label"] == "已结案"
