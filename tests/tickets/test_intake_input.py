"""Checking an intake's input with the serializer its thread keeps
(TicketCreateSerializer.validated) answers as a new serializer would, call after call, and
keeps DRF's own messages (the surrogate check is a regex first)."""

import json

import pytest

from gridgov.tickets.serializers import TicketCreateSerializer

from .factories import make_world, ticket_data
from .test_api import TICKETS, client_for

GOOD = ticket_data(category="C01")
PAYLOADS = [
    GOOD,
    {**GOOD, "title": "x" * 201},
    {**GOOD, "channel": "pigeon", "urgency": "soon"},
    {**GOOD, "title": "路灯\ud800坏了"},  # a lone surrogate (JSON "\ud800")
    {**GOOD, "description": "楼道\udfff", "address": "a\x00b"},
    {**GOOD, "lat": 39.9},  # without lng
    {**GOOD, "answer": "开放时间周一至周五"},  # not a consultation
    {**GOOD, "nature": "consult", "answer": "开放时间周一至周五", "lat": 39.9, "lng": 116.3},
    {**GOOD, "anonymous": "yes", "knowledge_answer": "seven", "lat": "north"},
    {"channel": "hotline"},
    GOOD,
]


def _fresh(data):
    serializer = TicketCreateSerializer(data=data)
    serializer.is_valid()
    return serializer.validated_data, serializer.errors


def test_the_kept_serializer_answers_as_a_new_one_call_after_call():
    for data in PAYLOADS + PAYLOADS[::-1]:
        validated, errors = TicketCreateSerializer.validated(data)
        expected_data, expected_errors = _fresh(data)
        assert validated == expected_data
        assert json.dumps(errors, ensure_ascii=False) == json.dumps(
            expected_errors, ensure_ascii=False
        )
    kept = TicketCreateSerializer._kept_for_input.serializer
    assert not {"initial_data", "_validated_data", "_errors"} & set(kept.__dict__)


def test_surrogates_are_refused_with_drfs_message():
    _data, errors = TicketCreateSerializer.validated({**GOOD, "title": "路灯\ud83d坏了"})
    assert errors["title"][0].code == "surrogate_characters_not_allowed"
    assert "U+D83D" in str(errors["title"][0])
    validated, errors = TicketCreateSerializer.validated({**GOOD, "title": "路灯😀坏了"})
    assert not errors and validated["title"] == "路灯😀坏了"  # a real character, not a half


@pytest.mark.django_db
def test_the_api_refuses_a_lone_surrogate_in_a_title():
    world = make_world()
    body = json.dumps({**ticket_data(category=world.corridor.code), "title": "路灯\ud800坏了"})
    assert "\\ud800" in body
    response = client_for(world.hotline).post(TICKETS, body, content_type="application/json")
    assert response.status_code == 400
    assert "title" in response.json()["error"]["detail"]
