"""gridgov beat: run the periodic tasks (CELERY_BEAT_SCHEDULE) in the foreground.

For a single machine without a broker, next to its web server; with a broker,
run `celery -A gridgov beat` and workers instead (core.beat explains why).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gridgov.core.beat import EmbeddedBeat


class Command(BaseCommand):
    help = "Run the periodic tasks (deadline sweep, hot issues, retraining) on their schedule."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run every entry once now, then stop (a catch-up, or from cron).",
        )

    def handle(self, *args, once=False, **options):
        if settings.CELERY_BROKER_URL and not once:
            raise CommandError(
                "A broker is configured (GRIDGOV_BROKER_URL): run `celery -A gridgov beat`, "
                "so the schedule runs once, not twice."
            )
        beat = EmbeddedBeat()
        for entry in beat.entries:
            self.stdout.write(f"{entry.name}: {entry.task} every {entry.schedule}")
        if once:
            for entry in beat.entries:
                beat.run_entry(entry)
            failed = [name for name, ok in beat.runs if not ok]
            if failed:
                raise CommandError(f"failed: {', '.join(failed)}")
            return
        try:
            beat.run_forever()
        except KeyboardInterrupt:
            pass
