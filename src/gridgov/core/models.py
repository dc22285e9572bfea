from django.db import models
from django.utils.translation import gettext_lazy as _


class DataVersion(models.Model):
    """The version of one kind of reference data (places, routing, …), see versions.py."""

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    token = models.BigIntegerField(_("token"), default=0)

    class Meta:
        verbose_name = _("data version")
        verbose_name_plural = _("data versions")

    def __str__(self):
        return f"{self.name}@{self.token}"
