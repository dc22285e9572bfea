import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_unknown_api_url_answers_bilingual_json_404(client, settings, debug):
    settings.DEBUG = debug
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["message"] == "未找到该资源"
    assert error["message_en"] == "Not found"


@pytest.mark.django_db
def test_bad_token_credentials_answer_bilingual_json(client):
    response = client.post("/api/v1/auth/token/", {"username": "nobody", "password": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "请求参数有误"


@pytest.mark.django_db
def test_token_auth_round_trip(client, django_user_model):
    django_user_model.objects.create_user("alice", password="s3cret-pass!")
    response = client.post("/api/v1/auth/token/", {"username": "alice", "password": "s3cret-pass!"})
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 40


@pytest.mark.django_db
def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"]["status"] == "ok"


@pytest.mark.django_db
def test_openapi_schema_is_valid_openapi_3(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    from openapi_spec_validator import validate

    validate(schema)


@pytest.mark.django_db
def test_api_docs_are_served_without_internet(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html


def _schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


@pytest.mark.django_db
def test_every_operation_lists_the_errors_it_can_answer(client):
    """Views that declared only their 200 (the KPIs, patrols, people …) showed a client
    generated from the schema no 401, 403, 404 or 400, nor the error body."""
    schema = _schema(client)
    responses = schema["paths"]["/api/v1/kpis/units/{code}/"]["get"]["responses"]
    assert {"400", "401", "403", "404"} <= set(responses)
    assert "415" in schema["paths"]["/api/v1/tickets/"]["post"]["responses"]
    body = responses["404"]["content"]["application/json"]["schema"]
    error = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    body_of = schema["components"]["schemas"][error["properties"]["error"]["$ref"].rsplit("/")[-1]]
    assert set(body_of["required"]) == {"code", "message", "message_en"}
    # A paginated list answers 404 for a page past the end.
    assert "404" in schema["paths"]["/api/v1/tickets/"]["get"]["responses"]
    # Declared errors keep their own words; public reads list no 401.
    action = schema["paths"]["/api/v1/tickets/{id}/accept/"]["post"]["responses"]
    assert "allowed_for_you" in action["409"]["description"]
    assert "401" not in schema["paths"]["/api/v1/places/"]["get"]["responses"]
    assert "401" not in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]


@pytest.mark.django_db
def test_the_documented_errors_are_what_the_kpi_endpoint_answers(client, django_user_model):
    from rest_framework.test import APIClient

    assert client.get("/api/v1/kpis/").status_code == 401
    api = APIClient()
    api.force_authenticate(django_user_model.objects.create_user("x", password="pw-for-tests"))
    response = api.get("/api/v1/kpis/units/NOPE/")
    documented = _schema(client)["paths"]["/api/v1/kpis/units/{code}/"]["get"]["responses"]
    assert str(response.status_code) in documented
    assert set(response.json()["error"]) >= {"code", "message", "message_en"}


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_a_post_without_the_trailing_slash_is_sent_on_with_308(client, settings, debug):
    """APPEND_SLASH answered 301 (with DEBUG on, a RuntimeError page): an HTTP client follows
    a 301 with a GET, so a POST meant to file a ticket came back 200 with the list and
    filed nothing. 308 keeps the method and the body."""
    from gridgov.tickets.models import Ticket
    from tests.tickets.factories import make_world, ticket_data

    settings.DEBUG = debug
    world = make_world()
    client.force_login(world.hotline)
    data = ticket_data(category=world.corridor.code)
    response = client.post("/api/v1/tickets", data, content_type="application/json")
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/tickets/"
    assert response.json()["error"]["code"] == "trailing_slash"
    assert not Ticket.objects.exists()
    followed = client.post("/api/v1/tickets", data, content_type="application/json", follow=True)
    assert followed.status_code == 201
    assert Ticket.objects.count() == 1
    # Reads keep Django's redirect; unknown paths stay 404; Open311's paths end in a format.
    assert client.get("/api/v1/tickets").status_code == 301
    assert client.post("/api/v1/no-such-thing").status_code == 404


@pytest.mark.django_db
def test_a_body_the_api_does_not_read_is_the_documented_415(client, django_user_model):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(django_user_model.objects.create_user("x", password="pw-for-tests"))
    response = api.post("/api/v1/tickets/", "<ticket/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert "415" in _schema(client)["paths"]["/api/v1/tickets/"]["post"]["responses"]
