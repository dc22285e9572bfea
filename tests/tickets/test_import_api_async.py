"""POST /api/v1/imports/tickets/ with `Prefer: respond-async` (RFC 7240): without a broker
the import runs in the import page's thread and the API answers 202 at once, with the
task, a Location to follow and Preference-Applied; the status URL then gives the report
the request would have given. Without the header the answer is still the report. A file
refused before the import starts is still refused at once."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from gridgov.tickets import imports
from gridgov.tickets.models import Ticket

from . import test_import_background as background
from .test_import import rows, write_csv
from .test_import_background import answered

# The page's background imports' world: committed (the thread has its own connection), no
# broker, the thread on.
world = background.world

URL = "/api/v1/imports/tickets/"
ASYNC = {"HTTP_PREFER": "respond-async"}
# What differs between two runs of the same file: its saved name and the times taken.
RUN_SPECIFIC = ("source", "seconds", "phases")


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(client, path, headers=None, **fields):
    with open(path, "rb") as handle:
        return client.post(URL, {"file": handle, **fields}, format="multipart", **(headers or {}))


def follow(client, location, timeout=60):
    """GET the status URL until it is no longer 202; → that answer."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(location)
        if response.status_code != 202:
            return response
        assert response.json()["state"] in ("PENDING", "PROGRESS")
        assert time.monotonic() < deadline, "the import never ended"
        time.sleep(0.05)


def renumbered(data, prefix):
    """The same rows under other 工单编号 (a file with the same report, imported anew)."""
    for row in data:
        yield {**row, "工单编号": prefix + row["工单编号"]}


def same_report(report):
    return {k: v for k, v in report.items() if k not in RUN_SPECIFIC}


def test_respond_async_answers_at_once_and_the_status_url_gives_the_report(world, tmp_path):
    owner, other = api(world.street_staff), api(world.hotline)  # both may import
    in_request = post(owner, write_csv(tmp_path / "a.csv", renumbered(rows(300, False), "A")))
    assert in_request.status_code == 201, in_request.content
    assert "Preference-Applied" not in in_request and "Location" not in in_request
    path = write_csv(tmp_path / "b.csv", renumbered(rows(300, False), "B"))
    # Another import holds the lock (one at a time): this one waits, the answer does not.
    with imports.one_at_a_time():
        response = answered(lambda: post(owner, path, ASYNC))
        assert response.status_code == 202, response.content
        assert response["Preference-Applied"] == "respond-async"
        body = response.json()
        assert set(body) == {"task", "state"} and body["state"] == "PENDING"
        location = response["Location"]
        assert location == f"http://testserver{URL}{body['task']}/"
        waiting = owner.get(location)
        assert waiting.status_code == 202 and waiting.json()["task"] == body["task"]
        assert other.get(location).status_code == 404  # another user's task, while it runs
        assert Ticket.objects.count() == 300
    done = follow(owner, location)
    assert done.status_code == 201, done.content
    assert same_report(done.json()) == same_report(in_request.json())
    assert done.json()["created"] == 300 and Ticket.objects.count() == 600
    refused = other.get(location)  # done, its report still nobody else's
    assert refused.status_code == 404 and "created" not in refused.content.decode()


def test_bad_rows_are_the_same_400_through_the_status_url(world, tmp_path):
    client = api(world.hotline)
    bad = write_csv(tmp_path / "bad.csv", rows(n=30, bad=True))
    in_request = post(client, bad)
    assert in_request.status_code == 400
    response = post(client, bad, ASYNC)
    assert response.status_code == 202 and response["Preference-Applied"] == "respond-async"
    done = follow(client, response["Location"])
    assert done.status_code == 400
    detail, expected = done.json()["error"]["detail"], in_request.json()["error"]["detail"]
    assert same_report(detail) == same_report(expected)
    assert [(e["row"], e["column"]) for e in detail["errors"]] == [(19, "受理时间")]
    assert Ticket.objects.count() == 0
    # A dry run through the thread: 200, nothing written.
    good = write_csv(tmp_path / "good.csv", rows(n=10, bad=False))
    response = post(client, good, ASYNC, dry_run="true")
    assert response.status_code == 202
    done = follow(client, response["Location"])
    assert done.status_code == 200 and done.json()["dry_run"] and done.json()["rows"] == 10
    assert Ticket.objects.count() == 0


def test_a_file_refused_before_the_import_starts_is_refused_at_once(world, tmp_path):
    client = api(world.hotline)
    word = SimpleUploadedFile("工单.docx", b"PK\x03\x04" + bytes(200))
    response = client.post(URL, {"file": word}, format="multipart", **ASYNC)
    assert response.status_code == 400
    (message,) = response.json()["error"]["detail"]["file"]
    assert "不是 CSV 或 Excel 表格" in message, message
    assert "Location" not in response and "Preference-Applied" not in response
    good = write_csv(tmp_path / "good.csv", rows(n=5, bad=False))
    response = post(client, good, ASYNC, mapping="[1, 2]")
    assert response.status_code == 400 and "mapping" in response.json()["error"]["detail"]
    response = post(client, good, ASYNC, channel="fax")
    assert response.status_code == 400 and "channel" in response.json()["error"]["detail"]
    # No task was started, nothing kept.
    imports_dir = tmp_path / "data" / "imports"
    assert not imports_dir.exists() or not list(imports_dir.rglob("*.*"))
    assert Ticket.objects.count() == 0


def test_without_the_header_or_the_thread_the_answer_is_the_report(world, tmp_path, settings):
    client = api(world.hotline)
    path = write_csv(tmp_path / "good.csv", rows(n=10, bad=False))
    response = post(client, path, {"HTTP_PREFER": "return=minimal"}, dry_run="true")
    assert response.status_code == 200 and response.json()["rows"] == 10
    assert "Preference-Applied" not in response
    # The thread turned off (GRIDGOV_IMPORT_IN_BACKGROUND=0): the preference is not applied.
    settings.GRIDGOV_IMPORT_IN_BACKGROUND = False
    response = post(client, path, ASYNC)
    assert response.status_code == 201 and response.json()["created"] == 10
    assert "Preference-Applied" not in response and "Location" not in response


@pytest.mark.parametrize(
    "prefer, applied",
    [
        ("respond-async", True),
        ("Respond-Async", True),
        ("wait=5, respond-async", True),
        ("respond-async; foo=bar", True),
        ("return=minimal", False),
        ("respond-asynchronously", False),
        ("", False),
    ],
)
def test_prefer_is_read_as_rfc_7240_writes_it(prefer, applied):
    from rest_framework.test import APIRequestFactory

    from gridgov.tickets.api_ops import _prefers_respond_async

    request = APIRequestFactory().post(URL, HTTP_PREFER=prefer)
    assert _prefers_respond_async(request) is applied
