"""A hot issue the hourly refresh regrouped while its page was open (or linked from the home
page before the refresh): confirming it, or opening the link, gave a bare 404 page. Now the
list, saying what happened."""

import pytest

from gridgov.insights.models import HotIssue, HotIssueDecision
from tests.insights.test_hot_issue_review import _issue
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

SAID = "该热点问题已在最新一次刷新中重新归并，请刷新列表后再研判。"


def test_deciding_or_opening_a_regrouped_issue_leads_back_to_the_list_saying_why(client):
    world = make_world()
    issue = _issue(world.grid_a, [make_ticket(world)], key="t-gone")
    client.force_login(world.community_staff)
    assert client.get(f"/insights/hot/{issue.pk}/").status_code == 200  # the page is open
    HotIssue.objects.filter(pk=issue.pk).delete()  # what the refresh does to a regrouped one

    answer = client.post(f"/insights/hot/{issue.pk}/decide/", {"action": "confirm"}, follow=True)
    assert answer.redirect_chain == [("/insights/hot/", 302)]
    assert SAID in answer.content.decode()
    assert HotIssueDecision.objects.count() == 0

    answer = client.get(f"/insights/hot/{issue.pk}/", follow=True)
    assert answer.redirect_chain == [("/insights/hot/", 302)]
    assert SAID in answer.content.decode()


def test_those_who_may_not_see_hot_issues_are_still_refused(client):
    world = make_world()
    client.force_login(world.resident)
    assert client.post("/insights/hot/999999/decide/", {"action": "confirm"}).status_code == 403
    assert client.get("/insights/hot/999999/").status_code == 403
    client.force_login(world.gridworker_a)  # sees hot issues, decides none
    assert client.post("/insights/hot/999999/decide/", {"action": "confirm"}).status_code == 403
