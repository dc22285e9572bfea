"""gridgov people import FILE: staff logins with their roles, from a CSV or Excel (.xlsx,
.xls) table."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.core.console import write_table
from gridgov.people import imports


class Command(BaseCommand):
    help = "Import staff logins with their roles (CSV or an Excel .xlsx or .xls sheet)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import",
            help="Columns 登录名 姓名 电话 角色 地点编码 部门编码 (username, name, phone, "
            "role, place_code, department_code); one row per role.",
        )
        imp.add_argument("file")
        imp.add_argument("--dry-run", action="store_true", help="Check only, write nothing.")

    def handle(self, *args, file, dry_run, **options):
        try:
            report = imports.import_staff(file, dry_run=dry_run)
        except (OSError, imports.ImportFormatError) as exc:
            raise CommandError(str(exc)) from exc
        if report.errors:
            write_table(
                self.stderr,
                [(_("row"), _("login name"), _("column"), _("problem"))]
                + [(str(e.row), e.username, e.column, e.message) for e in report.errors],
            )
            raise CommandError(
                _("%(n)s problem(s) found; nothing was written.") % {"n": len(report.errors)}
            )
        counts = {
            "total": report.total,
            "logins": report.logins_created,
            "updated": report.logins_updated,
            "roles": report.roles_created,
            "unchanged": report.unchanged,
        }
        if report.changes:
            self.stdout.write(
                _("Existing logins the sheet changes (passwords kept):")
                if dry_run
                else _("Existing logins changed (passwords kept):")
            )
            write_table(
                self.stdout,
                [(_("login name"), _("Column"), _("Was"), _("Now"))]
                + [(c.username, c.label, c.old or "—", c.new) for c in report.changes],
            )
        if dry_run:
            self.stdout.write(
                _(
                    "Checked %(total)s row(s): %(logins)s new login(s), %(updated)s to update, "
                    "%(roles)s new role(s), %(unchanged)s held already. Nothing was written "
                    "(--dry-run)."
                )
                % counts
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported %(total)s row(s): %(logins)s new login(s), %(updated)s updated, "
                    "%(roles)s new role(s), %(unchanged)s held already."
                )
                % counts
            )
        )
        if report.passwords:
            self.stdout.write(
                _(
                    "Initial passwords of the new logins (shown this once; hand each to its "
                    "holder, who changes it at /password/ after signing in):"
                )
            )
            write_table(self.stdout, [(_("login name"), _("initial password"))] + report.passwords)
