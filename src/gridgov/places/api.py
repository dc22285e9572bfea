"""Places API at /api/v1/places/: public reads and lookups, staff imports."""

from django.conf import settings
from django.utils.translation import gettext_noop
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from gridgov.api.errors import bilingual_error
from gridgov.api.params import refuse_unknown_parameters
from gridgov.api.permissions import RulesAutoSchema, RulesPermission

from . import addresses, geo, io
from .filters import PlaceFilter
from .models import Level, Place
from .rules import import_guard
from .serializers import (
    AddressLookupSerializer,
    ErrorSerializer,
    FeatureCollectionSerializer,
    ImportProblemSerializer,
    ImportResultSerializer,
    ImportUploadSerializer,
    LookupQuerySerializer,
    PlaceDetailSerializer,
    PlaceSerializer,
    PlaceSummarySerializer,
    PointLookupSerializer,
)

# A map layer bigger than this should be narrowed with level/under.
GEOJSON_MAX_FEATURES = 5000
# Multipart framing around the file; the file itself is checked exactly.
MULTIPART_SLACK_BYTES = 64 * 1024


OUTSIDE_AREA = gettext_noop("Outside our area")
NO_BUILDING = gettext_noop("No building matches this address")
BAD_FILE = gettext_noop("The file is not GeoJSON or CSV")
FILE_TOO_LARGE = gettext_noop("The file is larger than %(limit)s bytes")
IMPORT_INVALID = gettext_noop("The file has errors; nothing was written")
IMPORT_FORBIDDEN = gettext_noop("Some places are outside your area; nothing was written")
IMPORT_CONFLICT = gettext_noop(
    "The places changed during the import; nothing was written, try again"
)
TOO_MANY_FEATURES = gettext_noop("More than %(limit)s places; narrow with level or under")

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad parameters or file"),
    401: OpenApiResponse(ErrorSerializer, description="Not signed in"),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed"),
    404: OpenApiResponse(ErrorSerializer, description="Nothing found"),
    409: OpenApiResponse(ErrorSerializer, description="Changed concurrently; try again"),
    413: OpenApiResponse(ErrorSerializer, description="File too large"),
}


def summary(places):
    return PlaceSummarySerializer(places, many=True).data


class PlaceViewSet(viewsets.ReadOnlyModelViewSet):
    """The place tree. Reading is public; importing needs places.change_place."""

    queryset = Place.objects.all()
    serializer_class = PlaceSerializer
    filterset_class = PlaceFilter
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"
    permission_classes = [RulesPermission]
    schema = RulesAutoSchema()
    rules_perms = {"GET": "places.view_place", "POST": "places.change_place"}

    def get_serializer_class(self):
        if self.action == "retrieve":
            return PlaceDetailSerializer
        return super().get_serializer_class()

    @extend_schema(summary="List places", responses={200: PlaceSerializer(many=True)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One place with its ancestors and children",
        responses={200: PlaceDetailSerializer, 404: ERRORS[404]},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Places as a GeoJSON FeatureCollection",
        description=f"Same filters as the list; at most {GEOJSON_MAX_FEATURES} features.",
        filters=True,
        responses={200: FeatureCollectionSerializer, 400: ERRORS[400]},
    )
    @action(detail=False, methods=["get"], url_path="geojson", pagination_class=None)
    def geojson(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        places = list(queryset[: GEOJSON_MAX_FEATURES + 1])
        if len(places) > GEOJSON_MAX_FEATURES:
            raise bilingual_error(
                400, "too_many_features", TOO_MANY_FEATURES, limit=GEOJSON_MAX_FEATURES
            )
        return Response(io.feature_collection(places))

    @extend_schema(
        summary="Point → grid, or address text → building",
        description=(
            "With lat and lng: the grid containing the point, or the nearest grid within "
            "GRIDGOV_NEAREST_GRID_M metres (match=nearest). With address: the building, "
            "ranked candidates and whether the text is ambiguous. 404 when nothing matches "
            "(outside_area when the text names a district or street that is not ours)."
        ),
        parameters=[
            OpenApiParameter("lat", float, description="WGS84 latitude"),
            OpenApiParameter("lng", float, description="WGS84 longitude"),
            OpenApiParameter("address", str, description="Address text, e.g. 魏家坡小区3号楼2单元"),
        ],
        responses={
            200: PolymorphicProxySerializer(
                component_name="LookupResult",
                serializers=[PointLookupSerializer, AddressLookupSerializer],
                resource_type_field_name=None,
            ),
            400: ERRORS[400],
            404: ERRORS[404],
        },
    )
    @action(detail=False, methods=["get"], url_path="lookup", filter_backends=[])
    def lookup(self, request):
        refuse_unknown_parameters(request, "lat", "lng", "address")
        query = LookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if "address" in params:
            return self._lookup_address(params["address"])
        return self._lookup_point(params["lat"], params["lng"])

    def _lookup_point(self, lat, lng):
        found = geo.lookup_point(lat, lng)
        if found.grid is None:
            raise bilingual_error(
                404, "outside_area", OUTSIDE_AREA, detail={"distance_m": found.distance_m}
            )
        return Response(
            {
                "match": found.match,
                "distance_m": found.distance_m,
                "grid": PlaceSummarySerializer(found.grid).data,
                "ancestors": summary(found.ancestors),
            }
        )

    def _lookup_address(self, text):
        found = addresses.resolve_address(text)
        if not found.candidates and found.foreign:  # names a district or street not ours
            raise bilingual_error(
                404, "outside_area", OUTSIDE_AREA, detail={"region": found.foreign}
            )
        if not found.candidates:
            raise bilingual_error(404, "no_building", NO_BUILDING)
        building = found.building
        ancestors = building.ancestors() if building else []
        grid = next((p for p in ancestors if p.level == Level.GRID), None)
        return Response(
            {
                "building": PlaceSerializer(building).data if building else None,
                "grid": PlaceSummarySerializer(grid).data if grid else None,
                "ancestors": summary(ancestors),
                "ambiguous": found.ambiguous,
                "candidates": [
                    {
                        "place": {
                            "code": p.code,
                            "name": p.name,
                            "level": p.level,
                            "address": p.address,
                        },
                        "score": score,
                    }
                    for p, score in found.candidates
                ],
            }
        )

    @extend_schema(
        summary="Import places from GeoJSON or CSV",
        description=(
            "Checks the whole file first; on any problem nothing is written and the "
            "problems come back with their row numbers in error.detail. Rows to check that "
            "do not stop the import come back in `warnings` (empty when there are none)."
        ),
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            200: ImportResultSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Not GeoJSON/CSV, or row problems (error.detail is a list of "
                "ImportProblem)",
            ),
            401: ERRORS[401],
            403: ERRORS[403],
            409: ERRORS[409],
            413: ERRORS[413],
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
        filter_backends=[],
    )
    def import_file(self, request):
        limit = settings.GRIDGOV_MAX_IMPORT_BYTES
        too_large = bilingual_error(413, "payload_too_large", FILE_TOO_LARGE, limit=limit)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + MULTIPART_SLACK_BYTES:
            raise too_large  # refuse before reading the body
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        if file.size > limit:
            raise too_large
        try:
            report = io.import_places(
                file, upload.validated_data.get("format"), can_change=import_guard(request.user)
            )
        except io.ImportFormatError as exc:
            raise bilingual_error(400, "unsupported_file", BAD_FILE, detail=str(exc)) from exc
        except io.ImportConflict as exc:
            raise bilingual_error(409, "conflict", IMPORT_CONFLICT) from exc
        if report.forbidden:
            detail = ImportProblemSerializer(report.forbidden, many=True).data
            raise bilingual_error(403, "forbidden_places", IMPORT_FORBIDDEN, detail=detail)
        if report.errors:
            detail = ImportProblemSerializer(report.errors, many=True).data
            raise bilingual_error(400, "invalid_import", IMPORT_INVALID, detail=detail)
        warnings = ImportProblemSerializer(report.warnings, many=True).data
        return Response({"format": report.format, **report.counts(), "warnings": warnings})


class OptionalSlashRouter(SimpleRouter):
    """Routes that answer with and without the trailing slash
    (/places/lookup?lat=… as well as /places/lookup/?lat=…)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("places", PlaceViewSet, basename="place")

urlpatterns = router.urls
