"""gridgov departments import FILE: the departments (职能部门) tickets are routed to,
from a CSV or Excel (.xlsx, .xls) table."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.core.console import write_table
from gridgov.people import department_import


class Command(BaseCommand):
    help = "Import departments (CSV or an Excel .xlsx/.xls sheet)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import",
            help="Columns 部门编码 部门名称 管辖区域编码 联系电话 (code, name, place_code: a "
            "district or street, phone); a code imported again is updated.",
        )
        imp.add_argument("file")
        imp.add_argument("--dry-run", action="store_true", help="Check only, write nothing.")

    def handle(self, *args, file, dry_run, **options):
        try:
            report = department_import.import_departments(file, dry_run=dry_run)
        except (OSError, department_import.ImportFormatError) as exc:
            raise CommandError(str(exc)) from exc
        if report.errors:
            write_table(
                self.stderr,
                [(_("row"), _("department code"), _("column"), _("problem"))]
                + [(str(e.row), e.code, e.column, e.message) for e in report.errors],
            )
            raise CommandError(
                _("%(n)s problem(s) found; nothing was written.") % {"n": len(report.errors)}
            )
        if report.changes:
            self.stdout.write(
                _("Existing departments the sheet changes:")
                if dry_run
                else _("Existing departments changed:")
            )
            write_table(
                self.stdout,
                [(_("department code"), _("Column"), _("Was"), _("Now"))]
                + [(c.code, str(c.label), c.old or "—", c.new) for c in report.changes],
            )
        counts = {
            "total": report.total,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
        }
        if dry_run:
            self.stdout.write(
                _(
                    "Checked %(total)s row(s): %(created)s new department(s), %(updated)s to "
                    "update, %(unchanged)s unchanged. Nothing was written (--dry-run)."
                )
                % counts
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported %(total)s row(s): %(created)s new department(s), %(updated)s "
                    "updated, %(unchanged)s unchanged."
                )
                % counts
            )
        )
