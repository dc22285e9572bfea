"""Admin for Open311 (superusers): keys are issued here too, and shown once when saved."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.people.admin import SuperuserOnlyAdmin

from . import keys
from .models import ApiKey, Jurisdiction, RequestLog, Submission


@admin.register(Jurisdiction)
class JurisdictionAdmin(SuperuserOnlyAdmin):
    list_display = ["identifier", "name", "place", "active"]
    list_filter = ["active"]
    search_fields = ["identifier", "name", "place__code", "place__name"]
    raw_id_fields = ["place"]


@admin.register(ApiKey)
class ApiKeyAdmin(SuperuserOnlyAdmin):
    list_display = [
        "name",
        "prefix",
        "channel",
        "jurisdiction",
        "rate_limit",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["channel", "jurisdiction"]
    search_fields = ["name", "contact", "prefix"]
    fields = ["name", "contact", "channel", "jurisdiction", "rate_limit", "note"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_keys"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.fields
        return [*self.fields, *self.readonly_fields, "revoked_by"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "revoked_by"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        raw = keys.new_raw_key()
        obj.set_key(raw)
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        messages.warning(
            request,
            _("The key for %(name)s is %(key)s — copy it now, it is not shown again.")
            % {"name": obj.name, "key": raw},
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the log and the tickets keep pointing at the key

    @admin.action(description=_("Revoke the selected keys"))
    def revoke_keys(self, request, queryset):
        now = timezone.now()
        for key in queryset.filter(revoked_at__isnull=True):
            keys.revoke(key, request.user, now)


class ReadOnlyAdmin(SuperuserOnlyAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "api_key", "method", "endpoint", "format", "status", "ip", "ticket"]
    list_filter = ["endpoint", "status", "format"]
    search_fields = ["api_key__name", "ip", "query"]
    date_hierarchy = "at"


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    # email, device_id and account_id are the requester's: not shown here.
    list_display = ["token", "api_key", "service", "ticket", "created_at"]
    fields = ["token", "api_key", "jurisdiction", "service", "ticket", "media_url", "created_at"]
    search_fields = ["token", "ticket__code"]
