"""The area list (辖区工单) and its Excel export with a filter that is not valid: nothing is
listed or exported, and the field says why. One bad filter made the form drop them all, so
the list, and the export made from it, held the whole area."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Category

from .factories import make_ticket, make_world
from .test_views import html_of, row_codes

pytestmark = pytest.mark.django_db

LIST = reverse("tickets:list")
EXPORT = reverse("tickets:export")


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def tickets(world):
    a = make_ticket(world, title="楼道堆物甲")
    b = make_ticket(world, address="幸福里小区3栋", title="楼道堆物乙")
    perform(b, "accept", world.gridworker_b)
    return a, b


def test_a_date_that_does_not_exist_lists_nothing_and_says_so_beside_the_field(
    client, world, tickets
):
    client.force_login(world.street_staff)
    response = client.get(LIST, {"status": "accepted", "date_from": "2026-11-31"})
    html = html_of(response)
    assert response.status_code == 200
    assert row_codes(html) == []  # was both tickets: status dropped with the date
    assert "2026-11-31 不是有效日期" in html
    assert 'id="filters-refused"' in html and "筛选条件有误" in html
    assert 'id="export-xlsx"' not in html
    # The valid filter stays set for the correction.
    assert '<option value="accepted" selected>' in html
    html = html_of(client.get(LIST, {"status": "accepted", "date_from": "2026-11-30"}))
    assert 'id="filters-refused"' not in html


def test_an_export_with_a_bad_filter_is_refused_with_the_reason(client, world, tickets):
    client.force_login(world.street_staff)
    query = {"status": "accepted", "place": world.grid_b.code, "date_to": "2026-13-01"}
    response = client.get(EXPORT, query)
    assert response.status_code == 302  # was the whole street's workbook
    assert response["Location"].startswith(LIST + "?")
    assert "date_to=2026-13-01" in response["Location"]
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("未导出：筛选条件有误")
    assert "受理日期至" in message and "2026-13-01 不是有效日期" in message
    # With the purpose of an export with contacts too, and nothing logged.
    client.force_login(world.hotline)
    response = client.get(EXPORT, {**query, "purpose": "回访"})
    assert response.status_code == 302 and "purpose" not in response["Location"]


def test_unknown_codes_are_refused_by_name(client, world, tickets):
    client.force_login(world.street_staff)
    for params, says in (
        ({"place": "NOPE"}, "辖区内没有编码为 NOPE 的地点"),
        ({"category": "NOPE"}, "没有编码为 NOPE 的分类"),
        ({"status": "overdu"}, "overdu"),
        ({"channel": "fax"}, "fax"),
    ):
        html = html_of(client.get(LIST, {**params, "q": "楼道"}))
        assert row_codes(html) == [], params
        assert says in html and 'id="filters-refused"' in html, params
    # A place outside the user's area is not theirs to filter on.
    client.force_login(world.gridworker_b)
    html = html_of(client.get(LIST, {"place": world.grid_a.code}))
    assert row_codes(html) == [] and f"辖区内没有编码为 {world.grid_a.code} 的地点" in html


def test_a_code_not_offered_but_real_filters_rather_than_being_dropped(client, world, tickets):
    a, b = tickets
    # The district (the 每月一题 link's area) is not among the place options, nor is a
    # third-level category: both were "not a valid choice", and with them the status went.
    client.force_login(world.district_staff)
    html = html_of(client.get(LIST, {"place": world.district.code, "status": "accepted"}))
    assert row_codes(html) == [b.code]
    assert f'<option value="{world.district.code}" selected>' in html
    leaf = Category.objects.filter(depth=3).exclude(pk=a.category_id).first()
    html = html_of(client.get(LIST, {"category": leaf.code}))
    assert row_codes(html) == [] and 'id="filters-refused"' not in html
    assert f'<option value="{leaf.code}" selected>{leaf.name}</option>' in html


def test_a_start_day_after_the_end_day_is_refused_beside_the_end_day(client, world, tickets):
    client.force_login(world.street_staff)
    query = {"date_from": "2026-11-30", "date_to": "2026-11-01"}
    html = html_of(client.get(LIST, query))
    # Was an empty list that looked like a quiet month.
    assert "结束日期 2026-11-01 早于开始日期 2026-11-30，请对调两个日期。" in html
    assert 'id="filters-refused"' in html and row_codes(html) == []
    html = html_of(client.get(LIST, {"date_from": "2020-01-01", "date_to": "2099-12-31"}))
    assert 'id="filters-refused"' not in html and len(row_codes(html)) == 2
