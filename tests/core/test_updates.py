"""core.updates.update: some fields of many saved rows, as bulk_update writes them."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.core import updates
from gridgov.insights.models import HotIssue
from gridgov.places.models import Level, Place

pytestmark = pytest.mark.django_db
FIELDS = ("title", "place", "first_at", "ticket_count", "heat", "trend", "refreshed_at")


def _issues(n):
    now = timezone.now()
    return HotIssue.objects.bulk_create(
        [
            HotIssue(
                key=f"t{i}",
                title=f"旧{i}",
                first_at=now,
                last_at=now,
                ticket_count=1,
                requester_count=1,
                heat=1.0,
                refreshed_at=now,
            )
            for i in range(n)
        ]
    )


def test_the_rows_read_back_as_written(monkeypatch):
    monkeypatch.setattr(updates, "BATCH", 2)
    place = Place.objects.create(code="D1", name="区", level=Level.DISTRICT)
    issues = _issues(5)
    then = timezone.now() - dt.timedelta(days=3, microseconds=7)
    for i, issue in enumerate(issues):
        issue.title, issue.place = f"新的'{i}\\", place if i % 2 else None
        issue.first_at, issue.ticket_count, issue.heat = then, i, i / 3
        issue.trend = [["2026-11-01", i], ["2026-11-02", None]]
        issue.refreshed_at = then + dt.timedelta(hours=i)
    issues[4].key = "unchanged-key"  # not among the fields: not written
    with CaptureQueriesContext(connection) as ctx:
        assert updates.update(issues, FIELDS) == 5
    if connection.vendor == "postgresql":
        assert len(ctx.captured_queries) == 3  # 2 + 2 + 1 rows
    for i, issue in enumerate(HotIssue.objects.order_by("pk")):
        assert issue.title == f"新的'{i}\\" and issue.place_id == (place.pk if i % 2 else None)
        assert (issue.first_at, issue.ticket_count, issue.heat) == (then, i, i / 3)
        assert issue.trend == [["2026-11-01", i], ["2026-11-02", None]]
        assert issue.refreshed_at == then + dt.timedelta(hours=i)
        assert issue.key == f"t{i}"
    assert updates.update([], FIELDS) == 0
