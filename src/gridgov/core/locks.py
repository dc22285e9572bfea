"""Named locks held to the end of the current transaction, for work that must take turns
across processes and machines (a refresh, switching classifier versions).

On PostgreSQL an advisory transaction lock, keyed by the name's CRC-32; on SQLite nothing
is needed: it runs one writing transaction at a time (settings' IMMEDIATE mode).
"""

import zlib

from django.db import connection


def transaction_lock(name):
    """Wait for, then hold until commit or rollback, the lock called `name`."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])
