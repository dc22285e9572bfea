"""Run a test's tasks through a real broker and worker instead of eagerly."""

import contextlib
import uuid


@contextlib.contextmanager
def real_broker(app, broker):
    """Point the Celery app at a real broker, dropping the connections and result
    backend it cached while running tasks eagerly; restore everything afterwards."""

    def reset():
        app.close()
        app._pool = None
        app.amqp._producer_pool = None  # made with the old broker URL by eager calls
        app._local.__dict__.pop("backend", None)

    names = ("broker_url", "result_backend", "task_always_eager", "broker_transport_options")
    saved = {k: app.conf[k] for k in names}
    reset()
    # Keys of our own on the shared Redis: no worker of another test run on this machine
    # takes (and runs against its own database) a task this run queues.
    prefix = f"gridgov-test-{uuid.uuid4().hex[:12]}:"
    options = {**(saved["broker_transport_options"] or {}), "global_keyprefix": prefix}
    app.conf.update(
        broker_url=broker,
        result_backend=broker,
        task_always_eager=False,
        broker_transport_options=options,
    )
    try:
        yield
    finally:
        app.conf.update(saved)
        reset()


@contextlib.contextmanager
def conf_set(app, **values):
    """Celery settings changed for a while, through the app's own update: pytest's
    monkeypatch.setattr takes Celery's settings (keys, not attributes) for ones that did
    not exist, and from pytest 9.2 its undo failed on them, leaving every later undo of
    the test (and the settings) as patched."""
    saved = {name: app.conf[name] for name in values}
    app.conf.update(values)
    try:
        yield
    finally:
        app.conf.update(saved)
