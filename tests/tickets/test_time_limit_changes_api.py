"""GET /api/v1/time-limit-changes/: the time limits' change record (who changed which limit,
when, to what and from what; a district's return to the city's), read through the API as on
the time-limit page. Scoped as the limits are: the city's changes and your district's."""

import pytest

from gridgov.tickets import sla

from .test_api import client_for
from .test_api_settings import limit_body
from .test_time_limit_districts import URL, limit, world  # noqa: F401 (pytest fixture)

pytestmark = pytest.mark.django_db
CHANGES = "/api/v1/time-limit-changes/"


def test_the_change_record_lists_saves_and_returns_newest_first_in_scope(world):  # noqa: F811
    staff = client_for(world.district_staff)
    saved = staff.post(URL, limit_body(world, place="D1"), format="json")
    assert saved.status_code == 201
    sla.follow_city(world.district_staff, world.district, "全区统一按全市时限")
    limit(7, place=world.district2)
    values = {"urgency": "general", "category": None, "accept": [9, "hours"]}
    sla.record_change("saved", world.district2_staff, world.district2, [values])
    sla.record_change("saved", world.root, None, [values], reason="全市调整")

    rows = staff.get(CHANGES).json()["results"]
    # The city's change and D1's own two; D2's is not theirs to read.
    assert [(r["action"], r["district"]) for r in rows] == [
        ("saved", None),
        ("follows_city", "D1"),
        ("saved", "D1"),
    ]
    city, back, first = rows
    assert city["changed_by"] == "root" and city["limits"] == [values]
    assert back["changed_by"] == "district" and back["reason"] == "全区统一按全市时限"
    assert back["district_name"] == world.district.name
    assert [v["accept"] for v in back["limits"]] == [first["limits"][0]["accept"]]
    assert first["before"] == [] and first["limits"][0]["urgency"] == saved.json()["urgency"]

    # A grid worker of D1 reads the record of the limits their tickets run on.
    grid = client_for(world.gridworker_a).get(CHANGES)
    assert grid.status_code == 200 and grid.json()["count"] == 3
    # The other district's staff see theirs and the city's; a superuser every one.
    other = client_for(world.district2_staff).get(CHANGES).json()["results"]
    assert [r["district"] for r in other] == [None, "D2"]
    assert len(client_for(world.root).get(f"{CHANGES}?district=D1").json()["results"]) == 2
    assert client_for(world.root).get(f"{CHANGES}?action=follows_city").json()["count"] == 1


def test_the_change_record_is_read_only_and_refuses_unknown_parameters(world):  # noqa: F811
    staff = client_for(world.district_staff)
    assert staff.post(CHANGES, {}, format="json").status_code == 405
    refused = staff.get(f"{CHANGES}?distrct=D1")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "unknown_parameter"
    assert client_for(None).get(CHANGES).status_code in (401, 403)
