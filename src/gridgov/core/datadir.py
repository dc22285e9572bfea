"""Where a `gridgov` command keeps its data, said on the commands that write.

Without GRIDGOV_DATA_DIR the data directory is ./var of whatever directory the command
runs in, so a second terminal elsewhere sees an empty street (or starts a new one). The
commands that write say where the data is in one line on stderr (stdout stays the
command's own), and those that expect a street already there warn when its database is
fresh and empty.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

# Commands that write to the database or the data directory.
WRITING = {
    "beat",
    "changepassword",
    "classify",
    "createsuperuser",
    "demo",
    "departments",
    "flush",
    "hotissues",
    "loaddata",
    "migrate",
    "people",
    "places",
    "serve",
    "sweep",
    "tickets",
}
# Commands (with their subcommand) that expect the street's data to be there already.
EXPECTING_DATA = {
    ("serve",),
    ("sweep",),
    ("people", "import"),
    ("places", "import"),
    ("departments", "import"),
}


def before_command(argv, stream=None):
    """Say where the data of `argv`'s command is, and warn if it should be there but is not."""
    stream = stream or sys.stderr
    words = argv[1:3]  # the command is the first word, as for Django; then its action
    if not words or words[0] not in WRITING or {"-h", "--help"} & set(argv):
        return
    with translation.override(settings.LANGUAGE_CODE):
        stream.write(where() + "\n")
        if any(tuple(words[: len(e)]) == e for e in EXPECTING_DATA) and is_empty():
            stream.write(
                _(
                    "Warning: this database holds no places yet, no street is there. If your "
                    "street's data is in another directory, set GRIDGOV_DATA_DIR to it."
                )
                + "\n"
            )


def where():
    """One line: the data directory, and the database if it is not in there."""
    line = _("Data directory: %(path)s") % {"path": settings.DATA_DIR}
    if "GRIDGOV_DATA_DIR" not in os.environ:
        line += _(" (GRIDGOV_DATA_DIR not set: ./var of the current directory)")
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        # Name and host only: the URL may hold a password.
        url = urlsplit(os.environ.get("GRIDGOV_DATABASE_URL", ""))
        line += _("; database: %(name)s on %(host)s") % {
            "name": db.get("NAME"),
            "host": url.hostname or db.get("HOST") or "localhost",
        }
    return line


def is_empty():
    """Whether the database is fresh: not created, not migrated, or without any place."""
    from django.db import DatabaseError, connection

    from gridgov.places.models import Place

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3" and not Path(str(db["NAME"])).exists():
        return True  # and no file made just by looking
    try:
        if Place._meta.db_table not in connection.introspection.table_names():
            return True
        return not Place.objects.exists()
    except DatabaseError:
        return True
