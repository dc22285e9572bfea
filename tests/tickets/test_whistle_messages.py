"""After blowing the whistle the page says whom it summoned and by when, and after rating a
department which rating it gave and how many are left to rate: it said 已完成：吹哨。 and
已完成：报到评价。 (found walking 吹哨报到 as 望江街道)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import lifecycle
from gridgov.tickets.models import Summons

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


def said(response):
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_the_whistle_and_each_rating_say_what_was_done(client):
    world = make_world()
    ticket = make_ticket(world)
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    ticket.refresh_from_db()
    client.force_login(world.street_staff)
    url = reverse("tickets:act", args=[ticket.code, "whistle"])
    data = {
        "whistle-version": ticket.version,
        "whistle-departments": ["CG", "ZJ"],
        "whistle-report_within_hours": "8",
        "whistle-reason": "联合整治",
    }
    message = said(client.post(url, data))
    by = timezone.localtime(Summons.objects.filter(whistle__ticket=ticket).first().report_by)
    assert message == (
        f"已吹哨：{ticket.code} 已召集城管执法局、住建局，须于 {by:%Y-%m-%d %H:%M} 前报到。"
    )

    lifecycle.perform(ticket, "whistle-report", world.city_handler, department="CG", note="到场")
    lifecycle.perform(ticket, "whistle-report", world.housing_handler, department="ZJ", note="到场")
    ticket.refresh_from_db()
    url = reverse("tickets:act", args=[ticket.code, "whistle-rate"])
    rate = {"whistle-rate-version": ticket.version, "whistle-rate-department": "CG"}
    message = said(client.post(url, {**rate, "whistle-rate-rating": "4"}))
    assert message == "已评价城管执法局：优秀。还有 1 个部门待评价。"
    ticket.refresh_from_db()
    rate = {"whistle-rate-version": ticket.version, "whistle-rate-department": "ZJ"}
    assert said(client.post(url, {**rate, "whistle-rate-rating": "3"})) == "已评价住建局：良好。"


def test_the_whistle_message_lists_the_departments_in_english_with_commas(client):
    """In English the summoned departments were joined with 、 (h6's English sweep)."""
    world = make_world()
    ticket = make_ticket(world)
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    ticket.refresh_from_db()
    client.force_login(world.street_staff)
    client.cookies["django_language"] = "en"
    url = reverse("tickets:act", args=[ticket.code, "whistle"])
    data = {
        "whistle-version": ticket.version,
        "whistle-departments": ["CG", "ZJ"],
        "whistle-report_within_hours": "8",
        "whistle-reason": "joint action",
    }
    message = said(client.post(url, data))
    assert "城管执法局, 住建局 to report by" in message
    assert "、" not in message
