"""Pages render, in Chinese by default and in English when chosen."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def choose_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    return response


def test_landing_page_is_chinese_by_default(client, city):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "gridgov 网格治理" in html
    assert "党建引领" in html
    assert "登录" in html
    # Navigation: 首页, 地图与网格; no admin link for anonymous users, nor 人员, which would
    # only lead them to the login. The API docs are not in their menu but the landing page
    # names them for integrators.
    for label in ("首页", "地图与网格", "接口文档"):
        assert label in html
    assert 'href="/admin/"' not in html
    assert 'href="/people/"' not in html
    assert 'href="/api/docs/"' in html


def test_landing_page_in_english_when_chosen(client, city):
    choose_english(client)
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "gridgov Grid Governance" in html
    assert "Map and grids" in html
    assert "Log in" in html
    assert "网格治理" not in html


def test_english_comes_from_the_switcher_not_the_browser(client, city):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Map and grids" not in html
    client.cookies["django_language"] = "en"
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Map and grids" in html


def test_language_switch_posts_to_set_language(client, city):
    html = client.get("/places/").content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert 'name="language" value="en"' in html
    assert 'name="next" value="/places/"' in html


def test_login_page_and_login(client, city):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名" in html and "密码" in html
    response = client.post(
        "/login/", {"username": "gridworker", "password": city.password}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert response.context["user"] == city.grid_worker


def test_wrong_password_is_refused_in_chinese(client, city):
    response = client.post("/login/", {"username": "gridworker", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_logout_is_a_post(client, city):
    client.force_login(city.grid_worker)
    html = client.get("/").content.decode()
    assert 'action="/logout/" method="post"' in html
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_dashboard_shows_roles_and_counts_in_scope(client, city):
    client.force_login(city.community_staff)
    response = client.get("/")
    html = response.content.decode()
    assert "我的工作台" in html
    assert "社区工作者" in html or "Community staff" in html
    assert "幸福社区" in html
    counts = response.context["counts"]
    assert counts == {"communities": 1, "grids": 2, "buildings": 2}
    assert response.context["people_count"] == 2
    chart = response.context["chart"]
    assert sorted(chart["labels"]) == ["幸福一网格", "幸福二网格"]
    assert "echarts.min.js" in html


def test_dashboard_of_grid_worker(client, city):
    client.force_login(city.grid_worker)
    response = client.get("/")
    assert response.context["counts"] == {"communities": 0, "grids": 1, "buildings": 1}
    assert response.context["people_count"] == 1
    assert response.context["chart"] is None  # one grid: no chart


def test_dashboard_of_volunteer_has_no_people_count(client, city):
    client.force_login(city.volunteer)
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["people_count"] is None
    # A volunteer serves in the community but does not govern it: no area counts.
    assert response.context["counts"] is None
    html = response.content.decode()
    assert 'href="/admin/"' not in html
    assert 'href="/people/"' not in html
    # The map still opens at their community, with nothing marked as theirs.
    response = client.get("/places/")
    assert response.context["focus"] == city.c1
    assert response.context["map"]["scope_grids"] == []
    assert "is-scope" not in response.content.decode()


def test_staff_see_admin_link(client, city):
    client.force_login(city.admin)
    html = client.get("/").content.decode()
    assert 'href="/admin/"' in html
    assert "管理后台" in html


def test_admin_is_in_chinese(client, city):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    html = response.content.decode()
    # Named as the platform's, not Django's (h15's walk: "Django 管理" above the sign-in).
    assert "gridgov 网格治理 · 系统管理" in html and "Django" not in html
    client.force_login(city.admin)
    html = client.get("/admin/").content.decode()
    assert "gridgov 网格治理 · 系统管理" in html and "数据与设置" in html


def test_place_browser_renders_tree_and_map(client, city):
    response = client.get("/places/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "地图与网格" in html
    assert "示范区" in html
    assert 'id="place-map"' in html
    assert "vendor/leaflet/leaflet.js" in html
    assert "vendor/htmx/htmx.min.js" in html
    # Nothing from outside: no CDN, no tiles, no web fonts.
    assert "https://" not in html and "http://" not in html


def test_place_browser_opens_the_users_scope(client, city):
    client.force_login(city.grid_worker)
    response = client.get("/places/")
    html = response.content.decode()
    # The tree is opened down to the grid worker's grid, which is marked as theirs.
    assert "幸福一网格" in html
    assert "is-scope" in html
    assert "我的" in html
    assert response.context["map"]["scope_grids"] == ["G1"]
    assert response.context["focus"] == city.g1
    # The map draws the grids of the grid's community, and its buildings.
    assert "under=C1" in response.context["map"]["grids_url"]


def test_place_children_partial_for_htmx(client, city):
    response = client.get(reverse("web-place-children", args=["C1"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "幸福一网格" in html and "幸福二网格" in html
    assert "团结一网格" not in html
    assert "<html" not in html
    assert 'hx-get="/places/G1/children/"' in html


def test_place_detail_page(client, city):
    response = client.get("/places/G1/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "G1" in html
    assert "网格" in html
    assert "一网格" in html  # alias
    assert "幸福一网格党支部" in html
    # Ancestors breadcrumb, root first.
    assert html.index("示范区") < html.index("和平街道") < html.index("幸福社区")


def test_place_panel_partial(client, city):
    response = client.get("/places/C1/panel/")
    html = response.content.decode()
    assert "<html" not in html
    assert "幸福社区党委" in html
    assert "和平路1号" in html


def test_unknown_place_is_a_chinese_404(client, city):
    response = client.get("/places/NOPE/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_map_reads_grids_and_buildings_from_the_places_api(client, city):
    context = client.get("/places/?focus=G1").context["map"]
    assert context["grids_url"] == "/api/v1/places/geojson?level=grid&under=C1"
    grids = client.get(context["grids_url"], HTTP_ACCEPT="application/json").json()
    assert grids["type"] == "FeatureCollection"
    assert sorted(f["properties"]["code"] for f in grids["features"]) == ["G1", "G2"]
    buildings = client.get(context["buildings_url"], HTTP_ACCEPT="application/json").json()
    points = {f["properties"]["code"]: f["geometry"] for f in buildings["features"]}
    assert points["B1"] == {"type": "Point", "coordinates": [112.9612, 28.1811]}
    # At district level the map draws grids only.
    context = client.get("/places/?focus=D1").context["map"]
    assert context["buildings_url"] is None


def test_static_files_are_served(client, city):
    for path in (
        "/static/web/app.css",
        "/static/web/placemap.js",
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/echarts/echarts.min.js",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        b"".join(response.streaming_content) if response.streaming else response.content


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["status"] == "ok"
    assert data["database"]["status"] == "ok"
    assert data["database"]["vendor"] in {"sqlite", "postgresql"}
