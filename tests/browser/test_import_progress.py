"""The 12345 import page in Chromium without a broker: the upload of a few thousand rows
answers at once, the progress panel changes as the import (in a thread of the server) gets
on, and the report replaces it."""

import re

import pytest
from playwright.sync_api import expect

from gridgov.tickets import imports
from gridgov.tickets.models import Ticket
from tests.tickets.test_import import rows, write_csv
from tests.tickets.test_import_background import writes_held

from .session import signed_in

pytestmark = pytest.mark.browser

ROWS = 3000
PHASE = re.compile(r"^\S+: \d+ / \d+$")  # "<phase>: <done> / <total>", as with a worker


@pytest.mark.django_db(transaction=True)
def test_the_page_shows_the_progress_of_an_import_then_its_report(
    chromium, live_server, artifacts, settings, tmp_path
):
    from gridgov.tickets.categories import load_taxonomy
    from tests.tickets.factories import make_world

    load_taxonomy()  # an earlier transactional test may have flushed the migration's rows
    world = make_world()
    settings.DATA_DIR = tmp_path / "data"
    settings.GRIDGOV_IMPORT_IN_BACKGROUND = True  # as served: no broker (conftest turns it off)
    assert settings.CELERY_TASK_ALWAYS_EAGER
    path = write_csv(tmp_path / "12345.csv", rows(n=ROWS, bad=False))
    base = live_server.url
    with signed_in(chromium, base, world.street_staff.username) as (page, errors):
        page.goto(base + "/tickets/import/")
        page.set_input_files("input[name=file]", str(path))
        progress = page.locator("#import-progress")
        # Another import runs (one at a time): the upload answers, the page waits with it.
        with imports.one_at_a_time():
            page.click("#submit-import")
            expect(progress).to_contain_text("等待导入开始")
        # Checked, it waits to write while the database is held: the panel says how far.
        with writes_held():
            expect(progress.locator("p")).to_have_text(PHASE)
            page.screenshot(path=artifacts / "import-progress.png", full_page=True)
            assert not Ticket.objects.exists()
        report = page.locator("#import-report")
        expect(report).to_contain_text(f"已导入 {ROWS} 件工单", timeout=60_000)
        expect(progress).to_have_count(0)
        assert not errors
    assert Ticket.objects.filter(created_by=world.street_staff).count() == ROWS
