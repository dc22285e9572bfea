"""Readings of the demo's ticket timelines that more than one test module checks."""

from gridgov.tickets.models import Status, Ticket, TicketEvent


def patrol_hazard():
    """The ticket of the hazard a patrol found three days before the demo (fieldwork.py)."""
    return Ticket.objects.get(patrol_records__isnull=False)


def timelines():
    """{ticket id: its events in order}."""
    found = {}
    for event in TicketEvent.objects.order_by("ticket_id", "id"):
        found.setdefault(event.ticket_id, []).append(event)
    return found


def taken_up(passed_up_before=None):
    """(taken, waiting, on_time, late) of the tickets the sweep passed up (last, before
    `passed_up_before` if given): signed for by a person after their last escalation, still
    waiting above, and of those resolved after it, by the requester's resolve_by or after
    it."""
    taken, waiting, on_time, late = 0, 0, 0, 0
    for events in timelines().values():
        ups = [i for i, event in enumerate(events) if event.action == "escalate"]
        if not ups or (passed_up_before and events[ups[-1]].at >= passed_up_before):
            continue
        after = events[ups[-1] + 1 :]
        ticket = events[-1].ticket
        if any(e.action == "accept" and e.actor_id is not None for e in after):
            taken += 1
        elif ticket.status == Status.ESCALATED:
            waiting += 1
        resolved = [e.at for e in after if e.action == "resolve"]
        if resolved:
            on_time += resolved[-1] <= ticket.resolve_by
            late += resolved[-1] > ticket.resolve_by
    return taken, waiting, on_time, late
