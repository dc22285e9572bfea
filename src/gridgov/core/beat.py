"""Celery beat's schedule, run in this process: for a set-up without a broker.

Without GRIDGOV_BROKER_URL tasks run eagerly and no `celery beat` runs, so
nothing would supervise and escalate overdue tickets (the sweep), refresh hot
issues or retrain the classifier: a street serving `gridgov demo` or a single
machine would keep its deadlines on paper only. `EmbeddedBeat` runs the same
`CELERY_BEAT_SCHEDULE` in a thread (`gridgov demo`) or in the foreground
(`gridgov beat`): celery's own schedule objects decide when an entry is due,
so the timing is beat's (the first run one interval after start, or at once
with `catch_up`), and each task is applied here, as with a broker a worker would.
"""

import datetime as dt
import logging
import threading

from celery.beat import ScheduleEntry
from django.conf import settings
from django.db import close_old_connections, connections

log = logging.getLogger(__name__)

# At most this long between looks at the schedule (an entry may be added while asleep).
MAX_SLEEP_S = 60.0
LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class EmbeddedBeat:
    def __init__(self, schedule=None, app=None, catch_up=False):
        """`catch_up`: run every entry at once on start, then on its schedule, as celery beat
        does with its schedule file after a stop (here nothing remembers the last runs)."""
        if app is None:
            from gridgov.celery import app
        self.app = app
        # The tasks modules (autodiscover_tasks) are imported when a worker starts; here now.
        app.loader.import_default_modules()
        schedule = settings.CELERY_BEAT_SCHEDULE if schedule is None else schedule
        self.entries = [
            ScheduleEntry(
                name=name,
                task=entry["task"],
                schedule=entry["schedule"],
                args=entry.get("args", ()),
                kwargs=entry.get("kwargs", {}),
                app=app,
                last_run_at=LONG_AGO if catch_up else None,
            )
            for name, entry in schedule.items()
        ]
        self.runs = []  # (entry name, ok) of every run, newest last
        self._stop = threading.Event()
        self._thread = None
        self._looping = False

    def tick(self):
        """Run every entry that is due; → seconds until the next one is."""
        wait = MAX_SLEEP_S
        for index, entry in enumerate(self.entries):
            due, next_in = entry.is_due()
            if due:
                self.run_entry(entry)
                # Next run counted from now: a long run does not make the next one due at once.
                self.entries[index] = entry = next(entry)
                next_in = entry.is_due()[1]
            wait = min(wait, next_in)
        return max(wait, 0.0)

    def run_entry(self, entry):
        if self._looping:  # the loop owns its thread's connections; a caller's are left alone
            close_old_connections()
        try:
            result = self.app.tasks[entry.task].apply(
                args=entry.args, kwargs=entry.kwargs, throw=True
            )
            log.debug("beat: %s done: %s", entry.name, result.result)
            self.runs.append((entry.name, True))
        except Exception:  # one failing task must not stop the schedule
            log.exception("beat: %s failed", entry.name)
            self.runs.append((entry.name, False))
        finally:
            if self._looping:
                connections.close_all()  # idle until the next run: nothing held open meanwhile

    def run_forever(self):
        self._looping = True
        try:
            while not self._stop.is_set():
                self._stop.wait(self.tick())
        finally:
            self._looping = False

    def start(self):
        """Run in a daemon thread (it dies with the server); → self."""
        self._thread = threading.Thread(target=self.run_forever, name="gridgov-beat", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=30):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
