"""Which tickets a user may see, and the filters of the ticket list and export.

`visible_tickets(user)` is `rules.sees_ticket` as a queryset: tickets whose
location or owning office lies in the user's scope (viewing roles), tickets
owned by the user's departments, and tickets on which a whistle summoned one
of them. Superusers see everything. Every ticket view starts from it, so an
out-of-scope ticket is a 404 and never leaks.
"""

import re

import django_filters
from django import forms
from django.db import connections
from django.db.models import Case, F, FloatField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from gridgov.api import params
from gridgov.core.arrays import any_of
from gridgov.people.models import Department
from gridgov.people.scope import NOTHING, scope_for
from gridgov.places.models import Place

from . import knowledge, requester_text, sla
from .models import (
    CalendarDay,
    Category,
    Channel,
    KnowledgeAnswer,
    Nature,
    RoutingRule,
    Status,
    Summons,
    Ticket,
    TimeLimit,
    TimeLimitChange,
    Urgency,
)
from .rules import VIEW_ROLES


def visible_tickets(user, queryset=None):
    """The tickets `user` may see (mirror of rules.sees_ticket).

    Each part of the scope is a condition on the ticket's own columns, so an index serves
    it and the list's joins come after it: the place (or owning office) among the places
    of the user's subtrees, the owner among their departments, the ticket among those that
    summoned one of them. A place under a path was a join through both places, which left
    PostgreSQL no index: every ticket of a 500,000-ticket city was read and joined for a
    grid worker's list. See _among for how the places are given.
    """
    queryset = Ticket.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    scope = scope_for(user)
    if scope.everything:
        return queryset
    postgresql = connections[queryset.db].vendor == "postgresql"
    query = NOTHING
    paths = scope.paths(VIEW_ROLES)
    if paths:
        # A district's places (a root of the tree) are thousands: no use reading them first.
        root = any(path.count("/") == 2 for path in paths)
        under = Place.objects.under_any(paths)
        places = _ids(under.values_list("id", flat=True), postgresql and not root)
        query |= _among("place_id", places) | _among("owner_place_id", places)
        # Unplaced tickets of the departments serving the area (rules.sees_ticket): a few
        # dozen departments, one short list. Departments serve districts and streets, so a
        # community's or a grid's scope (the lists opened most) needs no query for them.
        if any(path.count("/") <= STREET_DEPTH for path in paths):
            served = list(Department.objects.filter(place__in=under).values_list("id", flat=True))
            if served:
                query |= Q(place_id__isnull=True, owner_department_id__in=served)
    if scope.department_ids:
        departments = sorted(scope.department_ids)
        query |= Q(owner_department_id__in=departments)
        summoned = Summons.objects.filter(department_id__in=departments)
        query |= _among(
            "pk", _ids(summoned.values_list("whistle__ticket_id", flat=True), postgresql)
        )
    return queryset.filter(query)


# Slashes in a street's path (/QF/QF-WJ/): a district's has 2, a street's 3, deeper places more.
STREET_DEPTH = 3

# Ids of a scope written into the query as one array at most this many (a street: about 600
# places); more (a district: 5,000) are matched through their subquery.
ARRAY_LIMIT = 1000


def _ids(ids, postgresql):
    """The ids a values_list selects, as a list when they are few enough to be one array
    parameter (PostgreSQL), else the queryset itself (a subquery)."""
    if postgresql:
        found = list(ids.order_by()[: ARRAY_LIMIT + 1])
        if len(found) <= ARRAY_LIMIT:
            return found
    return ids.order_by()


def _among(field, ids):
    """Q: `field` is one of `ids` (from _ids).

    A list is one array: PostgreSQL reads a small area's tickets through the column's
    index and knows how few they are. A wide area's ids stay a subquery, checked against
    each ticket from a hash: PostgreSQL then expects many tickets, and for a list in
    deadline order reads the racing-deadline index until the page is full, where an array
    of a district's 5,000 ids made it fetch, join and sort all 85,000 of its tickets, and
    took tens of milliseconds to plan a single ticket's page. (500,000-ticket city,
    ?ordering=deadline: a grid's list 4.2 → 0.12 s, a district's 4.3 → 0.75 s, most of
    it the count of its tickets.)"""
    if isinstance(ids, list):
        return any_of(field, ids)  # PostgreSQL's: _ids gives lists only there
    return Q(**{f"{field}__in": ids})


def with_next_deadline(queryset):
    """Annotate `next_deadline`: the deadline the ticket races now (sla.racing), as the
    workbench's queue sorts."""
    return queryset.annotate(next_deadline=sla.racing_expr())


def category_subtree_ids(code):
    """Ids of the category with this code and of all categories below it."""
    rows = list(Category.objects.values_list("id", "parent_id", "code"))
    root = next((pk for pk, _parent, c in rows if c == code), None)
    if root is None:
        return []
    children = {}
    for pk, parent, _code in rows:
        children.setdefault(parent, []).append(pk)
    found, todo = [], [root]
    while todo:
        pk = todo.pop()
        found.append(pk)
        todo.extend(children.get(pk, ()))
    return found


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """A comma-separated list of choices: status=dispatched,accepted."""


# "…T08:00:00+08:00" typed into a URL unencoded: the + arrives as a space.
OFFSET_AS_SPACE = re.compile(r"(?<=\d) (\d{2}(?::?\d{2})?)$")


class IsoDateTimeParamField(django_filters.fields.IsoDateTimeField):
    """ISO 8601 as Open311's dates are read: an offset whose + came as a space counts, and
    a refusal shows the form wanted (it said only "enter a valid date/time")."""

    # DRF formats the message with its parameters: the % of %2B is doubled.
    default_error_messages = {
        "invalid": _(
            "Give a date or a date-time in ISO 8601, e.g. 2026-11-27 or "
            "2026-11-27T08:00:00+08:00 (in a URL the + is written %%2B)."
        )
    }

    def to_python(self, value):
        if isinstance(value, str) and "T" in value:
            value = OFFSET_AS_SPACE.sub(r"+\1", value.strip())
        return super().to_python(value)


class IsoDateTimeParamFilter(django_filters.IsoDateTimeFilter):
    field_class = IsoDateTimeParamField


class StrictBooleanField(forms.Field):
    """true/false (or 1/0, any case): anything else is a 400 naming the parameter.

    django-filter's boolean reads an unknown value as "not given", so `overdue=yes` listed
    every ticket and an integrator took it for the overdue ones."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(
                gettext("Give true or false, not %(v)s.") % {"v": value}, code="invalid"
            ) from None


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class KnownCodeField(forms.CharField):
    """A code that must name something (`known(code)`); unknown, a 400 with `message`: a
    filter on a mistyped code answered an empty list, as if there were no such tickets."""

    def __init__(self, *args, known=None, message=None, **kwargs):
        self.known, self.message = known, message
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not self.known(value):
            raise forms.ValidationError(
                gettext(self.message) % {"c": value, "u": value}, code="unknown"
            )


class KnownCodeFilter(django_filters.CharFilter):
    field_class = KnownCodeField


def _is_category(code):
    return Category.objects.filter(code=code).exists()


def _is_place(code):
    return Place.objects.filter(code=code).exists()


def _is_unit(code):
    return _is_place(code) or Department.objects.filter(code=code).exists()


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Ordering with empty deadlines last in either direction, and a stable tie-break."""

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        terms = []
        for param in value:
            descending = param.startswith("-")
            field = self.param_map.get(param.lstrip("-"), param.lstrip("-"))
            expr = F(field)
            terms.append(expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True))
        return qs.order_by(*terms, "id")


class TicketFilter(django_filters.FilterSet):
    status = ChoiceInFilter(
        choices=Status.choices, label=_("Status (comma-separated list)"), lookup_expr="in"
    )
    channel = ChoiceInFilter(
        choices=Channel.choices, label=_("Channel (comma-separated list)"), lookup_expr="in"
    )
    nature = ChoiceInFilter(
        choices=Nature.choices, label=_("Nature (comma-separated list)"), lookup_expr="in"
    )
    urgency = ChoiceInFilter(
        choices=Urgency.choices, label=_("Urgency (comma-separated list)"), lookup_expr="in"
    )
    category = KnownCodeFilter(
        method="filter_category",
        label=_("Category code (sub-categories included)"),
        known=_is_category,
        message=gettext_noop("Unknown category %(c)s."),
    )
    unit = KnownCodeFilter(
        method="filter_unit",
        label=_("Owner: a place code or a department code"),
        known=_is_unit,
        message=gettext_noop("Unknown unit %(u)s."),
    )
    place = KnownCodeFilter(
        method="filter_place",
        label=_("Location inside the place with this code"),
        known=_is_place,
        message=gettext_noop("Unknown place code %(c)s."),
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue", label=_("Open and past a deadline (true) or not (false)")
    )
    created_after = IsoDateTimeParamFilter(
        field_name="created_at", lookup_expr="gte", label=_("Received at or after (ISO 8601)")
    )
    created_before = IsoDateTimeParamFilter(
        field_name="created_at", lookup_expr="lt", label=_("Received before (ISO 8601)")
    )
    # What changed since the last pull (a 12345 bridge syncing statuses): any lifecycle act
    # or edit moves updated_at.
    updated_after = IsoDateTimeParamFilter(
        field_name="updated_at", lookup_expr="gte", label=_("Changed at or after (ISO 8601)")
    )
    updated_before = IsoDateTimeParamFilter(
        field_name="updated_at", lookup_expr="lt", label=_("Changed before (ISO 8601)")
    )
    q = django_filters.CharFilter(method="filter_q", label=_("Search code, title and description"))
    # The sending platform's own case number (a 12345 bridge finding the ticket of its case).
    external_id = django_filters.CharFilter(label=_("External id (exact)"))
    ordering = NullsLastOrderingFilter(
        fields=(
            ("next_deadline", "deadline"),
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
            ("accept_by", "accept_by"),
            ("respond_by", "respond_by"),
            ("resolve_by", "resolve_by"),
            ("code", "code"),
        ),
        label=_(
            "Order by: deadline (the next one due), created_at, updated_at, accept_by, "
            "respond_by, resolve_by, code; prefix - for descending"
        ),
    )

    # Parameters an action reads besides the filters (KnownParamsFilterBackend).
    ACTION_PARAMS = {"export": ("purpose",)}

    class Meta:
        model = Ticket
        fields = []

    def filter_category(self, queryset, name, value):
        return queryset.filter(category_id__in=category_subtree_ids(value))

    def filter_unit(self, queryset, name, value):
        # The unit's id first: an OR over two joined tables' codes left PostgreSQL no index
        # to use, and it read every ticket of the city; on the ids, each owner index serves.
        place_ids = list(Place.objects.filter(code=value).values_list("id", flat=True))
        department_ids = list(Department.objects.filter(code=value).values_list("id", flat=True))
        return queryset.filter(
            Q(owner_place_id__in=place_ids) | Q(owner_department_id__in=department_ids)
        )

    def filter_place(self, queryset, name, value):
        path = Place.objects.filter(code=value).values_list("path", flat=True).first()
        if path is None:
            return queryset.none()
        return queryset.filter(place__path__startswith=path)

    def filter_overdue(self, queryset, name, value):
        overdue = sla.overdue_q(timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_q(self, queryset, name, value):
        return requester_text.search(queryset, value, self.request.user)


UNKNOWN_PARAMETER = gettext_noop(
    "Unknown query parameter %(unknown)s: no filter reads it, so the answer would hold more "
    "than asked for. Allowed: %(allowed)s."
)


class KnownParamsFilterBackend(params.KnownParamsFilterBackend):
    """The API's backend (api.params) with the ticket lists' message: `?statuss=accepted`
    answered every ticket of the area, which a street office reads as "all accepted"."""

    message = UNKNOWN_PARAMETER

    def known_parameters(self, request, queryset, view):
        if self.get_filterset_class(view, queryset) is None:
            # An action without filters (requester, events, photos…) checks its own.
            return set(request.query_params)
        return super().known_parameters(request, queryset, view)


class RoutingRuleFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category__code", label=_("Category code"))
    place = django_filters.CharFilter(field_name="place__code", label=_("Place code"))
    department = django_filters.CharFilter(
        field_name="department__code", label=_("Department code")
    )

    class Meta:
        model = RoutingRule
        fields = []


class TimeLimitFilter(django_filters.FilterSet):
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    category = django_filters.CharFilter(field_name="category__code", label=_("Category code"))
    place = django_filters.CharFilter(field_name="place__code", label=_("District code"))
    city_wide = StrictBooleanFilter(
        field_name="place", lookup_expr="isnull", label=_("City-wide rows only")
    )

    class Meta:
        model = TimeLimit
        fields = []


class TimeLimitChangeFilter(django_filters.FilterSet):
    district = django_filters.CharFilter(field_name="district__code", label=_("District code"))
    city_wide = StrictBooleanFilter(
        field_name="district", lookup_expr="isnull", label=_("The city's changes only")
    )
    action = django_filters.ChoiceFilter(choices=TimeLimitChange.Action.choices)

    class Meta:
        model = TimeLimitChange
        fields = []


class CalendarDayFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(field_name="date__year", label=_("Year"))
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"))

    class Meta:
        model = CalendarDay
        fields = []


def search_knowledge(queryset, text):
    """Standard answers matching what an operator is typing, best first (knowledge.scores)."""
    if not (text or "").strip():
        return queryset
    found = knowledge.scores(text, queryset)
    if not found:
        return queryset.none()
    whens = [When(pk=pk, then=Value(float(score))) for pk, score in found.items()]
    rank = Case(*whens, default=Value(0.0), output_field=FloatField())
    return queryset.filter(pk__in=list(found)).annotate(rank=rank).order_by("-rank", "-used_count")


class KnowledgeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", label=_("Search question, keywords and answer (best first)")
    )
    category = django_filters.CharFilter(
        method="filter_category", label=_("Category code (sub-categories included)")
    )
    active = StrictBooleanFilter()

    class Meta:
        model = KnowledgeAnswer
        fields = []

    def filter_q(self, queryset, name, value):
        return search_knowledge(queryset, value)

    def filter_category(self, queryset, name, value):
        return queryset.filter(category_id__in=category_subtree_ids(value))
