"""Fixes from a walk of the demo as its users would: the home page of a building's
micro-grid worker counted "0 网格" (its area lies below any grid)."""

import re

import pytest
from django.contrib.auth import get_user_model

from gridgov.people.models import Role, RoleAssignment
from tests.conftest import _password_hash

pytestmark = pytest.mark.django_db


def stats(html):
    return dict(
        (label, int(n))
        for n, label in re.findall(
            r'<span class="stat__value">(\d+)</span><span class="stat__label">([^<]+)</span>', html
        )
    )


def test_a_building_workers_home_page_counts_no_grids_it_cannot_have(client, city):
    user = get_user_model().objects.create(username="micro", password=_password_hash())
    RoleAssignment.objects.create(user=user, role=Role.MICRO_GRID_WORKER, place=city.b1)
    client.force_login(user)
    counts = stats(client.get("/").content.decode())
    assert counts.get("楼栋") == 1 and "网格" not in counts and "社区" not in counts
    # A grid worker still counts their grid.
    client.force_login(city.grid_worker)
    assert stats(client.get("/").content.decode())["网格"] == 1
