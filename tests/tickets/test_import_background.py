"""Without a broker the import page's upload runs in a thread of the web process: the
upload answers at once, the page follows the import's progress from its task file and
ends on the same report as an import run inside the request; a failure is a failure, and
an import whose server stopped is shown interrupted, not running for ever."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from gridgov.tickets import imports
from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.models import Ticket

from .factories import make_world
from .test_import import rows, write_csv


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    # The thread's connection sees only what is committed: a transactional test.
    load_taxonomy()  # an earlier transactional test may have flushed the migration's rows
    settings.DATA_DIR = tmp_path / "data"
    settings.GRIDGOV_IMPORT_IN_BACKGROUND = True
    assert settings.CELERY_TASK_ALWAYS_EAGER  # no broker
    return make_world()


PROGRESS = re.compile(r"<p>[^<>:]+: \d+ / \d+</p>")


@contextlib.contextmanager
def writes_held():
    """Hold the database's write lock (SQLite) or the tickets table (PostgreSQL) in this
    thread's transaction: an import checks its rows, then waits to write them."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {Ticket._meta.db_table} IN EXCLUSIVE MODE")
        # SQLite: the atomic block began with BEGIN IMMEDIATE (settings' transaction_mode).
        yield


def upload(client, path, **fields):
    with open(path, "rb") as handle:
        return client.post(reverse("tickets:import"), {"file": handle, **fields})


def answered(call, seconds=10):
    """call() in a thread of its own: its result, if it ends within `seconds` (an import
    run in the request would wait there for the lock this test holds)."""
    result = []

    def run():
        try:
            result.append(call())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, "the upload did not answer while the import waited"
    return result[0]


def follow(client, status_url, seen=None, timeout=60):
    """Poll the status page as htmx does until it answers the report; → its HTML."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        html = client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
        if 'id="import-report"' in html:
            return html
        assert 'id="import-progress"' in html
        if seen is not None:
            seen.append(html)
        time.sleep(0.05)
    raise AssertionError("the import never ended")


def report_section(html):
    start = html.index('<section class="panel import-report"')
    return html[start : html.index("</section>", start)]


def test_the_upload_answers_at_once_and_the_page_follows_the_import_to_its_report(
    client, world, tmp_path, settings
):
    client.force_login(world.street_staff)
    good = write_csv(tmp_path / "good.csv", rows(n=600, bad=False))
    # Another import holds the lock (one at a time): this one waits, the upload does not.
    with imports.one_at_a_time():
        response = answered(lambda: upload(client, good))
        assert response.status_code == 302
        status_url = response.url
        page = client.get(status_url).content.decode()
        assert 'id="import-progress"' in page and "等待导入开始" in page
        time.sleep(0.3)
        waiting = client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
        assert "等待导入开始" in waiting and not Ticket.objects.exists()
    # Checked, it waits to write while another write holds the database: the page shows
    # how far it got, as a worker's task meta says it ("<phase>: <done> / <total>").
    with writes_held():
        deadline = time.monotonic() + 15
        while not PROGRESS.search(html := client.get(status_url).content.decode()):
            assert time.monotonic() < deadline and 'id="import-progress"' in html
            time.sleep(0.05)
        assert not Ticket.objects.exists()
    html = follow(client, status_url)
    assert "已导入 600 件工单" in html
    assert Ticket.objects.filter(created_by=world.street_staff).count() == 600
    # Done: the report stays the owner's only, on the full page too.
    assert "已导入 600 件工单" in client.get(status_url).content.decode()
    client.force_login(world.hotline)
    assert client.get(status_url).status_code == 404


def test_the_report_is_the_one_the_request_gave(client, world, tmp_path, settings):
    client.force_login(world.street_staff)
    bad = write_csv(tmp_path / "bad.csv", rows(n=300, bad=True))
    settings.GRIDGOV_IMPORT_IN_BACKGROUND = False
    in_request = upload(client, bad)
    assert in_request.status_code == 400
    settings.GRIDGOV_IMPORT_IN_BACKGROUND = True
    response = upload(client, bad)
    assert response.status_code == 302
    html = follow(client, response.url)
    assert report_section(html) == report_section(in_request.content.decode())
    assert "已检查 300 行，发现 1 处问题" in html and not Ticket.objects.exists()
    full = client.get(response.url)  # the page itself, as after a reload
    assert full.status_code == 400
    assert report_section(full.content.decode()) == report_section(in_request.content.decode())


def test_a_failed_import_is_shown_failed(client, world, tmp_path):
    """An error the task does not report as a bad file (here a mapping that is not one)
    ends as a failure, which the page says, not as a spinner polling for ever."""
    client.force_login(world.street_staff)
    good = write_csv(tmp_path / "good.csv", rows(n=5, bad=False))
    with open(good, "rb") as handle:
        from django.core.files.uploadedfile import SimpleUploadedFile

        file = SimpleUploadedFile("good.csv", handle.read())
    started = imports.start_import(world.street_staff, file, mapping=42, background=True)
    assert not started.done
    deadline = time.monotonic() + 30
    while not (state := imports.import_state(started.task, world.street_staff)).done:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert state.failed and not state.interrupted
    status_url = reverse("tickets:import-status", args=[started.task])
    html = client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert "导入失败" in html and 'id="import-interrupted"' not in html
    assert not Ticket.objects.exists()


CHILD = """
import sys, time, django
django.setup()
from gridgov.tickets import imports
held = imports._claim_task(sys.argv[1], sys.argv[2])  # the lock, until the process ends
imports._write_task(sys.argv[1], {"state": "PROGRESS",
                                  "progress": {"phase": "写入", "done": 10, "total": 600}})
print("running", flush=True)
time.sleep(120)
"""


def saved_upload(settings, folder=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return imports.save_upload(
        SimpleUploadedFile("12345.csv", b"a,b\n1,2\n"), settings.DATA_DIR, folder=folder
    )


def test_an_import_whose_server_stopped_is_interrupted(client, world, settings):
    """A process that runs an import (holds the task's lock, wrote its progress) is killed,
    as by a restart: the page says the import was interrupted, instead of polling for ever,
    and the upload it was importing, which the task would have deleted at its end, is
    deleted (it stayed under DATA_DIR/imports/ for ever)."""
    task = imports._owned_id(world.street_staff.pk, b"restart!")
    kept = saved_upload(settings)
    another = saved_upload(settings)  # another upload's, not this task's
    env = {
        **os.environ,
        "GRIDGOV_DATA_DIR": str(settings.DATA_DIR),
        "DJANGO_SETTINGS_MODULE": "gridgov.settings",
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, task, str(kept)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "running"
        state = imports.import_state(task, world.street_staff)
        assert state.state == "PROGRESS" and not state.done
        assert state.progress == {"phase": "写入", "done": 10, "total": 600}
        assert kept.exists()  # still being imported
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    state = imports.import_state(task, world.street_staff)
    assert state.done and state.failed and state.interrupted
    assert not kept.exists() and another.exists()
    assert imports.import_state(task, world.hotline) is None
    client.force_login(world.street_staff)
    status_url = reverse("tickets:import-status", args=[task])
    html = client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="import-interrupted"' in html and "导入尚未完成时服务器停止了运行" in html
    assert "导入失败" in html
    assert Path(settings.DATA_DIR, "imports", "tasks", f"{task}.json").exists()


def test_old_task_files_go_with_the_upload_of_an_import_nobody_followed(world, settings, tmp_path):
    """An interrupted import nobody polled again: when its task files are deleted as old,
    its upload is too — only a file kept under DATA_DIR/imports/ (or pending/), whatever
    else a task's lock file names."""
    uploads = {
        "interrupted": saved_upload(settings),
        "mapped": saved_upload(settings, folder=imports._pending_dir()),
        "running": saved_upload(settings),
        "elsewhere": tmp_path / f"{'0' * 32}.csv",
    }
    uploads["elsewhere"].write_bytes(b"not an upload")
    held = {}
    for name, path in uploads.items():
        task = imports._owned_id(world.street_staff.pk, name.encode()[:8].ljust(8, b"."))
        held[name] = imports._claim_task(task, path)
        imports._write_task(task, {"state": "PROGRESS"})
        old = time.time() - (imports.TASK_FILE_HOURS + 1) * 3600
        os.utime(imports._task_dir() / f"{task}.json", (old, old))
        if name != "running":
            held[name].close()  # its process ended
    try:
        imports._forget_old_tasks()
        assert not uploads["interrupted"].exists() and not uploads["mapped"].exists()
        assert uploads["running"].exists() and uploads["elsewhere"].exists()
        assert len(list(imports._task_dir().glob("*.json"))) == 1  # the running one's
    finally:
        held["running"].close()
