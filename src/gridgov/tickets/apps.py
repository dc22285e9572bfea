from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "gridgov.tickets"
    verbose_name = _("Tickets")

    def ready(self):
        # Connects the dispatch-notification signal receivers (notify.py).
        from . import notify  # noqa: F401
