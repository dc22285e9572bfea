"""The time-limit page says which years the calendar library (chinese-calendar) lacks: in
such a year every weekday counts as a working day, 元旦 and 春节 included, until district
staff set its days. The page said nothing of it, and a 元旦 set as a day off in such a year
was listed as one the library called a working day (its weekday fallback)."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import workdays

from .factories import make_world

pytestmark = pytest.mark.django_db


def day_row(page, day):
    return re.search(rf'<tr data-date="{day.isoformat()}">.*?</tr>', page, re.S).group(0)


def test_the_page_warns_of_next_year_missing_from_the_calendar_library(client, monkeypatch):
    world = make_world()
    this_year = timezone.localdate().year
    monkeypatch.setattr(workdays, "library_years", lambda: (2004, this_year))
    url = reverse("tickets:time-limits")
    client.force_login(world.district_staff)
    page = client.get(url).content.decode()
    assert f"日历库含 2004–{this_year} 年的法定节假日和调休安排。" in page
    assert f'data-unknown-year="{this_year + 1}"' in page
    assert f"日历库尚无 {this_year + 1} 年的节假日安排：除下方已设置的 0 天外" in page
    assert f'data-unknown-year="{this_year}"' not in page

    new_year = dt.date(this_year + 1, 1, 1)
    data = {"form": "calendar", "date": new_year.isoformat(), "is_workday": "False", "note": "元旦"}
    assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    assert "除下方已设置的 1 天外" in page
    row = day_row(page, new_year)
    assert "无该年数据" in row and "工作日" not in row

    # Once the library knows the year, no warning.
    monkeypatch.setattr(workdays, "library_years", lambda: (2004, this_year + 1))
    page = client.get(url).content.decode()
    assert "data-unknown-year" not in page and "无该年数据" not in page


def test_street_staff_reading_the_page_see_the_warning_too(client, monkeypatch):
    world = make_world()
    this_year = timezone.localdate().year
    monkeypatch.setattr(workdays, "library_years", lambda: (2004, this_year - 1))
    client.force_login(world.street_staff)
    page = client.get(reverse("tickets:time-limits")).content.decode()
    assert f'data-unknown-year="{this_year}"' in page
    assert f'data-unknown-year="{this_year + 1}"' in page
