"""导入地点 as a street office reads it: a broken GeoJSON file and a grid boundary that
crosses itself were explained in the parser's English on the Chinese page
("文件不是有效的 JSON：Expecting value: line 1 column 44 (char 43)",
"几何图形无效：Self-intersection[0.5 0.5]")."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from gridgov.places import io

from .test_io import BOWTIE, feature

pytestmark = pytest.mark.django_db


def test_a_broken_geojson_file_says_where_in_chinese(client):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x"))
    upload = SimpleUploadedFile("网格.geojson", b'{"type": "FeatureCollection",\n "features": [')
    html = client.post("/places/import/", {"file": upload}).content.decode()
    assert "文件不是有效的 JSON：第 2 行第 15 列有误。" in html
    assert "Expecting" not in html


def test_a_self_crossing_boundary_is_explained_in_chinese(tree):
    data = {"type": "FeatureCollection", "features": [feature("G9", "x", "grid", "C1", BOWTIE)]}
    with translation.override("zh-hans"):
        report = io.import_places(json.dumps(data).encode(), "geojson")
        messages = [str(e.message) for e in report.errors if e.kind == "bad_geometry"]
    assert messages == ["几何图形无效：边界自相交，位置约在 0.5 0.5"]


def test_a_reason_geos_gives_that_is_not_listed_is_shown_as_given():
    with translation.override("zh-hans"):
        assert io._invalidity_text("Something new[1 2]") == "Something new[1 2]"
        assert io._invalidity_text("Nested shells") == "一个多边形套在另一个多边形里"
