"""GET /api/v1/access-logs/?seen=contacts|address: the reveals of a name, phone or ID number
apart from the address views a ticket's page logs for its holding unit on every visit,
as the page 个人信息查看记录 filters them (查看内容)."""

import pytest

from gridgov.people.models import AccessLog, Role

from .factories import user_with_role
from .utils import ids

pytestmark = pytest.mark.django_db

URL = "/api/v1/access-logs/"


def _log(tree, fields, subject_type="tickets.ticket", channel=AccessLog.Channel.WEB):
    return AccessLog.objects.create(
        subject_type=subject_type, subject_id="1", fields=fields, channel=channel, place=tree.b1
    )


def test_seen_splits_the_log_into_reveals_and_address_views(api, tree):
    address = [_log(tree, ["address"]), _log(tree, ["address"], channel=AccessLog.Channel.API)]
    name_and_address = _log(tree, ["requester_name", "address"])
    phone = _log(tree, ["requester_phone"], channel=AccessLog.Channel.API)
    id_number = _log(tree, ["id_number"], subject_type="people.person")
    client = api(user_with_role(Role.STREET_STAFF, tree.s1))
    contacts = {name_and_address.pk, phone.pk, id_number.pk}
    assert ids(client.get(URL)) == contacts | {log.pk for log in address}
    assert ids(client.get(URL, {"seen": "contacts"})) == contacts
    assert ids(client.get(URL, {"seen": "address"})) == {log.pk for log in address}
    # With the other filters.
    assert ids(client.get(URL, {"seen": "address", "channel": "api"})) == {address[1].pk}
    assert ids(client.get(URL, {"seen": "contacts", "channel": "api"})) == {phone.pk}


def test_a_kind_not_offered_is_refused(api, tree):
    _log(tree, ["address"])
    response = api(user_with_role(Role.STREET_STAFF, tree.s1)).get(URL, {"seen": "names"})
    assert response.status_code == 400
    assert "seen" in response.content.decode()


def test_the_schema_documents_the_kinds(api, tree):
    schema = api(user_with_role(Role.STREET_STAFF, tree.s1)).get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert schema.status_code == 200, schema.status_code
    params = schema.json()["paths"]["/api/v1/access-logs/"]["get"]["parameters"]
    (seen,) = [p for p in params if p["name"] == "seen"]
    assert seen["schema"]["enum"] == ["address", "contacts"]
