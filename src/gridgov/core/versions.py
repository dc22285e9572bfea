"""Per-process caches of reference data, kept honest across processes.

Reference data (the place tree, categories, routing rules, time limits, the
calendar, the active classifier) is read on every intake but written rarely.
Each kind has a row in `DataVersion` holding a random token. A write bumps the
token in the same transaction as the data (model signals, or `bump()` after a
bulk write), so whoever reads the new token also sees the new data. Readers
take all tokens in one query per request or task (`current()`; an API request's
authentication brings them along, `remember`), and a cached value is used only while its
token is unchanged. Tokens are random rather than
counters, so a rolled-back write (tests) can never resurrect an old cache entry.

    cached("places", "address-index", AddressIndex.from_db)
"""

import contextlib
import json
import random
import threading

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

# Models whose writes change a kind of reference data: "app_label.Model" → kind.
WATCHED = {
    "places.Place": "places",
    "people.Department": "departments",
    "tickets.Category": "categories",
    "tickets.RoutingRule": "routing",
    "tickets.TimeLimit": "timelimits",
    "tickets.CalendarDay": "calendar",
    "tickets.KpiWeights": "kpiweights",
    "insights.ModelVersion": "classifier",
}

# A row every bump locks first. Two transactions bumping kinds in opposite orders would
# otherwise each hold one kind's row and wait for the other's (a deadlock, which
# PostgreSQL breaks by failing one of the writes); with it, the second one waits.
LOCK_ROW = "*"

_local = threading.local()
_lock = threading.RLock()  # re-entrant: a loader may read another cached value
_store = {}  # (kind, key) → (token, value)


def _table():
    from .models import DataVersion

    return DataVersion._meta.db_table


def current():
    """{kind: token}: read once per request or task (`begin_scope`), else on every call."""
    tokens = getattr(_local, "tokens", None)
    if tokens is None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT name, token FROM {_table()}")
            tokens = dict(cursor.fetchall())
        if getattr(_local, "scoped", 0):
            _local.tokens = tokens
    return tokens


# Every kind's token as one JSON object, as a scalar subquery: for a query the request
# makes anyway (api.authentication's), to bring the tokens along (`remember`).
TOKENS_SQL = {
    "postgresql": "(SELECT json_object_agg(name, token) FROM {table})",
    "sqlite": "(SELECT json_group_object(name, token) FROM {table})",
}


def tokens_sql(vendor):
    """`TOKENS_SQL` for the database, or None where there is none."""
    sql = TOKENS_SQL.get(vendor)
    return sql.format(table=_table()) if sql else None


def remember(tokens):
    """The tokens another query of this scope read (`tokens_sql`: a JSON object, as text or
    parsed), for `current()` to keep instead of reading them itself; unless it already
    has. One query fewer on every API request."""
    if getattr(_local, "scoped", 0) and getattr(_local, "tokens", None) is None:
        if isinstance(tokens, str):
            tokens = json.loads(tokens)
        _local.tokens = tokens or {}  # no row yet: NULL


def begin_scope(**_kwargs):
    """Start of a task (or a nested one): read the tokens afresh, keep them until its end."""
    _local.scoped = getattr(_local, "scoped", 0) + 1
    _local.tokens = None


def begin_request(**_kwargs):
    """Start of a request: the outermost scope of its thread.

    A thread serves one request at a time, so whatever scope an earlier request
    left open (a streamed response nobody read to the end sends no
    request_finished) ends here rather than freezing the tokens.
    """
    _local.scoped = 1
    _local.tokens = None


def end_scope(**_kwargs):
    _local.scoped = max(0, getattr(_local, "scoped", 0) - 1)
    _local.tokens = None


@contextlib.contextmanager
def scope():
    """A scope for work outside a request or task (a command, an import): tokens read once."""
    begin_scope()
    try:
        yield
    finally:
        end_scope()


def bump(*kinds):
    """Mark kinds of reference data as changed, inside the caller's transaction."""
    # An upsert (PostgreSQL, SQLite ≥ 3.24): two first writers of a kind cannot both insert.
    sql = (
        f"INSERT INTO {_table()} (name, token) VALUES (%s, %s) "
        "ON CONFLICT (name) DO UPDATE SET token = excluded.token"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for kind in (LOCK_ROW, *kinds):
            cursor.execute(sql, [kind, random.getrandbits(62)])
    _local.tokens = None
    with _lock:
        for entry in [e for e in _store if set(e[0]) & set(kinds)]:
            _store.pop(entry, None)


def cached(kinds, key, loader):
    """`loader()`, computed once per process while the tokens of `kinds` stay the same.

    `kinds` is one kind or a tuple of the kinds the value is derived from.
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    tokens = current()
    token = tuple(tokens.get(kind, 0) for kind in kinds)
    hit = _store.get((kinds, key))
    if hit is not None and hit[0] == token:
        return hit[1]
    with _lock:
        hit = _store.get((kinds, key))
        if hit is not None and hit[0] == token:
            return hit[1]
        value = loader()
        _store[(kinds, key)] = (token, value)
        return value


def _on_write(sender, **_kwargs):
    bump(WATCHED[sender._meta.label])


def connect_signals():
    from celery.signals import task_postrun, task_prerun
    from django.apps import apps
    from django.core.signals import request_finished, request_started

    # Connected to the registered classes only: migrations' historical models don't bump.
    for label in WATCHED:
        if apps.is_installed(f"gridgov.{label.split('.')[0]}"):
            model = apps.get_model(label)
            post_save.connect(_on_write, sender=model, dispatch_uid=f"core-versions-s-{label}")
            post_delete.connect(_on_write, sender=model, dispatch_uid=f"core-versions-d-{label}")
    request_started.connect(begin_request, dispatch_uid="core-versions-begin")
    request_finished.connect(end_scope, dispatch_uid="core-versions-end")
    task_prerun.connect(begin_scope, dispatch_uid="core-versions-task-begin", weak=False)
    task_postrun.connect(end_scope, dispatch_uid="core-versions-task-end", weak=False)
