"""A department handler sits at no desk and follows no whistle: its 待回访 and 报到超时 tabs
hold nothing, and their filters are NOTHING at once, not the desk's merged tickets' three
EXISTS and the whistles' EXISTS built on every queue page and home page to select nothing
(queues.tab_filters). A street's keep them."""

import pytest
from django.utils import timezone

from gridgov.people.scope import NOTHING
from gridgov.tickets import queues

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


def test_a_departments_desk_and_whistle_tabs_are_nothing():
    w = make_world()
    make_ticket(w)
    filters = queues.tab_filters(timezone.now(), w.city_handler)
    assert filters["callback"] is NOTHING
    assert filters["late_reports"] is NOTHING
    street = queues.tab_filters(timezone.now(), w.street_staff)
    assert street["callback"] is not NOTHING and street["late_reports"] is not NOTHING


def test_the_department_queue_page_counts_as_before(client):
    w = make_world()
    make_ticket(w)
    client.force_login(w.city_handler)
    response = client.get("/tickets/?tab=callback")
    assert response.status_code == 200
    counts = {tab["name"]: tab["count"] for tab in response.context["tabs"]}
    assert counts.get("callback", 0) == 0 and counts.get("late_reports", 0) == 0
    assert list(response.context["page"].object_list) == []
