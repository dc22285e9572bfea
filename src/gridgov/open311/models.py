"""Open311 GeoReport v2: who may call (API keys), where (jurisdictions), what came in.

Nothing here decides anything about a ticket: a request posted through Open311
becomes a ticket through `gridgov.tickets.intake`, and its state is the
ticket's. These models only remember the caller's side: the key, the token
handed back, the `media_url` and the identifiers a client sent, and a log of
every call for the staff page and the rate limit.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.places.models import Level, Place
from gridgov.tickets.models import Category, Channel, Ticket


class Jurisdiction(models.Model):
    """A `jurisdiction_id`: one per street by default (created on first use)."""

    identifier = models.CharField(
        _("jurisdiction_id"),
        max_length=64,
        unique=True,
        help_text=_("What clients send as jurisdiction_id; by default the street's code."),
    )
    name = models.CharField(_("jurisdiction name"), max_length=200)
    place = models.OneToOneField(
        Place,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="open311_jurisdiction",
        limit_choices_to={"level__in": [Level.DISTRICT, Level.STREET]},
    )
    contact = models.CharField(
        _("contact"),
        max_length=300,
        blank=True,
        help_text=_("Shown in discovery: whom developers may ask for help."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        # The spec's jurisdiction, 辖区 as in jurisdiction_id; a department's (people) is 管辖区域.
        verbose_name = pgettext_lazy("open311", "jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["identifier"]

    def __str__(self):
        return f"{self.name} ({self.identifier})"


def hash_key(raw):
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiKey(models.Model):
    """An application's key: bound to an intake channel and optionally a jurisdiction.

    Only a hash is stored; the key itself is shown once, when it is issued.
    Revoking keeps the row (and its log) and refuses the key from then on.
    """

    name = models.CharField(_("application"), max_length=100)
    contact = models.CharField(
        _("developer contact"),
        max_length=200,
        blank=True,
        help_text=_("Who runs the application: an organisation, an e-mail address."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=16,
        choices=Channel.choices,
        default=Channel.API,
        help_text=_("The intake channel its tickets are counted under."),
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=pgettext_lazy("open311", "jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="api_keys",
        help_text=_("Leave empty for a key valid in every jurisdiction."),
    )
    prefix = models.CharField(_("key starts with"), max_length=12, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"),
        default=60,
        help_text=_("Calls beyond this in any minute are answered 429."),
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self):
        return self.revoked_at is None

    def set_key(self, raw):
        self.prefix = raw[:8]
        self.key_hash = hash_key(raw)


class Submission(models.Model):
    """One POST /requests that created (or replayed) a ticket.

    `email`, `device_id` and `account_id` identify the requester or their
    device: personal data, kept for follow-up and abuse cases and never put in
    any Open311 answer or staff list.
    """

    token = models.CharField(_("token"), max_length=36, unique=True)
    api_key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), on_delete=models.PROTECT, related_name="submissions"
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=pgettext_lazy("open311", "jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    service = models.ForeignKey(
        Category, verbose_name=_("service"), on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.OneToOneField(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="open311_submission",
    )
    media_url = models.URLField(_("media URL"), max_length=1000, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    device_id = models.CharField(_("device id"), max_length=200, blank=True)
    account_id = models.CharField(_("account id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("received at"), db_index=True)

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.token


class RequestLog(models.Model):
    """Every call to the Open311 endpoint: the staff page's request log and the rate limit."""

    api_key = models.ForeignKey(
        ApiKey,
        verbose_name=_("API key"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="log",
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=8)
    endpoint = models.CharField(_("endpoint"), max_length=32)
    format = models.CharField(_("format"), max_length=8, blank=True)
    # The query string without the api_key; POST bodies are not logged.
    query = models.CharField(_("parameters"), max_length=500, blank=True)
    status = models.PositiveSmallIntegerField(_("status"))
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("Open311 call")
        verbose_name_plural = _("Open311 calls")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["api_key", "at"], name="open311_log_key_at"),
            models.Index(fields=["ip", "at"], name="open311_log_ip_at"),
        ]

    def __str__(self):
        return f"{self.method} {self.endpoint}.{self.format} {self.status} {self.at:%Y-%m-%d %H:%M}"
