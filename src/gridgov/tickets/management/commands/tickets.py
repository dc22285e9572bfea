"""gridgov tickets import FILE [--mapping JSON] [--channel hotline] [--dry-run]

Imports a 12345 platform export (CSV or Excel) all or nothing: every row is
checked first; any problem is listed (row, column, message), nothing is written
and the exit code is 1.
"""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from gridgov.tickets import imports
from gridgov.tickets.models import Channel


class Command(BaseCommand):
    help = "Ticket tools: import a 12345 export (CSV or Excel), all or nothing."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Check a file and, if it has no errors, import it.")
        imp.add_argument("file")
        imp.add_argument(
            "--mapping",
            help='Column mapping as JSON {"field": "header" or ["headers"]}, or a .json file.',
        )
        imp.add_argument("--channel", default=Channel.HOTLINE, choices=Channel.values)
        imp.add_argument("--user", help="Username recorded as the creator.")
        imp.add_argument("--dry-run", action="store_true", help="Check only, write nothing.")
        imp.add_argument("--no-progress", action="store_true", help="No progress bar.")
        imp.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args, **options):
        mapping = _mapping(options["mapping"])
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"Unknown user {options['user']}")
        try:
            report = imports.import_file(
                options["file"],
                mapping=mapping,
                channel=options["channel"],
                actor=actor,
                dry_run=options["dry_run"],
                progress=not options["no_progress"],
            )
        except (OSError, imports.ImportFormatError) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(max_errors=10**6), ensure_ascii=False))
        elif report.errors:
            self.stdout.write(f"{'row':>7}  {'column':<12}  problem")
            for error in report.errors:
                self.stdout.write(f"{error.row:>7}  {error.column:<12}  {error.message}")
        if report.errors:
            raise CommandError(
                f"{len(report.errors)} problem(s) in {report.rows} row(s); nothing was written.",
                returncode=1,
            )
        if not options["json"]:
            verb = "checked" if report.dry_run else "imported"
            self.stdout.write(
                self.style.SUCCESS(
                    f"{verb} {report.rows} row(s) in {report.seconds:.1f} s: "
                    f"{report.dispatched} dispatched, {report.at_desk} at the dispatch desk"
                    + (
                        f", {report.resolved} waiting for the callback, {report.closed} closed"
                        if report.resolved or report.closed
                        else ""
                    )
                )
            )


def _mapping(value):
    if not value:
        return None
    text = Path(value).read_text(encoding="utf-8") if value.endswith(".json") else value
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--mapping is not JSON: {exc}") from exc
    if not isinstance(mapping, dict):
        raise CommandError('--mapping must be a JSON object {"field": "header"}')
    return mapping
