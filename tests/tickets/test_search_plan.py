"""The ticket search (requester_text.search: the lists' and queue's 搜索, the API's ?q=) reads
trigram indexes on PostgreSQL, and finds what it found before, on SQLite and PostgreSQL.

`title__icontains` compiles to `UPPER(title::text) LIKE UPPER('%…%')`, which read every
ticket, twice a page (count and page): 0.7-3 s for a district's API list of 200,000 tickets.
Migration 0022 indexes those expressions with pg_trgm, and a code is compared with `=`
(codes are upper case) so the unique index serves that branch of the OR too. A term
without a trigram (2 characters) is kept off the indexes: a prepared statement's generic
plan chose them for it and read them whole (docs/performance.md, City-scale reads)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q

from gridgov.tickets import requester_text
from gridgov.tickets.models import Ticket
from tests.tickets.factories import make_ticket, make_world
from tests.tickets.plans import plans

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"
CITY = 20_000  # copies of a ticket, enough for the planner to weigh an index against the table
RARE = 500  # one copy in RARE reads 启航学校乱收费


def _on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans: the suite runs on it too (CI)")


@pytest.fixture
def city():
    _on_postgresql()
    w = make_world()
    ticket = make_ticket(w, place=w.grid_a.code)
    words = ["路灯不亮", "噪音扰民", "垃圾清运", "井盖缺失", "楼道堆物", "占道经营", "违章搭建"]
    with connection.cursor() as cursor:
        # Varied titles and bodies (digits and hex as well as Chinese), so that trigram
        # statistics are a city's rather than one row's repeated.
        cursor.execute(
            "INSERT INTO tickets_ticket (code, channel, nature, title, description, urgency,"
            " status, address, requester_name, requester_phone, anonymous, return_count,"
            " designated, reopen_count, resolution, public, external_id, created_at,"
            " updated_at, owner_place_id, place_id, grid_id, version)"
            " SELECT 'GD20260101-' || lpad(g::text, 6, '0'), channel, nature,"
            " (%s::text[])[g %% 7 + 1] || '第' || g || '号'"
            "  || CASE WHEN g %% %s = 0 THEN '启航学校乱收费' ELSE '' END,"
            " '反映' || md5(g::text) || (%s::text[])[g %% 5 + 1] || '，请尽快处理。',"
            " urgency, 'closed', address, '', '', false, 0, false, 0, '', true, '',"
            " now() - g * interval '5 minutes', now(), owner_place_id, place_id, grid_id, 0"
            " FROM tickets_ticket, generate_series(1, %s) g WHERE id = %s",
            [words, RARE, words, CITY, ticket.pk],
        )
        cursor.execute("ANALYZE tickets_ticket")
    return w


def _outer_seq_scans(plan):
    # The searched table itself: its aliases (V0, U0) are subqueries' joins.
    return re.findall(r"Seq Scan on tickets_ticket  \(", plan)


@pytest.mark.parametrize("term", ["启航学校", "乱收费", "gd20260101-000042"])
def test_a_search_of_three_characters_or_more_reads_the_trigram_indexes(client, city, term):
    client.force_login(city.district_staff)
    response = None

    def run():
        nonlocal response
        response = client.get(TICKETS, {"q": term})

    for plan in plans(run):  # the count and the page
        assert not _outer_seq_scans(plan), plan
        assert "tickets_ticket_title_trgm" in plan, plan
        assert "tickets_ticket_description_trgm" in plan, plan
        # Codes are compared with =, so the unique index serves that branch of the OR.
        assert "tickets_ticket_code_unique" in plan, plan
    assert response.status_code == 200
    expected = 1 if term.startswith("gd") else CITY // RARE
    assert response.json()["count"] == expected


def _generic_plan(queryset):
    """EXPLAIN of `queryset`'s SELECT prepared and planned for any parameters, as a
    statement psycopg prepares (server-side binding, core.db) is once PostgreSQL chooses
    its generic plan: the search term is not known to the plan."""
    sql, params = queryset.query.sql_with_params()
    numbered = iter(range(1, len(params) + 1))
    sql = re.sub(r"%(s|%)", lambda m: f"${next(numbered)}" if m.group(1) == "s" else "%", sql)
    with connection.cursor() as cursor:
        cursor.execute(f"PREPARE gridgov_search AS {sql}")
        try:
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            arguments = ", ".join(["%s"] * len(params))
            cursor.execute(f"EXPLAIN EXECUTE gridgov_search ({arguments})", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE gridgov_search")


def test_a_two_character_search_keeps_off_the_trigram_indexes_even_in_a_generic_plan(city):
    """A LIKE '%噪音%' has no trigram: its index scan reads the whole index and rechecks every
    ticket (8.5 s against 1.8 s for the table, 200,000 tickets). PostgreSQL's own plan for
    the term avoids it, but a generic plan cannot see the term and took the index."""
    searched = requester_text.search(Ticket.objects.all(), "噪音", city.district_staff)
    plan = _generic_plan(searched)
    assert "_trgm" not in plan, plan
    # A longer term's generic plan does use them: the 2-character one is kept off on purpose.
    searched = requester_text.search(Ticket.objects.all(), "噪音扰", city.district_staff)
    assert "tickets_ticket_title_trgm" in _generic_plan(searched)


@pytest.fixture
def searched():
    w = make_world()
    tickets = {
        "ascii": make_ticket(w, title="WiFi信号差", description="小区里WiFi时有时无。"),
        "title": make_ticket(w, title="路灯不亮", description="晚上一片漆黑，行人摔倒。"),
        "body": make_ticket(w, title="噪音扰民", description="楼下烧烤店营业到凌晨两点。"),
        "percent": make_ticket(w, title="物业费上涨", description="今年物业费涨了100%_以上。"),
    }
    w.admin = get_user_model().objects.create_superuser("root", password="x")
    return w, tickets


def _before(text):
    """What the search's condition was before the indexes (a user reading every text)."""
    return Q(code__iexact=text) | Q(title__icontains=text) | Q(description__icontains=text)


def test_a_search_finds_the_same_tickets_as_before(searched):
    w, t = searched
    code = t["title"].code
    cases = {
        code: {"title"},
        code.lower(): {"title"},
        code[:-1]: set(),  # a code is matched whole, not as a part
        "wifi": {"ascii"},
        "Fi": {"ascii"},  # 2 characters: no trigram, same answer
        "路灯": {"title"},
        "路灯不亮": {"title"},
        "烧烤店": {"body"},
        "凌晨": {"body"},
        "100%": {"percent"},  # LIKE's wildcards are the term's own characters
        "%_": {"percent"},
        "_": {"percent"},
        "涨_": set(),  # escaped: not 涨了
        "无此工单": set(),
    }
    for term, names in cases.items():
        found = set(requester_text.search(Ticket.objects.all(), term, w.admin))
        before = set(Ticket.objects.filter(_before(term.strip())))
        assert found == before == {t[n] for n in names}, term


def test_the_api_finds_a_code_typed_in_lower_case(client, searched):
    w, t = searched
    client.force_login(w.district_staff)
    for term in (t["body"].code, t["body"].code.lower(), f" {t['body'].code.lower()} "):
        found = [row["code"] for row in client.get(TICKETS, {"q": term}).json()["results"]]
        assert found == [t["body"].code], term
