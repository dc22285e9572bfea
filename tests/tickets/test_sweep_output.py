"""What `gridgov sweep` reports: escalations by unit name and code (a department's code
may look like a place's), reminders only when one was actually sent, once per deadline,
and no broker chatter when tasks run in-process."""

import datetime as dt
import io
import json
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from gridgov.people.models import Department
from gridgov.tickets import intake, sweep
from gridgov.tickets.models import Notice

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(8 * 60)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
H = dt.timedelta(hours=1)


@pytest.fixture
def world(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GRIDGOV_WEBHOOK_URL = ""
    return make_world()


def make_ticket(world, category=None, **overrides):
    data = ticket_data(**overrides)
    data["category"] = (category or world.corridor).code
    return intake.create_ticket(data, actor=world.hotline, now=T0).ticket


def test_escalations_name_both_units_with_their_codes(world):
    # A department whose code is also a place's: only the names tell them apart.
    Department.objects.filter(pk=world.city_mgmt.pk).update(code=world.street.code)
    ticket = make_ticket(world, category=world.unlicensed, title="无证摊贩")
    out = io.StringIO()
    call_command(
        "sweep", "--no-remind", f"--now={(ticket.accept_by + 25 * H).isoformat()}", stdout=out
    )
    line = next(x for x in out.getvalue().splitlines() if "escalated " in x)
    street = world.street
    assert line.strip() == (
        f"escalated {ticket.code}: {world.city_mgmt.name} ({street.code}) → "
        f"{street.name} ({street.code})"
    )


def test_json_summary_names_the_units(world):
    ticket = make_ticket(world)
    out = io.StringIO()
    now = (ticket.accept_by + 25 * H).isoformat()
    call_command("sweep", "--json", "--no-remind", f"--now={now}", stdout=out)
    named = json.loads(out.getvalue())["escalations_named"]
    assert named == [
        {
            "ticket": ticket.code,
            "from": {"kind": "place", "code": "G1a", "name": world.grid_a.name},
            "to": {"kind": "place", "code": "C1", "name": world.community.name},
        }
    ]


def test_no_reminder_is_counted_when_nobody_can_be_told(world):
    ticket = make_ticket(world)  # the grid worker has no e-mail address, no webhook set
    soon = ticket.accept_by - H
    for minutes in (0, 10, 20):
        report = sweep.run(now=soon + dt.timedelta(minutes=minutes))
        assert report.reminded == []
    assert not Notice.objects.filter(kind="accept_due").exists()


def test_a_reminder_is_counted_once_per_deadline_when_sent(world):
    world.gridworker_a.email = "gw_a@example.org"
    world.gridworker_a.save(update_fields=["email"])
    ticket = make_ticket(world)
    soon = ticket.accept_by - H
    assert sweep.run(now=soon).reminded == [(ticket.code, "accept_due")]
    assert sweep.run(now=soon + 10 * dt.timedelta(minutes=1)).reminded == []
    assert [m.to for m in mail.outbox if "accept" in m.subject.lower() or ticket.code in m.subject]
    assert Notice.objects.filter(ticket=ticket, kind="accept_due").count() == 1


def test_an_in_process_sweep_opens_no_broker_connection(world, caplog):
    world.gridworker_a.email = "gw_a@example.org"
    world.gridworker_a.save(update_fields=["email"])
    ticket = make_ticket(world)
    out = io.StringIO()
    with caplog.at_level(logging.WARNING):
        call_command("sweep", f"--now={(ticket.accept_by - H).isoformat()}", stdout=out)
    assert "1 reminder(s)" in out.getvalue()
    assert not [r for r in caplog.records if r.name.startswith(("kombu", "amqp", "celery"))]
