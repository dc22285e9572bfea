"""Per-process caches of reference data (gridgov.core.versions)."""

import threading

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.db.models import F

from gridgov.core import versions
from gridgov.core.models import DataVersion
from gridgov.tickets import reference
from gridgov.tickets.models import CalendarDay


@pytest.fixture
def loads():
    calls = []

    def loader():
        calls.append(1)
        return len(calls)

    return calls, loader


@pytest.mark.django_db
def test_a_value_is_loaded_once_per_token(loads):
    calls, loader = loads
    assert versions.cached("calendar", "t1", loader) == 1
    assert versions.cached("calendar", "t1", loader) == 1
    versions.bump("calendar")
    assert versions.cached("calendar", "t1", loader) == 2
    assert len(calls) == 2


@pytest.mark.django_db
def test_another_process_writing_is_noticed(loads):
    """Another process only changes the token in the database: no signal reaches us."""
    _calls, loader = loads
    versions.bump("calendar")
    assert versions.cached("calendar", "t2", loader) == 1
    DataVersion.objects.filter(name="calendar").update(token=F("token") + 1)
    assert versions.cached("calendar", "t2", loader) == 2


@pytest.mark.django_db
def test_a_model_write_bumps_its_kind_only():
    import datetime as dt

    before = dict(versions.current())
    CalendarDay.objects.create(date=dt.date(2031, 1, 2), is_workday=False)
    after = versions.current()
    assert after["calendar"] != before.get("calendar")
    assert after.get("places") == before.get("places")
    assert reference.calendar_overrides()[dt.date(2031, 1, 2)] is False


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_cannot_resurrect_a_cache_entry(loads):
    """Tokens are random: rolling back and writing again never reuses a cached token."""
    _calls, loader = loads
    seen = set()
    for _ in range(3):
        with pytest.raises(RuntimeError), transaction.atomic():
            versions.bump("calendar")
            seen.add(versions.current()["calendar"])
            versions.cached("calendar", "t3", loader)
            raise RuntimeError("roll back")
        versions.bump("calendar")
        seen.add(versions.current()["calendar"])
    assert len(seen) == 6


@pytest.mark.django_db
def test_a_loader_may_read_another_stale_cached_value(loads):
    """The keyword index is built from the categories: both may be stale at once."""
    _calls, inner = loads
    versions.bump("calendar", "categories")
    outcome = []

    def outer():
        return versions.cached("calendar", "t5-inner", inner) + 10

    def run():
        try:
            outcome.append(versions.cached("categories", "t5-outer", outer))
        finally:
            connection.close()  # this thread's own connection

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "nested loads deadlocked"
    assert outcome == [11]


@pytest.mark.django_db
def test_within_a_request_the_tokens_are_read_once(django_assert_num_queries):
    versions.begin_scope()
    try:
        versions.current()
        with django_assert_num_queries(0):
            versions.current()
            versions.current()
    finally:
        versions.end_scope()
    with django_assert_num_queries(1):
        versions.current()


@pytest.mark.django_db
def test_tokens_another_query_brought_are_kept_for_the_scope(django_assert_num_queries):
    """api.authentication reads the tokens with the login (versions.tokens_sql)."""
    versions.bump("calendar")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {versions.tokens_sql(connection.vendor)}")
        (brought,) = cursor.fetchone()
    read = versions.current()
    versions.begin_scope()
    try:
        versions.remember(brought)
        with django_assert_num_queries(0):
            assert versions.current() == read
        versions.remember({"calendar": 1})  # read already: kept
        assert versions.current() == read
    finally:
        versions.end_scope()
    versions.remember({"calendar": 1})  # outside a scope: nothing to keep it for
    with django_assert_num_queries(1):
        assert versions.current() == read
    versions.begin_scope()
    try:
        versions.remember(None)  # no kind written yet: NULL
        assert versions.current() == {}
    finally:
        versions.end_scope()


@pytest.mark.django_db
def test_a_write_in_the_request_is_seen_by_the_same_request(loads):
    _calls, loader = loads
    versions.begin_scope()
    try:
        first = versions.cached("calendar", "t4", loader)
        with connection.cursor():
            versions.bump("calendar")
        assert versions.cached("calendar", "t4", loader) == first + 1
    finally:
        versions.end_scope()


@pytest.mark.django_db
def test_a_request_left_open_is_over_once_the_next_request_ends():
    """A streamed response nobody read to the end never sends request_finished."""
    versions.bump("calendar")
    # The signals as a request sends them, without closing the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)  # that request: no request_finished
        request_started.send(sender=None)  # the next request in this thread …
        request_finished.send(sender=None)  # … ends
        before = versions.current()["calendar"]
        DataVersion.objects.filter(name="calendar").update(token=F("token") + 1)  # elsewhere
        # Outside any request again: tokens are read on every call, not kept.
        assert versions.current()["calendar"] == before + 1
    finally:
        versions.end_scope()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db(transaction=True)
def test_two_writers_bumping_kinds_in_opposite_orders_both_succeed():
    """Without the lock row, PostgreSQL found a deadlock here and failed one of the writes."""
    first_bumped, second_bumped = threading.Event(), threading.Event()
    errors = []

    def writer(kinds, mine, theirs):
        try:
            with transaction.atomic():
                versions.bump(kinds[0])
                mine.set()
                theirs.wait(timeout=2)  # the other one waits on the lock row: it never comes
                versions.bump(kinds[1])
        except Exception as exc:  # a deadlock error, say
            errors.append(exc)
        finally:
            connection.close()

    one = threading.Thread(
        target=writer, args=(("calendar", "routing"), first_bumped, second_bumped), daemon=True
    )
    one.start()
    first_bumped.wait(timeout=5)
    two = threading.Thread(
        target=writer, args=(("routing", "calendar"), second_bumped, threading.Event()), daemon=True
    )
    two.start()
    one.join(timeout=20)
    two.join(timeout=20)
    assert not one.is_alive() and not two.is_alive()
    assert errors == []
