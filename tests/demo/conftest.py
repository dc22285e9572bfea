import pytest

DEMO_LIMIT = 40


@pytest.fixture(autouse=True)
def _small_demo(settings):
    # The full demo takes a while; the shape is the same with 40 messages per sample.
    settings.GRIDGOV_DEMO_TICKET_LIMIT = DEMO_LIMIT
