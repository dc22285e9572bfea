import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

app = Celery("gridgov")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="gridgov.healthcheck")
def healthcheck():
    """Round trip through the broker and the database: used by monitoring and tests."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return {"worker": "ok", "database": cursor.fetchone()[0] == 1}
