"""gridgov places import FILE | gridgov places export: the place tree as GeoJSON or CSV."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.core.console import write_table
from gridgov.places import io
from gridgov.places.models import Place


class Command(BaseCommand):
    help = "Import or export the place tree (GeoJSON, CSV or an Excel .xlsx or .xls sheet)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Check a file and, if it has no errors, write it.")
        imp.add_argument("file")
        imp.add_argument("--format", choices=io.FORMATS, help="Detected when left out.")
        imp.add_argument("--dry-run", action="store_true", help="Check only, write nothing.")
        exp = sub.add_parser("export", help="Write the tree or a subtree.")
        exp.add_argument("--format", choices=io.FORMATS, default=io.GEOJSON)
        exp.add_argument("--root", help="Code of the subtree's root.")
        exp.add_argument("-o", "--output", help="File to write (default: standard output).")

    def handle(self, *args, **options):
        if options["action"] == "import":
            self.do_import(options)
        else:
            self.do_export(options)

    def do_import(self, options):
        try:
            report = io.import_places(
                options["file"],
                options["format"],
                dry_run=options["dry_run"],
                progress=self.progress,
            )
        except (OSError, io.ImportFormatError, io.ImportConflict) as exc:
            raise CommandError(str(exc)) from exc
        if report.warnings:
            # Shown whether or not the file is written: they never block it.
            self.stderr.write(_("Warnings (they do not stop the import):"))
            self.print_table(report.warnings)
        if report.errors:
            self.print_table(report.errors)
            raise CommandError(
                _("%(n)s problem(s) found; nothing was written.") % {"n": len(report.errors)}
            )
        if options["dry_run"]:
            done = _(
                "Checked %(total)s place(s): %(created)s to create, %(updated)s to update, "
                "%(unchanged)s unchanged. Nothing was written (--dry-run)."
            )
        else:
            done = _(
                "Imported %(total)s place(s): %(created)s created, %(updated)s updated, "
                "%(unchanged)s unchanged."
            )
        self.stdout.write(self.style.SUCCESS(done % report.counts()))

    def progress(self, done, total):
        # Only worth showing for big files, and only on a terminal.
        if total >= 2000 and sys.stderr.isatty():
            end = "\n" if done >= total else ""
            self.stderr.write(f"\r{done}/{total} places written", ending=end)

    def print_table(self, errors):
        rows = [(_("row"), _("code"), _("column"), _("problem"))]
        rows += [(str(e.row or ""), e.code, e.column, e.message) for e in errors]
        write_table(self.stderr, rows, last=7)

    def do_export(self, options):
        root = options["root"]
        if root and not Place.objects.filter(code=root).exists():
            raise CommandError(_("No place has the code %(code)s.") % {"code": root})
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                io.export_places(options["format"], root, out)
        else:
            self.stdout.write(io.export_places(options["format"], root), ending="")
