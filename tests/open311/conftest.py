import pytest


@pytest.fixture
def client():
    """API calls in English, so the tests read the messages they check (Chinese is the
    default; test_error_descriptions_follow_accept_language checks it). Staff pages stay
    Chinese: the site ignores Accept-Language outside the APIs."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")
