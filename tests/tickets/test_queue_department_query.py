"""A queue page reads the departments serving the user's area once: the parts of the queue
(queues._parts) are worked out once per request, on the scope scope_for caches for it. The
page, its menu, its counts, its tab filters, its list and its order each asked for them, and
each time read the departments again (10 times a page for a street's staff)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.people.models import Department
from gridgov.tickets import queues
from gridgov.tickets.models import Status, Ticket

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


def _department_reads(queries):
    return [q["sql"] for q in queries if 'FROM "people_department"' in q["sql"]]


@pytest.fixture
def world():
    w = make_world()
    make_ticket(w)  # at grid A's owner: in the street's and the community's queues
    # A department serving the street, holding a resolved ticket nobody could place: the
    # street's desk calls its requester back (rules._where), read through the ids.
    w.street_department = Department.objects.create(code="JD", name="街道城管队", place=w.street)
    unplaced = make_ticket(w, address="魏家坡小区2号楼")
    Ticket.objects.filter(pk=unplaced.pk).update(
        place=None,
        grid=None,
        building=None,
        owner_place=None,
        owner_department=w.street_department,
        status=Status.RESOLVED,
    )
    w.unplaced = unplaced
    return w


@pytest.mark.parametrize(
    ("login", "reads"),
    [("street_staff", 1), ("district_staff", 1), ("hotline", 1), ("city_handler", 0)],
)
def test_a_queue_page_reads_the_departments_once(client, world, login, reads):
    # A department handler sits at no desk and is above no unit: nothing to read.
    client.force_login(getattr(world, login))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/tickets/")
    assert response.status_code == 200
    assert len(_department_reads(queries)) == reads
    # And every tab's page, as the page links them.
    for tab in queues.TAB_NAMES:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/tickets/?tab={tab}").status_code == 200
        assert len(_department_reads(queries)) == reads, tab


def test_the_ids_read_once_still_bring_the_unplaced_ticket(client, world):
    client.force_login(world.street_staff)
    response = client.get("/tickets/?tab=callback")
    assert [t.pk for t in response.context["page"].object_list] == [world.unplaced.pk]
    counts = {tab["name"]: tab["count"] for tab in response.context["tabs"]}
    assert counts["callback"] == 1
