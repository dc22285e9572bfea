from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = _("Shared plumbing")

    def ready(self):
        from . import db, versions

        versions.connect_signals()
        db.connect_signals()
