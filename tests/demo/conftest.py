import pytest


@pytest.fixture(autouse=True)
def _small_demo(settings):
    # The full demo takes a while; the shape is the same with 40 messages per sample.
    settings.GRIDGOV_DEMO_TICKET_LIMIT = 40
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
