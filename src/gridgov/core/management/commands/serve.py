"""`gridgov serve`: bring the database up to date and serve a street's own data."""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gridgov.core import serving
from gridgov.places.models import Place


class Command(BaseCommand):
    beat = None  # the in-process schedule, when there is no broker

    help = _(
        "Migrate the database and serve gridgov on 127.0.0.1:8000, with the periodic tasks "
        "when there is no broker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-beat",
            action="store_true",
            help=_("Without a broker, do not run the periodic tasks (sweep, hot issues) here."),
        )

    def handle(self, *args, host, port, threads, no_beat=False, **options):
        self.stdout.write(_("Preparing the database…"))
        call_command("migrate", interactive=False, verbosity=0)
        # What a fresh install still lacks, and the command that gives it.
        if not get_user_model().objects.filter(is_superuser=True, is_active=True).exists():
            self.stdout.write(
                self.style.WARNING(
                    _("No administrator yet: create the first with `gridgov createsuperuser`.")
                )
            )
        if not Place.objects.exists():
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "No places yet: import the street's place tree with "
                        "`gridgov places import FILE` (docs/places.md), then its staff with "
                        "`gridgov people import FILE`."
                    )
                )
            )
        if not no_beat:
            self.beat = serving.start_beat(self.stdout)
        serving.serve(self.stdout, self.style, host=host, port=port, threads=threads)
