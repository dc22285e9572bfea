"""An independent client against a live server: `georeport` from PyPI (GETs), and
plain `requests` for POST and tokens, in JSON and XML (client_check.py)."""

# georeport is a dev dependency: when missing, this module fails rather than skips.
import georeport  # noqa: F401
import pytest
import xmltodict  # noqa: F401

from gridgov.tickets.models import Ticket

from .helpers import open311_world


@pytest.fixture
def live_world(transactional_db):
    return open311_world()


def test_georeport_client_against_a_live_server(live_server, live_world):
    from .client_check import check

    w = live_world
    base = f"{live_server.url}/open311/v2"
    created = check(
        base,
        w.raw_key,
        jurisdiction=w.street.code,
        service_code=w.corridor.code,
        location={"lat": "39.905", "long": "116.303"},
        say=lambda line: None,
    )
    assert len(created) == 2
    tickets = Ticket.objects.filter(code__in=created)
    assert {t.channel for t in tickets} == {"wechat"} and {t.grid for t in tickets} == {w.grid_a}
