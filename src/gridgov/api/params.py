"""Query parameters an API view does not read are refused, not ignored."""

from django.utils.translation import gettext_noop
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.settings import api_settings

from .errors import bilingual_error

# Translated in the tickets app's catalogue (gettext reads every app's).
UNKNOWN_QUERY_PARAMETER = gettext_noop(
    "Unknown query parameter %(unknown)s: nothing here reads it, and nothing was done. "
    "Allowed: %(allowed)s."
)


def refuse_unknown_parameters(request, *allowed, message=UNKNOWN_QUERY_PARAMETER):
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
            message,
            detail={"unknown": unknown, "allowed": allowed},
            unknown=", ".join(unknown),
            allowed=", ".join(allowed),
        )


class KnownParamsFilterBackend(DjangoFilterBackend):
    """django-filter for every viewset (settings DEFAULT_FILTER_BACKENDS), refusing what
    nothing reads: `/api/v1/households/?buildng=…` answered every household of the area.

    Allowed: the filterset's filters where a list is answered, the names an action reads
    itself (the view's `action_params`, or the filterset's ACTION_PARAMS, {action: names}),
    a list's page and page size, DRF's format override. An action without a filterset reads
    none but those. get_object filters too, so a detail route or an action on one is covered
    as well, and there the list's filters are refused: /tickets/5/?status=closed answered
    404 (as if ticket 5 did not exist) when it was open, a narrowing nobody asks of one
    object; a client who sends one has mistaken the URL for the list's."""

    message = UNKNOWN_QUERY_PARAMETER
    # On one object, whatever `message` a list uses: the ticket lists' "no filter reads it,
    # so the answer would hold more than asked for" is untrue of a single ticket.
    detail_message = UNKNOWN_QUERY_PARAMETER

    def filter_queryset(self, request, queryset, view):
        known = self.known_parameters(request, queryset, view)
        message = self.detail_message if one_object(view) else self.message
        refuse_unknown_parameters(request, *known, message=message)
        return super().filter_queryset(request, queryset, view)

    def known_parameters(self, request, queryset, view):
        action = getattr(view, "action", None)
        filterset_class = self.get_filterset_class(view, queryset)
        filters = filterset_class.base_filters if filterset_class else ()
        allowed = set() if one_object(view) else set(filters)
        allowed.update(getattr(view, "action_params", {}).get(action, ()))
        allowed.update(getattr(filterset_class, "ACTION_PARAMS", {}).get(action, ()))
        # A page is asked for only where the answer is paged: the list, not an object of it.
        if action == "list":
            allowed.update(page_parameters(view))
        return allowed


def one_object(view):
    """Whether the view answers one object (a viewset's detail route or `detail=True`
    action), not a list. A view that is no viewset: whether its URL names the object."""
    detail = getattr(view, "detail", None)
    if detail is not None:
        return detail
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
    return bool(lookup) and lookup in getattr(view, "kwargs", {})


def page_parameters(view):
    """The query parameters of the view's paginator (page, page_size), if it pages."""
    paginator = getattr(view, "paginator", None)
    names = (getattr(paginator, n, None) for n in ("page_query_param", "page_size_query_param"))
    return [name for name in names if name]
