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


def connect_signals():
    from django.db.backends.signals import connection_created

    connection_created.connect(session_settings, dispatch_uid="gridgov.core.db.session_settings")
