"""The place tree 区 → 街镇 → 居村 → 网格 → 楼栋 (see docs/glossary.md).

The tree is a materialised path of place codes (`/D01/S01/C01/`), so
ancestors come from the path itself and descendants are one indexed
`startswith` query, on SQLite and PostgreSQL alike.
"""

import copy
import os
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _

from gridgov.core import versions

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Level(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    BUILDING = "building", _("Building")


LEVELS = [choice for choice, _label in Level.choices]
# Polygons at grid level and above; buildings are points.
AREA_LEVELS = LEVELS[:-1]


def level_rank(level):
    return LEVELS.index(level)


def common_path(paths):
    """The path of the deepest place above (or at) all of `paths` ("/" when none is shared)."""
    prefix = os.path.commonprefix(list(paths))
    return prefix[: prefix.rfind("/") + 1]


def validate_code(code):
    if not CODE_RE.match(code or ""):
        raise ValidationError(
            _("Place code %(code)s may only use letters, digits, '_', '.' and '-'."),
            params={"code": code},
        )


class PlaceQuerySet(models.QuerySet):
    def under(self, place_or_path, include_self=True):
        path = place_or_path if isinstance(place_or_path, str) else place_or_path.path
        qs = self.filter(path__startswith=path)
        return qs if include_self else qs.exclude(path=path)

    def under_any(self, paths):
        """Places inside any of the given subtrees (a user's scope)."""
        query = models.Q()
        for path in paths:
            query |= models.Q(path__startswith=path)
        return self.filter(query) if paths else self.none()


class Place(models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True, validators=[validate_code])
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=1024, db_index=True, editable=False)
    # GeoJSON geometry: Polygon/MultiPolygon for grid and above, none for buildings.
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    # WGS84 point: the building's location, or a label point for areas.
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["path"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        old_path = None
        if self.pk:
            old_path = Place.objects.filter(pk=self.pk).values_list("path", flat=True).first()
        self.path = self.path_for(self.parent, self.code)
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # Moving or renaming a subtree rewrites its descendants' paths, in
            # one UPDATE however large the subtree.
            Place.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                path=Concat(Value(self.path), Substr("path", len(old_path) + 1))
            )

    @staticmethod
    def path_for(parent, code):
        return f"{parent.path if parent else '/'}{code}/"

    @property
    def ancestor_codes(self):
        return self.path.strip("/").split("/")[:-1]

    def ancestors(self):
        """Ancestors from the root down (copies from the per-process cache of the areas)."""
        codes = self.ancestor_codes
        if not codes:
            return []
        areas = _areas().by_code
        if any(c not in areas for c in codes):  # written in this very transaction, say
            by_code = {p.code: p for p in Place.objects.filter(code__in=codes)}
            return [by_code[c] for c in codes if c in by_code]
        return [copy.copy(areas[c]) for c in codes]

    def descendants(self, include_self=False):
        return Place.objects.under(self, include_self=include_self)

    def ancestor_at(self, level):
        if self.level == level:
            return self
        codes, areas = self.ancestor_codes, _areas().by_code
        if all(c in areas for c in codes):
            # Copy the one asked for, not every ancestor: an intake asks three times.
            found = next((areas[c] for c in codes if areas[c].level == level), None)
            return copy.copy(found) if found is not None else None
        return next((p for p in self.ancestors() if p.level == level), None)

    def clean(self):
        validate_code(self.code)
        if self.parent_id is None:
            if self.level != Level.DISTRICT:
                raise ValidationError(_("Only a district may have no parent."))
        elif level_rank(self.level) != level_rank(self.parent.level) + 1:
            raise ValidationError(
                _("A %(child)s cannot sit directly under a %(parent)s."),
                params={
                    "child": self.get_level_display(),
                    "parent": self.parent.get_level_display(),
                },
            )
        if self.parent_id and self.pk and f"/{self.code}/" in self.parent.path:
            raise ValidationError(_("A place cannot be moved under itself."))


class _Areas:
    """Every area (district … grid), the ancestors of any place, by code and by id."""

    def __init__(self, places):
        self.by_code = {p.code: p for p in places}
        self.by_id = {p.pk: p for p in places}


def _areas():
    return versions.cached(
        "places", "areas", lambda: _Areas(list(Place.objects.filter(level__in=AREA_LEVELS)))
    )


def area(pk):
    """A copy of the area (district … grid) with this id from the per-process cache, or
    None when it is not there (not an area, or written in this very transaction)."""
    found = _areas().by_id.get(pk)
    return copy.copy(found) if found is not None else None
