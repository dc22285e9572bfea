"""A blank category is no category: the ticket is classified from its text, as the intake
pages (根据内容自动分类) and the API ("inferred from the text when left out", blank allowed)
mean it. intake.create_ticket went on with "" and crashed in sla._lineage_ids
(AttributeError: 'str' object has no attribute 'pk'); through the API, a 500."""

import pytest

from gridgov.tickets import intake

from .factories import make_world, ticket_data
from .test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db


def test_create_ticket_classifies_a_blank_category_from_the_text():
    world = make_world()
    filed = intake.create_ticket(ticket_data(category=""), actor=world.hotline)
    assert filed.ticket.category is not None  # classified from 楼道堆满杂物 …
    assert filed.suggestions  # … as with no category given at all
    assert filed.ticket.resolve_by is not None


def test_the_api_takes_a_blank_category_as_none_given():
    world = make_world()
    response = client_for(world.hotline).post(TICKETS, ticket_data(category=""), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["category"] is not None
