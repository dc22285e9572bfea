"""django-filter filtersets for the people API. They narrow an already scoped queryset.

Related objects are filtered by plain ids (NumberFilter), not ModelChoiceFilter:
a model choice answers 400 for a missing id but 200 for one outside scope,
which would tell the caller that it exists.
"""

import django_filters
from django.apps import apps
from django.db.models import Exists, OuterRef, Q, TextChoices
from django.utils.translation import gettext_lazy as _

from gridgov.places.models import Place

from .models import (
    AccessLog,
    CheckIn,
    Department,
    Household,
    PartyMember,
    PartyOrganization,
    Person,
    Role,
    RoleAssignment,
)
from .scope import PERSONAL_DATA_ROLES, scope_q

UNDER_LABEL = _("Inside the place with this code")


def under_filter(field, label=UNDER_LABEL):
    """A filter `under=<place code>`: rows whose `field` lies in that place's subtree."""

    def method(queryset, name, value):
        path = Place.objects.filter(code=value).values_list("path", flat=True).first()
        if path is None:
            return queryset.none()
        return queryset.filter(**{f"{field}__path__startswith": path})

    return django_filters.CharFilter(method=method, label=label)


class PersonFilter(django_filters.FilterSet):
    under = under_filter("place")
    household = django_filters.NumberFilter(field_name="household_id")
    party_member = django_filters.BooleanFilter(method="filter_party_member")
    role = django_filters.ChoiceFilter(
        choices=Role.choices, method="filter_role", label=_("Holds this role")
    )
    q = django_filters.CharFilter(method="filter_q", label=_("Name (or phone / ID number)"))

    class Meta:
        model = Person
        fields = ["lives_alone_elderly", "new_employment"]

    def filter_party_member(self, queryset, name, value):
        return queryset.filter(is_party_member=value)

    def filter_role(self, queryset, name, value):
        holds = RoleAssignment.objects.filter(user=OuterRef("user"), role=value, active=True)
        return queryset.filter(Exists(holds))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        query = Q(name__icontains=value)
        user = getattr(self.request, "user", None)
        if user is not None and len(value) >= 4:
            # Matching on phone or ID number would let a role without the right
            # confirm a number by searching, so only the places where the
            # caller may see personal data answer it.
            digits = Q(phone__contains=value) | Q(id_number__iexact=value)
            query |= digits & scope_q(user, "place", PERSONAL_DATA_ROLES)
        return queryset.filter(query)


class HouseholdFilter(django_filters.FilterSet):
    under = under_filter("building")
    building = django_filters.CharFilter(field_name="building__code")

    class Meta:
        model = Household
        fields = ["unit", "room"]


class DepartmentFilter(django_filters.FilterSet):
    place = django_filters.CharFilter(field_name="place__code")
    q = django_filters.CharFilter(method="filter_q")

    class Meta:
        model = Department
        fields = ["code"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__iexact=value))


class PartyOrganizationFilter(django_filters.FilterSet):
    place = django_filters.CharFilter(field_name="place__code")
    parent = django_filters.NumberFilter(field_name="parent_id")
    under = under_filter("place")

    class Meta:
        model = PartyOrganization
        fields = ["kind"]


class PartyMemberFilter(django_filters.FilterSet):
    home_community = django_filters.CharFilter(field_name="home_community__code")
    organization = django_filters.NumberFilter(field_name="organization_id")
    person = django_filters.NumberFilter(field_name="person_id")
    under = under_filter("person__place")

    class Meta:
        model = PartyMember
        fields = ["status"]


class CheckInFilter(django_filters.FilterSet):
    community = django_filters.CharFilter(field_name="community__code")
    person = django_filters.NumberFilter(field_name="person_id")
    under = under_filter("community")

    class Meta:
        model = CheckIn
        fields = ["kind"]


class RoleAssignmentFilter(django_filters.FilterSet):
    place = django_filters.CharFilter(field_name="place__code")
    department = django_filters.CharFilter(field_name="department__code")
    user = django_filters.NumberFilter(field_name="user_id")
    under = under_filter("place")

    class Meta:
        model = RoleAssignment
        fields = ["role", "active"]


class Seen(TextChoices):
    """What an access log row says was seen in full (查看内容). Since a ticket's holding unit
    has its view of the exact address logged on every visit to the ticket's page, rows of
    the address alone far outnumber the reveals of a name, phone or ID number an auditor
    looks for. The two kinds split the log: every row that is not the address alone
    (a name, a phone, an ID number, or any of them with the address) is CONTACTS."""

    CONTACTS = "contacts", _("Contact details and ID")
    ADDRESS = "address", _("Address only")


def address_fields():
    """The exact-address fields among those the models declare personal
    (PERSONAL_DATA_FIELDS: Ticket.address); names, phones and ID numbers are the rest."""
    return sorted(
        {
            name
            for model in apps.get_models()
            for name in getattr(model, "PERSONAL_DATA_FIELDS", ())
            if name == "address" or name.endswith("_address")
        }
    )


def address_only_q():
    """Rows whose `fields` is one address field alone (["address"]). An exact match of the
    JSON list: `fields__contains` has no SQLite lookup, and the log lists each field once."""
    query = Q(pk__in=[])
    for name in address_fields():
        query |= Q(fields=[name])
    return query


def filter_seen(queryset, value):
    """The rows of one kind of Seen ("" or None: all of them)."""
    if value == Seen.ADDRESS:
        return queryset.filter(address_only_q())
    if value == Seen.CONTACTS:
        return queryset.exclude(address_only_q())
    return queryset


class AccessLogFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")
    user = django_filters.NumberFilter(field_name="user_id")
    under = under_filter("place")
    seen = django_filters.ChoiceFilter(
        choices=Seen.choices,
        method="filter_seen",
        label=_(
            "What was seen: contacts (a name, phone or ID number, with or without the "
            "address) or address (the exact address alone)"
        ),
    )

    class Meta:
        model = AccessLog
        fields = ["subject_type", "subject_id", "channel"]

    def filter_seen(self, queryset, name, value):
        return filter_seen(queryset, value)
