"""The demo's logins are not made to change their password at first sign-in: they all
share the published password gridgov-demo that every visitor of the demo signs in with
(README), so one visitor changing it would lock the next out (people.passwords)."""

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.demo import seed
from gridgov.people.models import InitialPassword

pytestmark = pytest.mark.django_db


def test_demo_logins_sign_in_straight_to_their_pages():
    seed.build_demo()
    assert not InitialPassword.objects.exists()
    for username in ("admin", "street", "gridworker"):
        client = Client()
        response = client.post(
            reverse("login"), {"username": username, "password": seed.DEMO_PASSWORD}
        )
        assert response.status_code == 302
        assert client.get("/tickets/").status_code == 200
