"""Browser-test harness: Playwright driving Debian's Chromium against live_server.

Every test here is marked `browser`. Chromium must be installed (CI installs
the `chromium` package); without it the tests fail with a clear message
rather than being skipped. Screenshots go to test-artifacts/ (gitignored).
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# refuses to run beside one unless told it is safe (it is: one thread, sync).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    executable = shutil.which(CHROMIUM) or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if not executable:
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests need it "
            "(apt-get install chromium, or set GRIDGOV_CHROMIUM to its path).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def artifacts(request):
    directory = Path(request.config.rootpath) / "test-artifacts"
    directory.mkdir(exist_ok=True)
    return directory


@pytest.fixture
def browser_context(chromium):
    # A Chinese browser, as most users have; English comes from the switcher.
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 860}
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context, live_server):
    page = browser_context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Pages must work offline: any request that leaves the live server fails the test.
    outside = []

    def _route(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", _route)
    page.base_url = live_server.url
    yield page
    assert not errors, f"JavaScript errors: {errors}"
    assert not outside, f"Requests outside the server: {outside}"


@pytest.fixture
def login(live_city):
    def _login(page, username):
        page.goto(page.base_url + "/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", live_city.password)
        page.click("form.form button[type=submit]")
        page.wait_for_url(page.base_url + "/")

    return _login
