"""An intake's statements are converted for PostgreSQL once per process (gridgov.core.db):
psycopg kept the conversion only for statements of at most 50 parameters, and the ticket
with its first events is one statement of more."""

from unittest import mock

import pytest
from django.db import connection

from tests.tickets.factories import make_world, ticket_data
from tests.tickets.test_api import TICKETS, client_for

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's statements")
def test_an_intake_converts_no_statement_anew():
    from psycopg import _queries

    world = make_world()
    client = client_for(world.hotline)

    def intake():
        response = client.post(TICKETS, ticket_data(category=world.corridor.code), format="json")
        assert response.status_code == 201, response.content

    intake()  # the first converts each statement once
    # Server-side binding (connections kept, as served) and client-side (these tests).
    with (
        mock.patch.object(_queries, "_query2pg_nocache", wraps=_queries._query2pg_nocache) as a,
        mock.patch.object(
            _queries, "_query2pg_client_nocache", wraps=_queries._query2pg_client_nocache
        ) as b,
    ):
        intake()
    assert a.call_count + b.call_count == 0
