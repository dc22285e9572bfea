import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.people.models import Role
from gridgov.places.models import Place

from .factories import make_tree, square
from .test_io import collection, feature

pytestmark = pytest.mark.django_db

PLACES = "/api/v1/places/"
LOOKUP = "/api/v1/places/lookup"
IMPORT = "/api/v1/places/import/"


def codes(response):
    body = response.json()
    items = body["results"] if "results" in body else body["features"]
    return {i["code"] if "code" in i else i["properties"]["code"] for i in items}


# --- reading ------------------------------------------------------------------------


def test_anonymous_can_list_places(api, tree):
    response = api.get(PLACES)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 8 and len(body["results"]) == 8
    grid = next(p for p in body["results"] if p["code"] == "G1a")
    assert grid["parent"] == "C1" and grid["path"] == "/D1/S1/C1/G1a/"
    assert grid["boundary"] == square(116.30, 39.90) and grid["aliases"] == ["魏家坡"]
    assert set(grid) == {"code", "name", "level", "parent", "path", "boundary", "lat", "lng",
                         "address", "aliases"}  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=grid", {"G1a", "G1b"}),
        ("parent=C1", {"G1a", "G1b"}),
        ("under=G1a", {"G1a", "B1a3", "B1a5"}),
        ("under=NOPE", set()),
        ("code=B1b3", {"B1b3"}),
        ("q=幸福里", {"G1b", "B1b3"}),
        ("level=building&under=C1", {"B1a3", "B1a5", "B1b3"}),
    ],
)
def test_list_filters(api, tree, query, expected):
    assert codes(api.get(f"{PLACES}?{query}")) == expected


def test_bad_filter_value_is_400(api, tree):
    response = api.get(f"{PLACES}?level=planet")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_detail_has_ancestors_and_children(api, tree):
    body = api.get(f"{PLACES}G1a/").json()
    assert [a["code"] for a in body["ancestors"]] == ["D1", "S1", "C1"]
    assert [c["code"] for c in body["children"]] == ["B1a3", "B1a5"]
    assert body["children"][0] == {"code": "B1a3", "name": "3栋", "level": "building"}


def test_unknown_code_is_404(api, tree):
    response = api.get(f"{PLACES}NOPE/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_geojson_layer(api, tree):
    response = api.get(f"{PLACES}geojson/?level=grid&under=C1")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert codes(response) == {"G1a", "G1b"}
    assert body["features"][0]["geometry"]["type"] == "Polygon"


# --- lookups --------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LOOKUP, LOOKUP + "/"])
def test_point_lookup(api, tree, url):
    response = api.get(url, {"lat": 39.905, "lng": 116.305})
    assert response.status_code == 200
    body = response.json()
    assert body["match"] == "inside" and body["distance_m"] == 0
    assert body["grid"]["code"] == "G1a"
    assert [a["code"] for a in body["ancestors"]] == ["D1", "S1", "C1"]


def test_point_lookup_nearest(api, tree):
    body = api.get(LOOKUP, {"lat": 39.8996, "lng": 116.305}).json()
    assert body["match"] == "nearest" and body["grid"]["code"] == "G1a"
    assert 0 < body["distance_m"] < 150


def test_point_outside_is_404_in_both_languages(api, tree):
    response = api.get(LOOKUP, {"lat": 31.23, "lng": 121.47})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "outside_area"
    assert error["message"] == "不在本辖区范围内"
    assert error["message_en"] == "Outside our area"
    assert error["detail"]["distance_m"] > 1_000_000


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"lat": "abc", "lng": "116.3"},
        {"lat": "95", "lng": "116.3"},
        {"lat": "39.9", "lng": "-181"},
        {"lat": "39.9"},
        {"lat": "nan", "lng": "116.3"},
        {"lat": "39.9", "lng": "116.3", "address": "魏家坡小区3栋"},
        {"address": ""},
    ],
)
def test_malformed_lookup_is_400(api, tree, params):
    response = api.get(LOOKUP, params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_address_lookup(api, tree):
    response = api.get(LOOKUP, {"address": "魏家坡小区三号楼2单元"})
    assert response.status_code == 200
    body = response.json()
    assert body["building"]["code"] == "B1a3" and body["grid"]["code"] == "G1a"
    assert [a["code"] for a in body["ancestors"]] == ["D1", "S1", "C1", "G1a"]
    assert body["ambiguous"] is False
    assert body["candidates"][0] == {
        "place": {"code": "B1a3", "name": "3栋", "level": "building", "address": "魏家坡小区3栋"},
        "score": 1.0,
    }


def test_ambiguous_address_lists_candidates(api, tree):
    make_tree("2", district=tree.district, origin=(116.40, 39.90))
    body = api.get(LOOKUP, {"address": "魏家坡3#楼"}).json()
    assert body["building"] is None and body["ambiguous"] is True
    assert {c["place"]["code"] for c in body["candidates"]} == {"B1a3", "B2a3"}


def test_unknown_address_is_404(api, tree):
    response = api.get(LOOKUP, {"address": "长安街9号楼"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "no_building"
    assert error["message"] == "未找到匹配的楼栋"


def test_an_address_in_a_district_not_ours_is_404_outside_area(api, tree):
    response = api.get(LOOKUP, {"address": "北京市朝阳区建国路88号楼"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "outside_area" and error["detail"] == {"region": "北京市朝阳区"}


# --- import and permissions -------------------------------------------------------------


def upload(data, name="places.geojson"):
    return {"file": SimpleUploadedFile(name, data)}


def new_grid(parent="C1", code="G7"):
    return collection(feature(code, "新网格", "grid", parent, square(116.33, 39.90)))


def test_anonymous_cannot_import(api, tree):
    response = api.post(IMPORT, upload(new_grid()), format="multipart")
    assert response.status_code == 401
    assert not Place.objects.filter(code="G7").exists()


def test_resident_cannot_import(api, resident):
    api.force_authenticate(resident)
    response = api.post(IMPORT, upload(new_grid()), format="multipart")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_street_staff_imports_inside_their_street(api, street_staff):
    api.force_authenticate(street_staff)
    response = api.post(IMPORT, upload(new_grid()), format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "format": "geojson", "total": 1, "created": 1, "updated": 0, "unchanged": 0,
        "warnings": [],
    }  # fmt: skip
    assert Place.objects.get(code="G7").path == "/D1/S1/C1/G7/"


def test_the_answer_carries_the_warnings_that_did_not_stop_the_import(api, street_staff):
    # G1a spans 39.90–39.91; 39.9102 is about 22 m north of its edge: imported, with a warning.
    api.force_authenticate(street_staff)
    pin = {"type": "Point", "coordinates": [116.305, 39.9102]}
    data = collection(feature("B1a7", "7栋", "building", "G1a", pin))
    response = api.post(IMPORT, upload(data), format="multipart", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] == 1 and Place.objects.filter(code="B1a7").exists()
    [warning] = body["warnings"]
    assert {k: warning[k] for k in ("row", "code", "field", "column", "kind")} == {
        "row": 1, "code": "B1a7", "field": "lat", "column": "纬度", "kind": "outside_grid"
    }  # fmt: skip
    assert warning["message"].startswith("楼栋位于所属网格 G1a 的边界外 22 米；已导入")


def test_street_staff_cannot_import_outside_their_street(api, tree, street_staff):
    other = make_tree("2", district=tree.district, origin=(116.40, 39.90))
    api.force_authenticate(street_staff)
    data = collection(
        feature("G7", "新网格", "grid", "C1", square(116.33, 39.90)),
        feature("G8", "别处网格", "grid", other.community.code, square(116.43, 39.90)),
        feature("S2", "改名街道", "street", "D1"),
        feature("D9", "新区", "district"),
    )
    response = api.post(IMPORT, upload(data), format="multipart")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden_places"
    assert [(d["row"], d["code"]) for d in error["detail"]] == [(2, "G8"), (3, "S2"), (4, "D9")]
    assert not Place.objects.filter(code__in=["G7", "G8", "D9"]).exists()
    assert Place.objects.get(code="S2").name == "学院路街道"


def test_street_staff_cannot_move_a_grid_out_of_their_street(api, tree, street_staff):
    other = make_tree("2", district=tree.district, origin=(116.40, 39.90))
    api.force_authenticate(street_staff)
    data = collection(
        feature("G1a", "魏家坡小区", "grid", other.community.code, square(116.3, 39.9))
    )
    assert api.post(IMPORT, upload(data), format="multipart").status_code == 403
    assert Place.objects.get(code="G1a").parent == tree.community


def test_district_staff_may_import_in_the_district(api, tree, make_user):
    user = make_user("district", Role.DISTRICT_STAFF, tree.district)
    api.force_authenticate(user)
    data = collection(feature("S7", "新街道", "street", "D1"))
    assert api.post(IMPORT, upload(data), format="multipart").status_code == 200


def test_superuser_may_create_a_district(api, superuser):
    api.force_authenticate(superuser)
    csv_data = "code,name,level,parent_code\nD7,朝阳区,district,\n".encode()
    response = api.post(IMPORT, upload(csv_data, "places.csv"), format="multipart")
    assert response.status_code == 200 and response.json()["format"] == "csv"


def test_invalid_rows_are_400_with_rows_and_nothing_written(api, street_staff):
    api.force_authenticate(street_staff)
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    data = collection(
        feature("G7", "新网格", "grid", "C1", square(116.33, 39.90)),
        feature("G8", "坏网格", "grid", "C1", bowtie),
        feature("G7", "重复", "grid", "C1"),
    )
    response = api.post(IMPORT, upload(data), format="multipart")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_import"
    assert error["message_en"] == "The file has errors; nothing was written"
    assert {(d["row"], d["kind"]) for d in error["detail"]} == {
        (2, "bad_geometry"),
        (3, "duplicate_code"),
    }
    assert not Place.objects.filter(code__in=["G7", "G8"]).exists()


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "map.png"), (b"just some text", "notes.txt"),
     (json.dumps({"type": "Point", "coordinates": [1, 2]}).encode(), "p.geojson")],
)  # fmt: skip
def test_non_place_files_are_400(api, street_staff, data, name):
    api.force_authenticate(street_staff)
    response = api.post(IMPORT, upload(data, name), format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"


def test_missing_file_is_400(api, street_staff):
    api.force_authenticate(street_staff)
    response = api.post(IMPORT, {}, format="multipart")
    assert response.status_code == 400


def test_oversized_upload_is_413(api, street_staff, settings):
    settings.GRIDGOV_MAX_IMPORT_BYTES = 100
    api.force_authenticate(street_staff)
    response = api.post(IMPORT, upload(new_grid()), format="multipart")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not Place.objects.filter(code="G7").exists()


def test_reads_do_not_allow_writes(api, superuser, tree):
    api.force_authenticate(superuser)
    assert api.delete(f"{PLACES}G1a/").status_code == 405
    assert api.post(PLACES, {}).status_code == 405


def test_schema_describes_the_place_views(api):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path in ("/api/v1/places/", "/api/v1/places/{code}/", "/api/v1/places/geojson/",
                 "/api/v1/places/lookup/", "/api/v1/places/import/"):  # fmt: skip
        assert path in paths, sorted(paths)
    lookup_params = {p["name"] for p in paths["/api/v1/places/lookup/"]["get"]["parameters"]}
    assert lookup_params == {"lat", "lng", "address"}
    list_params = {p["name"] for p in paths["/api/v1/places/"]["get"]["parameters"]}
    assert {"level", "parent", "under", "code", "q", "page"} <= list_params
    assert (
        "multipart/form-data" in paths["/api/v1/places/import/"]["post"]["requestBody"]["content"]
    )
    result = schema["components"]["schemas"]["ImportResult"]
    assert result["properties"]["warnings"]["items"] == {
        "$ref": "#/components/schemas/ImportProblem"
    }
    assert "column" in schema["components"]["schemas"]["ImportProblem"]["properties"]


def test_concurrent_change_is_409_and_writes_nothing(api, street_staff, monkeypatch):
    from django.db import IntegrityError

    from gridgov.places import io

    def clash(tree, report, progress):
        Place.objects.create(
            code="G7", name="抢先", level="grid", parent=Place.objects.get(code="C1")
        )
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(io, "_write", clash)
    api.force_authenticate(street_staff)
    response = api.post(IMPORT, upload(new_grid()), format="multipart")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert not Place.objects.filter(code="G7").exists()
