"""PostgreSQL's plans of the queries a piece of code makes, for the tests that check a city's
reads go through an index (SQLite has no planner to ask)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def plans(run, table="tickets_ticket"):
    """The EXPLAIN output of each SELECT on `table` that `run()` makes, one string a query."""
    with CaptureQueriesContext(connection) as queries:
        run()
    found = []
    for query in queries:
        if table in query["sql"] and query["sql"].lstrip().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN {query['sql']}")
                found.append("\n".join(row[0] for row in cursor.fetchall()))
    assert found, f"no SELECT on {table}"
    return found
