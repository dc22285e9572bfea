"""WSGI entry for bench/intake.py's server (gunicorn or waitress): the project's own
entry (with its garbage-collector settings), under the bench's settings."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "intake_settings"

from gridgov.wsgi import application  # noqa: E402, F401
