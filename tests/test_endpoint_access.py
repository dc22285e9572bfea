"""Every URL of the project, called by an anonymous visitor and by a signed-in resident.

The rule (README, DESIGN §8): every endpoint checks the caller's role and place scope,
and personal data is never on a public page. The URL patterns are enumerated from
`get_resolver()` at collection time (admin, DRF router routes, Open311 and the pages
alike), so a URL added later is swept without editing this module; only the short
allow-lists below name URLs, by their URL name.

Each URL is called with GET, and with an empty POST (PUT, PATCH, DELETE) where its view
takes that method; POST also where the view does not say which methods it takes.

- Anonymous: outside `PUBLIC`, the answer is a redirect to a login page, 401 or 403; 404
  only when a path parameter had to be filled with a dummy value, 405 only when the
  answer's Allow header leaves the method out.
- Resident: outside `PUBLIC` and `RESIDENT`, a GET answers 403, 404, a redirect, or an
  API listing with nothing but the resident's own rows (usually none); a write is never
  answered 2xx.
- Both: never a 5xx, and never anyone's personal data in full nor a staff-only record
  (`PERSONAL`, `STAFF_ONLY`), public pages included.

Path parameters are filled with real objects made once for the module (a ticket, a
household, a place code …) where the URL name says which; anything else gets a dummy.
"""

import datetime as dt
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from tests.module_db import built_once

# --- allow-lists ------------------------------------------------------------------------------

# Public for anyone, signed in or not: URL name -> methods. Every other (URL, method) must
# turn an anonymous caller away. Public answers are still checked for 5xx and personal data.
PUBLIC = {
    # Landing page for visitors (web.views.home); after login, the dashboard of the user's
    # own area. The view takes any method and answers a POST like a GET.
    "home": {"GET", "POST"},
    # Signing in and out, on the site and in the admin; logging out nobody changes nothing.
    # (Django's LoginView, a form view, takes PUT like POST.)
    "login": {"GET", "POST", "PUT"},
    "logout": {"POST"},
    "admin:login": {"GET", "POST"},
    "admin:logout": {"POST"},
    # Load-balancer health check: database status only (web.health); any method.
    "healthz": {"GET", "POST"},
    # Django's language switcher (sets a cookie, redirects back).
    "set_language": {"GET", "POST"},
    # Exchanging a username and password for an API token (DRF obtain_auth_token).
    "api-token": {"POST"},
    # OpenAPI schema and Swagger UI: public by design (drf-spectacular's default
    # SERVE_PERMISSIONS, linked from the visitors' navigation); no data, only the API's shape.
    "schema": {"GET"},
    "api-docs": {"GET"},
    # Place geography is public, like a map (places/rules.py: `places.view_place` is
    # always_allow): the places API reads and the place browser pages built on them.
    "place-list": {"GET"},
    "place-geojson": {"GET"},
    "place-lookup": {"GET"},
    "place-detail": {"GET"},
    "web-places": {"GET"},
    "web-place-detail": {"GET"},
    "web-place-children": {"GET"},
    "web-place-panel": {"GET"},
    # Open311 GeoReport v2 reads are public by specification (open311/api.py, docs/open311.md:
    # public categories and publishable tickets only, no personal data); POST needs an api_key.
    "open311:discovery": {"GET"},
    "open311:services": {"GET"},
    "open311:service": {"GET"},
    "open311:requests": {"GET"},
    "open311:request": {"GET"},
    "open311:token": {"GET"},
    # Open311's root (and /open311/): a redirect to discovery.xml; its catch-all: a 404 in the
    # spec's error format, whatever the method.
    "open311:root": {"GET", "POST"},
    "open311-home": {"GET", "POST"},
    "open311:not-found": {"GET", "POST"},
}

# What a signed-in resident may use besides the public URLs: reporting a problem and
# following their own demands (docs/tickets-api.md, 我的诉求). These may answer 200; they are
# still checked for 5xx, personal data and staff-only records (the resident has filed
# nothing of their own, so the 我的诉求 detail URLs, given the fixture's ticket, must 404).
RESIDENT = {
    "me": {"GET"},  # their own roles and permissions (/api/v1/me/)
    "tickets:report": {"GET", "POST"},  # 随手拍: any signed-in user reports a problem
    "ticket-list": {"POST"},  # a demand through the API (`tickets.add_ticket`: signed in)
    "category-tree": {"GET"},  # the category taxonomy a report is filed under
    # The 随手拍 page's helpers (tickets/report.html): category suggestions, address check.
    "tickets:suggest": {"GET"},
    "tickets:address-check": {"GET"},
    # 我的诉求: their own demands only (progress.own_tickets).
    "tickets:mine": {"GET"},
    "ticket-mine": {"GET"},
    # Changing one's own password (Django's PasswordChangeView, which takes PUT like POST;
    # an empty form changes nothing) and the page saying it is done.
    "web-password": {"GET", "POST", "PUT"},
    "web-password-done": {"GET"},
}

# Known leaks: (caller, method, URL name) -> reason, marked xfail(strict=True) so that fixing
# the code makes the test fail until the entry goes. Empty: keep it that way.
KNOWN_LEAKS = {}

# Personal data of people in the fixture, never to be shown in full to these callers.
PERSONAL = {
    "requester name": "司马青山",
    "requester phone": "13577889900",
    "person name": "诸葛明月",
    "person phone": "13466778899",
    "person id number": "110101198001017777",
}

# Staff-only records of the fixture: none of them may reach an anonymous caller or a resident.
STAFF_ONLY = {
    "knowledge-base answer": "请按四分类投放至小区回收点",
    "routing-rule note": "交办备注仅限内部",
    "hot issue": "三号楼楼道反复堆物",
    "patrol task": "消防通道夜间巡查",
    "access-log purpose": "入户核查用途",
    "Open311 key name": "扫描测试应用",
    "what a visit heard": "老人反映家中漏水",
}

DUMMY_INT = "999999"
DUMMY_STR = "zz-no-such-thing"

# --- enumeration ------------------------------------------------------------------------------

ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<regex>(?:[^()\\]|\\.)*)\)")


@dataclass
class Endpoint:
    name: str  # "namespace:name", or "" for unnamed patterns
    template: str  # "/api/v1/people/{pk}/"
    params: dict = field(default_factory=dict)  # name -> regex of an acceptable value
    callback: object = None
    route: str = ""  # as ResolverMatch.route spells it

    @property
    def label(self):
        return ROUTE_PARAM.sub(r"<\g<name>>", self.template.replace("{", "<").replace("}", ">"))


def _template(pattern):
    """(template, {param: value regex}) for one RoutePattern or RegexPattern."""
    text = str(pattern)
    params = {}
    if isinstance(pattern, RoutePattern):  # "people/<int:pk>/"
        for m in ROUTE_PARAM.finditer(text):
            params[m["name"]] = pattern.converters[m["name"]].regex
        return ROUTE_PARAM.sub(r"{\g<name>}", text), params
    # RegexPattern: "^people/(?P<pk>[^/.]+)/$", "^places/?$"
    text = text.removeprefix("^").removesuffix("$")
    for m in REGEX_GROUP.finditer(text):
        params[m["name"]] = m["regex"]
    text = REGEX_GROUP.sub(r"{\g<name>}", text)
    text = text.replace("/?", "/")
    text = re.sub(r"\\(.)", r"\1", text)
    if re.search(r"[\^$*+?()\[\]|]", text):
        raise ValueError(f"cannot turn the URL regex {pattern} into a path; teach _template")
    return text, params


def _join_route(route1, route2):
    # As django.urls.resolvers does for ResolverMatch.route.
    return route1 + (route2[1:] if route2.startswith("^") else route2)


def _walk(patterns, prefix="", params=None, namespace="", route=""):
    params = params or {}
    for p in patterns:
        template, own = _template(p.pattern)
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(
                p.url_patterns,
                prefix + template,
                {**params, **own},
                ns,
                _join_route(route, str(p.pattern)),
            )
        elif isinstance(p, URLPattern):
            yield Endpoint(
                name=f"{namespace}{p.name}" if p.name else "",
                template="/" + prefix + template,
                params={**params, **own},
                callback=p.callback,
                route=_join_route(route, str(p.pattern)),
            )


def _methods(callback):
    """The HTTP methods a view takes, or None when it does not say."""
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route
        return {m.upper() for m in actions}
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is not None:  # a class-based view (DRF APIView or Django View)
        names = getattr(cls, "http_method_names", ())
        return {m.upper() for m in names if m != "options" and hasattr(cls, m)}
    func = callback
    while func is not None:  # decorators: login_required, require_http_methods, open311's
        code = getattr(func, "__code__", None)
        if code is not None and func.__closure__:
            cells = dict(zip(code.co_freevars, func.__closure__, strict=True))
            for var in ("request_method_list", "methods"):
                if var in cells:
                    value = cells[var].cell_contents
                    if isinstance(value, list | tuple | set):
                        return {m.upper() for m in value}
        func = getattr(func, "__wrapped__", None)
    return None


ENDPOINTS = list(_walk(get_resolver().url_patterns))


def _cases():
    cases = []
    for endpoint in ENDPOINTS:
        methods = _methods(endpoint.callback)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            # GET always; a writing method where the view takes it; POST also where the
            # view does not say which methods it takes.
            if method == "GET" or method in (methods or {"POST"}):
                cases.append((endpoint, method))
    return cases


CASES = _cases()


def _params(caller):
    out = []
    for endpoint, method in CASES:
        reason = KNOWN_LEAKS.get((caller, method, endpoint.name))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(endpoint, method, marks=marks, id=f"{method} {endpoint.label}"))
    return out


# --- the world --------------------------------------------------------------------------------


def _build():
    from gridgov.insights.models import HotIssue
    from gridgov.open311 import keys
    from gridgov.open311.models import Submission
    from gridgov.people.models import (
        AccessLog,
        CheckIn,
        Household,
        PartyMember,
        PartyOrganization,
        Person,
        RoleAssignment,
    )
    from gridgov.tickets.models import (
        CalendarDay,
        Channel,
        KnowledgeAnswer,
        PatrolTask,
        RoutingRule,
        TicketPhoto,
        TimeLimit,
        Visit,
    )
    from tests.tickets.factories import make_ticket, make_world

    w = make_world()
    building, grid = w.buildings[0], w.grid_a
    w.household = Household.objects.create(building=building, unit="2", room="301")
    w.person = Person.objects.create(
        name=PERSONAL["person name"],
        phone=PERSONAL["person phone"],
        id_number=PERSONAL["person id number"],
        place=building,
        household=w.household,
    )
    w.branch = PartyOrganization.objects.create(
        name="网格党支部", kind=PartyOrganization.Kind.BRANCH, place=grid
    )
    w.member = PartyMember.objects.create(
        person=w.person,
        organization=w.branch,
        status=PartyMember.Status.IN_SERVICE,
        home_community=w.community,
    )
    w.check_in = CheckIn.objects.create(
        person=w.person, community=w.community, kind=CheckIn.Kind.PARTY_MEMBER
    )
    w.assignment = RoleAssignment.objects.get(user=w.gridworker_a)
    w.access_log = AccessLog.objects.create(
        user=w.street_staff,
        subject_type="people.person",
        subject_id=str(w.person.pk),
        place=building,
        purpose=STAFF_ONLY["access-log purpose"],
    )
    # An Open311 service with a published ticket in it, filed by the hotline for a caller.
    w.corridor.public = True
    w.corridor.save()
    w.ticket = make_ticket(
        w,
        requester_name=PERSONAL["requester name"],
        requester_phone=PERSONAL["requester phone"],
    )
    w.photo = TicketPhoto.objects.create(ticket=w.ticket, image="tickets/none.png")
    w.rule = RoutingRule.objects.filter(category=w.unlicensed).first()
    w.rule.note = STAFF_ONLY["routing-rule note"]
    w.rule.save()
    w.time_limit = TimeLimit.objects.order_by("pk").first()
    w.answer = KnowledgeAnswer.objects.create(
        question="垃圾分类怎么投放？",
        answer=STAFF_ONLY["knowledge-base answer"],
        keywords=["垃圾分类"],
        reviewed_at=timezone.now(),
    )
    w.visit = Visit.objects.create(
        household=w.household,
        visitor=w.gridworker_a,
        role="grid_worker",
        at=timezone.now(),
        heard=STAFF_ONLY["what a visit heard"],
    )
    CalendarDay.objects.update_or_create(
        date=dt.date(2099, 12, 31), defaults={"is_workday": True, "note": "调休"}
    )
    w.patrol = PatrolTask.objects.create(
        grid=grid, title=STAFF_ONLY["patrol task"], checklist=["通道畅通"]
    )
    w.hot_issue = HotIssue.objects.create(
        key="sweep",
        title=STAFF_ONLY["hot issue"],
        place=grid,
        first_at=w.ticket.created_at,
        last_at=w.ticket.created_at,
        ticket_count=3,
        requester_count=3,
        heat=9.0,
        refreshed_at=w.ticket.created_at,
    )
    w.hot_issue.tickets.add(w.ticket)
    w.key, _raw = keys.issue_key(
        "sweep-key-0123456789abcdef", name=STAFF_ONLY["Open311 key name"], channel=Channel.WECHAT
    )
    w.submission = Submission.objects.create(
        token=str(uuid.uuid4()),
        api_key=w.key,
        service=w.corridor,
        ticket=w.ticket,
        created_at=timezone.now(),
    )
    return w


def _values(w):
    """URL name -> {param: a real value}; names missing here get dummies."""
    person, ticket, grid = w.person.pk, w.ticket, w.grid_a.code
    by_name = {
        "person-detail": {"pk": person},
        "person-personal-data": {"pk": person},
        "web-person-detail": {"pk": person},
        "web-person-reveal": {"pk": person},
        "household-detail": {"pk": w.household.pk},
        "tickets:visit-new": {"household": w.household.pk},
        "department-detail": {"pk": w.city_mgmt.pk},
        "party-organization-detail": {"pk": w.branch.pk},
        "party-member-detail": {"pk": w.member.pk},
        "check-in-detail": {"pk": w.check_in.pk},
        "role-assignment-detail": {"pk": w.assignment.pk},
        "access-log-detail": {"pk": w.access_log.pk},
        # A login a street's staff may reset (工作人员账号), not a dummy name.
        "staff-login-reset-password": {"username": w.gridworker_a.username},
        "routing-rule-detail": {"pk": w.rule.pk},
        "tickets:routing-rule": {"pk": w.rule.pk},
        "time-limit-detail": {"pk": w.time_limit.pk},
        "tickets:time-limit": {"pk": w.time_limit.pk},
        "knowledge-detail": {"pk": w.answer.pk},
        "tickets:knowledge-answer": {"pk": w.answer.pk},
        "patrol-records": {"pk": w.patrol.pk},
        "tickets:patrol-task": {"pk": w.patrol.pk},
        "tickets:patrol-walk": {"pk": w.patrol.pk},
        "insights-hot-issue": {"pk": w.hot_issue.pk},
        "insights-hot-issue-decision": {"pk": w.hot_issue.pk},
        "insights:hot-issue": {"pk": w.hot_issue.pk},
        "insights:decide": {"pk": w.hot_issue.pk},
        "open311:key": {"pk": w.key.pk},
        "open311:key-revoke": {"pk": w.key.pk},
        "open311:service": {"code": w.corridor.code},
        "open311:request": {"service_request_id": ticket.code},
        "open311:token": {"token": w.submission.token},
        "ticket-photo": {"pk": ticket.pk, "photo_id": w.photo.pk},
        "tickets:photo": {"code": ticket.code, "pk": w.photo.pk},
        "kpi-unit": {"code": grid},
        "tickets:map-grid": {"code": grid},
        "place-detail": {"code": grid},
        "web-place-detail": {"code": grid},
        "web-place-children": {"code": w.community.code},
        "web-place-panel": {"code": grid},
        "admin:auth_user_password_change": {"id": w.street_staff.pk},
        "admin:view_on_site": {
            "content_type_id": ContentType.objects.get_for_model(type(w.person)).pk,
            "object_id": person,
        },
        "admin:app_list": {"app_label": "people"},
    }
    by_param = {"fmt": "json", "action": "accept", "url": "no/such/page/", "path": "no-such"}
    return by_name, by_param, ticket


def _queries(w):
    """URL name -> GET query: what a URL needs before it would show anything."""
    return {
        "visits-unvisited": {"grid": w.grid_a.code},
        "tickets:suggest": {"description": "垃圾分类怎么投放"},
        "tickets:address-check": {"address": w.buildings[0].address},
    }


def _admin_object_id(endpoint):
    model_admin = getattr(endpoint.callback, "model_admin", None)
    if model_admin is None:
        return None
    obj = model_admin.model._default_manager.order_by("pk").first()
    return obj.pk if obj else None


def _path(endpoint, w):
    """(path, whether a dummy value stood in for some parameter)."""
    by_name, by_param, ticket = w.values
    known = by_name.get(endpoint.name, {})
    values, dummy = {}, False
    for name, regex in endpoint.params.items():
        value = known.get(name)
        if value is None and name in by_param:
            value = by_param[name]
        if value is None and name == "object_id":
            value = _admin_object_id(endpoint)
        # Any other ticket route: the API by id, the pages by code.
        if (
            value is None
            and name in ("pk", "code")
            and endpoint.name.startswith(
                ("ticket-", "tickets:", "insights-duplicates", "insights:ticket-duplicates")
            )
        ):
            value = ticket.pk if name == "pk" else ticket.code
        if value is None:
            dummy = True
            for candidate in (DUMMY_INT, DUMMY_STR, str(uuid.UUID(int=1))):
                if re.fullmatch(regex, candidate):
                    value = candidate
                    break
            else:
                raise ValueError(f"no dummy value for {name} ({regex}) in {endpoint.label}")
        values[name] = str(value)
    path = endpoint.template.format(**values)
    match = resolve(path)
    assert match.route == endpoint.route, (
        f"{path} resolves to {match.route!r}, not {endpoint.route!r}: give it other values"
    )
    return path, dummy


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the whole module, rolled back at its end; each test runs in a
    savepoint inside it (the `db` fixture), so nothing a request writes survives the test."""
    with built_once(django_db_blocker, MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        w = _build()
        w.values = _values(w)
        w.query = _queries(w)
        yield w


# --- checks -----------------------------------------------------------------------------------


def _call(client, method, path, query=None):
    if method == "GET":
        response = client.get(path, query or {})
    elif path.startswith("/api/"):
        response = client.generic(method, path, "{}", content_type="application/json")
    elif method == "POST":
        response = client.post(path, {})
    else:
        response = client.generic(method, path)
    if response.streaming:
        response.body = b"".join(response.streaming_content)
    else:
        response.body = response.content
    return response


def _text(response):
    return response.body.decode("utf-8", errors="replace")


def _describe(response):
    return f"{response.status_code} {response.get('Content-Type', '')} {_text(response)[:300]!r}"


def _assert_nothing_private(response, who):
    text = _text(response)
    for what, value in PERSONAL.items():
        assert value not in text, f"{who} is shown the {what} in full"
    for what, value in STAFF_ONLY.items():
        assert value not in text, f"{who} is shown the {what}"


def _method_not_allowed(response, method):
    allowed = {m.strip().upper() for m in response.get("Allow", "").split(",") if m.strip()}
    return response.status_code == 405 and method not in allowed


def _to_login(client, response):
    """A redirect (or a short chain of them, e.g. /admin/logout/ → /admin/) to a login page."""
    logins = {reverse(settings.LOGIN_URL), reverse("admin:login")}
    for _hop in range(3):
        if response.status_code not in (301, 302, 303, 307, 308):
            return False
        target = urlsplit(response["Location"]).path
        if target in logins:
            return True
        response = client.get(target)
    return False


def _rows(response):
    """The rows of a listing (JSON list, paginated results, GeoJSON features, the data rows
    of a spreadsheet), or None when the answer is not a listing."""
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/json"):
        body = json.loads(response.body)
        if isinstance(body, list):
            return body
        if isinstance(body, dict):
            for key in ("results", "features"):
                if isinstance(body.get(key), list):
                    return body[key]
        return None
    if content_type.startswith("application/vnd.openxmlformats-officedocument.spreadsheetml"):
        # The data is the first sheet; a ticket export's second, 导出说明, says who exported
        # what and when (exports._about), the resident's own name and a count of 0 here.
        book = openpyxl.load_workbook(io.BytesIO(response.body), read_only=True)
        return list(book.worksheets[0].iter_rows())[1:]
    return None


def _own(row, user):
    return isinstance(row, dict) and row.get("user") == user.pk


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "method"), _params("anonymous"))
def test_anonymous_is_turned_away(client, world, endpoint, method):
    path, dummy = _path(endpoint, world)
    response = _call(client, method, path, world.query.get(endpoint.name))
    assert response.status_code < 500, f"{method} {path}: {_describe(response)}"
    _assert_nothing_private(response, f"anonymous {method} {path}")
    if method in PUBLIC.get(endpoint.name, ()):
        return
    refused = (
        response.status_code in (401, 403)
        or (dummy and response.status_code == 404)
        or _method_not_allowed(response, method)
        or _to_login(client, response)
    )
    assert refused, f"anonymous {method} {path} got in: {_describe(response)}"


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "method"), _params("resident"))
def test_resident_gets_no_staff_data(client, world, endpoint, method):
    resident = world.resident
    path, _dummy = _path(endpoint, world)
    client.force_login(resident)
    response = _call(client, method, path, world.query.get(endpoint.name))
    status = response.status_code
    assert status < 500, f"{method} {path}: {_describe(response)}"
    _assert_nothing_private(response, f"resident {method} {path}")
    if method in PUBLIC.get(endpoint.name, ()) or method in RESIDENT.get(endpoint.name, ()):
        return
    if method != "GET":
        # An empty write to a staff URL does nothing: refused, or rejected as invalid.
        assert not 200 <= status < 300, f"resident {method} {path}: {_describe(response)}"
        return
    rows = _rows(response) if status == 200 else None
    refused = (
        status in (302, 303, 403, 404)
        or _method_not_allowed(response, method)
        # An API listing narrowed to the resident's scope: empty, or their own rows only.
        or (rows is not None and all(_own(row, resident) for row in rows))
    )
    assert refused, f"resident {method} {path} got a staff answer: {_describe(response)}"


def test_the_sweep_covers_every_url():
    """The enumeration reaches into every included urlconf, the routers and Open311."""
    labels = {e.label for e in ENDPOINTS}
    names = {e.name for e in ENDPOINTS}
    assert len(ENDPOINTS) > 200
    for expected in (
        "/api/v1/people/<pk>/",
        "/api/v1/tickets/<pk>/accept/",
        "/open311/v2/requests.<fmt>",
        "/admin/people/person/<object_id>/change/",
        "/tickets/<code>/act/<action>/",
        "/",
    ):
        assert expected in labels, expected
    # Every allow-listed name still exists (a renamed URL must not keep a stale entry).
    assert set(PUBLIC) <= names, set(PUBLIC) - names
    assert set(RESIDENT) <= names, set(RESIDENT) - names
    assert {name for _caller, _method, name in KNOWN_LEAKS} <= names
