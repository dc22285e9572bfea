"""Project-wide promises: two-command set-up, deploy checks, a real Celery round trip."""

import json
import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    command = re.search(r'^TEST_CMD="(.+)"$', ci, re.M).group(1)
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("\n## ", 2)[1]  # the first section holds the set-up commands
    assert command in setup


def test_ci_fails_when_pytest_collects_no_tests():
    """pytest exits 5 when it collects nothing (a renamed folder, a broken testpaths):
    .ci/run's run_tests must fail on it as on any other exit but 0."""
    ci = (ROOT / ".ci" / "run").read_text()
    run_tests = re.search(r"^run_tests\(\) \{\n.*?^\}$", ci, re.M | re.S).group(0)
    for code, failed in ((5, True), (1, True), (0, False)):
        script = f'TEST_CMD="exit {code}"\n{run_tests}\nrun_tests\necho ran'
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
        assert (result.returncode != 0) == failed, (code, result.stdout, result.stderr)
        assert ("ran" in result.stdout) == (not failed)


def _gridgov(*args, **env):
    # The browser tests allow async-unsafe calls in this process; a deployment never does.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "-m", "gridgov.manage", *args],
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_a_refused_request_is_written_to_the_log_once(
    client, django_user_model, settings, monkeypatch
):
    """The demo (DEBUG on) wrote each refused request twice: Django's own console handler
    and the root's both wrote the record."""
    settings.DEBUG = True
    written = []

    def emit(handler, record):
        if not type(handler).__module__.startswith("_pytest"):  # pytest's capture is no log
            written.append(record.getMessage())

    monkeypatch.setattr(logging.StreamHandler, "emit", emit)
    client.force_login(django_user_model.objects.create(username="no-role"))
    assert client.get("/tickets/kpis/").status_code == 403
    assert client.get("/no-such-page/").status_code == 404
    assert written == [
        "Forbidden (Permission denied): /tickets/kpis/",
        "Not Found: /no-such-page/",
    ]


def test_production_settings_pass_deploy_check(tmp_path):
    result = _gridgov(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        GRIDGOV_DEBUG="0",
        GRIDGOV_SECRET_KEY=secrets.token_urlsafe(60),
        GRIDGOV_ALLOWED_HOSTS="gov.example.org",
        GRIDGOV_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_settings_fail_deploy_check(tmp_path):
    # The check must be able to fail, or the test above proves nothing.
    result = _gridgov(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        GRIDGOV_DEBUG="1",
        GRIDGOV_DATA_DIR=str(tmp_path),
    )
    assert result.returncode != 0


@pytest.mark.parametrize(
    "conn_max_age, switch, expected",
    [
        ("60", "", {"server_side_binding": True, "prepare_threshold": 5}),
        ("0", "", {}),
        ("60", "0", {}),
        ("0", "1", {"server_side_binding": True, "prepare_threshold": 5}),
    ],
)
def test_server_side_binding_reaches_the_postgresql_options(
    tmp_path, conn_max_age, switch, expected
):
    """On by default when PostgreSQL connections are kept (prepared statements live on a
    connection), switchable either way; settings only, so nothing connects."""
    code = "import json; from django.conf import settings as s; print(json.dumps(s.DATABASES))"
    result = _gridgov(
        "shell",
        "-c",
        code,
        GRIDGOV_DATA_DIR=str(tmp_path),
        GRIDGOV_DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        GRIDGOV_DB_CONN_MAX_AGE=conn_max_age,
        GRIDGOV_DB_SERVER_SIDE_BINDING=switch,
    )
    assert result.returncode == 0, result.stderr
    database = json.loads(result.stdout.strip().splitlines()[-1])["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    options = database.get("OPTIONS", {})
    assert {k: options.get(k) for k in expected} == expected
    assert options.get("server_side_binding", False) is bool(expected)


@pytest.mark.parametrize("switch, expected", [("", False), ("on", True), ("0", False)])
def test_jit_switch_comes_from_the_environment(tmp_path, switch, expected):
    code = "from django.conf import settings as s; print(s.GRIDGOV_DB_JIT)"
    result = _gridgov("shell", "-c", code, GRIDGOV_DATA_DIR=str(tmp_path), GRIDGOV_DB_JIT=switch)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(expected)


def test_secret_key_is_generated_once_into_the_data_dir(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = _gridgov("shell", "-c", code, GRIDGOV_DATA_DIR=str(tmp_path), GRIDGOV_SECRET_KEY="")
    second = _gridgov("shell", "-c", code, GRIDGOV_DATA_DIR=str(tmp_path), GRIDGOV_SECRET_KEY="")
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip().splitlines()[-1]
    assert len(key) > 40
    assert second.stdout.strip().splitlines()[-1] == key
    assert (tmp_path / "secret_key").read_text().strip() == key


def test_wsgi_entry_loads_what_the_first_requests_need(tmp_path):
    """A web worker imports its views, the MinHash library and the Celery tasks at start,
    not while the first callers wait (and before the collector freezes the modules)."""
    code = (
        "import sys, gc, gridgov.wsgi; "
        "print(all(m in sys.modules for m in "
        "('gridgov.tickets.api', 'gridgov.insights.views', 'datasketch')), gc.get_freeze_count() > 0)"
    )
    env = {**os.environ, "GRIDGOV_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


@pytest.mark.django_db(transaction=True)
def test_celery_task_round_trip_through_real_redis_worker():
    """With GRIDGOV_BROKER_URL set, tasks go through a real broker to a real worker."""
    import redis  # a dependency of celery[redis]: failing, not skipping, when absent

    broker = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(broker).ping()  # CI starts Redis; fail loudly if it is not there
    from celery.contrib.testing.worker import start_worker

    from gridgov.celery import app, healthcheck
    from tests.celery_broker import real_broker

    with real_broker(app, broker):
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            result = healthcheck.delay()
            assert result.get(timeout=30) == {"worker": "ok", "database": True}
