"""Admin for the tickets app (superusers; area staff work through the API and pages).

A ticket's status, owner, deadlines and history change only through
`lifecycle.perform`, so they are read-only here, tickets are not added or
deleted by hand, and events, callbacks, summonses and the like are read-only
records. Lists show the requester masked; opening a ticket's form, which shows
it in full, is written to the access log.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.people.admin import SuperuserOnlyAdmin
from gridgov.people.masking import mask_name, mask_phone
from gridgov.people.models import AccessLog
from gridgov.people.personal_data import log_access

from . import intake, knowledge, lifecycle, sla
from .models import (
    CalendarDay,
    Callback,
    Category,
    Extension,
    KnowledgeAnswer,
    KnowledgeAnswerChange,
    PatrolRecord,
    PatrolTask,
    RoutingRule,
    Summons,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketPhoto,
    TimeLimit,
    Visit,
    Whistle,
)


class ReadOnlyMixin:
    """Records written by the lifecycle: viewable, never edited, added or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, SuperuserOnlyAdmin):
    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


# --- reference data -----------------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(SuperuserOnlyAdmin):
    list_display = [
        "code",
        "full_name",
        "depth",
        "home_level",
        "default_urgency",
        "grid_event",
        "public",
        "public_space",
        "private",
        "active",
    ]
    list_filter = [
        "depth",
        "home_level",
        "default_urgency",
        "grid_event",
        "public",
        "private",
        "active",
    ]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent__parent"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(SuperuserOnlyAdmin):
    list_display = ["category", "place", "department", "note"]
    list_filter = ["department", "category__home_level"]
    search_fields = ["category__code", "category__name", "place__code", "department__code"]
    autocomplete_fields = ["category", "department"]
    raw_id_fields = ["place"]
    list_select_related = ["category__parent__parent", "place", "department"]


@admin.register(TimeLimit)
class TimeLimitAdmin(SuperuserOnlyAdmin):
    list_display = [
        "urgency",
        "category",
        "place",
        "accept_value",
        "accept_unit",
        "respond_value",
        "respond_unit",
        "resolve_value",
        "resolve_unit",
    ]
    list_filter = ["urgency", ("place", admin.EmptyFieldListFilter)]
    autocomplete_fields = ["category"]
    raw_id_fields = ["place"]
    list_select_related = ["category__parent__parent", "place"]

    # Kept in the change record as on the page and in the API (sla.save_limit, remove_limits).
    def save_model(self, request, obj, form, change):
        def save():
            super(TimeLimitAdmin, self).save_model(request, obj, form, change)
            return obj

        sla.save_limit(request.user, obj.pk if change else None, save)

    def delete_model(self, request, obj):
        sla.remove_limits(
            request.user, [obj], lambda: super(TimeLimitAdmin, self).delete_model(request, obj)
        )

    def delete_queryset(self, request, queryset):
        limits = list(queryset.select_related("category", "place"))
        sla.remove_limits(
            request.user,
            limits,
            lambda: super(TimeLimitAdmin, self).delete_queryset(request, queryset),
        )


@admin.register(CalendarDay)
class CalendarDayAdmin(SuperuserOnlyAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


class KnowledgeAnswerChangeInline(ReadOnlyInline):
    model = KnowledgeAnswerChange
    fields = ["at", "action", "changed_by", "channel", "before", "after"]
    readonly_fields = fields
    ordering = ["-at", "-id"]


@admin.register(KnowledgeAnswer)
class KnowledgeAnswerAdmin(SuperuserOnlyAdmin):
    list_display = ["question", "category", "used_count", "reviewed_at", "active"]
    list_filter = ["active", "reviewed_at"]
    search_fields = ["question", "answer"]
    autocomplete_fields = ["category"]
    # The review date moves by knowledge.save_answer's rule, as on the page and in the API.
    readonly_fields = ["used_count", "reviewed_at"]
    inlines = [KnowledgeAnswerChangeInline]

    # Kept in the change record as on the page and in the API (knowledge.save_answer).
    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in knowledge.TRACKED}
        saved = knowledge.save_answer(
            obj if change else None,
            fields,
            by=request.user,
            channel=KnowledgeAnswerChange.Channel.ADMIN,
        )
        obj.pk, obj.reviewed_at = saved.pk, saved.reviewed_at

    # Taken out of use (active), not deleted: an answer's change record stays with it.
    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(KnowledgeAnswerChange)
class KnowledgeAnswerChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "answer", "action", "changed_by", "channel"]
    list_filter = ["action", "channel"]
    date_hierarchy = "at"
    list_select_related = ["answer", "changed_by"]


# --- tickets ------------------------------------------------------------------------------------


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "owner", "reason", "data"]
    readonly_fields = fields
    ordering = ["at", "id"]

    @admin.display(description=_("owner"))
    def owner(self, event):
        return event.owner_department or event.owner_place or ""

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("actor", "owner_place", "owner_department")
        )


class TicketPhotoInline(ReadOnlyInline):
    model = TicketPhoto
    fields = ["image", "width", "height", "event", "uploaded_at"]
    readonly_fields = fields


class CallbackInline(ReadOnlyInline):
    model = Callback
    fields = ["at", "resolved", "satisfaction", "note", "by"]
    readonly_fields = fields


class ExtensionInline(ReadOnlyInline):
    model = Extension
    fields = ["requested_at", "requested_until", "reason", "state", "requested_by", "decided_at"]
    readonly_fields = fields


# Set by intake and lifecycle only.
LIFECYCLE_FIELDS = [
    "code",
    "status",
    "urgency",
    "channel",
    "nature",
    "owner_place",
    "owner_department",
    "accept_by",
    "respond_by",
    "resolve_by",
    "dispatched_at",
    "accepted_at",
    "contacted_at",
    "resolved_at",
    "closed_at",
    "return_count",
    "designated",
    "reopen_count",
    "resolution",
    "merged_into",
    "building",
    "grid",
    "place",
    "requester",
    "requester_name",
    "requester_phone",
    "anonymous",
    "idempotency_key",
    "created_by",
    "created_at",
    "updated_at",
    "version",
]


class TicketAdminForm(forms.ModelForm):
    """The ticket's change form (TicketAdmin gives the model and fields)."""

    def clean(self):
        cleaned = super().clean()
        # Building, grid and route stay as intake set them (read-only here), so a corrected
        # point must agree with them: a point outside the grid it is counted in was written.
        typed = not (self.has_error("lat") or self.has_error("lng"))  # else the field says why
        if typed and {"lat", "lng"} & set(self.changed_data):
            refusal = intake.correct_point_refusal(
                self.instance, cleaned.get("lat"), cleaned.get("lng")
            )
            if refusal:
                raise forms.ValidationError(refusal, code="point")
        return cleaned


@admin.register(Ticket)
class TicketAdmin(SuperuserOnlyAdmin):
    form = TicketAdminForm
    list_display = [
        "code",
        "title",
        "status",
        "channel",
        "nature",
        "category",
        "owner_display",
        "masked_requester",
        "resolve_by",
        "created_at",
    ]
    list_filter = [
        "status",
        "channel",
        "nature",
        "urgency",
        "designated",
        "created_at",
        "category__home_level",
        "owner_place__level",
    ]
    search_fields = ["=code", "title", "=external_id"]
    date_hierarchy = "created_at"
    list_select_related = ["category__parent__parent", "owner_place", "owner_department"]
    readonly_fields = LIFECYCLE_FIELDS
    autocomplete_fields = ["category"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "code",
                    "status",
                    "title",
                    "description",
                    "category",
                    "urgency",
                    "channel",
                    "nature",
                    "public",
                    "external_id",
                ]
            },
        ),
        (_("Location"), {"fields": ["address", "lat", "lng", "building", "grid", "place"]}),
        (
            _("Requester"),
            {"fields": ["requester", "requester_name", "requester_phone", "anonymous"]},
        ),
        (
            _("Owner and deadlines"),
            {
                "fields": [
                    "owner_place",
                    "owner_department",
                    "accept_by",
                    "respond_by",
                    "resolve_by",
                    "return_count",
                    "designated",
                    "reopen_count",
                ]
            },
        ),
        (
            _("Handling"),
            {
                "fields": [
                    "dispatched_at",
                    "accepted_at",
                    "contacted_at",
                    "resolved_at",
                    "closed_at",
                    "resolution",
                    "merged_into",
                ]
            },
        ),
        (
            _("Record"),
            {"fields": ["idempotency_key", "created_by", "created_at", "updated_at", "version"]},
        ),
    ]
    inlines = [TicketEventInline, CallbackInline, ExtensionInline, TicketPhotoInline]

    def has_add_permission(self, request):
        return False  # tickets come in through intake

    def has_delete_permission(self, request, obj=None):
        return False  # duplicates are merged, nothing is deleted

    def save_model(self, request, obj, form, change):
        # Not obj.save(): a full save wrote the fields without an event row, and every other
        # field as read at the start of the request, over a transition committed meanwhile.
        edited = [name for name in form.changed_data if name not in self.readonly_fields]
        lifecycle.correct(obj, request.user, {name: getattr(obj, name) for name in edited})

    @admin.display(description=_("owner"))
    def owner_display(self, ticket):
        return ticket.owner or ""

    @admin.display(description=_("requester"))
    def masked_requester(self, ticket):
        if ticket.anonymous:
            return _("anonymous")
        return f"{mask_name(ticket.requester_name)} {mask_phone(ticket.requester_phone)}".strip()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # The form shows the requester in full, so opening it is a logged full view.
        if request.method == "GET" and response.status_code == 200:
            ticket = self.get_object(request, object_id)
            if ticket is not None and ticket.has_personal_data:
                log_access(
                    request.user,
                    ticket,
                    Ticket.PERSONAL_DATA_FIELDS,
                    AccessLog.Channel.WEB,
                    request,
                    purpose="admin",
                )
        return response


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "ticket", "action", "from_status", "to_status", "actor"]
    list_filter = ["action", "to_status", "at"]
    search_fields = ["=ticket__code", "actor__username", "reason"]
    date_hierarchy = "at"
    list_select_related = ["ticket", "actor"]


@admin.register(TicketPhoto)
class TicketPhotoAdmin(ReadOnlyAdmin):
    list_display = ["id", "ticket", "event", "width", "height", "uploaded_at"]
    search_fields = ["=ticket__code"]
    list_select_related = ["ticket", "event"]


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "requested_until", "state", "requested_by", "requested_at"]
    list_filter = ["state"]
    search_fields = ["=ticket__code"]
    list_select_related = ["ticket", "requested_by"]


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "at", "resolved", "satisfaction", "owner_place", "owner_department"]
    list_filter = ["resolved", "satisfaction", "at"]
    search_fields = ["=ticket__code"]
    list_select_related = ["ticket", "owner_place", "owner_department"]


class SummonsInline(ReadOnlyInline):
    model = Summons
    fields = ["department", "report_by", "reported_at", "action", "rating", "rated_at"]
    readonly_fields = fields


@admin.register(Whistle)
class WhistleAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "street", "blown_at", "closed_at"]
    list_filter = ["blown_at"]
    search_fields = ["=ticket__code", "reason"]
    list_select_related = ["ticket", "street"]
    inlines = [SummonsInline]


@admin.register(Summons)
class SummonsAdmin(ReadOnlyAdmin):
    list_display = ["whistle", "department", "report_by", "reported_at", "rating"]
    list_filter = ["department", "rating"]
    list_select_related = ["whistle__ticket", "department"]


@admin.register(PatrolTask)
class PatrolTaskAdmin(SuperuserOnlyAdmin):
    list_display = ["title", "grid", "every_days", "assignee", "active"]
    list_filter = ["active", "every_days"]
    search_fields = ["title", "grid__code", "grid__name"]
    raw_id_fields = ["grid", "assignee"]


@admin.register(PatrolRecord)
class PatrolRecordAdmin(ReadOnlyAdmin):
    list_display = ["task", "by", "at", "ticket"]
    list_filter = ["at"]
    list_select_related = ["task", "by", "ticket"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["household", "visitor", "at", "ticket"]
    list_filter = ["at"]
    list_select_related = ["household__building", "visitor", "ticket"]


@admin.register(TicketCounter)
class TicketCounterAdmin(ReadOnlyAdmin):
    list_display = ["day", "last"]
