"""Drive an Open311 endpoint the way a new user would: the `georeport` client from
PyPI for what it covers (services, definitions, requests), plain `requests` for
what it does not (POST and tokens), in JSON and in XML.

    python -m tests.open311.client_check http://127.0.0.1:8899/open311/v2 gridgov-demo-open311-key

The test suite runs it against a live server (test_independent_client.py).
"""

import sys

import requests
import xmltodict
from georeport import GeoReport


def check(base, api_key, jurisdiction=None, service_code=None, location=None, say=print):
    """Returns the service_request_ids it created; raises AssertionError on a mismatch."""
    created = []
    for fmt in ("json", "xml"):
        client = GeoReport(base, jurisdiction=jurisdiction, api_key=api_key, output_format=fmt)
        services = client.get_service_list()
        assert isinstance(services, list) and services, services
        codes = [s["service_code"] for s in services]
        code = service_code or codes[0]
        assert code in codes
        service = next(s for s in services if s["service_code"] == code)
        say(f"[{fmt}] {len(services)} services; using {code} {service['service_name']}")

        definition = client.get_service_definition(code)
        attributes = definition["attributes"]
        if fmt == "xml":  # xmltodict: <attributes><attribute>… is a dict holding a list
            attributes = attributes["attribute"]
        assert {a["code"] for a in attributes} >= {"urgency", "nature"}, attributes
        say(f"[{fmt}] definition of {code}: attributes {[a['code'] for a in attributes]}")

        form = {
            "api_key": api_key,
            "service_code": code,
            "description": f"路灯不亮，晚上很黑（{fmt} client check）",
            "attribute[nature]": "report",
            "attribute[urgency]": "general",
        }
        form.update(location or {})
        if jurisdiction:
            form["jurisdiction_id"] = jurisdiction
        response = requests.post(f"{base}/requests.{fmt}", data=form, timeout=30)
        assert response.status_code == 201, response.text
        if fmt == "json":
            answer = response.json()[0]
        else:
            answer = xmltodict.parse(response.content)["service_requests"]["request"]
        request_id, token = answer["service_request_id"], answer["token"]
        created.append(request_id)
        say(f"[{fmt}] POST requests → {request_id} (token {token}): {answer['service_notice']}")

        response = requests.get(f"{base}/tokens/{token}.{fmt}", timeout=30)
        assert response.status_code == 200, response.text
        if fmt == "json":
            resolved = response.json()[0]["service_request_id"]
        else:
            resolved = xmltodict.parse(response.content)["service_requests"]["request"][
                "service_request_id"
            ]
        assert resolved == request_id
        say(f"[{fmt}] GET tokens/{token} → {resolved}")

        one = client.get_service_request(request_id)
        assert one["service_request_id"] == request_id and one["status"] == "open", one
        say(f"[{fmt}] GET requests/{request_id}: {one['status']}, {one['agency_responsible']}")

        listed = client.get_service_requests(service_code=code, status="open")
        if isinstance(listed, dict):  # xmltodict gives a dict for a single <request>
            listed = [listed]
        assert request_id in [r["service_request_id"] for r in listed]
        by_id = client.get_service_requests(service_request_id=request_id)
        by_id = [by_id] if isinstance(by_id, dict) else by_id
        assert [r["service_request_id"] for r in by_id] == [request_id]
        say(f"[{fmt}] GET requests?service_code={code}&status=open: {len(listed)} requests")

        response = requests.post(
            f"{base}/requests.{fmt}", data={**form, "api_key": "wrong"}, timeout=30
        )
        assert response.status_code == 403
        if fmt == "json":
            error = response.json()[0]
        else:
            error = xmltodict.parse(response.content)["errors"]["error"]
        assert str(error["code"]) == "403"
        say(f"[{fmt}] POST with a wrong key → 403 {error['description']}")
    return created


if __name__ == "__main__":
    base, key = sys.argv[1].rstrip("/"), sys.argv[2]
    jurisdiction = sys.argv[3] if len(sys.argv) > 3 else None
    ids = check(base, key, jurisdiction, location={"address_string": "魏家坡小区3栋"})
    print("OK:", ", ".join(ids))
