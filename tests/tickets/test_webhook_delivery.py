"""How long one webhook delivery may take, and when it is tried again (notify.py,
tasks.notify_webhook), against real local HTTP servers: a receiver trickling its answer
is cut off at notify.WEBHOOK_DEADLINE_S; no answer or a 5xx is retried through Celery's
retry with backoff, a bounded number of times; a 4xx or a stale notice is not; and with
DEBUG off (production) an unsigned webhook is not sent."""

import json
import socket
import threading
import time

import pytest

from gridgov.tickets import notify, tasks
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Notice
from tests.celery_broker import conf_set

from .test_notify import T0, Hook, make_ticket
from .test_notify import world as world  # noqa: F401, PLC0414 (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def retries_as_a_worker_does():
    # Celery's apply() performs a task's retries at once, unless it propagates the Retry
    # (the project's eager setting, for tasks run in the request): as a worker would.
    with conf_set(tasks.notify_webhook.app, task_eager_propagates=False):
        yield


class Trickler:
    """A local server that reads the request, then answers one small piece every 0.2 s
    for up to 10 s: each read the client makes returns well within its 5 s timeout."""

    def __init__(self, pieces):
        self.pieces = pieces
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.stopped = threading.Event()

    def serve(self):
        connection, _address = self.listener.accept()
        with connection:
            data = b""
            while b"\r\n\r\n" not in data:
                data += connection.recv(65536)
            head, _sep, body = data.partition(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            while len(body) < length:
                body += connection.recv(65536)
            for piece in self.pieces():
                if self.stopped.wait(0.2):
                    return
                try:
                    connection.sendall(piece)
                except OSError:
                    return  # the client hung up

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.listener.close()
        self.thread.join(5)


def status_line_by_the_byte():
    for _ in range(50):
        yield b"H"


def a_200_then_headers_for_ever():
    yield b"HTTP/1.1 200 OK\r\n"
    for number in range(50):
        yield f"X-Slow-{number}: 1\r\n".encode()


@pytest.mark.parametrize("pieces", [status_line_by_the_byte, a_200_then_headers_for_ever])
def test_a_receiver_trickling_its_answer_is_cut_off_at_the_deadline(pieces, settings, monkeypatch):
    settings.GRIDGOV_WEBHOOK_ALLOWED_NETWORKS = "127.0.0.1/32"
    settings.GRIDGOV_WEBHOOK_SECRET = "test-secret"
    monkeypatch.setattr(notify, "WEBHOOK_DEADLINE_S", 1)
    with Trickler(pieces) as receiver:
        started = time.monotonic()
        status = notify.post_webhook(receiver.url, {"event": "dispatch"})
        took = time.monotonic() - started
    # Not a 200 read from a status line whose headers never ended; and not 10 s.
    assert status == notify.TIMED_OUT
    assert took < 3, took
    assert notify.retryable(status)


def dispatched(world, settings):
    """A ticket dispatched to grid A, its dispatch notice claimed (sent by e-mail, no
    webhook yet), and what its webhook carries."""
    settings.GRIDGOV_WEBHOOK_URL = ""
    ticket = make_ticket(world)
    notice = notify.send_dispatch(ticket.pk)
    data = {**notify.payload(ticket, "dispatch", [("gw_a", "")]), "notice": notice.pk}
    owner = [ticket.owner_place_id, ticket.owner_department_id]
    return ticket, notice, data, owner


def test_a_failed_delivery_is_retried_with_backoff_until_it_succeeds(world, settings, monkeypatch):
    ticket = make_ticket(world)
    waits = []
    real_backoff = notify.backoff
    monkeypatch.setattr(notify, "backoff", lambda n: waits.append(real_backoff(n)) or 0)
    # A worker: the task is queued (here: run at once, through Celery's apply, which
    # performs its retries) instead of tried once in the request.
    queued = []

    def delay(*args):
        queued.append(args)
        return tasks.notify_webhook.apply(args=args)

    monkeypatch.setattr(tasks.notify_webhook, "delay", delay)
    with (
        conf_set(tasks.notify_webhook.app, task_always_eager=False),
        Hook(503, 500, 200) as receiver,
    ):
        settings.GRIDGOV_WEBHOOK_URL = receiver.url
        notice = notify.send_dispatch(ticket.pk)
    assert len(queued) == 1 and notice.webhook_status == "queued"
    assert len(receiver.bodies) == 3
    assert len(set(receiver.bodies)) == 1  # the same delivery each time
    assert json.loads(receiver.bodies[0])["notice"] == notice.pk
    assert waits == [30, 60]
    notice.refresh_from_db()
    assert notice.webhook_status == "200"


def test_without_a_broker_the_webhook_is_tried_once(world, settings):
    ticket = make_ticket(world)
    with Hook(503, 200) as receiver:
        settings.GRIDGOV_WEBHOOK_URL = receiver.url
        notice = notify.send_dispatch(ticket.pk)
    assert len(receiver.bodies) == 1 and notice.webhook_status == "error: HTTP 503"


def test_no_answer_is_retried_a_bounded_number_of_times(world, settings, monkeypatch):
    _ticket, notice, data, owner = dispatched(world, settings)
    monkeypatch.setattr(notify, "WEBHOOK_RETRIES", 2)
    monkeypatch.setattr(notify, "backoff", lambda n: 0)
    tries = []
    real_post = notify.post_webhook
    monkeypatch.setattr(notify, "post_webhook", lambda *a: tries.append(a) or real_post(*a))
    free = socket.create_server(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nobody listens there now: connection refused
    settings.GRIDGOV_WEBHOOK_URL = f"http://127.0.0.1:{port}/hook"
    result = tasks.notify_webhook.apply(args=(notice.pk, data, owner))
    assert result.successful()  # the last failure is recorded, not raised
    assert len(tries) == 3  # the first try and two retries
    notice.refresh_from_db()
    assert notice.webhook_status == "error: ConnectionRefusedError"


@pytest.mark.parametrize("refusal", [400, 404, 410, 302])
def test_a_4xx_or_a_redirect_is_not_retried(world, settings, monkeypatch, refusal):
    _ticket, notice, data, owner = dispatched(world, settings)
    monkeypatch.setattr(notify, "backoff", lambda n: 0)
    with Hook(refusal, 200) as receiver:
        settings.GRIDGOV_WEBHOOK_URL = receiver.url
        tasks.notify_webhook.apply(args=(notice.pk, data, owner))
    assert len(receiver.bodies) == 1
    notice.refresh_from_db()
    assert notice.webhook_status == f"error: HTTP {refusal}"


def test_a_stale_notice_is_not_retried(world, settings, monkeypatch):
    ticket, notice, data, owner = dispatched(world, settings)
    monkeypatch.setattr(notify, "backoff", lambda n: 0)
    perform(ticket, "accept", world.gridworker_a, now=T0)  # signed for: nothing to tell
    with Hook(503, 200) as receiver:
        settings.GRIDGOV_WEBHOOK_URL = receiver.url
        tasks.notify_webhook.apply(args=(notice.pk, data, owner))
        assert len(receiver.bodies) == 1  # tried once, not again
        # A retry already queued when the ticket moved on posts nothing.
        tasks.notify_webhook.apply(args=(notice.pk, data, owner), retries=1)
        assert len(receiver.bodies) == 1
    notice.refresh_from_db()
    assert notice.webhook_status == "error: HTTP 503 (stale)"


def test_a_notice_is_current_while_what_it_tells_is_so(world, settings):
    ticket, notice, _data, owner = dispatched(world, settings)
    assert tasks._notice_current(notice.pk, owner)
    assert not tasks._notice_current(notice.pk, [owner[0] + 1000, None])  # another unit's
    perform(ticket, "accept", world.gridworker_a, now=T0)
    assert not tasks._notice_current(notice.pk, owner)
    resolved = Notice.objects.create(ticket=ticket, kind="resolved", key="resolve:1", at=T0)
    assert not tasks._notice_current(resolved.pk)  # accepted, not resolved
    perform(ticket, "resolve", world.gridworker_a, reply="已清理", now=T0)
    assert tasks._notice_current(resolved.pk)


def test_the_backoff_doubles_from_thirty_seconds():
    assert [notify.backoff(n) for n in range(notify.WEBHOOK_RETRIES)] == [30, 60, 120, 240, 480]


def test_an_unsigned_webhook_is_not_sent_in_production(settings):
    settings.GRIDGOV_WEBHOOK_ALLOWED_NETWORKS = "127.0.0.1/32"
    settings.GRIDGOV_WEBHOOK_SECRET = ""
    with Hook(200) as receiver:
        settings.GRIDGOV_WEBHOOK_URL = receiver.url
        settings.DEBUG = False
        assert notify.post_webhook(receiver.url, {"event": "dispatch"}) == notify.UNSIGNED
        assert receiver.bodies == [] and not notify.retryable(notify.UNSIGNED)
        [error] = notify._check_webhook_signed()
        assert error.id == "gridgov.tickets.E001"
        settings.DEBUG = True  # the demo on one machine: sent, unsigned
        assert notify.post_webhook(receiver.url, {"event": "dispatch"}) == "200"
        assert len(receiver.bodies) == 1 and notify._check_webhook_signed() == []
