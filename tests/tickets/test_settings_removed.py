"""A routing rule, a district's time limit or a calendar day set by mistake can be removed
from its page, by whoever may change it: each could only be changed, never taken back, so a
district that overrode a limit for one category was held to an override of its own for
good, and a wrong 调休 date stayed in the calendar. The next ticket follows what is left."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from gridgov.tickets import intake, workdays
from gridgov.tickets.models import CalendarDay, RoutingRule, TimeLimit

from .factories import make_ticket, make_world, ticket_data
from .test_time_limits_page import limit_data

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY = dt.datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def world():
    return make_world()


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_a_routing_rule_is_removed_and_the_next_ticket_goes_by_its_home_level(client, world):
    client.force_login(world.street_staff)
    data = {"category": world.corridor.code, "place": world.street.code, "department": "ZJ"}
    client.post(reverse("tickets:routing-rules"), data)
    rule = RoutingRule.objects.get(category=world.corridor)
    assert make_ticket(world).owner_department == world.housing
    url = reverse("tickets:routing-rule", args=[rule.pk])
    assert 'id="delete-rule"' in client.get(url).content.decode()
    assert 'id="delete-rule"' not in client.get(reverse("tickets:routing-rules")).content.decode()
    response = client.post(url, {"delete": "1"})
    assert response.status_code == 302
    assert said(response).startswith(f"派单规则已删除：{world.street.name}的“")
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    ticket = make_ticket(world)
    assert ticket.owner_department is None and ticket.owner_place == world.grid_a

    # A rule for everywhere is the district's: street staff may not remove it.
    global_rule = RoutingRule.objects.get(category=world.unlicensed)
    url = reverse("tickets:routing-rule", args=[global_rule.pk])
    assert client.post(url, {"delete": "1"}).status_code == 403
    assert RoutingRule.objects.filter(pk=global_rule.pk).exists()


def test_a_districts_time_limit_is_removed_and_the_next_ticket_follows_the_citys(client, world):
    client.force_login(world.district_staff)
    client.post(reverse("tickets:time-limits"), limit_data(world))
    limit = TimeLimit.objects.get(category=world.corridor, place=world.district)
    data = ticket_data(category=world.corridor.code)
    first = intake.create_ticket(data, actor=world.hotline, now=WEDNESDAY).ticket
    assert first.accept_by == WEDNESDAY + dt.timedelta(hours=2)
    url = reverse("tickets:time-limit", args=[limit.pk])
    assert 'id="delete-limit"' in client.get(url).content.decode()
    response = client.post(url, {"delete": "1"})
    assert response.status_code == 302 and said(response).startswith("时限已删除：")
    assert not TimeLimit.objects.filter(pk=limit.pk).exists()
    data = ticket_data(category=world.corridor.code, address="幸福里小区3栋")
    second = intake.create_ticket(data, actor=world.hotline, now=WEDNESDAY).ticket
    assert second.accept_by != WEDNESDAY + dt.timedelta(hours=2)
    first.refresh_from_db()
    assert first.accept_by == WEDNESDAY + dt.timedelta(hours=2)  # filed before: unchanged
    # Street staff read the table and remove nothing.
    client.post(reverse("tickets:time-limits"), limit_data(world))
    limit = TimeLimit.objects.get(category=world.corridor, place=world.district)
    client.force_login(world.street_staff)
    url = reverse("tickets:time-limit", args=[limit.pk])
    assert client.post(url, {"delete": "1"}).status_code == 403
    assert TimeLimit.objects.filter(pk=limit.pk).exists()


# The page lists the days set from January of this year on: in 2027 one of 2026 was not
# there to remove. The test runs in 2026, whose days the library knows.
@time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))))
def test_a_calendar_day_is_removed_and_working_days_count_it_again(client, world, monkeypatch):
    client.force_login(world.district_staff)
    url = reverse("tickets:time-limits")
    thursday = dt.date(2026, 3, 5)
    day = {"form": "calendar", "date": thursday.isoformat(), "is_workday": "False", "note": "错"}
    client.post(url, day)
    page = client.get(url).content.decode()
    assert "data-delete-day" in page
    remove = {"form": "calendar-delete", "date": thursday.isoformat()}
    response = client.post(url, remove)
    assert response.status_code == 302
    assert said(response) == "日历日期已删除：2026-03-05 恢复按日历库计算。"
    assert not CalendarDay.objects.exists()
    assert client.post(url, remove).status_code == 404
    assert client.post(url, {**remove, "date": "2026-02-30"}).status_code == 404
    # In a year the library lacks, the day goes back to the weekday rule, and says so.
    monkeypatch.setattr(workdays, "library_years", lambda: (2004, 2025))
    client.post(url, day)
    assert said(client.post(url, remove)) == (
        "日历日期已删除：日历库无 2026 年数据，2026-03-05 按周一至周五为工作日计，当天为工作日。"
    )
    # Staff who only read the page: no button, and refused.
    client.post(url, day)
    client.force_login(world.street_staff)
    assert "data-delete-day" not in client.get(url).content.decode()
    assert client.post(url, remove).status_code == 403
    assert CalendarDay.objects.filter(date=thursday).exists()
