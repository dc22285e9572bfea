from django.contrib import admin

from gridgov.tickets.admin import ReadOnlyMixin

from .models import HotIssue, HotIssueDecision, ModelActivation, ModelVersion, TrainingExample


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "active",
        "examples",
        "overrides",
        "train_seconds",
        "created_at",
        "note",
    ]
    list_filter = ["active"]
    readonly_fields = [
        "version",
        "path",
        "fingerprint",
        "examples",
        "overrides",
        "metrics",
        "train_seconds",
        "created_at",
        # Put in use from the classifier page (training.activate), which records who and when.
        "active",
        "review",
    ]


@admin.register(ModelActivation)
class ModelActivationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Who put which classifier in use: an audit trail, read here, never written or removed."""

    list_display = ["activated_at", "version_number", "previous_number", "how", "activated_by"]
    list_filter = ["how"]


@admin.register(HotIssueDecision)
class HotIssueDecisionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "issue", "action", "from_state", "to_state", "user"]
    list_filter = ["action"]


@admin.register(TrainingExample)
class TrainingExampleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "category", "suggested", "source", "created_at"]
    list_filter = ["source", "category"]
    search_fields = ["text"]
    raw_id_fields = ["ticket"]


@admin.register(HotIssue)
class HotIssueAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "place_label",
        "heat",
        "ticket_count",
        "requester_count",
        "state",
        "last_at",
    ]
    list_filter = ["state"]
    search_fields = ["title", "place_label"]
    raw_id_fields = ["tickets", "place"]
    readonly_fields = ["key", "refreshed_at"]
