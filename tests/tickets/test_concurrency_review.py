"""Found in the concurrency review (issues #3, #5): two runs of one task at once, a task
given a ticket that moved on meanwhile, lock order across the tickets of one act."""

import shutil
import threading

import pytest
from django.db import connection

from gridgov.tickets import imports
from gridgov.tickets.models import Ticket, TicketEvent
from gridgov.tickets.tasks import import_task

from .factories import make_world
from .test_import import rows, write_csv


@pytest.mark.django_db(transaction=True)
def test_one_file_uploaded_twice_at_once_is_imported_once(tmp_path, monkeypatch):
    """Both uploads checked "already imported" before either had written (the check runs
    before the import's transaction), so a double click on 导入 wrote every row twice."""
    world = make_world()
    first = write_csv(tmp_path / "a.csv", rows(n=6, bad=False))
    second = shutil.copy(first, tmp_path / "b.csv")
    both_checked = threading.Barrier(2)
    real = imports.Importer.insert

    def insert(self, parsed, progress=False):  # both have checked before either writes
        try:
            both_checked.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass  # the other one waits for this import to end: nothing to wait for
        return real(self, parsed, progress)

    monkeypatch.setattr(imports.Importer, "insert", insert)
    reports = []

    def upload(path):
        try:
            reports.append(import_task.run(str(path), None, "hotline", world.hotline.pk, True))
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(p,)) for p in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Ticket.objects.count() == 6
    assert TicketEvent.objects.filter(action="create").count() == 6
    assert sorted(r["created"] for r in reports) == [0, 6]
    refused = next(r for r in reports if not r["created"])
    assert not refused["ok"] and len(refused["errors"]) == 6
