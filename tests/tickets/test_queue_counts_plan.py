"""The queue page's tab counts read a desk's merged tickets' chains once (PostgreSQL's plans;
SQLite has no planner to ask).

The counts were one aggregate over the queue with a FILTER per tab, each repeating the parts
it comes from: the desk's merged tickets awaiting a callback (lifecycle.merged_callback_q, an
EXISTS per merge hop) came five times, fifteen subplans to compile and plan for every street
or district page (about half of the counts' 150–250 ms on 200,000 tickets). Each part of the
queue now says which tabs its rows are in (queues.tab_counts)."""

import re

import pytest
from django.db import connection

from gridgov.tickets.lifecycle import LISTED_MERGE_HOPS
from tests.tickets.factories import make_ticket, make_world
from tests.tickets.plans import plans

pytestmark = pytest.mark.django_db

# A read of the callbacks table (a bitmap's index scan aside: its heap scan is the read).
CALLBACKS_READ = re.compile(r"Scan (?:using \S+ )?on tickets_callback\b")


@pytest.fixture
def world():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans: the suite runs on it too (CI)")
    w = make_world()
    make_ticket(w)
    return w


@pytest.mark.parametrize("login", ["street_staff", "district_staff", "hotline"])
def test_a_queue_page_reads_the_merged_tickets_callbacks_once_a_hop(client, world, login):
    client.force_login(getattr(world, login))

    def run():
        assert client.get("/tickets/?tab=all").status_code == 200

    found = plans(run)
    for plan in found:
        # One scan of the callbacks per merge hop: the desk part of the queue, once.
        assert len(CALLBACKS_READ.findall(plan)) <= LISTED_MERGE_HOPS, plan
    assert any(CALLBACKS_READ.search(plan) for plan in found)  # the desk was counted
