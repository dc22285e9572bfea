"""Words staff write on a ticket quote the requester (已电话联系 13912345678 张三): the
extension request and the decision on it, the whistle's reason, a summoned department's
report and the street's note on its rating. Whoever reads the requester's text scrubbed
(community police, cadres, the offices above, a summoned department) reads these
scrubbed too, on the page and in the API; the holding unit reads them as written
(requester_text.text_for, DESIGN §8). They were shown as written to everyone who saw the
ticket."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.people.models import Role
from gridgov.tickets import lifecycle
from tests.people.factories import user_with_role

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
ID_NUMBER = "110101199001011234"
QUOTE = f"已电话联系 {PHONE} 张三，身份证 {ID_NUMBER}，住2单元501室"
SCRUBBED = "已电话联系 *** 张*，身份证 ***，住***"

# Each field's words begin with their own marker, to find them on the page.
EXTENSION = "延期理由"
DECISION = "不批理由"
PENDING = "再次申请"
WHISTLE = "吹哨事由"
REPORT = "处置情况"
RATING_NOTE = "评价说明"
FIELDS = (EXTENSION, DECISION, PENDING, WHISTLE, REPORT, RATING_NOTE)


def words(marker):
    return f"{marker}：{QUOTE}"


def scrubbed(marker):
    return f"{marker}：{SCRUBBED}"


@pytest.fixture
def world():
    w = make_world()
    w.police = user_with_role(Role.COMMUNITY_POLICE, w.community, username="police")
    w.cadre = user_with_role(Role.CADRE, w.grid_a, username="cadre")
    return w


def _extend(ticket, world, marker):
    ticket.refresh_from_db()
    until = ticket.resolve_by + (ticket.resolve_by - ticket.created_at)
    lifecycle.perform(ticket, "extend", world.gridworker_a, until=until, reason=words(marker))


@pytest.fixture
def ticket(world):
    """Held by grid A; an extension refused by the community, a second one pending; the
    street summoned 城管 (CG), which reported, and rated it."""
    ticket = make_ticket(world, place=world.grid_a.code)
    assert ticket.owner_place == world.grid_a
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    _extend(ticket, world, EXTENSION)
    lifecycle.perform(
        ticket, "approve-extension", world.community_staff, approve=False, reason=words(DECISION)
    )
    _extend(ticket, world, PENDING)
    lifecycle.perform(
        ticket,
        "whistle",
        world.street_staff,
        departments=["CG"],
        report_within_hours=2,
        reason=words(WHISTLE),
    )
    lifecycle.perform(
        ticket, "whistle-report", world.city_handler, department="CG", note=words(REPORT)
    )
    lifecycle.perform(
        ticket,
        "whistle-rate",
        world.street_staff,
        department="CG",
        rating=3,
        note=words(RATING_NOTE),
    )
    ticket.refresh_from_db()
    return ticket


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _leaks(text):
    return [secret for secret in (PHONE, ID_NUMBER, "501室", "张三") if secret in text]


def page(client, user, ticket):
    client.force_login(user)
    response = client.get(reverse("tickets:detail", args=[ticket.code]))
    assert response.status_code == 200
    return response.content.decode()


def outside_the_timeline(html):
    """The page without its timeline, where the events' reasons were already scrubbed:
    what is left is the panels these words stand in."""
    return re.sub(r'<ol class="timeline" id="timeline">.*?</ol>', "", html, flags=re.S)


# Outside the holding unit: police and cadres of the place, the community above (which
# decides the extension), the summoned department.
SCRUBBED_VIEWERS = ["police", "cadre", "community_staff", "city_handler"]


@pytest.mark.parametrize("marker", FIELDS)
def test_staff_words_on_the_page_are_scrubbed_outside_the_holding_unit(
    client, world, ticket, marker
):
    assert words(marker) in outside_the_timeline(page(client, world.gridworker_a, ticket))
    for who in SCRUBBED_VIEWERS:
        html = page(client, getattr(world, who), ticket)
        assert words(marker) not in html, who
        assert scrubbed(marker) in outside_the_timeline(html), who


@pytest.mark.parametrize("who", SCRUBBED_VIEWERS)
def test_nothing_of_the_requester_is_left_on_their_page(client, world, ticket, who):
    assert _leaks(page(client, getattr(world, who), ticket)) == []


def test_the_approver_reads_the_pending_request_scrubbed_in_its_form(client, world, ticket):
    html = page(client, world.community_staff, ticket)
    form = re.search(r'<form [^>]*data-action="approve-extension".*?</form>', html, re.S)
    assert form, "the community decides the pending request"
    assert scrubbed(PENDING) in form.group() and _leaks(form.group()) == []


def _staff_words(detail):
    """Every staff-written field of the API's ticket detail, in order."""
    found = [x["reason"] for x in detail["extensions"]]
    for whistle in detail["whistles"]:
        found.append(whistle["reason"])
        found += [s["action"] for s in whistle["summonses"]]
    return found


@pytest.mark.parametrize("who", SCRUBBED_VIEWERS)
def test_staff_words_in_the_api_are_scrubbed_outside_the_holding_unit(world, ticket, who):
    url = f"/api/v1/tickets/{ticket.pk}/"
    as_written = _staff_words(api(world.gridworker_a).get(url).json())
    assert as_written == [words(EXTENSION), words(PENDING), words(WHISTLE), words(REPORT)]
    detail = api(getattr(world, who)).get(url).json()
    assert _staff_words(detail) == [
        scrubbed(EXTENSION),
        scrubbed(PENDING),
        scrubbed(WHISTLE),
        scrubbed(REPORT),
    ]


def test_the_street_holding_the_ticket_reads_its_whistle_as_written(client, world):
    """The street that blew the whistle on a ticket it holds reads its reason as written;
    the department it summoned, scrubbed."""
    ticket = make_ticket(world, place=world.grid_a.code)
    lifecycle.perform(ticket, "escalate", world.gridworker_a, reason="需要社区协调")
    lifecycle.perform(ticket, "escalate", world.community_staff, reason="涉及多个社区")
    ticket.refresh_from_db()
    assert ticket.owner_place == world.street
    lifecycle.perform(
        ticket,
        "whistle",
        world.street_staff,
        departments=["CG"],
        report_within_hours=2,
        reason=words(WHISTLE),
    )
    url = f"/api/v1/tickets/{ticket.pk}/"
    assert words(WHISTLE) in outside_the_timeline(page(client, world.street_staff, ticket))
    assert api(world.street_staff).get(url).json()["whistles"][0]["reason"] == words(WHISTLE)
    assert scrubbed(WHISTLE) in outside_the_timeline(page(client, world.city_handler, ticket))
    assert api(world.city_handler).get(url).json()["whistles"][0]["reason"] == scrubbed(WHISTLE)
