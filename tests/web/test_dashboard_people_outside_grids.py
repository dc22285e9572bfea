"""The home page's 人员 count and its chart of people per grid: people registered at a
community (staff records, mostly) are counted but in no grid's bar, so the chart says how
many, and the bars with the note add up to the count."""

import re

import pytest

from gridgov.people.models import Person

pytestmark = pytest.mark.django_db


def _chart(response):
    return response.context["chart"]


def test_people_outside_every_grid_are_said_under_the_chart(client, city):
    Person.objects.create(name="赵六", phone="13600002222", place=city.c1)
    client.force_login(city.community_staff)
    response = client.get("/")
    chart = _chart(response)
    html = response.content.decode()
    assert response.context["people_count"] == 3
    assert sum(chart["values"]) == 2
    note = re.search(r'id="people-chart-outside">([^<]+)<', html).group(1)
    assert note == "另有 1 人登记在社区、街道或区，不属于任何网格。"


def test_no_note_when_everyone_is_in_a_grid(client, city):
    client.force_login(city.community_staff)
    response = client.get("/")
    assert sum(_chart(response)["values"]) == response.context["people_count"] == 2
    assert 'id="people-chart-outside"' not in response.content.decode()


def test_the_note_in_english(client, city):
    Person.objects.create(name="赵六", place=city.c1)
    Person.objects.create(name="钱七", place=city.c1)
    client.force_login(city.community_staff)
    client.cookies["django_language"] = "en"
    html = client.get("/").content.decode()
    assert "2 more people are registered outside every grid" in html
