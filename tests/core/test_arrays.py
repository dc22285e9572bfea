"""core.arrays.any_of: a column among many ids as one parameter (PostgreSQL)."""

import pytest
from django.db import connection

from gridgov.core.arrays import any_of
from gridgov.places.models import Level, Place

pytestmark = pytest.mark.django_db


def _places(n):
    return Place.objects.bulk_create(
        [Place(code=f"D{i}", name=f"区{i}", level=Level.DISTRICT, path=f"/D{i}/") for i in range(n)]
    )


def test_the_same_rows_as_in():
    made = _places(6)
    ids = [p.pk for p in made[::2]] + [10**9]
    found = Place.objects.filter(any_of("id", ids))
    assert sorted(found.values_list("pk", flat=True)) == sorted(p.pk for p in made[::2])
    assert not Place.objects.filter(any_of("id", [])).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's arrays")
def test_five_thousand_ids_are_one_parameter():
    ids = list(range(1, 5001))
    sql, params = Place.objects.filter(any_of("id", ids)).query.sql_with_params()
    assert "= ANY(" in sql and params == (ids,)
