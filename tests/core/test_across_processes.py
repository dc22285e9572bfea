"""A staff edit made by another process is seen by this one's next request.

The other process is a real `gridgov shell` on the same test database; it knows
nothing of this process's caches, only the version token in the database.
"""

import os
import subprocess
import sys

import pytest
from django.db import connection

from gridgov.core import versions
from gridgov.tickets import routing
from tests.tickets.factories import make_world

pytestmark = pytest.mark.django_db(transaction=True)


def run_elsewhere(code):
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{settings['NAME']}"
    else:
        host = settings["HOST"] or "127.0.0.1"
        login = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
        url = f"postgres://{login}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"
    env = {**os.environ, "GRIDGOV_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "gridgov.manage", "shell", "-c", code],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_a_routing_rule_added_by_another_process_routes_the_next_request():
    w = make_world()
    versions.begin_scope()  # one request: routes by the grid's office, and caches the rules
    try:
        assert routing.route(w.corridor, w.buildings[0]).place == w.grid_a
    finally:
        versions.end_scope()

    run_elsewhere(
        "from gridgov.tickets.models import Category, RoutingRule; "
        "from gridgov.people.models import Department; "
        f"RoutingRule.objects.create(category=Category.objects.get(pk={w.corridor.pk}), "
        f"department=Department.objects.get(pk={w.housing.pk}))"
    )

    versions.begin_scope()  # the next request
    try:
        route = routing.route(w.corridor, w.buildings[0])
    finally:
        versions.end_scope()
    assert route.department == w.housing and route.place is None
