import pytest
from django.contrib.auth import get_user_model
from django.test import Client


@pytest.fixture
def admin_client():
    """A client signed in as a superuser named root (the tickets admin's tests); it stands
    in for pytest-django's, whose user is named admin."""
    user = get_user_model().objects.create(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client
