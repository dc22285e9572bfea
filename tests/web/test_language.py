import pytest

pytestmark = pytest.mark.django_db


def test_pages_are_chinese_even_for_an_english_browser(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in html


def test_english_once_chosen_with_the_switcher(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="en"' in html


def test_api_still_negotiates_accept_language(client):
    response = client.get("/api/v1/places/lookup?lat=x&lng=1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["error"]["message_en"]
    assert response["Content-Language"] == "en"
