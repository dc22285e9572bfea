"""Template helpers of the ticket workbench: deadlines, status badges, labels."""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from .. import classify, patrols, queues, requester_text
from ..forms import ACTION_LABELS, OVERDUE_LABELS
from ..models import Channel, Status

register = template.Library()

STATUS_TONES = {
    Status.RECEIVED: "new",
    Status.DISPATCHED: "new",
    Status.RETURNED: "warn",
    Status.ESCALATED: "warn",
    Status.ACCEPTED: "work",
    Status.IN_PROGRESS: "work",
    Status.REOPENED: "warn",
    Status.RESOLVED: "done",
    Status.CLOSED: "closed",
    Status.ANSWERED: "closed",
    Status.MERGED: "closed",
}
# Labels by value, looked up as get_FOO_display and Status(value).label would, without
# building the choices or an enum member again for every row of a list.
STATUS_LABELS = {status.value: status.label for status in Status}
CHANNEL_LABELS = dict(Channel.choices)


@register.simple_tag
def countdown(deadline, now=None, done=None):
    """ "3 小时后到期" / "已超时 2 天" for a deadline; "按时"/"超时" once `done` is set."""
    if deadline is None:
        return ""
    now = now or timezone.now()
    stamp = timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")
    if done is not None:
        if done <= deadline:
            return format_html('<span class="due due--met" title="{}">{}</span>', stamp, _("met"))
        return format_html(
            '<span class="due due--late" title="{}">{}</span>',
            stamp,
            _("late by %(t)s") % {"t": timesince(deadline, done, depth=1)},
        )
    # Within a minute either side Django says "0 分钟": 剩余 0 分钟 read as no time at all.
    if now > deadline:
        late = (
            _("overdue by %(t)s") % {"t": timesince(deadline, now, depth=1)}
            if (now - deadline).total_seconds() >= 60
            else _("just overdue")
        )
        return format_html('<span class="due due--over" title="{}">{}</span>', stamp, late)
    left = (deadline - now).total_seconds()
    return format_html(
        '<span class="due{}" title="{}">{}</span>',
        " due--soon" if left < 4 * 3600 else "",
        stamp,
        _("%(t)s left") % {"t": timeuntil(deadline, now, depth=1)}
        if left >= 60
        else _("under a minute left"),
    )


@register.simple_tag
def status_badge(ticket_or_status, label=None):
    status = getattr(ticket_or_status, "status", ticket_or_status)
    if label is None:
        label = STATUS_LABELS.get(status, status)
    return format_html(
        '<span class="status status--{}" data-status="{}">{}</span>',
        STATUS_TONES.get(status, "new"),
        status,
        label,
    )


@register.filter
def has_queue(user):
    """Whether 我的待办 can ever hold anything for `user` (queues.has_queue): not for
    cadres, community police or micro-grid workers, whom /tickets/ sends to 辖区工单."""
    return queues.has_queue(user)


@register.filter
def walks_patrols(user):
    """perms.tickets.walk_patrols, asked once a request (patrols.walks): the main menu and
    the workbench's links both ask."""
    return patrols.walks(user)


@register.filter
def status_label(value):
    return STATUS_LABELS.get(value, value)


@register.filter
def channel_label(value):
    """A ticket's channel as `ticket.get_channel_display` says it."""
    return CHANNEL_LABELS.get(value, value)


@register.filter
def action_label(action):
    return ACTION_LABELS.get(action, action)


@register.filter
def overdue_label(stage):
    return OVERDUE_LABELS.get(stage, "")


@register.filter
def display_name(user):
    if user is None:
        return _("System")
    return user.get_full_name() or user.get_username()


@register.simple_tag(takes_context=True)
def ticket_text(context, ticket, text):
    """`text`, a free text of `ticket`, as the page's user reads it: as written for the
    holding unit and the requester, else scrubbed (requester_text.text_for).
    {% ticket_text ticket ticket.description as description %}"""
    request = context.get("request")
    return requester_text.shown_text(getattr(request, "user", None), ticket, text)


@register.filter
def actor_name(user, ticket):
    """Who acted on `ticket`: the requester's own login is "the requester", never their name."""
    if ticket is not None and ticket.is_requesters_account(user):
        return _("The requester")
    return display_name(user)


@register.filter
def local_time(value):
    if not value:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@register.filter
def percent(value):
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def score_percent(value):
    """A classifier's score, rounded down to a whole percent (classify.score_percent)."""
    return classify.score_percent(value)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters changed (None drops one)."""
    params = context["request"].GET.copy()
    for name, value in changes.items():
        if value in (None, ""):
            params.pop(name, None)
        else:
            params[name] = value
    if "page" not in changes:
        params.pop("page", None)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def hours_short(value):
    """A median duration in hours, read at a glance: minutes, hours, or days past two days."""
    if value is None:
        return "—"
    if value < 1:
        return _("%(n)s min") % {"n": round(value * 60)}
    if value < 48:
        return _("%(n)s h") % {"n": f"{value:.1f}".rstrip("0").rstrip(".")}
    return _("%(n)s d") % {"n": f"{value / 24:.1f}".rstrip("0").rstrip(".")}
