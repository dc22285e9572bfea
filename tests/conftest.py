import datetime as dt
import os
from functools import cache
from types import SimpleNamespace

import pytest

from gridgov.core import versions

PASSWORD = "test-pass-123"

# GRIDGOV_TEST_NOW=2026-12-01T02:30:00+08:00 runs the whole session as if started at that
# moment, the clock ticking on from there (Python's clock only: time.time, datetime.now,
# timezone.now; not PostgreSQL's now(), which our code does not use, nor that of other
# processes: Chromium's JavaScript, `gridgov` subprocesses). Unset: the real clock. It finds
# the tests that pass only at some hours or days (docs/testing.md).
TEST_NOW = "GRIDGOV_TEST_NOW"
_traveller = None


def clock_moment():
    """The moment GRIDGOV_TEST_NOW names (aware), or None when it is unset or empty."""
    value = os.environ.get(TEST_NOW, "").strip()
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise pytest.UsageError(
            f"{TEST_NOW}={value!r}: not an ISO moment, e.g. 2026-12-01T02:30:00+08:00"
        ) from None
    if moment.tzinfo is None:
        # A moment without an offset would be read in the machine's zone: say which.
        raise pytest.UsageError(f"{TEST_NOW}={value!r}: give the offset (+08:00 or Z)")
    return moment


def pytest_configure(config):
    global _traveller
    moment = clock_moment()
    if moment is not None:
        import time_machine

        _traveller = time_machine.travel(moment, tick=True)
        _traveller.start()


def pytest_unconfigure(config):
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None


def pytest_report_header(config):
    moment = clock_moment()
    if moment is not None:
        return f"{TEST_NOW}: clock moved to {moment.isoformat()} (ticking)"


@cache
def _password_hash():
    """Hash the shared test password once: PBKDF2 per user would dominate test time."""
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default hasher spends ~0.3 s per password on purpose; tests make and sign in many
    # logins (a browser test's live server checks each sign-in with it too).
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _media_and_data_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _imports_in_the_request(settings):
    # The import page's uploads run in a thread of their own when there is no broker
    # (tickets/imports.py, run_in_background): its database connection does not see what a
    # test wrote in the transaction the test runs in. The tests of the page run them in the
    # request; tests/tickets/test_import_background.py turns it on (transactional tests).
    settings.GRIDGOV_IMPORT_IN_BACKGROUND = False


@pytest.fixture(autouse=True)
def _no_request_scope_left_open():
    # The test client sends request_finished only once a streamed response (a photo,
    # an export) is read to the end; a test that only checks its status leaves the
    # request's version scope open in this thread for the tests after it.
    yield
    versions.begin_request()  # the outermost scope, whatever was left open …
    versions.end_scope()  # … and its end


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    # LocaleMiddleware activates a request's language in the thread and leaves it there: a
    # test calling with Accept-Language: en left English for the tests after it, which
    # check the Chinese messages code writes outside any request (an import's report).
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


def _square(lng, lat, size=0.004):
    ring = [
        [lng, lat],
        [lng + size, lat],
        [lng + size, lat + size],
        [lng, lat + size],
        [lng, lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def make_city():
    """A small place tree with people and logins, built straight from the models.

    示范区 D1 › 和平街道 S1 › 幸福社区 C1 (grids G1, G2) and 团结社区 C2 (grid G3);
    one building per grid, one resident per building; a grid worker of G1, a
    second grid worker of G2, community staff of C1, a volunteer of C1.
    """
    from django.contrib.auth import get_user_model

    from gridgov.people.models import (
        Household,
        PartyOrganization,
        Person,
        Role,
        RoleAssignment,
    )
    from gridgov.places.models import Level, Place

    def place(code, name, level, parent=None, **extra):
        return Place.objects.create(code=code, name=name, level=level, parent=parent, **extra)

    district = place("D1", "示范区", Level.DISTRICT)
    street = place("S1", "和平街道", Level.STREET, district)
    c1 = place("C1", "幸福社区", Level.COMMUNITY, street, address="和平路1号")
    c2 = place("C2", "团结社区", Level.COMMUNITY, street)
    g1 = place(
        "G1", "幸福一网格", Level.GRID, c1, boundary=_square(112.960, 28.180), aliases=["一网格"]
    )
    g2 = place("G2", "幸福二网格", Level.GRID, c1, boundary=_square(112.964, 28.180))
    g3 = place("G3", "团结一网格", Level.GRID, c2, boundary=_square(112.960, 28.184))
    b1 = place(
        "B1", "幸福里1栋", Level.BUILDING, g1, lat=28.1811, lng=112.9612, address="幸福路1号"
    )
    b2 = place("B2", "幸福里9栋", Level.BUILDING, g2, lat=28.1813, lng=112.9667)
    b3 = place("B3", "团结苑3栋", Level.BUILDING, g3, lat=28.1852, lng=112.9611)

    household = Household.objects.create(building=b1, unit="1", room="101")
    zhang = Person.objects.create(
        name="张三丰",
        phone="13812341234",
        id_number="110101199001011234",
        place=b1,
        household=household,
        relation=Person.Relation.HEAD,
        lives_alone_elderly=True,
    )
    li = Person.objects.create(name="李四海", phone="13987654321", place=b2)
    wang = Person.objects.create(name="王五岳", phone="13700001111", place=b3)
    PartyOrganization.objects.create(
        name="幸福社区党委", kind=PartyOrganization.Kind.COMMITTEE, place=c1
    )
    PartyOrganization.objects.create(
        name="幸福一网格党支部", kind=PartyOrganization.Kind.BRANCH, place=g1
    )

    User = get_user_model()

    def login(username, role=None, where=None, **extra):
        user = User.objects.create(username=username, password=_password_hash(), **extra)
        if role:
            RoleAssignment.objects.create(user=user, role=role, place=where)
        return user

    return SimpleNamespace(
        district=district,
        street=street,
        c1=c1,
        c2=c2,
        g1=g1,
        g2=g2,
        g3=g3,
        b1=b1,
        b2=b2,
        b3=b3,
        zhang=zhang,
        li=li,
        wang=wang,
        grid_worker=login("gridworker", Role.GRID_WORKER, g1, first_name="网格员小刘"),
        grid_worker2=login("gridworker2", Role.GRID_WORKER, g2),
        community_staff=login("community", Role.COMMUNITY_STAFF, c1),
        volunteer=login("volunteer", Role.VOLUNTEER, c1),
        cadre=login("cadre", Role.CADRE, g1),
        admin=login("admin", is_staff=True, is_superuser=True),
        password=PASSWORD,
    )


@pytest.fixture
def city(db):
    return make_city()


@pytest.fixture
def live_city(transactional_db):
    """`city` committed to the database, for live_server and browser tests."""
    return make_city()
