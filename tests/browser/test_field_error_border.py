"""A number, date, datetime or phone box sent back with an error is outlined in red, as a
text box or a list is (tickets.css's .has-error). tickets.css also styled those four input
types, after its .has-error rule and as specific, so their grey border won: the 0 typed in
办理时限's 签收时限 came back with its error under a box that looked fine. app.css styles
every typed box alike now, and tickets.css no longer repeats it."""

import pytest

from tests.tickets.factories import make_world

from .session import signed_in

pytestmark = pytest.mark.browser

BORDER = "e => getComputedStyle(e).borderTopColor"
RED = """() => { const d = document.createElement("div");
  d.style.borderTop = "1px solid var(--red)"; document.body.append(d);
  const c = getComputedStyle(d).borderTopColor; d.remove(); return c; }"""


@pytest.fixture
def district_staff(transactional_db):
    return make_world().district_staff


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_number_box_sent_back_with_an_error_is_outlined_in_red(
    chromium, live_server, district_staff, artifacts, phone
):
    with signed_in(chromium, live_server.url, district_staff.username, phone=phone) as (
        page,
        errors,
    ):
        page.goto(live_server.url + "/tickets/time-limits/")
        form = page.locator("#time-limit-form")
        form.locator("input[name=accept_value]").fill("0")
        form.locator("input[name=respond_value]").fill("2")
        form.locator("input[name=resolve_value]").fill("5")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        field = page.locator("#time-limit-form .has-error[data-field=accept_value]")
        assert field.count() == 1
        box = field.locator("input[name=accept_value]")
        box.scroll_into_view_if_needed()
        page.screenshot(
            path=str(artifacts / f"field-error-number-{'phone' if phone else 'desktop'}.png"),
            full_page=True,
        )
        red = page.evaluate(RED)
        assert red != "rgb(197, 206, 216)"
        assert box.evaluate(BORDER) == red
        # A box without an error keeps the grey.
        assert page.locator("input[name=respond_value]").evaluate(BORDER) == "rgb(197, 206, 216)"
        assert not errors
