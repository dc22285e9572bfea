"""A street office's walk of its settings pages (found walking the demo as 望江街道): the
Open311 key form, in Chromium at a desktop's and a phone's width."""

import pytest

from tests.tickets.factories import make_world

from .session import signed_in

pytestmark = pytest.mark.browser

BOX = """e => { const s = getComputedStyle(e);
  return [s.borderTopWidth, s.borderTopStyle, s.borderRadius, s.paddingLeft, s.fontSize,
          Math.round(e.getBoundingClientRect().height), Math.round(e.getBoundingClientRect().width)]; }"""


@pytest.fixture
def street_staff(transactional_db):
    return make_world().street_staff


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_open311_rate_limit_field_looks_like_the_others(
    chromium, live_server, street_staff, artifacts, phone
):
    # 每分钟请求数 is a number input, styled only on the tickets pages (tickets.css): on
    # the key page it was the browser's own, a thin box a third as tall as 应用 above it.
    with signed_in(chromium, live_server.url, street_staff.username, phone=phone) as (page, errors):
        page.goto(live_server.url + "/open311/v2/keys/")
        name = page.locator("input[name=name]").evaluate(BOX)
        rate = page.locator("input[name=rate_limit]").evaluate(BOX)
        page.screenshot(
            path=str(artifacts / f"open311-keys-{'phone' if phone else 'desktop'}.png"),
            full_page=True,
        )
        assert rate == name
        assert not errors
