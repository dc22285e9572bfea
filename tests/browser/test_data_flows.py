"""Street and district staff's data pages in a browser: the classifier's retrain."""

import pytest

from .session import signed_in

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_retraining_says_it_is_at_work_and_takes_no_second_click(chromium, live_server, tmp_path):
    """Training runs for a minute or more while the old page stays on screen, unchanged:
    staff clicked again, and each click trained one more version."""
    from gridgov.insights.models import ModelActivation, ModelVersion
    from tests.tickets.factories import make_world

    world = make_world()
    version = ModelVersion.objects.create(
        version=1, path=str(tmp_path), fingerprint="cd1f535b97950d", examples=10, active=True
    )
    ModelActivation.objects.create(version=version, version_number=1, how="first")
    with signed_in(chromium, live_server.url, world.district_staff.username) as (page, errors):
        page.goto(live_server.url + "/insights/classifier/")
        # The training is held, and answered after a look at the page taken by the page
        # itself (Playwright waits for a pending navigation before it reads a page).
        held = []
        page.route("**/retrain/", lambda route: held.append(route))
        page.evaluate(
            """() => setTimeout(() => {
                 const b = document.querySelector("form[action$='/retrain/'] button");
                 const state = [b.disabled, b.textContent];
                 b.click();  // a second click
                 sessionStorage.setItem("look", JSON.stringify(state));
               }, 200)"""
        )
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("form[action$='/retrain/'] button[type=submit]", no_wait_after=True)
        page.wait_for_timeout(600)
        posts = [route.request.method for route in held]
        for route in held:
            route.fulfill(status=200, content_type="text/html", body="<p>ok</p>")
        page.wait_for_url("**/retrain/")
        state = page.evaluate("() => JSON.parse(sessionStorage.getItem('look'))")
        assert state == [True, "正在训练…请勿关闭本页"]
        assert posts == ["POST"] and not errors
