"""The bare /open311/v2/ and /open311/, opened in a browser or by a client exploring by hand,
lead to the discovery document instead of a raw XML 404."""

import pytest

from .helpers import BASE, parse_json, parse_xml, xml_errors

pytestmark = pytest.mark.django_db

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("url", [BASE, "/open311/"])
def test_the_bare_root_leads_a_browser_to_discovery_xml(client, url):
    response = client.get(url, HTTP_ACCEPT=BROWSER)
    assert response.status_code == 302
    assert response.url == f"{BASE}discovery.xml"
    discovery = parse_xml(client.get(response.url))
    assert discovery.tag == "discovery"
    assert discovery.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2"


def test_a_client_asking_for_json_gets_discovery_json(client):
    response = client.get(BASE, {"jurisdiction_id": "QF-WJ"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 302
    assert response.url == f"{BASE}discovery.json?jurisdiction_id=QF-WJ"
    assert client.get(f"{BASE}discovery.json").status_code == 200
    assert "endpoints" in parse_json(client.get(f"{BASE}discovery.json"))


def test_a_post_to_the_root_is_still_the_specs_404(client):
    assert xml_errors(client.post(BASE), 404)
