"""`gridgov serve`: a street's own install is served like the demo (waitress, and the
periodic tasks in-process without a broker), after migrating, and says what a fresh
install still lacks."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import translation

from gridgov.core.management.commands import serve
from tests.places.factories import make_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(monkeypatch, settings):
    settings.CELERY_BROKER_URL = None
    settings.CELERY_BEAT_SCHEDULE = {}
    calls = []
    monkeypatch.setattr("waitress.serve", lambda app, **kw: calls.append(kw))  # not ours
    return calls


def run(**options):
    out = io.StringIO()
    command = serve.Command(stdout=out)
    with translation.override("zh-hans"):
        call_command(command, **options)
    if command.beat is not None:
        command.beat.stop()
    return command, out.getvalue()


def test_a_fresh_install_is_served_and_told_what_to_do_first(served):
    command, out = run(port=8990, host="0.0.0.0")
    assert served == [{"host": "0.0.0.0", "port": 8990, "threads": 8, "ident": "gridgov"}]
    assert command.beat is not None  # no broker: the deadline sweep runs here
    assert "gridgov createsuperuser" in out and "gridgov places import" in out
    assert "gridgov 已在 http://0.0.0.0:8990/ 运行" in out


def test_a_set_up_street_gets_no_hints_and_a_broker_runs_the_schedule(served, settings):
    make_tree()
    get_user_model().objects.create_superuser("admin", password="x")
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    command, out = run(port=8991)
    assert served and command.beat is None
    assert "createsuperuser" not in out and "places import" not in out
