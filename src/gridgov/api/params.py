"""Query parameters an API view does not read are refused, not ignored."""

from django.utils.translation import gettext_noop
from rest_framework.settings import api_settings

from .errors import bilingual_error

# Translated in the tickets app's catalogue (gettext reads every app's).
UNKNOWN_QUERY_PARAMETER = gettext_noop(
    "Unknown query parameter %(unknown)s: nothing here reads it, and nothing was done. "
    "Allowed: %(allowed)s."
)


def refuse_unknown_parameters(request, *allowed):
    """400 unknown_parameter naming a query parameter outside `allowed` (and DRF's format
    override), as the ticket lists do (tickets.filters.KnownParamsFilterBackend): a misspelt
    ?inital=1 answered every login of the area as if filtered, DELETE kpis/weights/?reson=…
    returned a district to 全市 with no reason kept, and ?levl=community ranked grids."""
    allowed = sorted({*allowed, api_settings.URL_FORMAT_OVERRIDE} - {None})
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise bilingual_error(
            400,
            "unknown_parameter",
            UNKNOWN_QUERY_PARAMETER,
            detail={"unknown": unknown, "allowed": allowed},
            unknown=", ".join(unknown),
            allowed=", ".join(allowed),
        )
