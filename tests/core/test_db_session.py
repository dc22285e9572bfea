"""Every PostgreSQL session of the app runs without JIT (gridgov.core.db): compiling the
queue's and the KPIs' queries took 0.1-3 s on a city's tables, for queries that run in
5-150 ms."""

import pytest
from django.db import connection

from gridgov.core import db

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_a_new_session_runs_without_jit(settings):
    session = connection.copy()  # a new session
    try:
        with session.cursor() as cursor:
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
    finally:
        session.close()
    settings.GRIDGOV_DB_JIT = True  # the server's setting, left alone
    with connection.cursor() as cursor:
        cursor.execute("SET jit = on")
    db.session_settings(None, connection)
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "on"


def test_other_databases_are_left_alone(django_assert_num_queries):
    if connection.vendor == "postgresql":
        pytest.skip("the PostgreSQL case is above")
    with django_assert_num_queries(0):
        db.session_settings(None, connection)
