"""What notifications carry of a ticket: its title without the caller's phone, ID, e-mail
or name, in the webhook and in the handlers' e-mail (copies outside the access log)."""

import pytest
from django.core import mail

from gridgov.tickets import notify

from .factories import make_world
from .test_notify import Hook, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GRIDGOV_WEBHOOK_ALLOWED_NETWORKS = "127.0.0.1/32"  # the Hook listens there
    settings.GRIDGOV_WEBHOOK_SECRET = "test-secret"  # unsigned ones are not sent (DEBUG off)
    w = make_world()
    w.gridworker_a.email = "gw_a@example.org"
    w.gridworker_a.save(update_fields=["email"])
    return w


# A hotline ticket without a title takes the caller's first words as its title.
WORDS = "我叫张三，电话13812341234，身份证110101199001011234，3号楼楼道堆满杂物"


def test_the_title_in_webhook_and_email_names_no_caller(world, settings):
    ticket = make_ticket(world, title="", description=WORDS)
    assert "13812341234" in ticket.title  # what the notifications used to carry
    # Titled by its first 30 characters, the ID number cut there is left out whole: cut in
    # two (1101011…) it no longer looked like one, and went out unmasked.
    assert ticket.title == "我叫张三，电话13812341234，身份证…"
    with Hook() as hook:
        settings.GRIDGOV_WEBHOOK_URL = hook.url
        notify.send_dispatch(ticket.pk)
    [(_headers, data, body)] = hook.received
    [message] = mail.outbox
    for text in (body.decode(), message.subject, message.body):
        for secret in ("13812341234", "1101011", "张三"):
            assert secret not in text, (secret, text)
    assert data["ticket"]["title"] == "我叫张*，电话***，身份证…"
    assert ticket.code in message.subject and "身份证…" in message.subject
