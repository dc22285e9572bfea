"""Possible duplicates where staff work: on a ticket's page (merge it into the one that
handles the matter) and beside the intake forms (tell the caller where theirs stands)."""

import re

import pytest
from django.urls import reverse

from gridgov.insights import services
from gridgov.places.models import Place
from gridgov.tickets.models import Status
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

LAMP = "小区东门的路灯坏了一个多月，晚上很黑，老人出行很不方便，请尽快修理。"


@pytest.fixture
def world():
    return make_world()


def test_a_ticket_page_offers_to_merge_into_the_ticket_handling_the_matter(client, world):
    first = make_ticket(world)
    second = make_ticket(world, requester_phone="13900001111")  # same text, same building
    other = make_ticket(world, title="路灯不亮", description=LAMP, address="幸福里小区3号楼")
    client.force_login(world.hotline)
    page = client.get(reverse("tickets:detail", args=[second.code])).content.decode()
    url = reverse("insights:ticket-duplicates", args=[second.code])
    assert f'hx-get="{url}"' in page  # the panel loads itself
    html = client.get(url).content.decode()
    assert "可能重复的工单" in html and first.code in html and other.code not in html
    assert "同一楼栋" in html
    form = re.search(r'<form class="duplicate-merge".*?</form>', html, re.S).group(0)
    fields = dict(re.findall(r'name="([\w-]+)" value="([^"]*)"', form))
    assert fields["merge-into"] == first.code and f"将本工单并入 {first.code}" in form
    action = re.search(r'action="([^"]+)"', form).group(1)
    assert client.post(action, fields).status_code == 302
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.merged_into == first
    # Merged, it is no longer open: neither lists the other any more.
    assert (
        second.code
        not in client.get(reverse("insights:ticket-duplicates", args=[first.code])).content.decode()
    )
    assert client.get(url).content.decode().strip() == ""


def test_the_merge_button_only_for_those_who_may_merge(client, world):
    first = make_ticket(world)
    second = make_ticket(world)
    client.force_login(world.gridworker_a)  # sees the ticket, may not merge it
    html = client.get(reverse("insights:ticket-duplicates", args=[second.code])).content.decode()
    assert first.code in html and "duplicate-merge" not in html
    client.force_login(world.resident)
    assert client.get(reverse("insights:ticket-duplicates", args=[second.code])).status_code == 403


def test_beside_the_intake_form_the_callers_open_tickets_appear_as_the_operator_types(
    client, world
):
    lamp = make_ticket(world, title="路灯坏了", description=LAMP, requester_phone="13900002222")
    client.force_login(world.hotline)
    page = client.get(reverse("tickets:new-hotline")).content.decode()
    url = reverse("insights:intake-duplicates")
    assert f'hx-get="{url}"' in page
    empty = client.get(url).content.decode()
    assert "这里会显示" in empty and lamp.code not in empty
    typed = {"description": LAMP, "address": "魏家坡小区3号楼", "requester_phone": "13900002222"}
    html = client.get(url, typed).content.decode()
    assert lamp.code in html and "同一诉求人" in html and "文本相似" in html
    html = client.get(url, {"description": "幼儿园收费太高，请教育部门管一管。"}).content.decode()
    assert lamp.code not in html and "暂无相似的在办工单" in html
    client.force_login(world.resident)
    assert client.get(url, typed).status_code == 403


def test_a_match_on_the_caller_is_shown_only_to_those_who_may_see_the_caller(world):
    # Same grid, a loosely similar text: listed because the same phone asked (score
    # text + grid + requester); that tells who filed it, so only for those who may know.
    first = make_ticket(
        world,
        title="",
        description=LAMP,
        category=world.community_matter.code,
        requester_phone="13900003333",
    )
    other_building = Place.objects.get(code="B1a5")
    assert other_building.parent_id == first.grid_id != first.place_id

    def found(user):
        text = "路灯坏了，老人出行不便。"
        pairs = services.visible_duplicates(user, text, place=other_building, phone="13900003333")
        return {d.code: d.reasons for d, _t in pairs}

    assert found(world.hotline) == {first.code: ["grid", "requester"]}
    assert world.gridworker_a.has_perm("tickets.view_ticket", first)
    assert not world.gridworker_a.has_perm("tickets.view_requester", first)
    assert found(world.gridworker_a) == {}


def test_the_operator_records_a_callers_urging_on_the_open_ticket(client, world):
    lamp = make_ticket(world, title="路灯坏了", description=LAMP, requester_phone="13900002222")
    client.force_login(world.hotline)
    typed = {"description": LAMP, "address": "魏家坡小区3号楼", "requester_phone": "13900002222"}
    html = client.get(reverse("insights:intake-duplicates"), typed).content.decode()
    urge = reverse("tickets:urge", args=[lamp.code])
    assert f'hx-post="{urge}"' in html and "来电催办" in html
    answer = client.post(urge, HTTP_HX_REQUEST="true").content.decode()
    assert f"已在 {lamp.code} 记录来电催办（累计 1 次）" in answer
    answer = client.post(urge, HTTP_HX_REQUEST="true").content.decode()
    assert "累计 2 次" in answer
    events = lamp.events.filter(action="supervise")
    assert events.count() == 2 and events.first().actor == world.hotline
    page = client.get(reverse("tickets:detail", args=[lamp.code])).content.decode()
    assert "诉求人再次来电催办" in page  # in the timeline, in Chinese
    # The grid worker handling it may not record urging: no button, and a refusal.
    client.force_login(world.gridworker_a)
    html = client.get(reverse("insights:intake-duplicates"), typed).content.decode()
    assert lamp.code in html and "来电催办" not in html
    assert "form-errors" in client.post(urge, HTTP_HX_REQUEST="true").content.decode()
    assert lamp.events.filter(action="supervise").count() == 2


def test_the_callers_open_tickets_are_listed_at_intake_by_the_phone_alone(client, world):
    """重复来电: the same phone, another wording and no address still shows the caller's
    open ticket, labelled as theirs; a merge on the ticket page still needs the score."""
    lamp = make_ticket(
        world,
        title="路灯坏了",
        description=LAMP,
        category=world.community_matter.code,  # not the grid's own: its worker sees no caller
        requester_phone="13900004444",
    )
    url = reverse("insights:intake-duplicates")
    typed = {"description": "楼下烧烤摊晚上太吵了，还是没人管", "requester_phone": "139 0000 4444"}
    client.force_login(world.hotline)
    html = client.get(url, typed).content.decode()
    assert lamp.code in html and "重复来电：同一来电人的在办工单" in html
    assert "暂无相似的在办工单" not in html
    # Before any text, the phone alone is enough.
    html = client.get(url, {"requester_phone": "13900004444"}).content.decode()
    assert lamp.code in html and "同一来电人" in html
    # Another caller with the same different text: nothing.
    html = client.get(url, {**typed, "requester_phone": "13900005555"}).content.decode()
    assert lamp.code not in html and "暂无相似的在办工单" in html
    # Who may not see the caller is not told that this caller has an open ticket.
    client.force_login(world.gridworker_a)
    assert world.gridworker_a.has_perm("tickets.view_ticket", lamp)
    assert not world.gridworker_a.has_perm("tickets.view_requester", lamp)
    assert lamp.code not in client.get(url, typed).content.decode()
    # On a ticket's page, the same caller with another matter is no merge suggestion.
    other = make_ticket(
        world,
        title="烧烤摊扰民",
        description=typed["description"],
        address="",
        requester_phone="13900004444",
    )
    assert services.duplicates_of(other, world.hotline) == []
    client.force_login(world.hotline)
    page = client.get(reverse("insights:ticket-duplicates", args=[other.code]))
    assert lamp.code not in page.content.decode()


def test_a_caller_with_many_open_tickets_sees_them_beside_the_best_matches(world):
    for i in range(7):
        make_ticket(
            world,
            title=f"第{i}件",
            description=f"{'一二三四五六七'[i]}号楼门口的垃圾桶满了没人清运{i}",
            address="",
            requester_phone="13900006666",
        )
    found = services.visible_duplicates(
        world.hotline, "完全不同的一件事：孩子上学难", phone="13900006666", callers=True
    )
    assert len(found) == 7 and all("requester" in d.reasons for d, _t in found)
    assert services.visible_duplicates(world.hotline, "孩子上学难", phone="13900006666") == []


def test_the_intake_panel_looks_where_the_text_says_and_as_filing_would(client, world):
    """No address typed, only a description naming the building: the panel looks there, and
    with the category the ticket would be filed under, as filing and the ticket's page do
    (it said "no open ticket looks like this one" while the filed ticket listed one)."""
    heap = make_ticket(world, address="幸福里小区3栋", requester_phone="13900007777")
    typed = {"description": "幸福里小区3栋一楼过道堆了好多旧家具和纸箱，人都过不去", "address": ""}
    client.force_login(world.hotline)
    html = client.get(reverse("insights:intake-duplicates"), typed).content.decode()
    assert heap.code in html and "同一楼栋" in html and "同类事项" in html
    filed = make_ticket(world, category=None, requester_phone="13900008888", **typed)
    assert filed.place == heap.place and filed.category == heap.category
    dupes = filed.events.get(action="create").data.get("duplicates") or []
    assert [d["code"] for d in dupes] == [heap.code]
    assert [d.code for d, _t in services.duplicates_of(filed, world.hotline)] == [heap.code]
