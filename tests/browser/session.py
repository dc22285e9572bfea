"""A browser of a test's own, signed in: for tests that need a phone or a user of their
own world (tests.tickets.factories.make_world) rather than the `page` and `login` fixtures."""

import contextlib

PASSWORD = "pw-for-tests"  # every factory user's (tests.people.factories.UserFactory)
DESKTOP = {"viewport": {"width": 1366, "height": 860}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@contextlib.contextmanager
def signed_in(chromium, base, username, *, phone=False):
    """(page, JavaScript errors) of a Chinese browser, desktop or phone, signed in as
    `username`; closed at the end."""
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", **(PHONE if phone else DESKTOP)
    )
    try:
        yield _sign_in(context, base, username, PASSWORD)
    finally:
        context.close()


def phone_at(chromium, base, username, building, password=PASSWORD):
    """(context, page, JavaScript errors) of a Chinese phone standing at `building` (its
    position granted to the page), signed in as `username`; the caller closes the context."""
    context = chromium.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        **PHONE,
        device_scale_factor=2,
        geolocation={"latitude": building.lat, "longitude": building.lng},
        permissions=["geolocation"],
    )
    context.set_default_timeout(15_000)
    return (context, *_sign_in(context, base, username, password))


def _sign_in(context, base, username, password):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(base + "/")
    return page, errors
