"""An import's report is its owner's: through the API as on the page, another user allowed
to import (its report names callers) gets 404 for the task, as for one that does not exist.
Starting and following an import is imports.start_import / imports.import_state for both."""

import time
import uuid

import pytest
from rest_framework.test import APIClient

from gridgov.tickets import imports
from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.models import Ticket

from .factories import make_world
from .test_import import rows, write_csv

URL = "/api/v1/imports/tickets/"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_task_id_names_its_owner_and_no_other(db):
    world = make_world()
    task = imports._owned_id(world.hotline.pk, b"12345678")
    assert imports.owns_task(world.hotline, task)
    assert not imports.owns_task(world.street_staff, task)
    # Another user's id of the same nonce, a changed digit, other spellings: not theirs.
    assert not imports.owns_task(
        world.hotline, imports._owned_id(world.street_staff.pk, b"12345678")
    )
    flipped = task[:-1] + ("0" if task[-1] != "0" else "1")
    assert not imports.owns_task(world.hotline, flipped)
    assert not imports.owns_task(world.hotline, task.upper())
    assert not imports.owns_task(world.hotline, str(uuid.uuid4()))
    assert not imports.owns_task(world.hotline, "not-a-uuid")
    # Whatever the backend holds, someone else's task is None (404), before asking it.
    assert imports.import_state(task, world.street_staff) is None
    response = api(world.street_staff).get(f"{URL}{task}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db(transaction=True)
def test_only_the_user_who_started_an_import_follows_it_to_its_report(tmp_path, settings):
    import redis
    from celery.contrib.testing.worker import start_worker

    from gridgov.celery import app
    from tests.celery_broker import real_broker

    broker = "redis://127.0.0.1:6379/13"
    redis.Redis.from_url(broker).ping()
    load_taxonomy()  # an earlier transactional test may have flushed the migration's rows
    world = make_world()
    settings.DATA_DIR = tmp_path
    path = write_csv(tmp_path / "calls.csv", rows(n=300, bad=False))
    owner, other = api(world.hotline), api(world.street_staff)  # both may import
    with real_broker(app, broker):  # with keys of its own on the shared Redis
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            follow_as_owner_and_other(owner, other, path)
    assert Ticket.objects.filter(created_by=world.hotline).count() == 300


def follow_as_owner_and_other(owner, other, path):
    with open(path, "rb") as handle:
        response = owner.post(URL, {"file": handle}, format="multipart")
    assert response.status_code == 202, response.content
    task = response.json()["task"]
    # A broker answers 202 with or without Prefer: respond-async; Location says where to poll.
    assert response["Location"] == f"http://testserver{URL}{task}/"
    assert "Preference-Applied" not in response  # not asked for
    assert other.get(f"{URL}{task}/").status_code == 404  # while queued or running
    deadline = time.monotonic() + 120
    while True:
        response = owner.get(f"{URL}{task}/")
        if response.status_code != 202 or time.monotonic() > deadline:
            break
        assert response.json()["state"] in ("PENDING", "PROGRESS")
        time.sleep(0.2)
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 300
    # Done, its report in the result backend: still nobody else's.
    refused = other.get(f"{URL}{task}/")
    assert refused.status_code == 404
    assert "created" not in refused.content.decode()


def test_a_task_with_no_result_backend_to_ask_is_unknown_not_an_error(db):
    """With a broker but no result backend (GRIDGOV_RESULT_BACKEND set empty), Celery's
    DisabledBackend raised AttributeError from AsyncResult.state: every poll was a 500."""
    from celery.backends.base import DisabledBackend

    from gridgov.celery import app
    from tests.celery_broker import conf_set

    world = make_world()
    task = imports._owned_id(world.hotline.pk, b"87654321")
    with conf_set(app, result_backend=None, task_always_eager=False):
        app._local.__dict__.pop("backend", None)
        try:
            assert isinstance(app.backend, DisabledBackend)
            assert imports.import_state(task, world.hotline) is None
        finally:
            app._local.__dict__.pop("backend", None)
