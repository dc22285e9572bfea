"""The classifier page's 立即重新训练 says it is at work while the POST runs: the walks never
saw 训练中… because training in the demo ends before anyone looks. Here the task is held
for a few seconds, and the button is looked at while the request is still out."""

import json
import threading
import time

import pytest
from playwright.sync_api import expect

from tests.browser.session import signed_in
from tests.tickets.factories import make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _Pending:
    def ready(self):
        return False


def test_the_retrain_button_shows_it_is_training_while_the_request_runs(
    chromium, live_server, monkeypatch
):
    from gridgov.insights import tasks

    world = make_world()
    release, posted = threading.Event(), threading.Event()

    def slow_delay(**kwargs):  # the live server's thread: hold the POST until looked at
        posted.set()
        release.wait(10)
        return _Pending()

    monkeypatch.setattr(tasks.retrain, "delay", slow_delay)
    with signed_in(chromium, live_server.url, world.district_staff.username) as (page, errors):
        page.goto(live_server.url + "/insights/classifier/")
        button = page.locator("form[data-busy] button[type=submit]")
        expect(button).to_be_enabled()
        label = button.text_content().strip()
        # Playwright waits for a navigation under way before it reads the page, so the page
        # writes down, as it happens, what its button shows (localStorage outlives the page).
        page.evaluate(
            """() => {
              localStorage.removeItem("retrain-busy");
              const b = document.querySelector("form[data-busy] button[type=submit]");
              new MutationObserver(() => {
                if (!b.disabled) return;
                localStorage.setItem("retrain-busy", JSON.stringify({
                  at: Date.now(), disabled: b.disabled, text: b.textContent.trim(),
                  busy: b.form.getAttribute("aria-busy"),
                  cursor: getComputedStyle(b).cursor,
                  opacity: getComputedStyle(b).opacity}));
              }).observe(b.form, {attributes: true, childList: true, subtree: true,
                                  characterData: true});
            }"""
        )
        page.once("dialog", lambda dialog: dialog.accept())
        button.click(no_wait_after=True)
        try:
            assert posted.wait(5), "the form was not sent"
            time.sleep(1)  # the request is still out: the server holds it
        finally:
            answered_at = time.time() * 1000
            release.set()
        page.wait_for_load_state()
        expect(page.locator(".messages, [role=status], .message").first).to_be_visible()
        state = json.loads(page.evaluate("() => localStorage.getItem('retrain-busy')") or "null")
        assert state is not None, "the button never changed"
        assert state["at"] < answered_at  # while the request ran
        assert (state["disabled"], state["text"], state["busy"]) == (
            True,
            "正在训练…请勿关闭本页",
            "true",
        )
        # And looks it: dimmed, with the busy cursor (a disabled button looked as before).
        assert (state["cursor"], float(state["opacity"])) == ("progress", 0.7)
        # Back from the server, the new page's button is as before.
        expect(page.locator("form[data-busy] button[type=submit]")).to_have_text(label)
        assert errors == []
