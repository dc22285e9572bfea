"""The English UI ("English available", settings.LANGUAGES) of the pages outside the
tickets app: in English no Chinese may be left but the data, so the data here is ASCII
(places named "Elm Street" ...) and any CJK character in a page is a leak of UI text."""

import re

import pytest
from django.contrib.auth import get_user_model

from gridgov.people.models import (
    Household,
    PartyOrganization,
    Person,
    Role,
    RoleAssignment,
)
from gridgov.places.models import Level, Place
from tests.conftest import _password_hash

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
# The language switcher names Chinese in Chinese, whatever the page's language; the
# brand's mark is the glyph 格 (aria-hidden); a grid's option in the people list is
# indented under its community with an ideographic space.
ALLOWED = {"简体中文", "格", "\u3000"}
# Left on the home page by the tickets app's dashboard cards: none since their subtitles
# (接诉即办, 网格巡查 · 入户走访) are translated (tests/tickets/test_english_pages.py).
TICKETS_APP = set()
# The import pages (places, staff, departments) are left out on purpose: they name the
# Chinese column headers and values of the sheets they read, which are data formats.


def square(lng, lat, size=0.004):
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def town(db):
    def place(code, name, level, parent=None, **extra):
        return Place.objects.create(code=code, name=name, level=level, parent=parent, **extra)

    district = place("D1", "Riverside District", Level.DISTRICT)
    street = place("S1", "Elm Street", Level.STREET, district)
    community = place("C1", "Oak Community", Level.COMMUNITY, street, address="1 Oak Road")
    grid = place("G1", "Oak Grid One", Level.GRID, community, boundary=square(112.96, 28.18))
    building = place("B1", "Oak Court 1", Level.BUILDING, grid, lat=28.1811, lng=112.9612)
    household = Household.objects.create(building=building, unit="1", room="101")
    person = Person.objects.create(
        name="Ann Smith",
        phone="13812341234",
        id_number="110101199001011234",
        place=building,
        household=household,
        relation=Person.Relation.HEAD,
        lives_alone_elderly=True,
    )
    PartyOrganization.objects.create(
        name="Oak Party Committee", kind=PartyOrganization.Kind.COMMITTEE, place=community
    )
    User = get_user_model()

    def login(username, role=None, where=None, **extra):
        user = User.objects.create(username=username, password=_password_hash(), **extra)
        if role:
            RoleAssignment.objects.create(user=user, role=role, place=where)
        return user

    return dict(
        district=district,
        street=street,
        community=community,
        grid=grid,
        building=building,
        person=person,
        admin=login("admin", is_staff=True, is_superuser=True),
        street_staff=login("streetstaff", Role.STREET_STAFF, street, first_name="Bob"),
        grid_worker=login("gridworker", Role.GRID_WORKER, grid, first_name="Carl"),
    )


def leaks(html):
    return sorted({m.group() for m in CJK.finditer(html)} - ALLOWED - TICKETS_APP)


PAGES = {
    "admin": [
        "/",
        "/places/",
        "/places/D1/",
        "/places/G1/",
        "/places/B1/",
        "/places/G1/children/",
        "/places/G1/panel/",
        "/people/",
        "/people/?place=C1",
        "/people/access-log/",
        "/people/staff/",
        "/people/{person}/",
        "/password/",
        "/password/done/",
        "/insights/hot/",
        "/insights/classifier/",
        "/insights/duplicates/intake/",
        "/no-such-page/",
    ],
    "street_staff": [
        "/",
        "/places/S1/",
        "/people/",
        "/people/access-log/",
        "/people/staff/",
        "/people/{person}/",
        "/insights/hot/",
        "/insights/classifier/",
    ],
    "grid_worker": [
        "/",
        "/places/",
        "/places/G1/",
        "/people/",
        "/people/{person}/",
        "/insights/hot/",
        "/insights/duplicates/intake/",
    ],
}


@pytest.mark.parametrize("who", PAGES)
def test_no_chinese_ui_text_is_left_on_english_pages(client, town, who):
    client.force_login(town[who])
    client.cookies["django_language"] = "en"
    found = {}
    for page in PAGES[who]:
        url = page.format(person=town["person"].pk)
        response = client.get(url)
        assert response.status_code in (200, 404), url
        html = response.content.decode()
        assert "<html" not in html or '<html lang="en">' in html, url
        if leaks(html):
            found[url] = leaks(html)
    assert found == {}


def test_the_same_pages_stay_chinese_in_chinese(client, town):
    client.force_login(town["admin"])
    html = client.get("/").content.decode()
    assert "未诉先办" in html
    html = client.get("/people/").content.decode()
    assert "Oak Community（居村）" in html
    html = client.get("/people/access-log/").content.decode()
    assert "联系方式与证件（姓名、电话、身份证号…）" in html
