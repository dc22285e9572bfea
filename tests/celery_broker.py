"""Run a test's tasks through a real broker and worker instead of eagerly."""

import contextlib


@contextlib.contextmanager
def real_broker(app, broker):
    """Point the Celery app at a real broker, dropping the connections and result
    backend it cached while running tasks eagerly; restore everything afterwards."""

    def reset():
        app.close()
        app._pool = None
        app.amqp._producer_pool = None  # made with the old broker URL by eager calls
        app._local.__dict__.pop("backend", None)

    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    reset()
    app.conf.update(broker_url=broker, result_backend=broker, task_always_eager=False)
    try:
        yield
    finally:
        app.conf.update(saved)
        reset()
