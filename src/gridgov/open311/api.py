"""The GeoReport v2 endpoints under /open311/v2/, each in .xml and .json.

Thin views: services are the categories staff mark public
(`Category.public`), a POST becomes a ticket through `submit.create` (which
calls `tickets.intake`), and a service request is a ticket shown through
`documents.Presenter`. Every call goes through `Endpoint`, which checks the
format, the api_key, the jurisdiction_id and the rate limit, answers errors
in the spec's format and writes the request log.
"""

import datetime as dt
from functools import wraps

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gridgov.people.personal_data import client_ip
from gridgov.tickets.models import FINAL_STATUSES, Category, Ticket, TicketEvent

from . import documents, keys, submit
from .formats import FORMATS, Open311Error, render, render_error
from .models import Submission

MAX_SPAN = dt.timedelta(days=90)
# The times a query may name. Beyond them the 90-day window around one, or its conversion to
# UTC for the database, leaves the range of datetime (an OverflowError, a 500).
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
MAX_REQUESTS = 1000
MAX_IDEMPOTENCY_KEY = 100
# The bodies GeoReport v2 POSTs are; "" is a POST with no body (parameters in the URL).
FORM_BODIES = ("application/x-www-form-urlencoded", "multipart/form-data", "")


class Call:
    """What every endpoint gets: the request, the format, the key and the jurisdiction."""

    def __init__(self, request, fmt):
        self.request = request
        self.fmt = fmt
        self.key = None
        self.jurisdiction = None
        self.ticket = None  # the ticket a POST created, for the log
        self.params = request.POST if request.method == "POST" else request.GET

    def param(self, name):
        value = self.params.get(name)
        if value is None and self.request.method == "POST":
            value = self.request.GET.get(name)
        return (value or "").strip()


def endpoint(name, methods=("GET",)):
    """Wrap a handler(call, **kwargs) → (root_tag, data[, status]) as an Open311 view."""

    def decorate(handler):
        @csrf_exempt
        @wraps(handler)
        def view(request, fmt="", **kwargs):
            call = Call(request, fmt.lower())
            status = 500
            try:
                response = _dispatch(call, handler, methods, kwargs)
                status = response.status_code
                return response
            except Open311Error as error:
                status = error.status
                return render_error(call.fmt, error)
            finally:
                keys.log_call(request, call.key, name, call.fmt, status, ticket=call.ticket)

        view.open311_endpoint = name
        return view

    return decorate


def _dispatch(call, handler, methods, kwargs):
    request = call.request
    if call.fmt not in FORMATS:
        raise Open311Error(
            404,
            _("Unknown format %(f)s: add .xml or .json to the URL.") % {"f": call.fmt or "—"},
        )
    # HEAD wherever GET (RFC 9110 §9.1): a monitor's or link checker's HEAD was a 405.
    allowed = (*methods, "HEAD") if "GET" in methods else methods
    if request.method not in allowed:
        raise Open311Error(
            405,
            _("%(m)s is not allowed here; use %(allowed)s.")
            % {"m": request.method, "allowed": ", ".join(methods)},
            headers={"Allow": ", ".join(allowed)},
        )
    if request.method == "POST" and request.content_type not in FORM_BODIES:
        # Django reads only form bodies into POST: a JSON body (wx.request's default) came
        # back as "an api_key is required" though the key was in it.
        raise Open311Error(
            415,
            _(
                "Send the request as form fields (application/x-www-form-urlencoded, or "
                "multipart/form-data with media), not %(t)s."
            )
            % {"t": request.content_type},
        )
    raw_key = call.param("api_key")
    found = keys.find_key(raw_key) if raw_key else None
    call.key = found if found is not None and found.active else None
    # Checked before the key is refused, so guessing keys is rate-limited by address.
    wait = keys.over_limit(call.key, client_ip(request))
    if wait:
        raise Open311Error(
            429,
            _("Too many requests; try again in %(s)s seconds.") % {"s": wait},
            headers={"Retry-After": str(wait)},
        )
    if raw_key and found is None:
        raise Open311Error(403, _("Invalid api_key."))
    if raw_key and call.key is None:
        call.key = found  # logged against the key, so staff see the refused calls
        raise Open311Error(403, _("This api_key was revoked."))
    if not raw_key and request.method == "POST":
        raise Open311Error(403, _("An api_key is required to submit a request."))
    identifier = call.param("jurisdiction_id")
    if identifier:
        call.jurisdiction = keys.find_jurisdiction(identifier)
        if call.jurisdiction is None:
            raise Open311Error(404, _("Unknown jurisdiction_id %(j)s.") % {"j": identifier})
    result = handler(call, **kwargs)
    root, data, status = (*result, 200) if len(result) == 2 else result
    return render(call.fmt, root, data, status=status)


def _services():
    return documents.ServiceIndex(list(Category.objects.all()))


# --- discovery and services ---------------------------------------------------------------


@endpoint("discovery")
def discovery(call):
    request = call.request
    base = request.build_absolute_uri(reverse("open311:root"))
    contact = (call.jurisdiction.contact if call.jurisdiction else "") or getattr(
        settings, "GRIDGOV_OPEN311_CONTACT", ""
    )
    return "discovery", {
        "changeset": documents.CHANGESET,
        "contact": contact or _("Ask the street office that runs this service."),
        "key_service": _(
            "API keys are issued to applications by street and district staff, at %(url)s"
        )
        % {"url": request.build_absolute_uri(reverse("open311:keys"))},
        "endpoints": [
            {
                "specification": documents.SPECIFICATION,
                "url": base.rstrip("/"),
                "changeset": documents.CHANGESET,
                "type": "test" if settings.DEBUG else "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


@endpoint("services")
def service_list(call):
    services = _services()
    data = [
        documents.service(category, services.children(category))
        for category in sorted(services.public, key=lambda c: c.code)
    ]
    return "services", data


def _service(services, code):
    found = next((c for c in services.public if c.code == code), None)
    if found is None:
        raise Open311Error(404, _("Unknown service_code %(c)s.") % {"c": code})
    return found


@endpoint("service_definition")
def service_definition(call, code):
    return "service_definition", documents.service_definition(_service(_services(), code))


# --- service requests -----------------------------------------------------------------------


def _tickets(call, services):
    queryset = Ticket.objects.filter(
        public=True, category_id__in=services.ids_listed_under(services.public)
    ).select_related(
        "category",
        "building",
        "grid",
        "place",
        "owner_place",
        "owner_department",
        "merged_into",
        "open311_submission",
    )
    if call.jurisdiction is not None:
        queryset = queryset.filter(keys.in_jurisdiction_q(call.jurisdiction))
    return queryset


def _when(call, name, end_of_day=False):
    raw = call.param(name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw.replace(" ", "+"))
        if value is None:
            day = parse_date(raw)
            if day is not None:
                value = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
    except ValueError:  # well formed, but no such day or time: 2026-02-30, month 13
        value = None
    if value is None:
        raise Open311Error(
            400,
            _("%(name)s must be a date and time in ISO 8601, e.g. 2026-11-27T00:00:00+08:00.")
            % {"name": name},
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not EARLIEST <= value <= LATEST:
        raise Open311Error(
            400,
            _("%(name)s must lie between the years %(first)s and %(last)s.")
            % {"name": name, "first": EARLIEST.year, "last": LATEST.year},
        )
    return value


def _positive(call, name, default, high):
    raw = call.param(name)
    if not raw:
        return default
    # ASCII digits only: "²" or "٣" pass str.isdigit() and then fail int(), and int() of
    # more than 4,300 digits raises too.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not 1 <= int(raw) <= high:
        raise Open311Error(
            400,
            _("%(name)s must be a whole number from 1 to %(high)s.") % {"name": name, "high": high},
        )
    return int(raw)


def _codes(call, name):
    return [c.strip() for c in call.param(name).split(",") if c.strip()]


@endpoint("requests", methods=("GET", "POST"))
def requests_(call):
    if call.request.method == "POST":
        return _post_request(call)
    services = _services()
    queryset = _tickets(call, services)
    page = _positive(call, "page", 1, 10**6)
    page_size = _positive(call, "page_size", MAX_REQUESTS, MAX_REQUESTS)
    ids = _codes(call, "service_request_id")
    if ids:
        queryset = queryset.filter(code__in=ids)
    else:
        queryset = _filter(call, services, queryset)
    start = (page - 1) * page_size
    tickets = queryset.order_by("-created_at", "-id")[start : start + page_size]
    presenter = documents.Presenter(services)
    return "service_requests", [presenter.request(t) for t in tickets]


def _filter(call, services, queryset):
    codes = _codes(call, "service_code")
    if codes:
        unknown = [c for c in codes if c not in {s.code for s in services.public}]
        if unknown:
            raise Open311Error(
                400,
                *[_("service_code %(c)s is not a service here.") % {"c": c} for c in unknown],
            )
        chosen = [s for s in services.public if s.code in codes]
        queryset = queryset.filter(category_id__in=services.ids_listed_under(chosen))
    statuses = _codes(call, "status")
    if statuses:
        bad = [s for s in statuses if s not in (documents.OPEN, documents.CLOSED)]
        if bad:
            raise Open311Error(
                400, _("status must be open or closed, not %(s)s.") % {"s": ", ".join(bad)}
            )
        if set(statuses) == {documents.CLOSED}:
            queryset = queryset.filter(status__in=FINAL_STATUSES)
        elif set(statuses) == {documents.OPEN}:
            queryset = queryset.exclude(status__in=FINAL_STATUSES)
    start, end = _when(call, "start_date"), _when(call, "end_date", end_of_day=True)
    after, before = _when(call, "updated_after"), _when(call, "updated_before", end_of_day=True)
    if start and end:
        if end < start:
            raise Open311Error(400, _("end_date is before start_date."))
        if end - start > MAX_SPAN:
            raise Open311Error(400, _("start_date to end_date may span at most 90 days."))
    elif start:
        end = start + MAX_SPAN
    elif end:
        start = end - MAX_SPAN
    elif not (after or before):
        end = timezone.now()
        start = end - MAX_SPAN
    if after and before and before < after:
        raise Open311Error(400, _("updated_before is before updated_after."))
    if start:
        queryset = queryset.filter(created_at__gte=start, created_at__lte=end)
    if after:
        queryset = queryset.filter(updated_at__gt=after)
    if before:
        queryset = queryset.filter(updated_at__lt=before)
    return queryset


@endpoint("request")
def request_detail(call, service_request_id):
    services = _services()
    ticket = (
        _tickets(call, services)
        .filter(code=service_request_id)
        .prefetch_related(
            _events_prefetch(),
        )
        .first()
    )
    if ticket is None:
        raise Open311Error(
            404, _("Unknown service_request_id %(id)s.") % {"id": service_request_id}
        )
    return "service_requests", [documents.Presenter(services).request(ticket, notes=True)]


def _events_prefetch():
    from django.db.models import Prefetch

    return Prefetch(
        "events",
        queryset=TicketEvent.objects.select_related("owner_place", "owner_department").order_by(
            "at", "id"
        ),
    )


@endpoint("tokens")
def token(call, token):
    submission = Submission.objects.select_related("ticket__place", "ticket__owner_place").filter(
        token=token
    )
    found = submission.first()
    if found is None or (
        call.jurisdiction is not None
        and found.ticket is not None
        and not Ticket.objects.filter(pk=found.ticket_id)
        .filter(keys.in_jurisdiction_q(call.jurisdiction))
        .exists()
    ):
        raise Open311Error(404, _("Unknown token %(t)s.") % {"t": token})
    return "service_requests", [
        {
            "service_request_id": found.ticket.code if found.ticket else None,
            "token": found.token,
        }
    ]


def _post_request(call):
    key = call.key
    jurisdiction = call.jurisdiction
    if key.jurisdiction_id:
        if jurisdiction is not None and jurisdiction.pk != key.jurisdiction_id:
            raise Open311Error(
                403,
                _("This api_key may only submit requests in jurisdiction %(j)s.")
                % {"j": key.jurisdiction.identifier},
            )
        jurisdiction = key.jurisdiction
    replay = (call.request.headers.get("Idempotency-Key") or "").strip() or None
    if replay and len(replay) > MAX_IDEMPOTENCY_KEY:
        raise Open311Error(
            400,
            _("An Idempotency-Key may have at most %(n)s characters.") % {"n": MAX_IDEMPOTENCY_KEY},
        )
    services = _services()
    public = {c.code: c for c in services.public}
    created = submit.create(
        call.params,
        call.request.FILES,
        key,
        jurisdiction,
        public,
        idempotency_key=replay,
    )
    call.ticket = created.ticket
    ticket = created.ticket
    data = [
        {
            "service_request_id": ticket.code,
            "token": created.submission.token,
            "service_notice": documents.created_notice(ticket, created.reported_point),
            "account_id": None,
        }
    ]
    return "service_requests", data, 201 if created.created else 200


@csrf_exempt
def root(request):
    """The bare /open311/v2/ (and /open311/): a 302 to the discovery document, which lists
    the endpoints, formats and where keys come from. It answered a raw XML 404, which
    told whoever opened it in a browser nothing. JSON when the caller asks for JSON."""
    if request.method not in ("GET", "HEAD"):
        return not_found(request)
    fmt = "json" if "application/json" in request.headers.get("Accept", "") else "xml"
    url = reverse("open311:discovery", kwargs={"fmt": fmt})
    query = request.META.get("QUERY_STRING", "")  # jurisdiction_id, say
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


@csrf_exempt
def not_found(request, path=""):
    """Anything else under /open311/v2/: 404 in the spec's error format (XML unless .json)."""
    last = path.rsplit("/", 1)[-1]
    fmt = last.rsplit(".", 1)[-1].lower() if "." in last else ""
    if fmt in FORMATS:
        error = Open311Error(404, _("There is no %(p)s here; see discovery.xml.") % {"p": path})
    else:
        error = Open311Error(
            404, _("Unknown format in %(p)s: add .xml or .json to the URL.") % {"p": path or "/"}
        )
    raw_key = (request.POST.get("api_key") or request.GET.get("api_key") or "").strip()
    key = keys.find_key(raw_key) if raw_key else None
    keys.log_call(request, key, "unknown", fmt if fmt in FORMATS else "", 404)
    return render_error(fmt, error)
