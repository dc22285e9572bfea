import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Tests make many logins; PBKDF2 per login would dominate their run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
