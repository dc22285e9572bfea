"""API shapes for places, lookups and imports (thin: logic lives in geo,
addresses and io)."""

import math

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .geo import INSIDE, NEAREST, OUTSIDE
from .io import FORMATS
from .models import Place


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "description": "GeoJSON geometry (WGS84 lng/lat)",
        "properties": {"type": {"type": "string"}, "coordinates": {"type": "array", "items": {}}},
    }
)
class GeometryField(serializers.JSONField):
    pass


class PlaceSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = ["code", "name", "level"]


class PlaceSerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField(help_text="Code of the parent place")
    boundary = GeometryField(read_only=True)
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Place
        fields = [
            "code",
            "name",
            "level",
            "parent",
            "path",
            "boundary",
            "lat",
            "lng",
            "address",
            "aliases",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_parent(self, place):
        # From the path, so a list needs no join.
        codes = place.ancestor_codes
        return codes[-1] if codes else None


class PlaceDetailSerializer(PlaceSerializer):
    ancestors = serializers.SerializerMethodField(help_text="From the root down")
    children = serializers.SerializerMethodField()

    class Meta(PlaceSerializer.Meta):
        fields = [*PlaceSerializer.Meta.fields, "ancestors", "children"]
        read_only_fields = fields

    @extend_schema_field(PlaceSummarySerializer(many=True))
    def get_ancestors(self, place):
        return PlaceSummarySerializer(place.ancestors(), many=True).data

    @extend_schema_field(PlaceSummarySerializer(many=True))
    def get_children(self, place):
        return PlaceSummarySerializer(place.children.order_by("code"), many=True).data


# --- lookups -----------------------------------------------------------------------


class LookupQuerySerializer(serializers.Serializer):
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, min_value=-180, max_value=180)
    address = serializers.CharField(required=False, max_length=300, trim_whitespace=True)

    def validate(self, attrs):
        has_point = "lat" in attrs or "lng" in attrs
        has_address = bool(attrs.get("address"))
        if has_point == has_address:
            raise serializers.ValidationError(
                _("Give either lat and lng, or address."), code="lookup_params"
            )
        if has_point:
            if "lat" not in attrs or "lng" not in attrs:
                raise serializers.ValidationError(_("Give both lat and lng."), code="lookup_params")
            if not (math.isfinite(attrs["lat"]) and math.isfinite(attrs["lng"])):
                raise serializers.ValidationError(
                    _("lat and lng must be finite numbers."), code="invalid"
                )
        return attrs


class PointLookupSerializer(serializers.Serializer):
    match = serializers.ChoiceField(choices=[INSIDE, NEAREST, OUTSIDE])
    distance_m = serializers.FloatField(help_text="0 inside the grid")
    grid = PlaceSummarySerializer()
    ancestors = PlaceSummarySerializer(many=True, help_text="The grid's ancestors, root first")


class CandidatePlaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = ["code", "name", "level", "address"]


class CandidateSerializer(serializers.Serializer):
    place = CandidatePlaceSerializer()
    score = serializers.FloatField(help_text="1.0 for an exact match")


class AddressLookupSerializer(serializers.Serializer):
    building = PlaceSerializer(allow_null=True, help_text="Null when the text is ambiguous")
    grid = PlaceSummarySerializer(allow_null=True)
    ancestors = PlaceSummarySerializer(many=True, help_text="The building's ancestors, root first")
    ambiguous = serializers.BooleanField()
    candidates = CandidateSerializer(many=True)


# --- GeoJSON -----------------------------------------------------------------------


class FeaturePropertiesSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    parent_code = serializers.CharField(allow_null=True)
    address = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    lat = serializers.FloatField(required=False, help_text="Label point of an area")
    lng = serializers.FloatField(required=False)


class FeatureSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Feature"])
    geometry = GeometryField(allow_null=True)
    properties = FeaturePropertiesSerializer()


class FeatureCollectionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["FeatureCollection"])
    features = FeatureSerializer(many=True)


# --- import ------------------------------------------------------------------------


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="GeoJSON FeatureCollection or CSV")
    format = serializers.ChoiceField(
        choices=FORMATS, required=False, help_text="Detected from the file when left out"
    )


class ImportProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, help_text="CSV: line in the file (header = 1); GeoJSON: feature number"
    )
    code = serializers.CharField()
    field = serializers.CharField()
    column = serializers.CharField(help_text="The column as the sheet's header names it (纬度 …)")
    kind = serializers.CharField()
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    format = serializers.CharField()
    total = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    warnings = ImportProblemSerializer(
        many=True,
        help_text="Rows to check that did not stop the import (a building up to 50 m outside "
        "its grid: kind outside_grid; a grid of the file overlapping another of the file, or "
        "a grid already in the database, by more than 1% of the smaller one: overlap)",
    )


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField(help_text="Chinese")
    message_en = serializers.CharField()
    detail = serializers.JSONField(required=False)


class ErrorSerializer(serializers.Serializer):
    """The shape of every error answer (see gridgov.api.errors)."""

    error = ErrorBodySerializer()
