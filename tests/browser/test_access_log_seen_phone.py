"""个人信息查看记录 on a phone (390 px): 查看内容 picks the reveals of a name, phone or ID
number out of the address views a ticket's page logs on every visit; the split is said
above the table, and a kind not offered is refused beside its field."""

import pytest

from gridgov.people.models import AccessLog
from tests.tickets.factories import make_ticket, make_world

from .session import signed_in

pytestmark = pytest.mark.browser


@pytest.fixture
def w(transactional_db):
    w = make_world()
    w.ticket = make_ticket(w)
    for _ in range(4):
        AccessLog.objects.create(
            user=w.gridworker_a,
            subject_type="tickets.ticket",
            subject_id=str(w.ticket.pk),
            fields=["address"],
            purpose="ticket page",
            channel=AccessLog.Channel.WEB,
            place=w.buildings[0],
        )
    AccessLog.objects.create(
        user=w.community_staff,
        subject_type="tickets.ticket",
        subject_id=str(w.ticket.pk),
        fields=["requester_name", "requester_phone"],
        purpose="回访诉求人",
        channel=AccessLog.Channel.WEB,
        place=w.buildings[0],
    )
    return w


def test_an_auditor_picks_the_reveals_on_a_phone(chromium, live_server, w, artifacts):
    with signed_in(chromium, live_server.url, w.street_staff.username, phone=True) as (
        page,
        errors,
    ):
        page.goto(live_server.url + "/people/access-log/")
        split = page.locator("#seen-split")
        assert "联系方式与证件 1" in split.inner_text() and "仅地址 4" in split.inner_text()
        assert page.locator(".result-count").inner_text() == "共 5 条记录"
        page.select_option("#log-seen", "contacts")
        page.locator("#access-log-filters button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator(".result-count").inner_text() == "共 1 条记录"
        assert page.locator("#access-log tbody tr").count() == 1
        assert "回访诉求人" in page.locator("#access-log").inner_text()
        page.screenshot(path=str(artifacts / "access-log-seen-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # The split's other kind is a link to it, the other filters kept.
        page.locator("#seen-split a").click()
        page.wait_for_load_state()
        assert page.locator(".result-count").inner_text() == "共 4 条记录"
        assert page.locator("#log-seen").input_value() == "address"

        page.goto(live_server.url + "/people/access-log/?seen=names")
        field = page.locator("#access-log-filters .has-error[data-field=seen]")
        assert field.count() == 1 and field.locator(".field-errors").is_visible()
        assert page.locator("#filters-refused").is_visible()
        assert page.locator("#access-log").count() == 0
        page.screenshot(path=str(artifacts / "access-log-seen-refused-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert not errors
