"""The 12345 import page: upload, every bad row listed and nothing written, the corrected
file imported; through a real broker and worker the page follows the task to its report."""

import csv
import re
import time

import pytest
from django.urls import reverse

from gridgov.tickets import imports
from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.models import Ticket

from .factories import make_world
from .test_import import rows, write_csv


@pytest.fixture
def world(db):
    return make_world()


def upload(client, path, **fields):
    with open(path, "rb") as handle:
        return client.post(reverse("tickets:import"), {"file": handle, **fields})


def test_bad_rows_are_listed_and_nothing_is_written_then_the_corrected_file_imports(
    client, world, tmp_path
):
    client.force_login(world.street_staff)
    page = client.get(reverse("tickets:import")).content.decode()
    assert "导入 12345 工单" in page and 'name="file"' in page
    bad = write_csv(tmp_path / "bad.csv", rows(n=30, bad=True))  # row 19 (index 17) is bad
    response = upload(client, bad)
    html = response.content.decode()
    assert response.status_code == 400 and "未导入任何数据" in html
    assert "已检查 30 行，发现 1 处问题" in html
    assert "<td>19</td><td>受理时间</td>" in html
    assert not Ticket.objects.exists()
    good = write_csv(tmp_path / "good.csv", rows(n=30, bad=False))
    response = upload(client, good, dry_run="on")
    assert "文件检查通过" in response.content.decode() and not Ticket.objects.exists()
    response = upload(client, good, channel="hotline")
    html = response.content.decode()
    assert response.status_code == 200 and "已导入 30 件工单" in html
    assert Ticket.objects.filter(created_by=world.street_staff).count() == 30


def test_the_report_names_columns_in_chinese_even_those_the_file_lacks(client, world, tmp_path):
    """Many exports have 诉求内容 but no 诉求标题: a row without content was reported in the
    column "title", and 使用的列 listed created_at, requester_phone … as the code names them."""
    data = list(rows(n=3, bad=False))
    data[1]["诉求内容"] = ""
    headers = [h for h in data[0] if h != "诉求标题"]
    for row in data:
        del row["诉求标题"]
    client.force_login(world.street_staff)
    html = upload(client, write_csv(tmp_path / "no-title.csv", data, headers=headers))
    html = html.content.decode()
    assert "<td>3</td><td>标题</td>" in html
    assert "<li>受理时间 ← 受理时间</li>" in html and "<li>诉求人电话 ← 联系电话</li>" in html
    assert "created_at" not in html and "requester_phone" not in html
    assert not Ticket.objects.exists()


def test_an_overlapping_export_imports_only_its_new_rows_when_asked(client, world, tmp_path):
    """Platform exports overlap (this month so far): uploaded again, every row was an
    error to delete by hand; now the report says so, and the new rows can be imported."""
    client.force_login(world.street_staff)
    first = write_csv(tmp_path / "week1.csv", list(rows(n=10, bad=False))[:6])
    assert upload(client, first).status_code == 200
    overlapping = write_csv(tmp_path / "week2.csv", rows(n=10, bad=False))
    html = upload(client, overlapping).content.decode()
    assert "未导入任何数据" in html and "其中 6 行此前已导入" in html
    # Said above the list of rows (up to 200), not below it.
    assert html.index("其中 6 行此前已导入") < html.index('id="import-errors"')
    assert Ticket.objects.count() == 6
    response = upload(client, overlapping, dry_run="on", skip_imported="on")
    assert "已跳过此前已导入的 6 行" in response.content.decode()
    assert Ticket.objects.count() == 6
    response = upload(client, overlapping, skip_imported="on")
    html = response.content.decode()
    assert response.status_code == 200 and "已导入 4 件工单" in html
    assert "已跳过此前已导入的 6 行" in html
    assert Ticket.objects.count() == 10
    assert Ticket.objects.values("external_id").distinct().count() == 10


def test_every_bad_row_can_be_downloaded_though_the_page_lists_the_first(
    client, world, tmp_path, monkeypatch
):
    """The page lists the first 200 problems; a big file's others were nowhere to be read."""
    from urllib.parse import unquote

    from gridgov.tickets import import_views

    monkeypatch.setattr(import_views, "SHOWN_ERRORS", 1)
    data = list(rows(n=5, bad=False))
    data[0]["受理时间"] = "昨天"
    data[2]["诉求类型"] = "=外星人入侵"  # a caller's words: never a formula in Excel
    client.force_login(world.street_staff)
    html = upload(client, write_csv(tmp_path / "bad.csv", data)).content.decode()
    assert html.count("<tr><td>") == 1
    link = re.search(r'id="import-errors-csv" download="([^"]+)" href="([^"]+)"', html)
    assert link and link.group(1) == "导入问题清单.csv"
    prefix = "data:text/csv;charset=utf-8,"
    text = unquote(link.group(2).removeprefix(prefix))
    assert text.startswith("\ufeff")
    listed = list(csv.reader(text.removeprefix("\ufeff").splitlines()))
    assert listed[0] == ["行", "列", "问题说明"]
    assert [(r[0], r[1]) for r in listed[1:]] == [("2", "受理时间"), ("4", "诉求类型")]
    assert listed[2][2].startswith("未知分类")  # the message, not the raw value, leads
    assert not Ticket.objects.exists()


def test_only_import_roles_and_a_readable_file(client, world, tmp_path):
    client.force_login(world.gridworker_a)
    assert client.get(reverse("tickets:import")).status_code == 403
    client.force_login(world.hotline)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a workbook")
    response = upload(client, junk)
    assert response.status_code == 400 and "无法导入该文件" in response.content.decode()
    assert not Ticket.objects.exists()


def test_progress_is_reported_by_phase_up_to_the_total(world, tmp_path):
    calls = []
    path = write_csv(tmp_path / "p.csv", rows(n=40, bad=False))
    report = imports.import_file(path, progress=lambda *a: calls.append(a))
    assert report.ok and report.created == 40
    phases = {}
    for phase, done, total in calls:
        phases.setdefault(phase, []).append((done, total))
    assert list(phases) == ["逐行检查", "写入"]
    assert phases["逐行检查"][0] == (0, 40) and phases["逐行检查"][-1] == (40, 40)
    done, total = phases["写入"][-1]  # tickets, their create and their dispatch events
    assert done == total == 40 + 40 + report.dispatched


@pytest.mark.django_db(transaction=True)
def test_through_a_real_worker_the_page_follows_the_task_to_its_report(client, tmp_path):
    import redis
    from celery.contrib.testing.worker import start_worker

    from gridgov.celery import app
    from tests.celery_broker import real_broker

    broker = "redis://127.0.0.1:6379/13"
    redis.Redis.from_url(broker).ping()
    load_taxonomy()  # an earlier transactional test may have flushed the migration's rows
    world = make_world()
    path = write_csv(tmp_path / "big.csv", rows(n=2000, bad=False))
    client.force_login(world.hotline)
    with real_broker(app, broker):
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            response = upload(client, path)
            assert response.status_code == 302
            status_url = response.url
            page = client.get(status_url).content.decode()
            assert "import-report" in page or "正在导入" in page
            deadline = time.monotonic() + 120
            while True:
                html = client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
                if "import-report" in html or time.monotonic() > deadline:
                    break
                assert "import-progress" in html
                time.sleep(0.3)
    assert "已导入 2000 件工单" in html
    assert Ticket.objects.count() == 2000
    # Another session cannot read this import's report (it may name callers).
    client.logout()
    client.force_login(world.street_staff)
    assert client.get(status_url).status_code == 404
