"""`gridgov demo`: migrate, build the demo street (once) and serve it."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gridgov.core import serving
from gridgov.demo import seed


class Command(BaseCommand):
    beat = None  # the in-process schedule, when there is no broker

    help = _("Create the demo sub-district (if absent) and serve it on 127.0.0.1:8000.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-serve", action="store_true", help=_("Build the demo data and exit.")
        )
        parser.add_argument(
            "--no-beat",
            action="store_true",
            help=_("Without a broker, do not run the periodic tasks (sweep, hot issues) here."),
        )

    def handle(self, *args, host, port, threads, no_serve, no_beat=False, **options):
        self.stdout.write(_("Preparing the database…"))
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(_("Building the demo sub-district (skipped where it exists)…"))
        seed.build_demo(stdout=self.stdout)
        self._print_logins()
        self.stdout.write(
            _("Open311 GeoReport v2 at /open311/v2/ (discovery.xml), demo api_key: %(key)s")
            % {"key": seed.seed_open311()}
        )
        self.stdout.write("")
        if no_serve:
            return
        if not no_beat:
            self.beat = serving.start_beat(self.stdout)
        serving.serve(self.stdout, self.style, host=host, port=port, threads=threads)

    def _print_logins(self):
        self.stdout.write("")
        self.stdout.write(_("Demo logins (password for all: %(pw)s)") % {"pw": seed.DEMO_PASSWORD})
        for login in seed.demo_logins():
            where = login.place_code or ""
            self.stdout.write(f"  {login.username:<12} {login.description}  {where}")
        self.stdout.write("")
