from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "gridgov.web"
    verbose_name = _("Web")

    def ready(self):
        from django.contrib import admin

        # The admin is part of the platform: it said "Django 管理" above its sign-in.
        admin.site.site_header = _("gridgov administration")
        admin.site.site_title = _("gridgov administration")
        admin.site.index_title = _("Data and settings")
