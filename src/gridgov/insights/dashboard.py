"""The 未诉先办 panel of the home page (`settings.GRIDGOV_DASHBOARD_PANELS`): the hottest
undecided hot issues in the user's area, for those who may see them."""

from .models import HotIssue
from .services import visible_hot_issues

SHOWN = 3


def panel(request):
    if not request.user.has_perm("insights.view_hotissue"):
        return None
    new = visible_hot_issues(request.user, HotIssue.State.NEW)
    return {
        "template": "insights/_dashboard.html",
        "count": new.count(),
        "issues": list(new.order_by("-heat", "pk")[:SHOWN]),
    }
