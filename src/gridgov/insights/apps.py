from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "gridgov.insights"
    verbose_name = _("Insights")

    def ready(self):
        from . import intake  # noqa: F401  (connects the signal)
