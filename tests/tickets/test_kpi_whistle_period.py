"""A department's whistle KPI left out a summons whose report-by fell after the period even
when the department had reported within it (found walking 吹哨报到 as a street office). A
summons now belongs to the period it was reported in, else to the one its report-by falls
in (docs/kpis.md, "Whistle ratings in a department's KPIs").

Hand-computed fixture: 城管 (CG), each summons on its own ticket, hours in office time
(08:30–12:00, 13:30–17:30; no holiday in these weeks, Qingming is 4–6 April 2026):

  W1 blown Mon 03-02 09:00, 2 h → due 11:00; reported 10:00 (on time, March); rated 3
  W2 blown Mon 03-30 10:00, 24 h → due Thu 04-02 11:30; reported Tue 03-31 10:00
     (on time, March: by report-by it was April's); rated 4
  W3 blown Fri 02-27 10:00, 2 h → due 12:00; reported Mon 03-02 09:30 (late, March)
  W4 blown Tue 03-31 15:00, 2 h → due 17:00; reported Wed 04-01 09:00 (late, April: by
     report-by it was March's); rated 1
  W5 blown Tue 03-10 09:00, 2 h → due 11:00; never reported (late, March)
  W6 blown Tue 03-31 16:00, 24 h → due Fri 04-03 17:30; never reported (late, April)

  March: W1, W2, W3, W5 → summoned 4, on time 2, late 2; rated W1 3, W2 4 → mean 3.5;
         whistle = mean(2/4, (3.5 − 1)/3) = mean(0.5, 0.8333) = 0.6667
         (by report-by: W1, W4, W5 → 3 summoned, 1 on time, mean rating 2.0)
  April (now 04-10 12:00): W4, W6 → summoned 2, on time 0, late 2; rated W4 1 →
         whistle = mean(0, 0) = 0
"""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.tickets import intake, kpis
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Summons

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(8 * 60)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
APRIL = (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
NOW = dt.datetime(2026, 4, 10, 12, 0, tzinfo=TZ)


def at(month, day, hour, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


def summon(world, blown, hours, reported=None, rating=None):
    data = ticket_data(category=world.unlicensed.code, title="无证摊贩")
    ticket = intake.create_ticket(
        data, actor=world.hotline, now=blown - dt.timedelta(hours=1)
    ).ticket
    assert ticket.owner_department == world.city_mgmt
    perform(
        ticket,
        "whistle",
        world.street_staff,
        now=blown,
        departments=["CG"],
        report_within_hours=hours,
        reason="联合整治",
    )
    if reported:
        perform(
            ticket, "whistle-report", world.city_handler, now=reported, department="CG", note="到场"
        )
    if rating:
        perform(
            ticket,
            "whistle-rate",
            world.street_staff,
            now=max(reported or blown, blown) + dt.timedelta(minutes=1),
            department="CG",
            rating=rating,
        )
    return Summons.objects.get(whistle__ticket=ticket)


@pytest.fixture
def world():
    w = make_world()
    due = [
        summon(w, at(3, 2, 9), 2, reported=at(3, 2, 10), rating=3),
        summon(w, at(3, 30, 10), 24, reported=at(3, 31, 10), rating=4),
        summon(w, at(2, 27, 10), 2, reported=at(3, 2, 9, 30)),
        summon(w, at(3, 31, 15), 2, reported=at(4, 1, 9), rating=1),
        summon(w, at(3, 10, 9), 2),
        summon(w, at(3, 31, 16), 24),
    ]
    assert [s.report_by for s in due] == [
        at(3, 2, 11),
        at(4, 2, 11, 30),
        at(2, 27, 12),
        at(3, 31, 17),
        at(3, 10, 11),
        at(4, 3, 17, 30),
    ]
    return w


def cg_kpi(world, period):
    rows = kpis.ranking(kpis.DEPARTMENT, world.district, *period, now=NOW)
    return next(k for k in rows if k.unit.code == "CG")


def test_a_summons_reported_in_the_period_counts_in_it_whatever_its_report_by(world):
    march = cg_kpi(world, MARCH)
    assert march.whistle == {
        "summoned": 4,
        "reported_on_time": 2,
        "late": 2,
        "rated": 2,
        "mean_rating": 3.5,
    }
    assert march.rates["whistle"] == pytest.approx((0.5 + 2.5 / 3) / 2)


def test_a_summons_reported_after_the_period_counts_in_the_period_it_was_reported(world):
    april = cg_kpi(world, APRIL)
    assert april.whistle == {
        "summoned": 2,
        "reported_on_time": 0,
        "late": 2,
        "rated": 1,
        "mean_rating": 1.0,
    }
    assert april.rates["whistle"] == 0.0
