"""WSGI entry for bench/intake.py's server (gunicorn or waitress)."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "intake_settings"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
