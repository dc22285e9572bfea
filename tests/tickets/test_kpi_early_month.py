"""本单位考核 on the 1st of the month: the home page and the ranking opened on this month so
far, one day of it, and nearly every figure was "—" (found walking the demo on a 1st). In a
month's first kpis.EARLY_MONTH_DAYS days both open on last month and say so (上月 2026年11月);
a period asked for in the address still wins, and from the 6th this month is shown."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import kpis
from gridgov.tickets.intake import create_ticket

from .factories import make_world_with_resident, ticket_data

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def past_the_early_days():
    """For tests of this month's figures on the home page: in a month's first days it shows
    last month, so the clock moves on to the first day it shows this month, at the same
    time of day (ticking); later in the month it is left alone. Used by other modules
    (`pytest.mark.usefixtures`) before their data is made at `now`."""
    now = timezone.localtime()
    if now.day > kpis.EARLY_MONTH_DAYS:
        yield
        return
    with time_machine.travel(now.replace(day=kpis.EARLY_MONTH_DAYS + 1), tick=True):
        yield


@pytest.fixture
def world():
    world = make_world_with_resident()
    # A November ticket of grid A: last month has figures; December has none yet.
    data = ticket_data(category=world.corridor.code)
    november = dt.datetime(2026, 11, 10, 10, tzinfo=CST)
    world.ticket = create_ticket(data, actor=world.hotline, now=november).ticket
    assert world.ticket.owner_place == world.grid_a
    return world


def _home(client, user):
    client.force_login(user)
    return client.get("/").content.decode()


def _ranking(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("tickets:kpis"), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("day", [1, 5])
def test_in_the_first_days_the_pages_open_on_last_month_and_say_so(client, world, day):
    with time_machine.travel(dt.datetime(2026, 12, day, 9, tzinfo=CST), tick=False):
        assert kpis.default_period() == "last_month"
        home = _home(client, world.gridworker_a)
        assert "本单位考核，上月（2026年11月），2026-11-01 至 2026-11-30" in home
        assert f'data-unit="{world.grid_a.code}"' in home
        html = _ranking(client, world.street_staff)
        assert '<option value="last_month" selected>' in html
        assert "上月（2026年11月），2026-11-01 至 2026-11-30" in html
        assert 'id="kpi-early-month"' in html and "每月前 5 天" in html


def test_from_the_sixth_this_month_so_far(client, world):
    with time_machine.travel(dt.datetime(2026, 12, 6, 9, tzinfo=CST), tick=False):
        assert kpis.default_period() == "month"
        home = _home(client, world.district_staff)
        assert "上月（" not in home
        html = _ranking(client, world.street_staff)
        assert '<option value="month" selected>' in html and "2026-12-01 至 2026-12-06" in html
        assert 'id="kpi-early-month"' not in html


def test_a_period_asked_for_still_wins(client, world):
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=CST), tick=False):
        html = _ranking(client, world.street_staff, period="month")
        assert '<option value="month" selected>' in html and "2026-12-01 至 2026-12-01" in html
        assert 'id="kpi-early-month"' not in html and "上月（" not in html
        html = _ranking(client, world.street_staff, start="2026-10-01", end="2026-10-31")
        assert "2026-10-01 至 2026-10-31" in html and 'id="kpi-early-month"' not in html
        # Asked for by name, last month is named so too, without the early-month note.
        html = _ranking(client, world.street_staff, period="last_month")
        assert "上月（2026年11月）" in html and 'id="kpi-early-month"' not in html
