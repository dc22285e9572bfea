"""Settings for bench/intake.py's server: the project's, plus the bare-insert view's URLconf."""

from gridgov.settings import *  # noqa: F403

ROOT_URLCONF = "intake_urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False  # plain HTTP on loopback
SECURE_HSTS_SECONDS = 0
