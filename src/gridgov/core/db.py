"""Settings of every database session the app opens.

PostgreSQL's JIT compiles a query to machine code once its estimated cost passes
jit_above_cost (100,000 by default), and optimises and inlines it past 500,000. The
queue's counts, the ticket list and the KPI queries carry correlated EXISTS subplans whose
estimated cost is charged to every row, so on a city's tables they cross those thresholds
although they run in 5-150 ms: compiling them took 0.1-3 s on every request (queue page of a
district, 500,000 tickets: 3.1 s with JIT, 0.14 s without), and whether it happened changed
with each ANALYZE. The app's queries are short; JIT is off in its sessions
(GRIDGOV_DB_JIT=on in the environment, settings.GRIDGOV_DB_JIT, leaves the server's
setting alone).
"""

from django.conf import settings


def session_settings(sender, connection, **kwargs):
    """connection_created receiver: SET what the app's sessions need."""
    if connection.vendor != "postgresql" or getattr(settings, "GRIDGOV_DB_JIT", False):
        return
    # On the driver's own cursor: a session setting, not a query of the request.
    with connection.connection.cursor() as cursor:
        cursor.execute("SET jit = off")


# psycopg turns a statement's %s placeholders into $n ones in Python, and keeps the result
# only for statements of at most 50 parameters (and 4 KB): an intake's ticket and its first
# events, one statement of 57, were converted anew on every intake (80 µs of CPU). The length
# limit still keeps one-off statements (long IN lists, bulk VALUES) out of its 128 entries.
CACHED_STATEMENT_PARAMS = 200


def cache_statement_conversions():
    """Let psycopg keep the conversion of statements of up to CACHED_STATEMENT_PARAMS."""
    try:
        from psycopg import _queries
    except ImportError:  # psycopg2, or SQLite alone
        return
    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", CACHED_STATEMENT_PARAMS) < (
        CACHED_STATEMENT_PARAMS
    ):
        _queries.MAX_CACHED_STATEMENT_PARAMS = CACHED_STATEMENT_PARAMS


def connect_signals():
    from django.db.backends.signals import connection_created

    cache_statement_conversions()
    connection_created.connect(session_settings, dispatch_uid="gridgov.core.db.session_settings")
