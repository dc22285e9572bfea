import datetime as dt

import pytest
from django.db import connection, transaction

from gridgov.tickets.intake import next_codes


@pytest.mark.django_db(transaction=True)
def test_daily_codes_are_consecutive_and_the_session_stays_synchronous():
    day = dt.date(2026, 11, 28)
    assert next_codes(day) == ["GD20261128-000001"]
    assert next_codes(day, 2) == ["GD20261128-000002", "GD20261128-000003"]
    with transaction.atomic():  # the bulk import's path: inside the caller's transaction
        assert next_codes(day) == ["GD20261128-000004"]
    assert next_codes(dt.date(2026, 11, 29)) == ["GD20261129-000001"]
    if connection.vendor == "postgresql":
        # The counter's own commit skips the WAL flush; nothing after it may.
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
