"""The ticket lifecycle under random use (DESIGN §4): a hypothesis state machine files two
tickets through intake (complaints, praises, consultations), then has the people of a small
area (grid workers, community, street and district staff, a department handler, the hotline
desk) try actions on them, with the parameters a form would send, through
`lifecycle.perform` as the API and pages call it.

After every try: it either succeeded, and wrote one event for its one state change (actor,
time, from and to), or was refused and wrote nothing; it succeeded only if it was among
the actions `allowed_actions` offered that person just before (a refusal of an offered
action comes only from what the form sent, never from the state or the permission); the
status is the last event's; deadlines move only where DESIGN says; a closed or merged
ticket takes nothing but a reopening or its requester's callback (an answered one, a close).

Each example runs in a savepoint rolled back at its end (the area is made once per test).
The steps happen now (allowed_actions reads the real clock); the tickets were filed up to
40 days before, so some are past their return window or deadlines.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from gridgov.tickets import intake, lifecycle
from gridgov.tickets.lifecycle import (
    ACTION_LABELS,
    DEADLINE_FIELDS,
    RETURN_REASONS,
    TRANSITIONS,
    BadParameters,
    InvalidTransition,
    LifecycleError,
    NotAllowed,
)
from gridgov.tickets.models import (
    HANDLING_STATUSES,
    Callback,
    Extension,
    Satisfaction,
    Status,
    Ticket,
    TicketEvent,
)

from .factories import make_ticket, make_world, ticket_data

pytestmark = pytest.mark.django_db

S = Status
ACTIONS = (
    "dispatch",
    "accept",
    "return",
    "designate",
    "contact",
    "extend",
    "approve-extension",
    "supervise",
    "escalate",
    "resolve",
    "callback",
    "reopen",
    "close",
    "merge",
    "answer",
)
ACTORS = ("gridworker_a", "gridworker_b", "community_staff", "street_staff", "city_handler")
ACTORS += ("hotline", "district_staff")
# The order offered actions are drawn in: hypothesis leans to the first of a list, so the
# steps that move a ticket on come first, or few lifecycles would get past a contact.
OFFER_ORDER = ("resolve", "callback", "accept", "merge", "reopen", "close", "escalate")
OFFER_ORDER += ("return", "designate", "dispatch", "extend", "approve-extension", "contact")
OFFER_ORDER += ("supervise", "answer")
assert sorted(OFFER_ORDER) == sorted(ACTIONS)
# An offered action may still be refused for what the form sent: a unit outside the actor's
# reach or not covering the place (dispatch, designate), a decision that would move the
# deadline back (approve-extension), a survivor no longer open (merge).
PARAMETER_REFUSALS = {
    "dispatch": (BadParameters, NotAllowed),
    "designate": (BadParameters, NotAllowed),
    "approve-extension": (BadParameters,),
    "merge": (BadParameters, InvalidTransition),
}
# What a final ticket still takes (DESIGN §4): a closed one is reopened; a merged one's
# requester is called back once its survivor is resolved, and it stays merged.
FINAL_TAKES = {S.CLOSED: {"reopen"}, S.MERGED: {"callback"}, S.ANSWERED: {"close"}}
# Deadlines a transition may set anew: a new holder's signing window; a reopening's round.
ACCEPT_BY_SETTERS = {"dispatch", "designate", "escalate", "return"}


def fresh(pk):
    """The ticket as the API's get_object and the pages load it."""
    related = ("category", "place", "owner_place", "owner_department")
    return Ticket.objects.select_related(*related).get(pk=pk)


def snapshot(pk):
    ticket = Ticket.objects.get(pk=pk)
    row = model_to_dict(ticket)
    row["updated_at"] = ticket.updated_at
    return row


def last_event(pk):
    return TicketEvent.objects.filter(ticket_id=pk).order_by("-at", "-id").first()


def pre_check_refusals(ticket, action, actor):
    """The messages perform refuses with before it reads the parameters: the table, the
    guard, the permission."""
    return {
        _("“%(action)s” is not possible while the ticket is %(status)s.")
        % {"action": ACTION_LABELS[action], "status": ticket.get_status_display()},
        lifecycle._guard(ticket, action),
        _("You may not “%(action)s” this ticket, or it is outside your area.")
        % {"action": ACTION_LABELS[action]},
    } - {None}


class Lifecycle(RuleBasedStateMachine):
    world = None  # set by the test: made once, outside the examples' savepoints

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        w = self.world
        self.units = [w.grid_a.code, w.grid_b.code, w.community.code, w.street.code]
        self.tickets = {}
        self.steps = []

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    @initialize(data=st.data())
    def file_tickets(self, data):
        """Two tickets through intake: each a grid matter routed at once, or one left at the
        desk; the second is the merge candidate of the first, and the first of the second.
        Filed up to 40 days ago, so that the steps (now) may come after the return window
        or a deadline."""
        w = self.world
        # Each example its own leaning (see OFFER_ORDER): some mostly escalate, some merge.
        self.order = data.draw(st.permutations(OFFER_ORDER), label="order")
        for name in ("main", "second"):
            category = data.draw(st.sampled_from([w.corridor, w.community_matter]), label=name)
            phone = "13812341234" if name == "main" else "13900001111"
            hours = data.draw(st.integers(0, 40 * 24), label="filed hours ago")
            filed = timezone.now() - dt.timedelta(hours=hours)
            nature = data.draw(st.sampled_from(["complaint", "praise", "consult"]), label="nature")
            values = ticket_data(category=category.code, requester_phone=phone, nature=nature)
            ticket = intake.create_ticket(values, actor=w.hotline, now=filed).ticket
            self.tickets[name] = ticket.pk
            assert [e.action for e in ticket.events.order_by("at", "id")][0] == "create"

    def params(self, data, action, ticket, other_pk):
        draw = data.draw
        w = self.world
        if action in ("dispatch", "designate"):
            if draw(st.booleans(), label="to a department"):
                params = {"department": draw(st.sampled_from([w.city_mgmt.code, w.housing.code]))}
            else:
                params = {"unit": draw(st.sampled_from(self.units), label="unit")}
            if action == "designate":
                params["reason"] = "属地网格负责"
            return params
        if action == "return":
            code = draw(st.sampled_from(sorted(RETURN_REASONS)), label="reason_code")
            return {"reason_code": code, "reason": "不属于本网格" if code == "other" else ""}
        if action == "contact":
            method = draw(st.sampled_from(sorted(lifecycle.CONTACT_METHODS)), label="method")
            return {"method": method, "note": "已联系诉求人"}
        if action == "extend":
            base = ticket.resolve_by or timezone.now()
            days = draw(st.integers(1, 20), label="days")
            return {"until": (base + dt.timedelta(days=days)).isoformat(), "reason": "需协调物业"}
        if action == "approve-extension":
            approve = draw(st.booleans(), label="approve")
            return {"approve": approve, "reason": "" if approve else "理由不充分"}
        if action == "callback":
            return {
                "resolved": draw(st.booleans(), label="resolved"),
                "satisfaction": draw(st.sampled_from(Satisfaction.values), label="satisfaction"),
            }
        if action == "merge":
            return {"into": other_pk, "reason": "同一事项"}
        if action == "answer":
            return {"answer": "请向物业咨询"}
        reasons = {
            "supervise": ("reason", "请尽快处理"),
            "escalate": ("reason", "需上级协调"),
            "resolve": ("reply", "已清理完毕"),
            "reopen": ("reason", "群众反映未解决"),
            "close": ("reason", "已电话确认"),
        }
        return dict([reasons[action]]) if action in reasons else {}

    @rule(
        data=st.data(),
        which=st.sampled_from(["main", "second"]),
        action=st.sampled_from(ACTIONS),
        actor_name=st.sampled_from(ACTORS),
    )
    def act(self, data, which, action, actor_name):
        """Anyone tries anything: mostly refusals."""
        self.attempt(data, which, action, actor_name)

    @rule(data=st.data(), which=st.sampled_from(["main", "second"]))
    def act_as_offered(self, data, which):
        """Someone takes an action the workbench offers them: long lifecycles."""
        ticket = fresh(self.tickets[which])
        offered = {}
        for name in ACTORS:
            for action in lifecycle.allowed_actions(ticket, getattr(self.world, name)):
                offered.setdefault(action, []).append(name)
        # The action first, then who: one that many may take is not drawn more often.
        actions = [a for a in self.order if a in offered]
        if actions:
            action = data.draw(st.sampled_from(actions), label="offered")
            name = data.draw(st.sampled_from(offered[action]), label="by")
            self.attempt(data, which, action, name)

    def attempt(self, data, which, action, actor_name):
        pk = self.tickets[which]
        other_pk = self.tickets["second" if which == "main" else "main"]
        actor = getattr(self.world, actor_name)
        ticket = fresh(pk)
        offered = action in lifecycle.allowed_actions(ticket, actor)
        params = self.params(data, action, ticket, other_pk)
        before = {p: snapshot(p) for p in (pk, other_pk)}
        counts = {p: TicketEvent.objects.filter(ticket_id=p).count() for p in (pk, other_pk)}
        others = (Callback.objects.count(), Extension.objects.count())
        pre_checks = pre_check_refusals(ticket, action, actor)
        step = (which, action, actor_name, ticket.status, params)
        self.steps.append(step)
        try:
            event = lifecycle.perform(ticket, action, actor, **params)
        except LifecycleError as exc:
            self.refused(exc, step, offered, pre_checks, before, counts, others)
            return
        assert offered, f"done though not offered: {step}"
        self.done(event, step, ticket, before, counts, other_pk)

    def refused(self, exc, step, offered, pre_checks, before, counts, others):
        which, action, actor_name, status, params = step
        message = str(exc.message)
        if offered:
            # Offered: only what was sent may be wrong, never the state or the permission.
            assert isinstance(exc, PARAMETER_REFUSALS.get(action, ())), (step, message)
            assert message not in pre_checks, (step, message)
        else:
            assert isinstance(exc, (InvalidTransition, NotAllowed)), (step, message)
            assert message in pre_checks, (step, message)
        for pk, row in before.items():
            assert snapshot(pk) == row, (step, message)
            assert TicketEvent.objects.filter(ticket_id=pk).count() == counts[pk], step
        assert (Callback.objects.count(), Extension.objects.count()) == others, step

    def done(self, event, step, ticket, before, counts, other_pk):
        which, action, actor_name, status, params = step
        pk = ticket.pk
        old, now = before[pk], snapshot(pk)
        new_status = now["status"]
        # One event, this action's, by this actor, from the old status to the new.
        assert TicketEvent.objects.filter(ticket_id=pk).count() == counts[pk] + 1, step
        assert event.action == action and event.ticket_id == pk, step
        assert event.actor_id == getattr(self.world, actor_name).pk and event.at, step
        assert (event.from_status, event.to_status) == (status, new_status), step
        assert now["version"] == old["version"] + 1, step
        assert ticket.status == new_status and ticket.version == now["version"], step
        self.check_target(step, new_status)
        # Final tickets take only what DESIGN leaves them.
        if status in FINAL_TAKES:
            assert action in FINAL_TAKES[status], step
        if status == S.MERGED:
            assert new_status == S.MERGED, step
        if action == "merge":
            assert now["merged_into"] == other_pk and now["closed_at"], step
        self.check_deadlines(step, old, now, event)
        # The other ticket: a merge's survivor gets its merge-in row; a merged requester's
        # unhappy callback reopens the survivor (one reopen event); else nothing.
        other_events = TicketEvent.objects.filter(ticket_id=other_pk).count()
        grown = other_events - counts[other_pk]
        if action == "merge":
            assert grown == 1 and last_event(other_pk).action == lifecycle.MERGE_IN, step
            assert snapshot(other_pk) == before[other_pk], step  # an event row only
        elif grown:
            assert action == "callback" and status == S.MERGED and grown == 1, step
            unhappy = not params["resolved"] or params["satisfaction"] == "dissatisfied"
            reopened = last_event(other_pk)
            assert unhappy and reopened.action == "reopen", step
            assert reopened.to_status == S.REOPENED == Ticket.objects.get(pk=other_pk).status
        else:
            assert snapshot(other_pk) == before[other_pk], step

    def check_target(self, step, new_status):
        which, action, actor_name, status, params = step
        target = TRANSITIONS[action][1]
        if action == "return":
            # Back to the desk, or (handed down) to the office that handed it, as it held it.
            assert new_status in (S.RETURNED, *HANDLING_STATUSES), step
        elif target is not None:
            assert new_status == target, step
        elif action == "contact":
            assert new_status in (status, S.IN_PROGRESS), step
        elif action == "callback":
            happy = params["resolved"] and params["satisfaction"] != "dissatisfied"
            expected = S.MERGED if status == S.MERGED else S.CLOSED if happy else S.REOPENED
            assert new_status == expected, step
        else:
            assert new_status == status, step

    def check_deadlines(self, step, old, now, event):
        """respond_by and resolve_by are the requester's: only an approved extension moves
        resolve_by (later), a reopening starts a new round from its time; a dispatch or a
        designation raises one falling before the unit's new accept_by to it, and a return
        to the desk brings back what it raised; accept_by is set anew only when the ticket
        changes holder."""
        which, action, actor_name, status, params = step
        reopens = action == "reopen" or (action == "callback" and now["status"] == S.REOPENED)
        for name in DEADLINE_FIELDS:
            before, after = old[name], now[name]
            if before == after:
                continue
            if action == "close" and status == S.DISPATCHED:
                assert after is None, (step, name)  # a praise: nothing more to run
            elif reopens and name != "accept_by":
                assert after is None or after > event.at, (step, name)
            elif action == "approve-extension" and name == "resolve_by" and params["approve"]:
                assert before is None or after > before, (step, name)
            elif name == "accept_by":
                assert action in ACCEPT_BY_SETTERS, (step, name, before, after)
            elif action in ("dispatch", "designate") and status not in HANDLING_STATUSES:
                # Not sooner than the unit signs (lifecycle._owed_no_sooner_than_signed).
                assert after == now["accept_by"] and (before is None or after > before), step
                assert event.data["raised"][name] == timezone.localtime(before).isoformat()
            elif action == "return" and now["status"] == S.RETURNED:
                assert after is not None and before is not None and after < before, step
                moved = event.data["deadlines"]["after"][name]
                assert moved == timezone.localtime(after).isoformat(), step
            else:
                raise AssertionError(f"{name} moved from {before} to {after}: {step}")

    @invariant()
    def status_is_the_last_events(self):
        for pk in self.tickets.values():
            ticket = Ticket.objects.get(pk=pk)
            assert ticket.status == last_event(pk).to_status, self.steps


def test_random_lifecycles_keep_their_invariants():
    Lifecycle.world = make_world()
    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=40,
            stateful_step_count=15,
            deadline=None,
            database=None,  # nothing written to the shared working tree
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


# --- what the machine found, each pinned down ----------------------------------------------


def _filed(world, days_ago, **overrides):
    filed = timezone.now() - dt.timedelta(days=days_ago)
    values = ticket_data(category=world.corridor.code, **overrides)
    return intake.create_ticket(values, actor=world.hotline, now=filed).ticket, filed


def test_no_extension_is_offered_once_the_deadline_has_passed():
    """An extension is asked before the deadline passes; the workbench offered 申请延期 on
    an overdue ticket all the same, and refused the form it sent (409)."""
    world = make_world()
    ticket, filed = _filed(world, days_ago=40)
    lifecycle.perform(ticket, "accept", world.gridworker_a, now=filed + dt.timedelta(hours=1))
    ticket = fresh(ticket.pk)
    assert ticket.resolve_by < timezone.now()
    assert "extend" not in lifecycle.allowed_actions(ticket, world.gridworker_a)
    until = (timezone.now() + dt.timedelta(days=5)).isoformat()
    with pytest.raises(InvalidTransition):
        lifecycle.perform(ticket, "extend", world.gridworker_a, until=until, reason="需协调物业")
    assert not Extension.objects.filter(ticket=ticket).exists()
    # Before the deadline it is offered, and taken.
    ticket, _filed_at = _filed(world, days_ago=0, requester_phone="13900001111")
    lifecycle.perform(ticket, "accept", world.gridworker_a)
    assert "extend" in lifecycle.allowed_actions(fresh(ticket.pk), world.gridworker_a)


def test_a_ticket_merged_into_a_praise_closed_unresolved_is_not_called_back():
    """A duplicate merged into a praise that was then closed as passed on (知悉: closed,
    never resolved): its page and the queue asked for a callback since the survivor's
    resolution, None, and allowed_actions raised (a 500)."""
    world = make_world()
    survivor = make_ticket(world, nature="praise")
    assert survivor.status == S.CLOSED  # passed on to the grid and closed at intake
    lifecycle.perform(survivor, "reopen", world.hotline, reason="误关闭")
    duplicate = make_ticket(world, requester_phone="13900001111")
    lifecycle.perform(duplicate, "merge", world.hotline, into=survivor.pk)
    lifecycle.perform(survivor, "escalate", world.gridworker_a, reason="需社区协调")
    lifecycle.perform(survivor, "dispatch", world.community_staff, unit=world.grid_a.code)
    lifecycle.perform(survivor, "close", world.gridworker_a)
    assert fresh(survivor.pk).status == S.CLOSED and fresh(survivor.pk).resolved_at is None
    merged = fresh(duplicate.pk)
    assert "callback" not in lifecycle.allowed_actions(merged, world.hotline)
    assert not lifecycle.awaits_merged_callback(merged)
    assert not Ticket.objects.filter(lifecycle.merged_callback_q(), pk=merged.pk).exists()
    with pytest.raises(InvalidTransition):
        lifecycle.perform(
            merged, "callback", world.hotline, resolved=True, satisfaction="satisfied"
        )
