"""Data built once for a whole test module, rolled back at the module's end.

Each test of the module still runs in a savepoint inside it (pytest-django's `db`), so
nothing a test writes reaches the next. For data that takes seconds to build (the demo)
and that the module's tests only read or change within their own savepoint. Once built it
is there for every later test of the module, also one that does not ask for it: a test
that needs an empty database goes in another module (tests/demo/test_demo_alone.py).
"""

import contextlib

from django.db import transaction
from django.test import override_settings


@contextlib.contextmanager
def built_once(django_db_blocker, **settings):
    """Open the module's transaction (with `settings` and fast password hashing, which the
    function-scoped fixtures would set only later); roll it back when the module is done."""
    from tests.conftest import FAST_HASHERS

    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS, **settings),
        transaction.atomic(),
    ):
        yield
        transaction.set_rollback(True)
