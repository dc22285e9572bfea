from django import forms
from django.contrib import admin

from .io import geometry_problem
from .models import AREA_LEVELS, Place


class PlaceForm(forms.ModelForm):
    class Meta:
        model = Place
        fields = ["code", "name", "level", "parent", "boundary", "lat", "lng", "address", "aliases"]

    def clean(self):
        cleaned = super().clean()
        boundary = cleaned.get("boundary")
        level = cleaned.get("level")
        # The same geometry rules as an import, so the map never gets a broken grid.
        if boundary and level in AREA_LEVELS:
            problem = geometry_problem(level, boundary)
            if problem:
                self.add_error("boundary", problem)
        return cleaned


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    form = PlaceForm
    list_display = ["code", "name", "level", "parent", "address", "updated_at"]
    list_filter = ["level"]
    search_fields = ["code", "name", "address"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "created_at", "updated_at"]
    ordering = ["path"]
    list_select_related = ["parent"]
