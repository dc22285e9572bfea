"""Admin for the people app.

People's data is personal: the admin is for superusers only (area staff work
through the scoped API and pages), lists show it masked, and opening a
person's form, which shows it in full, is written to the access log.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import passwords
from .masking import mask_id_number, mask_name, mask_phone
from .models import (
    AccessLog,
    CheckIn,
    Department,
    Household,
    InitialPassword,
    PartyMember,
    PartyOrganization,
    PasswordReset,
    Person,
    RoleAssignment,
)
from .personal_data import client_ip, log_access


class SuperuserOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class ReadOnlyRecordAdmin(SuperuserOnlyAdmin):
    """A record kept as evidence (the access log, password resets): seen, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PersonInline(admin.TabularInline):
    model = Person
    fields = ["masked_name", "relation"]
    readonly_fields = ["masked_name"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=pgettext_lazy("person", "name"))
    def masked_name(self, obj):
        return mask_name(obj.name)


@admin.register(Household)
class HouseholdAdmin(SuperuserOnlyAdmin):
    list_display = ["id", "building", "unit", "room", "created_at"]
    list_filter = ["building__level"]
    search_fields = ["building__code", "building__name", "unit", "room"]
    # Raw ids for places: the place admin belongs to the places app.
    raw_id_fields = ["building"]
    inlines = [PersonInline]


@admin.register(Person)
class PersonAdmin(SuperuserOnlyAdmin):
    list_display = [
        "id",
        "masked_name",
        "masked_phone",
        "masked_id_number",
        "place",
        "household",
        "lives_alone_elderly",
        "new_employment",
    ]
    list_filter = ["lives_alone_elderly", "new_employment", "relation", "place__level"]
    # Exact matches only, so search does not page through everyone's numbers.
    search_fields = ["name", "=phone", "=id_number", "place__code"]
    raw_id_fields = ["household", "user", "place"]
    list_select_related = ["place", "household", "household__building"]

    @admin.display(description=pgettext_lazy("person", "name"))
    def masked_name(self, obj):
        return mask_name(obj.name)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj):
        return mask_id_number(obj.id_number)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # The form shows the data in full, so opening it is a logged full view.
        if request.method == "GET" and response.status_code == 200:
            person = self.get_object(request, object_id)
            if person is not None:
                log_access(
                    request.user,
                    person,
                    Person.PERSONAL_DATA_FIELDS,
                    AccessLog.Channel.WEB,
                    request,
                    purpose="admin",
                )
        return response


@admin.register(Department)
class DepartmentAdmin(SuperuserOnlyAdmin):
    list_display = ["code", "name", "place", "phone"]
    list_filter = ["place__level"]
    search_fields = ["code", "name"]
    # Picked by name or code as one types: a raw id box asked for the place's database id,
    # which nobody setting up a street knows.
    autocomplete_fields = ["place"]


@admin.register(PartyOrganization)
class PartyOrganizationAdmin(SuperuserOnlyAdmin):
    list_display = ["name", "kind", "place", "parent"]
    list_filter = ["kind", "place__level"]
    search_fields = ["name", "place__code", "place__name"]
    autocomplete_fields = ["parent"]
    raw_id_fields = ["place", "secretary"]


@admin.register(PartyMember)
class PartyMemberAdmin(SuperuserOnlyAdmin):
    list_display = ["id", "__str__", "organization", "status", "home_community", "joined_on"]
    list_filter = ["status", "organization__kind"]
    search_fields = ["person__name", "organization__name", "employer"]
    raw_id_fields = ["person", "home_community"]
    autocomplete_fields = ["organization"]
    list_select_related = ["person", "organization", "home_community"]


@admin.register(CheckIn)
class CheckInAdmin(SuperuserOnlyAdmin):
    list_display = ["id", "__str__", "kind", "community", "checked_in_at"]
    list_filter = ["kind", "checked_in_at"]
    search_fields = ["person__name", "community__code", "community__name", "note"]
    raw_id_fields = ["person", "community"]
    date_hierarchy = "checked_in_at"


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(SuperuserOnlyAdmin):
    list_display = ["user", "role", "place", "department", "active", "since"]
    list_filter = ["role", "active", "place__level"]
    search_fields = ["user__username", "place__code", "place__name", "department__code"]
    autocomplete_fields = ["user", "place", "department"]  # by name, as for departments
    list_select_related = ["user", "place", "department"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyRecordAdmin):
    """Read-only: the log is evidence and is never edited by hand."""

    list_display = ["at", "user", "subject_type", "subject_id", "fields", "channel", "ip", "place"]
    list_filter = ["channel", "subject_type", "at"]
    search_fields = ["user__username", "subject_id", "ip", "purpose"]
    date_hierarchy = "at"
    list_select_related = ["user", "place"]


@admin.register(PasswordReset)
class PasswordResetAdmin(ReadOnlyRecordAdmin):
    """Read-only, as the access log: who reset whose password (重置密码)."""

    list_display = ["at", "username", "reset_by", "channel", "tokens_revoked", "ip"]
    list_filter = ["channel", "at"]
    search_fields = ["username", "reset_by__username", "ip"]
    date_hierarchy = "at"
    list_select_related = ["reset_by"]


class InitialPasswordFilter(admin.SimpleListFilter):
    title = _("initial password not changed")
    parameter_name = "initial_password"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(initial_password__isnull=self.value() == "no")
        return queryset


class UserAdmin(auth_admin.UserAdmin):
    """Django's, but a password set here for someone else is an initial password: its holder
    changes it at their next sign-in (people.passwords); the list says who has yet to."""

    list_display = [*auth_admin.UserAdmin.list_display, "initial_password_not_changed"]
    list_filter = [InitialPasswordFilter, *auth_admin.UserAdmin.list_filter]
    list_select_related = ["initial_password"]

    @admin.display(description=_("initial password not changed"), boolean=True)
    def initial_password_not_changed(self, obj):
        return passwords.must_change(obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and obj.has_usable_password():
            passwords.require_change(obj, InitialPassword.Reason.ADMIN_ADD)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        # A redirect is the form's success; one's own password is not someone else's.
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, unquote(id))
            if user is not None and user.pk != request.user.pk and user.has_usable_password():
                passwords.require_change(user, InitialPassword.Reason.ADMIN_RESET)
                passwords.logged_admin_reset(user, request.user, ip=client_ip(request))
        return response


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), UserAdmin)
