"""Serializers for the people API: thin, masked by default, validated by the models."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gridgov.places.models import Level, Place

from . import visibility
from .masking import mask_id_number, mask_name, mask_phone
from .models import (
    AccessLog,
    CheckIn,
    Department,
    Household,
    InitialPassword,
    PartyMember,
    PartyOrganization,
    Person,
    Role,
    RoleAssignment,
)
from .rules import may_reset_password_of


class CleanModelSerializer(serializers.ModelSerializer):
    """Runs the model's `full_clean`, so level rules give a 400 with the model's message.

    The validated, unsaved object is kept in `candidate` for the permission check.
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # Model.__getstate__ copies _state, so the stored instance is not touched.
        candidate = copy.copy(self.instance) if self.instance else self.Meta.model()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        try:
            candidate.full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc
        self.candidate = candidate
        return attrs


class PlaceField(serializers.SlugRelatedField):
    """A place given by its code, optionally only at some levels."""

    def __init__(self, levels=None, **kwargs):
        queryset = Place.objects.all()
        if levels:
            queryset = queryset.filter(level__in=levels)
        # A text input in the browsable API: a select would list every place.
        kwargs.setdefault("style", {"base_template": "input.html"})
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault(
            "does_not_exist", _("No place with code {value} at a suitable level.")
        )
        super().__init__(slug_field="code", queryset=queryset, **kwargs)


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A related object by id, chosen among those the caller may see.

    An object outside the caller's scope is reported exactly like one that does
    not exist, so its existence does not leak.
    """

    def __init__(self, visible, **kwargs):
        self.visible = visible
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.visible(None)
        return self.visible(request.user)


def scoped_field(visible, model, **kwargs):
    # The class-level queryset only tells drf-spectacular the model; lookups use `visible`.
    kwargs.setdefault("style", {"base_template": "input.html"})
    return ScopedPrimaryKeyField(visible, queryset=model.objects.all(), **kwargs)


class PersonBriefSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text=_("Masked name"))

    class Meta:
        model = Person
        fields = ["id", "name", "relation"]

    def get_name(self, obj) -> str:
        return mask_name(obj.name)


class PersonSerializer(CleanModelSerializer):
    """A person; name, phone and ID number are masked in every response."""

    place = PlaceField(
        required=False,
        help_text=_("Place code; defaults to the household's building"),
    )
    household = scoped_field(
        visibility.visible_households, Household, required=False, allow_null=True
    )
    is_party_member = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "phone",
            "id_number",
            "place",
            "household",
            "relation",
            "lives_alone_elderly",
            "new_employment",
            "is_party_member",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "name": {"help_text": _("Masked in responses (张*)")},
            "phone": {"help_text": _("Masked in responses (138****1234)")},
            "id_number": {"help_text": _("Masked in responses")},
        }

    def validate(self, attrs):
        household = attrs.get("household")
        if household is not None and "place" not in attrs:
            attrs["place"] = household.building
        return super().validate(attrs)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["name"] = mask_name(instance.name)
        data["phone"] = mask_phone(instance.phone)
        data["id_number"] = mask_id_number(instance.id_number)
        return data


class PersonalDataSerializer(serializers.Serializer):
    """The unmasked personal data of one person (each view is logged)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField()
    id_number = serializers.CharField()


class HouseholdSerializer(CleanModelSerializer):
    building = PlaceField(
        levels=[Level.BUILDING],
        error_messages={"does_not_exist": _("No building with code {value}.")},
    )
    members = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = ["id", "building", "unit", "room", "members", "created_at"]
        read_only_fields = ["created_at"]

    @extend_schema_field(PersonBriefSerializer(many=True))
    def get_members(self, obj):
        # Only the members the caller may see: a resident sees just themselves.
        members = getattr(obj, "visible_members", None)
        if members is None:
            request = self.context.get("request")
            user = request.user if request else None
            members = visibility.visible_people(user).filter(household=obj)
        return PersonBriefSerializer(members, many=True).data


class DepartmentSerializer(serializers.ModelSerializer):
    place = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "place", "phone"]


class PartyOrganizationSerializer(CleanModelSerializer):
    place = PlaceField()
    parent = scoped_field(
        visibility.visible_party_organizations,
        PartyOrganization,
        required=False,
        allow_null=True,
    )
    secretary = scoped_field(visibility.visible_people, Person, required=False, allow_null=True)
    secretary_name = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = PartyOrganization
        fields = [
            "id",
            "name",
            "kind",
            "place",
            "parent",
            "secretary",
            "secretary_name",
            "member_count",
        ]

    def get_secretary_name(self, obj) -> str:
        return mask_name(obj.secretary.name) if obj.secretary_id else ""


class PartyMemberSerializer(CleanModelSerializer):
    person = scoped_field(visibility.visible_people, Person)
    person_name = serializers.SerializerMethodField()
    organization = scoped_field(visibility.visible_party_organizations, PartyOrganization)
    home_community = PlaceField(
        levels=[Level.COMMUNITY],
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("No community with code {value}.")},
    )

    class Meta:
        model = PartyMember
        fields = [
            "id",
            "person",
            "person_name",
            "organization",
            "status",
            "home_community",
            "employer",
            "joined_on",
        ]

    def get_person_name(self, obj) -> str:
        return mask_name(obj.person.name)


class CheckInSerializer(CleanModelSerializer):
    person = scoped_field(visibility.visible_people, Person)
    person_name = serializers.SerializerMethodField()
    community = PlaceField(
        levels=[Level.COMMUNITY],
        error_messages={"does_not_exist": _("No community with code {value}.")},
    )

    class Meta:
        model = CheckIn
        fields = ["id", "person", "person_name", "community", "kind", "checked_in_at", "note"]
        read_only_fields = ["checked_in_at"]

    def get_person_name(self, obj) -> str:
        return mask_name(obj.person.name)


class RoleAssignmentSerializer(CleanModelSerializer):
    # A text input in the browsable API, which would otherwise list every login.
    user = serializers.PrimaryKeyRelatedField(
        queryset=visibility.assignable_users(), style={"base_template": "input.html"}
    )
    username = serializers.CharField(source="user.get_username", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    place = PlaceField(required=False, allow_null=True)
    department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = RoleAssignment
        fields = [
            "id",
            "user",
            "username",
            "role",
            "role_label",
            "place",
            "department",
            "active",
            "since",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        # Uniqueness is checked by full_clean, with the model's message.
        validators = []


class AccessLogSerializer(serializers.ModelSerializer):
    username = serializers.SerializerMethodField()
    place = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = AccessLog
        fields = [
            "id",
            "user",
            "username",
            "subject_type",
            "subject_id",
            "fields",
            "purpose",
            "channel",
            "ip",
            "place",
            "at",
        ]
        read_only_fields = fields

    def get_username(self, obj) -> str:
        return obj.user.get_username() if obj.user_id else ""


class MeRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    label = serializers.CharField()
    place = serializers.CharField(allow_null=True)
    place_name = serializers.CharField(allow_null=True)
    department = serializers.CharField(allow_null=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_superuser = serializers.BooleanField()
    person = serializers.IntegerField(allow_null=True, help_text=_("The caller's own person"))
    roles = MeRoleSerializer(many=True)
    scope = serializers.ListField(
        child=serializers.CharField(), help_text=_("Codes of the places the caller may browse")
    )
    departments = serializers.ListField(child=serializers.CharField())
    may_view_personal_data = serializers.BooleanField()
    personal_data_scope = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Codes of the places whose people's personal data the caller may view"),
    )
    may_view_access_logs = serializers.BooleanField()


# A role of a staff login: as /me/ gives the caller's own, with the department's name too.
class StaffLoginRoleSerializer(MeRoleSerializer):
    department_name = serializers.CharField(allow_null=True)


class StaffLoginSerializer(serializers.Serializer):
    """A login of 工作人员账号 (visibility.administered_logins), as the page shows it: the name
    masked, the active roles, whether it is still on an initial password, and whether the
    caller may reset it (`request` in the context)."""

    id = serializers.IntegerField(source="pk", read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    initial_password = serializers.SerializerMethodField()
    initial_password_reason = serializers.SerializerMethodField()
    initial_password_set_at = serializers.SerializerMethodField()
    may_reset_password = serializers.SerializerMethodField()

    def get_name(self, login) -> str:
        person = getattr(login, "person", None)
        return mask_name(person.name) if person else ""

    @extend_schema_field(StaffLoginRoleSerializer(many=True))
    def get_roles(self, login):
        return [
            {
                "role": a.role,
                "label": str(a.get_role_display()),
                "place": a.place.code if a.place_id else None,
                "place_name": a.place.name if a.place_id else None,
                "department": a.department.code if a.department_id else None,
                "department_name": a.department.name if a.department_id else None,
            }
            for a in sorted(login.active_roles, key=lambda a: (a.role, a.pk))
        ]

    def get_initial_password(self, login) -> bool:
        return getattr(login, "initial_password", None) is not None

    @extend_schema_field(
        serializers.ChoiceField(choices=InitialPassword.Reason.choices, allow_null=True)
    )
    def get_initial_password_reason(self, login):
        initial = getattr(login, "initial_password", None)
        return initial.reason if initial else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_initial_password_set_at(self, login):
        initial = getattr(login, "initial_password", None)
        return serializers.DateTimeField().to_representation(initial.set_at) if initial else None

    def get_may_reset_password(self, login) -> bool:
        return may_reset_password_of(self.context["request"].user, login)


class PasswordResetSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField()
