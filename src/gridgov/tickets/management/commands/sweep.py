"""gridgov sweep: supervise overdue tickets, escalate past the grace period, send
deadline reminders and list the callbacks due — the same as the Celery beat task."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from gridgov.tickets import sweep

SHOWN = 50  # escalations listed one per line; --json has up to sweep.REPORT_LIMIT


def _unit(info):
    # Names first: a department's code may look like a place's.
    return f"{info['name']} ({info['code']})"


class Command(BaseCommand):
    help = "Run the deadline sweep once (supervision, escalation, reminders, callbacks due)."

    def add_arguments(self, parser):
        parser.add_argument("--no-remind", action="store_true", help="Send no reminders.")
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")
        parser.add_argument("--now", help="Sweep as of this ISO 8601 time (tests, catch-up).")

    def handle(self, *args, **options):
        now = None
        if options["now"]:
            now = parse_datetime(options["now"])
            if now is None:
                raise CommandError("--now must be an ISO 8601 date and time")
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        report = sweep.run(now=now, remind=not options["no_remind"])
        summary = report.summary()
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        self.stdout.write(
            f"{summary['overdue']} overdue: {summary['supervised']} supervised, "
            f"{summary['escalated']} escalated; {summary['reminded']} reminder(s); "
            f"{summary['callbacks_due']} callback(s) due"
        )
        for code, before, after in report.escalated_units[:SHOWN]:
            self.stdout.write(f"  escalated {code}: {_unit(before)} → {_unit(after)}")
        if len(report.escalated) > SHOWN:
            self.stdout.write(f"  … and {len(report.escalated) - SHOWN} more")
        for code, message in report.errors:
            self.stderr.write(f"  skipped {code}: {message}")
        if report.callbacks_due:
            self.stdout.write("callbacks due: " + ", ".join(report.callbacks_due))
