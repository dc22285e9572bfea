"""Notifications: email (locmem backend) and webhook (a tiny local HTTP server) on
dispatch and before deadlines; failures are logged, never raised; each sent once."""

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from gridgov.tickets import intake, notify, sweep
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Notice
from tests.celery_broker import conf_set

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(8 * 60)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


def _minute(at):
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def world(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GRIDGOV_WEBHOOK_URL = ""
    # The Hook below listens on loopback, where the webhook does not go unless told.
    settings.GRIDGOV_WEBHOOK_ALLOWED_NETWORKS = "127.0.0.1/32"
    # DEBUG is off under pytest, as in production, where unsigned webhooks are not sent.
    settings.GRIDGOV_WEBHOOK_SECRET = "test-secret"
    w = make_world()
    for user, address in [
        (w.gridworker_a, "gw_a@example.org"),
        (w.gridworker_b, "gw_b@example.org"),
        (w.community_staff, "community@example.org"),
    ]:
        user.email = address
        user.save(update_fields=["email"])
    return w


def make_ticket(world, now=T0, **overrides):
    data = ticket_data(**overrides)
    data.setdefault("category", world.corridor.code)
    return intake.create_ticket(data, actor=world.hotline, now=now).ticket


class Hook:
    """A local HTTP server recording the JSON posted to it, answering the statuses given,
    one per request (the last one again after them)."""

    def __init__(self, *statuses):
        statuses = statuses or (200,)
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), json.loads(body), body))
                self.send_response(statuses[min(len(received), len(statuses)) - 1])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def bodies(self):
        return [body for _headers, _data, body in self.received]


def test_dispatch_emails_the_owners_handlers_after_commit(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(world)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["gw_a@example.org"]  # grid A's worker, not grid B's
    assert ticket.code in message.subject
    assert "13812341234" not in message.body  # no personal data in notifications
    notice = Notice.objects.get(ticket=ticket)
    assert notice.kind == "dispatch" and notice.recipients == ["gw_a@example.org"]


def test_nothing_is_sent_for_a_rolled_back_intake(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            make_ticket(world)
            raise RuntimeError
    assert mail.outbox == [] and not Notice.objects.exists()


def test_webhook_gets_json_with_a_signature(world, settings, django_capture_on_commit_callbacks):
    settings.GRIDGOV_WEBHOOK_SECRET = "s3cret"
    with Hook() as hook:
        settings.GRIDGOV_WEBHOOK_URL = hook.url
        with django_capture_on_commit_callbacks(execute=True):
            ticket = make_ticket(world)
    (headers, data, body) = hook.received[0]
    assert data["event"] == "dispatch"
    assert data["ticket"]["code"] == ticket.code
    assert data["owner"] == {"kind": "place", "code": "G1a", "name": world.grid_a.name}
    assert data["recipients"] == ["gw_a"]
    assert "13812341234" not in body.decode() and "张三" not in body.decode()
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Gridgov-Signature"] == f"sha256={expected}"
    assert Notice.objects.get(ticket=ticket).webhook_status == "200"


def test_webhook_failures_are_logged_not_raised(world, settings, caplog):
    with Hook(500) as hook:
        settings.GRIDGOV_WEBHOOK_URL = hook.url
        ticket = make_ticket(world)
        notice = notify.send_dispatch(ticket.pk)
    assert notice.webhook_status == "error: HTTP 500"
    # Nobody listening at all.
    settings.GRIDGOV_WEBHOOK_URL = "http://127.0.0.1:9/nothing"
    other = make_ticket(world)
    notice = notify.send_dispatch(other.pk)
    assert notice.webhook_status.startswith("error")
    assert "webhook" in caplog.text
    assert len(mail.outbox) == 2  # the emails still went out


def test_escalation_tells_the_new_owner(world, django_capture_on_commit_callbacks):
    ticket = make_ticket(world)
    with django_capture_on_commit_callbacks(execute=True):
        perform(ticket, "escalate", world.gridworker_a, now=T0 + dt.timedelta(hours=1))
    assert [m.to for m in mail.outbox] == [["community@example.org"]]


def _reads_of_the_ticket(queries):
    return [q["sql"] for q in queries if 'SELECT "tickets_ticket"."status"' in q["sql"]]


def test_an_intake_notified_right_after_its_commit_does_not_read_the_ticket_again(
    world, django_capture_on_commit_callbacks
):
    """In-process (no broker) the notice runs right after the intake's commit: the ticket is
    as the intake left it, held by its unit, so it is not read again to check that."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with django_capture_on_commit_callbacks() as callbacks:
        ticket = make_ticket(world)
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()
    assert _reads_of_the_ticket(queries.captured_queries) == []
    assert [m.to for m in mail.outbox] == [["gw_a@example.org"]]
    assert Notice.objects.get(ticket=ticket).kind == "dispatch"


def test_a_ticket_written_again_before_the_commit_is_read_before_it_is_notified(
    world, django_capture_on_commit_callbacks
):
    """Acted on again in the same transaction (merged, passed up), a ticket may no longer be
    the notified unit's: its notice reads it, as a worker's does, and is not sent."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    survivor = make_ticket(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        merged = make_ticket(world)
        perform(merged, "merge", world.hotline, into=survivor.code)
        passed_up = make_ticket(world)
        perform(passed_up, "escalate", world.gridworker_a, now=T0 + dt.timedelta(hours=1))
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()
    # The merged one and grid A's of the escalated one were read and not sent; the
    # escalation's notice, queued by the last write, was sent without a read.
    assert len(_reads_of_the_ticket(queries.captured_queries)) == 2
    assert [m.to for m in mail.outbox] == [["community@example.org"]]
    assert list(Notice.objects.values_list("ticket", flat=True)) == [passed_up.pk]


def test_a_worker_reads_the_ticket_before_it_notifies(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    """With a broker the notice waits in a queue, and the ticket may move meanwhile: the
    worker is not told it is held, and reads it (tasks._still_held)."""
    from gridgov.tickets import tasks

    queued = []
    monkeypatch.setattr(tasks.notify_dispatch, "delay", lambda *a, **kw: queued.append((a, kw)))
    with (
        conf_set(tasks.notify_dispatch.app, task_always_eager=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = make_ticket(world)
    [(args, kwargs)] = queued
    assert args[0] == ticket.pk and kwargs == {}
    perform(ticket, "accept", world.gridworker_a, now=T0)
    perform(ticket, "resolve", world.gridworker_a, reply="已处理", now=T0)
    assert tasks.notify_dispatch.run(*args) is None and mail.outbox == []


def test_each_dispatch_is_notified_once(world):
    ticket = make_ticket(world)
    assert notify.send_dispatch(ticket.pk) is not None
    assert notify.send_dispatch(ticket.pk) is None  # a retried task sends nothing twice
    assert len(mail.outbox) == 1


def test_sweep_reminds_before_deadlines_once(world, settings):
    settings.GRIDGOV_REMINDER_HOURS = 2
    ticket = make_ticket(world)
    too_early = ticket.accept_by - dt.timedelta(hours=3)
    assert sweep.run(now=too_early).reminded == []
    soon = ticket.accept_by - dt.timedelta(hours=1)
    assert sweep.run(now=soon).reminded == [(ticket.code, "accept_due")]
    assert sweep.run(now=soon + dt.timedelta(minutes=30)).reminded == []
    assert len(mail.outbox) == 1
    # The reminder says what is due and by when (every notice names the ticket's code).
    assert mail.outbox[0].subject == f"请在 {_minute(ticket.accept_by)} 前签收工单 {ticket.code}"

    perform(ticket, "accept", world.gridworker_a, now=soon)
    # Contacted in time, so it is not escalated (which would bring fresh deadlines).
    perform(ticket, "contact", world.gridworker_a, now=soon)
    before_resolve = ticket.resolve_by - dt.timedelta(minutes=90)
    assert sweep.run(now=before_resolve).reminded == [(ticket.code, "resolve_due")]
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == f"工单 {ticket.code} 须在 {_minute(ticket.resolve_by)} 前办结"
    assert sorted(Notice.objects.filter(ticket=ticket).values_list("kind", flat=True)) == [
        "accept_due",
        "resolve_due",
    ]


def test_no_recipient_and_no_webhook_sends_nothing(world):
    world.gridworker_a.email = ""
    world.gridworker_a.save(update_fields=["email"])
    ticket = make_ticket(world)
    assert notify.send_dispatch(ticket.pk) is None
    assert not Notice.objects.exists()


def test_the_requester_is_told_when_it_is_resolved_once_with_the_reply_and_link(
    world, settings, django_capture_on_commit_callbacks
):
    from tests.people.factories import PersonFactory

    settings.GRIDGOV_SITE_URL = "https://gov.example.org/"
    world.resident.email = "resident@example.org"
    world.resident.save(update_fields=["email"])
    person = PersonFactory(user=world.resident, place=world.buildings[0])
    data = ticket_data(channel="photo", nature="report", requester_name="", requester_phone="")
    data["category"] = world.corridor.code
    ticket = intake.create_ticket(data, actor=world.resident, now=T0).ticket
    assert ticket.requester == person
    perform(ticket, "accept", world.gridworker_a, now=T0)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            event = perform(
                ticket,
                "resolve",
                world.gridworker_a,
                reply="杂物已清理。",
                now=T0 + dt.timedelta(hours=1),
            )
    [message] = mail.outbox
    assert message.to == ["resident@example.org"]
    assert ticket.code in message.subject and "已办结" in message.subject
    assert "杂物已清理。" in message.body
    assert f"https://gov.example.org/tickets/mine/{ticket.code}/" in message.body
    assert notify.send_resolved(ticket.pk, event.pk) is None  # a retried task sends nothing
    assert len(mail.outbox) == 1


def test_a_hotline_caller_without_a_login_gets_no_mail_and_the_webhook_names_nobody(
    world, settings
):
    ticket = make_ticket(world)  # filed by the hotline for a caller
    perform(ticket, "accept", world.gridworker_a, now=T0)
    event = perform(
        ticket, "resolve", world.gridworker_a, reply="已处理", now=T0 + dt.timedelta(hours=1)
    )
    mail.outbox.clear()
    assert notify.requester_addresses(ticket) == []
    assert notify.send_resolved(ticket.pk, event.pk) is None
    with Hook() as hook:
        settings.GRIDGOV_WEBHOOK_URL = hook.url
        notice = notify.send_resolved(ticket.pk, event.pk)
    assert notice is not None and notice.recipients == [] and mail.outbox == []
    [(_headers, body, _raw)] = hook.received
    assert body["event"] == "resolved" and body["recipients"] == []
    assert "13812341234" not in json.dumps(body)
