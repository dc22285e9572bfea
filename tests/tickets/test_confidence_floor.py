"""A classifier's score shown beside its verdict never reaches the threshold's figure when
below it: 0.9496 under a 0.95 threshold read 最高可信度 95% beside 把握不足 (rounded half up).
Scores are shown rounded down to a whole percent wherever the category waits to be confirmed:
the timeline's line, the ticket's 分类待确认, the desk's dispatch choices, the intake preview."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from gridgov.tickets import timeline
from gridgov.tickets.classify import LOW_CONFIDENCE, score_percent
from gridgov.tickets.models import Category, Ticket

from .factories import make_ticket, make_world
from .test_views import client_for, html_of

pytestmark = pytest.mark.django_db

JUST_BELOW = 0.9496


@pytest.fixture
def world(settings):
    settings.GRIDGOV_AUTO_DISPATCH_MIN_SCORE = 0.95
    return make_world()


def test_a_score_is_shown_rounded_down():
    assert score_percent(JUST_BELOW) == "94%"
    assert score_percent(0.95) == "95%"
    assert score_percent(0.29) == "29%"  # not 28%: 0.29 * 100 is 28.999…
    assert score_percent(1) == "100%"
    assert score_percent(None) == "0%"


def waiting_to_confirm(world):
    """A demand left at the street's desk because the model scored its best label 0.9496."""
    ticket = make_ticket(world)
    other = Category.objects.get(depth=1, name="卫生计生")
    event = ticket.events.get(action="create")
    event.data.update(
        route=LOW_CONFIDENCE,
        score=JUST_BELOW,
        suggestions=[(world.corridor.code, JUST_BELOW), (other.code, 0.0304)],
    )
    event.save(update_fields=["data"])
    Ticket.objects.filter(pk=ticket.pk).update(
        status="received", owner_place=world.street, owner_department=None
    )
    return Ticket.objects.get(pk=ticket.pk)


def test_the_ticket_and_its_timeline_do_not_round_an_unsure_score_up(client, world):
    ticket = waiting_to_confirm(world)
    lines = timeline.describe(ticket.events.get(action="create"), {})
    assert any("最高可信度 94%" in line for line in lines), lines
    assert not any("95%" in line for line in lines)
    client_for(client, world.street_staff)
    page = html_of(client.get(reverse("tickets:detail", args=[ticket.code])))
    assert "data-category-to-confirm" in page
    assert f"{world.corridor.full_name} 94%" in page  # the classifier's suggestions
    assert f"{world.corridor.full_name} · 94%" in page  # the dispatch form's choices
    assert "95%" not in page


def test_the_intake_preview_does_not_round_an_unsure_score_up(world):
    html = render_to_string(
        "tickets/_suggest.html",
        {
            "suggestions": [(world.corridor, JUST_BELOW)],
            "answers": [],
            "text": "楼道",
            "picked": "",
        },
    )
    assert '<span class="muted">94%</span>' in html and "95%" not in html
