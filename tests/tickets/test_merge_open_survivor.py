"""A ticket is merged only into one still being handled: merged into a resolved (or closed)
one, its requester was called back with that ticket's reply though nobody handled their
demand (lifecycle.merge_refusal)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.tickets import lifecycle

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def resolved_and_duplicate(world):
    survivor = make_ticket(world)
    lifecycle.perform(survivor, "accept", world.gridworker_a)
    lifecycle.perform(survivor, "resolve", world.gridworker_a, reply="已清理")
    return survivor, make_ticket(world, requester_phone="13900001111")


def test_a_ticket_is_not_merged_into_a_resolved_or_closed_one(world):
    survivor, duplicate = resolved_and_duplicate(world)
    version = duplicate.version
    with pytest.raises(lifecycle.InvalidTransition) as caught:
        lifecycle.perform(duplicate, "merge", world.hotline, into=survivor.code)
    assert survivor.code in caught.value.message and "已办结" in caught.value.message
    duplicate.refresh_from_db()
    assert duplicate.status == "dispatched" and duplicate.version == version
    assert duplicate.merged_into_id is None
    assert not survivor.events.filter(action=lifecycle.MERGE_IN).exists()
    lifecycle.perform(survivor, "callback", world.hotline, resolved=True, satisfaction="satisfied")
    assert survivor.status == "closed"
    with pytest.raises(lifecycle.InvalidTransition):
        lifecycle.perform(duplicate, "merge", world.hotline, into=survivor.code)


def test_api_merge_into_a_resolved_ticket_is_a_409_naming_why(world):
    survivor, duplicate = resolved_and_duplicate(world)
    client = APIClient()
    client.force_authenticate(world.hotline)
    answer = client.post(
        f"/api/v1/tickets/{duplicate.pk}/merge/", {"into": survivor.code}, format="json"
    )
    assert answer.status_code == 409
    assert survivor.code in answer.json()["error"]["detail"]["reason"]
    duplicate.refresh_from_db()
    assert duplicate.status == "dispatched"


def test_the_merge_form_refuses_a_resolved_ticket_beside_the_field(client, world):
    survivor, duplicate = resolved_and_duplicate(world)
    client.force_login(world.hotline)
    answer = client.post(
        reverse("tickets:act", args=[duplicate.code, "merge"]),
        {"merge-version": duplicate.version, "merge-into": survivor.code.lower()},
        HTTP_HX_REQUEST="true",
    )
    # Said beside the code typed, by the form: no merge is tried.
    html = answer.content.decode()
    errors = html[html.index('<div class="field-errors">') :]
    assert survivor.code in errors[: errors.index("</div>")]
    assert "仍在办理" in errors[: errors.index("</div>")]
    duplicate.refresh_from_db()
    assert duplicate.status == "dispatched"
