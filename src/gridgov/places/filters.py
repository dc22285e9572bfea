"""Query filters for the place list and its GeoJSON twin."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Level, Place


class PlaceFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices, help_text=_("Place level"))
    parent = django_filters.CharFilter(
        field_name="parent__code", help_text=_("Code of the parent: its direct children")
    )
    under = django_filters.CharFilter(
        method="filter_under", help_text=_("Code of a place: it and its whole subtree")
    )
    code = django_filters.CharFilter(field_name="code", help_text=_("Exact place code"))
    q = django_filters.CharFilter(
        method="filter_q", help_text=_("Text in the name, code or address")
    )

    class Meta:
        model = Place
        fields = ["level", "parent", "under", "code", "q"]

    def filter_under(self, queryset, name, value):
        path = Place.objects.filter(code=value).values_list("path", flat=True).first()
        return queryset.under(path) if path else queryset.none()

    def filter_q(self, queryset, name, value):
        # Aliases are left out: JSON text search differs between SQLite and PostgreSQL.
        return queryset.filter(
            Q(name__icontains=value) | Q(code__icontains=value) | Q(address__icontains=value)
        )
