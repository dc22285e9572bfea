"""A time-limit row runs 签收, then 响应, then 办结: a response limit shorter than the accept
limit, or a resolve limit shorter than the response limit, is refused on the page, in the
API and in the admin, with nothing written (sla.limit_order_error). Clock time against
working days is compared from a Monday 09:00 of a week without holidays; where a row still
gives crossing deadlines (one written before the check, or a mix over a weekend),
compute_deadlines puts them in order."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from gridgov.tickets import intake, sla
from gridgov.tickets.models import Ticket, TimeLimit, TimeLimitChange, Urgency
from gridgov.tickets.workdays import WorkCalendar

from .factories import make_ticket, ticket_data
from .test_api import client_for
from .test_api_settings import limit_body
from .test_time_limit_districts import URL, world  # noqa: F401 (pytest fixture)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
H, WD = TimeLimit.Unit.HOURS, TimeLimit.Unit.WORKDAYS

# Accept within one working day, respond within two clock hours: a Monday ticket would be
# due to be called at 11:00 and signed for by Tuesday's end.
CROSSED = {"accept_value": 1, "accept_unit": WD, "respond_value": 2, "respond_unit": H}
CROSSED_SAID = "响应时限（2 自然小时）短于签收时限（1 工作日）"


def error_of(accept, respond, resolve):
    with translation.override("zh-hans"):
        return sla.limit_order_error(accept, respond, resolve)


def test_a_later_limit_shorter_than_the_one_before_is_refused_with_both_named():
    field, said = error_of((1, WD), (2, H), (7, WD))
    assert field == "respond_value"
    assert said.startswith(CROSSED_SAID) and "周一 9:00" in said
    field, said = error_of((1, WD), (3, WD), (2, WD))
    assert field == "resolve_value"
    assert said.startswith("办结时限（2 工作日）短于响应时限（3 工作日）")
    assert "周一" not in said  # same kind of time: compared as they are
    assert error_of((30, "minutes"), (4, H), (3, H))[0] == "resolve_value"
    # 24 hours from Monday 09:00 end before Tuesday's end.
    field, said = error_of((30, "minutes"), (1, WD), (24, H))
    assert field == "resolve_value" and "周一 9:00" in said


@pytest.mark.parametrize(
    "limits",
    [
        ((1, WD), (1, WD), (1, WD)),  # equal is no crossing
        ((30, "minutes"), (1, WD), (2, WD)),  # Monday 09:30, Tuesday's end, Wednesday's
        ((1, WD), (48, H), (7, WD)),  # Tuesday 23:59:59, Wednesday 09:00
        ((4, WD), (5, WD), (200, H)),  # Friday's end, next Monday's end, 8 days 8 h on
        ((15, "minutes"), (1, H), (2, H)),
    ],
)
def test_rows_in_order_pass(limits):
    assert error_of(*limits) is None


def test_the_probe_counts_working_days_of_a_plain_week():
    day_left = dt.timedelta(hours=14, minutes=59, seconds=59)
    assert sla.probe_span(1, WD) == dt.timedelta(days=1) + day_left  # Tuesday
    assert sla.probe_span(4, WD) == dt.timedelta(days=4) + day_left  # Friday
    assert sla.probe_span(5, WD) == dt.timedelta(days=7) + day_left  # next Monday
    assert sla.probe_span(11, WD) == dt.timedelta(days=15) + day_left
    # The same as add_workdays on a week without holidays (30 Nov 2026 is a Monday).
    monday = dt.datetime(2026, 11, 30, 9, tzinfo=SHANGHAI)
    for n in range(1, 13):
        assert WorkCalendar({}).add_workdays(monday, n) - monday == sla.probe_span(n, WD)


def test_the_seeded_defaults_and_the_rows_migrations_wrote_are_in_order(world):  # noqa: F811
    for urgency, limits in sla.DEFAULT_LIMITS.items():
        assert error_of(*limits) is None, urgency
    rows = TimeLimit.objects.all()
    assert rows.count() == 4
    for row in rows:
        row.full_clean()


def test_the_model_clean_refuses_it_by_field(world):  # noqa: F811
    row = TimeLimit(urgency="general", **CROSSED, resolve_value=7, resolve_unit=WD)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert CROSSED_SAID in refused.value.message_dict["respond_value"][0]


def page_data(world, **overrides):  # noqa: F811
    data = {
        "urgency": "general",
        "category": world.corridor.code,
        "place": world.district.code,
        **CROSSED,
        "resolve_value": "7",
        "resolve_unit": WD,
    }
    return {**data, **overrides}


def test_the_page_refuses_it_and_writes_nothing(client, world):  # noqa: F811
    client.force_login(world.district_staff)
    before = TimeLimit.objects.count()
    response = client.post(reverse("tickets:time-limits"), page_data(world))
    assert response.status_code == 400
    assert CROSSED_SAID in response.content.decode()
    assert TimeLimit.objects.count() == before and not TimeLimitChange.objects.exists()
    # Changing a row into it: refused, the row as it was.
    ok = page_data(world, respond_value="2", respond_unit=WD)
    assert client.post(reverse("tickets:time-limits"), ok).status_code == 302
    row = TimeLimit.objects.get(category=world.corridor)
    url = reverse("tickets:time-limit", args=[row.pk])
    response = client.post(url, {**ok, "resolve_value": "1"})
    assert response.status_code == 400
    assert "办结时限（1 工作日）短于响应时限（2 工作日）" in response.content.decode()
    row.refresh_from_db()
    assert (row.resolve_value, TimeLimitChange.objects.count()) == (7, 1)


def test_the_api_refuses_it_and_a_patch_is_checked_against_the_row(world):  # noqa: F811
    staff = client_for(world.district_staff)
    response = staff.post(URL, limit_body(world, **CROSSED), format="json")
    assert response.status_code == 400
    assert CROSSED_SAID in response.json()["error"]["detail"]["respond_value"][0]
    assert not TimeLimit.objects.filter(category=world.corridor).exists()
    created = staff.post(URL, limit_body(world), format="json").json()  # 2 h / 1 wd / 3 wd
    response = staff.patch(f"{URL}{created['id']}/", {"resolve_value": 4, "resolve_unit": H})
    assert response.status_code == 400
    said = response.json()["error"]["detail"]["resolve_value"][0]
    assert said.startswith("办结时限（4 自然小时）短于响应时限（1 工作日）")
    assert TimeLimit.objects.get(pk=created["id"]).resolve_value == 3
    assert TimeLimitChange.objects.count() == 1  # the creation only


def test_the_admin_refuses_it_and_writes_nothing(client, world):  # noqa: F811
    world.root.is_staff = True
    world.root.save()
    client.force_login(world.root)
    before = TimeLimit.objects.count()
    body = {
        "urgency": "general",
        "category": world.corridor.pk,
        "place": "",
        **CROSSED,
        "resolve_value": 7,
        "resolve_unit": WD,
    }
    with translation.override("zh-hans"):
        response = client.post(reverse("admin:tickets_timelimit_add"), body)
    assert response.status_code == 200  # the form again, with the error
    assert CROSSED_SAID in response.content.decode()
    assert TimeLimit.objects.count() == before and not TimeLimitChange.objects.exists()


def crossed_row(world, **values):  # noqa: F811
    """A row written before the check (straight to the table, as an old database holds)."""
    return TimeLimit.objects.create(urgency=Urgency.GENERAL, category=world.corridor, **values)


def test_an_old_crossed_row_gives_deadlines_in_order(world):  # noqa: F811
    crossed_row(world, **CROSSED, resolve_value=1, resolve_unit=H)
    monday = dt.datetime(2026, 11, 30, 9, tzinfo=SHANGHAI)
    data = ticket_data(category=world.corridor.code, urgency="general")
    ticket = intake.create_ticket(data, actor=world.hotline, now=monday).ticket
    tuesday_end = dt.datetime(2026, 12, 1, 23, 59, 59, tzinfo=SHANGHAI)
    assert ticket.accept_by == ticket.respond_by == ticket.resolve_by == tuesday_end


def test_a_mixed_row_over_a_weekend_gives_deadlines_in_order(world):  # noqa: F811
    # Accepted (Monday: Tuesday's end, then Wednesday 09:00), but filed on a Friday evening
    # the 48 hours end on Sunday, before Monday's end.
    crossed_row(
        world, accept_value=1, accept_unit=WD, respond_value=48, respond_unit=H,
        resolve_value=50, resolve_unit=H,
    )  # fmt: skip
    assert error_of((1, WD), (48, H), (50, H)) is None
    friday = dt.datetime(2026, 12, 4, 18, tzinfo=SHANGHAI)
    deadlines = sla.compute_deadlines(Urgency.GENERAL, world.corridor, friday, WorkCalendar({}))
    monday_end = dt.datetime(2026, 12, 7, 23, 59, 59, tzinfo=SHANGHAI)
    assert deadlines == sla.Deadlines(monday_end, monday_end, monday_end)
    # A row in order on every start is left as it is.
    ticket = make_ticket(world, urgency=Urgency.EMERGENCY)
    assert ticket.accept_by < ticket.respond_by < ticket.resolve_by


def test_an_imported_row_on_an_old_crossed_row_gets_deadlines_in_order(world, tmp_path):  # noqa: F811
    import csv

    from gridgov.tickets import imports

    crossed_row(world, **CROSSED, resolve_value=1, resolve_unit=H)
    path = tmp_path / "12345.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["工单编号", "受理时间", "诉求标题", "诉求内容", "诉求地址", "来电人",
                         "联系电话", "诉求类型", "诉求性质"])  # fmt: skip
        writer.writerow(["12345-000001", "2026/11/30 09:00:00", "楼道堆物", "3号楼楼道堆满纸箱。",
                         "魏家坡小区3号楼2单元", "市民", "13800000001",
                         f"网格事件/{world.corridor.name}", "投诉"])  # fmt: skip
    report = imports.import_file(path)
    assert report.ok, report.errors[:5]
    ticket = Ticket.objects.get(external_id="12345-000001")
    # As intake gives them on the same row (above): all at Tuesday's end.
    tuesday_end = dt.datetime(2026, 12, 1, 23, 59, 59, tzinfo=SHANGHAI)
    assert ticket.accept_by == ticket.respond_by == ticket.resolve_by == tuesday_end
