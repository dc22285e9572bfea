"""Found walking the demo as street staff and community police: a ticket's title read
scrubbed on its own page (张*反映… ***, requester_text since 4660634) was listed as written
on the insights pages that name it: a hot issue's ticket list, the possible duplicates on
another ticket's page and beside the intake form. One page told what the other blanked."""

import pytest
from django.urls import reverse

from gridgov.people.models import Role
from tests.insights.test_hot_issue_review import _issue
from tests.people.factories import user_with_role
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
LAMP = "小区东门的路灯坏了一个多月，晚上很黑，老人出行很不方便，请尽快修理。"


@pytest.fixture
def world():
    w = make_world()
    w.police = user_with_role(Role.COMMUNITY_POLICE, w.community, username="police")
    return w


def _said(world):
    """A ticket held by grid A whose title and description quote the requester."""
    return make_ticket(
        world,
        title=f"张三反映路灯不亮 {PHONE}",
        description=f"{LAMP}请联系我 {PHONE}。张三",
        requester_name="张三",
    )


def _leaks(html):
    return [secret for secret in (PHONE, "张三") if secret in html]


def test_a_hot_issues_ticket_list_reads_the_titles_as_the_viewer_does(client, world):
    ticket = _said(world)
    issue = _issue(world.street, [ticket], key="t-scrub")
    client.force_login(world.street_staff)
    page = client.get(reverse("insights:hot-issue", args=[issue.pk])).content.decode()
    assert ticket.code in page
    assert _leaks(page) == [] and "张*反映路灯不亮 ***" in page


@pytest.mark.parametrize("who", ["police", "street_staff"])
def test_possible_duplicates_on_a_tickets_page_read_as_the_viewer_does(client, world, who):
    said = _said(world)
    other = make_ticket(world, title="", description=LAMP, requester_phone="13900001111")
    client.force_login(getattr(world, who))
    html = client.get(reverse("insights:ticket-duplicates", args=[other.code])).content.decode()
    assert said.code in html
    assert _leaks(html) == [] and "张*反映路灯不亮 ***" in html


def test_the_holding_unit_reads_its_duplicates_title_as_written(client, world):
    said = _said(world)
    other = make_ticket(world, title="", description=LAMP, requester_phone="13900001111")
    client.force_login(world.gridworker_a)  # grid A holds both
    html = client.get(reverse("insights:ticket-duplicates", args=[other.code])).content.decode()
    assert said.code in html and f"张三反映路灯不亮 {PHONE}" in html


def test_possible_duplicates_beside_the_intake_form_read_as_the_operator_does(client, world):
    said = _said(world)
    assert not world.hotline.has_perm("tickets.read_requester_text", said)  # a unit holds it
    client.force_login(world.hotline)
    typed = {"description": LAMP, "address": "魏家坡小区3号楼"}
    html = client.get(reverse("insights:intake-duplicates"), typed).content.decode()
    assert said.code in html
    assert _leaks(html) == [] and "张*反映路灯不亮 ***" in html


def test_the_insights_api_reads_the_titles_as_the_viewer_does(world):
    """The API side of the two pages above: a hot issue's tickets and a ticket's possible
    duplicates."""
    from rest_framework.test import APIClient

    said = _said(world)
    issue = _issue(world.street, [said], key="t-scrub-api")
    other = make_ticket(world, title="", description=LAMP, requester_phone="13900001111")
    client = APIClient()
    client.force_authenticate(world.street_staff)
    issue_answer = client.get(f"/api/v1/insights/hot-issues/{issue.pk}/").json()
    assert [t["title"] for t in issue_answer["tickets"]] == ["张*反映路灯不亮 ***"]
    duplicates = client.get(f"/api/v1/insights/duplicates/{other.code}/").json()
    assert said.code in [d["code"] for d in duplicates]
    assert not _leaks(str(duplicates)) and not _leaks(str(issue_answer))
