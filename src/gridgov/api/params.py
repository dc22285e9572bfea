"""Query parameters an API view does not read are refused, not ignored."""

from django.utils.translation import gettext_noop
from rest_framework.settings import api_settings

from .errors import bilingual_error

# The same msgid as tickets.api_ops.UNKNOWN_QUERY_PARAMETER (translated in the tickets app).
UNKNOWN_QUERY_PARAMETER = gettext_noop(
    "Unknown query parameter %(unknown)s: nothing here reads it, and nothing was done. "
    "Allowed: %(allowed)s."
)


def refuse_unknown_parameters(request, *allowed):
    """400 unknown_parameter naming a query parameter outside `allowed` (and DRF's format
    override), as tickets.api_ops.refuse_unknown_parameters answers: a misspelt ?inital=1
    would otherwise answer every login of the area as if filtered."""
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
