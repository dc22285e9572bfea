"""Demo tickets from real citizen messages (see data/README.md).

Historical messages with an official reply become closed tickets, the reply
being the resolution; messages with likes become recent tickets left in every
state — waiting, overdue, in progress, whistled, reopened. Every step goes
through the real intake and lifecycle, so the timelines are what the
platform itself would have written. Calls and messages are taken in by the
hotline; 随手拍 and patrol reports are filed by the volunteer and grid workers.
Handling times and callback answers vary, drawn from one seeded generator, so
the KPIs look like a working district's and every build is the same. The
deadline sweep has run all along (SweepReplay): its supervisions and
escalations stand in the timelines at the runs that would have made them, and the
unit a ticket was passed up to has taken most of them up (TakeUp).
"""

import csv
import datetime as dt
import math
import random
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.core import versions
from gridgov.people.models import Department, Role, RoleAssignment
from gridgov.places.models import Level, Place
from gridgov.tickets import intake, lifecycle, sweep
from gridgov.tickets.models import (
    OPEN_STATUSES,
    Category,
    RoutingRule,
    Status,
    Ticket,
    TicketEvent,
)
from gridgov.tickets.workdays import WorkCalendar

from . import names

DATA = Path(__file__).parent / "data"
SEED = 311
EXTERNAL_PREFIX = "teddy-"
# First-level (or deeper) category name → demo department code suffix.
DEPARTMENT_RULES = {
    "交通运输": "JT",
    "教育文体": "JY",
    "劳动和社会保障": "RS",
    "卫生计生": "WJ",
    "商贸旅游": "SJ",
    "城管执法": "CG",
    "住房保障与房地产": "ZJ",
    "自来水供应": "SW",
    "电力供应": "GD",
    "环境污染": "HB",
    "政法": "GA",
}
# 每月一题 (insights.hotissues.monthly_topic) counts a matter only when it recurs in each of
# the last three calendar months, at least GRIDGOV_MONTHLY_TOPIC_MIN_PER_MONTH (3) times a
# month. Spread over years, the history never does, and the recent tickets are three weeks'
# burst; so these historical noise complaints (KTV, building sites, late-night restaurants,
# square dancing …) are re-dated into the last months, in one community: a steady stream a
# street office would take up. Oldest first, as received.
RECURRING_MESSAGES = (
    "91314",  # 广场舞静音跳舞
    "11849",  # 隧道口交通噪音
    "18914",  # KTV 噪声扰民
    "18646",  # 同一 KTV，再次投诉
    "9090",  # 小餐馆扰民
    "37485",  # 工地夜间施工噪声
    "3747",  # 工地噪音
    "35675",  # 噪音困扰的投诉信
    "114615",  # 物流公司夜间扰民
    "40335",  # 餐馆深夜扰民
)
RECURRING_CATEGORY = ("环境保护", "环境污染", "噪音污染")
# 未诉先办 finds a hot issue where many people raise one matter at one place within weeks.
# The recent sample (every 12th message, each at a random building) hardly ever does. These
# are the top clusters `gridgov hotissues --input hot_messages.csv` finds in the full data
# (its ranks 1, 2, 4, 5; messages not in the sample, oldest first): each is re-dated into
# the last three weeks, spacing kept, at one compound of the demo (grid code), so the staff
# of both streets find hot issues they would recognise. Shipped as hot_clusters_sample.csv.
HOT_CLUSTERS = (
    (  # 伊景园滨河苑 parking spaces sold bundled with the flats
        "QF-WJ-DT-G01",
        ("283879", "223247", "244342", "213584", "224767", "188801")
        + ("285897", "199190", "218709", "251601", "209506", "205982"),
    ),
    (  # a concrete mixing plant next to 丽发新城: noise and dust
        "QF-WJ-WJP-G02",
        ("264944", "189950", "225217", "243692", "188809")
        + ("272447", "258378", "261072", "199379", "268300"),
    ),
    (  # 绿地海外滩 estate, a high-speed railway line 30 m away
        "QF-GY-GH-G01",
        ("191951", "243551", "202575", "216316", "266931"),
    ),
    (  # 110 kV power line along 月亮岛路
        "QF-GY-YX-G01",
        ("268250", "262052", "254865", "218442"),
    ),
)
# The demo's department login (`dept`, 区城市管理和综合执法局) gets little from the classifier,
# which files 城管 matters under 城乡建设 for the grid and community offices, and the first
# deadline sweep took the little it had up to the streets: it had nothing to sign for or
# handle. These recent messages are 城管 matters (night building work, hawkers, illegal
# extensions, a restaurant on a green strip): filed as 城管执法, so routed to it, and
# received this many hours before the demo's `now`, so no deadline has passed yet. Each
# keeps its row's fate (i % 10): 0 waiting to be signed for, 1-2 signed for, 4 in hand,
# 6 resolved and waiting for the callback, 8-9 closed. Their draws from the generator stay
# as they were, so every other ticket of the demo is unchanged.
DEPARTMENT_DESK = {
    "197240": 3,  # 医院凌晨施工扰民
    "194384": 20,  # 市场商贩堵路
    "194946": 28,  # 别墅区违建
    "192338": 30,  # 居民楼下开饭店
    "272187": 44,  # 银行分行半夜施工
    "199286": 60,  # 一楼占用公共绿道搭建餐馆
    "199427": 70,  # 店面长期占用划线停车位
}
DEPARTMENT_DESK_CATEGORY = "城管执法"
# 坡子街小区, the grid of the documented login `gridworker2`, had work to sign for only from
# the concrete plant's letters (HOT_CLUSTERS), taken for the grid event 噪声扰民 until a
# plant's noise no longer was (tickets.categories.BEYOND_THE_GRID). This recent grid matter
# (a neighbour's illegal extension, 违章搭建; left waiting to be signed for, i % 10 == 0) is
# placed in it: a building is still drawn, so every other ticket stays as it was. Filed under
# that event, as the resident reporting it would pick it: its title (为什么不依法拘留…的恶人)
# names no grid event, and a long letter is one only when its head names it (classify.head).
GRID_PLACED = {"194168": ("QF-WJ-WJP-G02", "违章搭建")}
# Whom a street summons when it blows the whistle (吹哨报到), by the matter's first-level
# category: the department that owns such matters first (it reports), then the one sharing
# the duty (it is late); never the department holding the ticket. Drawn at random, a 劳动
# dispute summoned 区水务局.
WHISTLE_DEPARTMENTS = {
    "城乡建设": ("CG", "ZJ"),
    "环境保护": ("HB", "CG"),
    "交通运输": ("JT", "GA"),
    "商贸旅游": ("SJ", "CG"),
    "劳动和社会保障": ("RS", "SJ"),
    "卫生计生": ("WJ", "SJ"),
    "教育文体": ("JY", "SJ"),
    "网格事件": ("CG", "GA"),
    "政法": ("GA", "CG"),
}
HOT_CLUSTER_DAYS = 20  # the oldest message of a cluster this many days ago at most
RECURRING_PER_MONTH = (1, 3, 3, 3)  # from three months back to the current month


def parse_time(text):
    text = text.strip().replace("/", "-")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def read(name):
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class Actors:
    """The login that acts for each unit, cached so scopes are computed once."""

    def __init__(self):
        self.by_place, self.by_department, self.by_role = {}, {}, {}
        office = {
            Role.GRID_WORKER,
            Role.COMMUNITY_STAFF,
            Role.STREET_STAFF,
            Role.HOTLINE_OPERATOR,
            Role.DEPARTMENT_HANDLER,
        }
        assignments = (
            RoleAssignment.objects.filter(role__in=office, active=True)
            .select_related("user", "place")
            .order_by("user__username")
        )
        for a in assignments:
            self.by_role.setdefault(a.role, a.user)
            if a.department_id:
                self.by_department.setdefault(a.department_id, a.user)
            elif a.role != Role.HOTLINE_OPERATOR:
                self.by_place.setdefault(a.place_id, a.user)
        self.hotline = get_user_model().objects.get(username="hotline")
        self.volunteer = get_user_model().objects.filter(username="volunteer").first()
        self.volunteer_area = None
        if self.volunteer is not None:
            area = RoleAssignment.objects.filter(user=self.volunteer, active=True).first()
            self.volunteer_area = area.place.path if area and area.place_id else None
        self.replay = SweepReplay()

    def perform(self, ticket, action, actor, now, **params):
        """Every act of the demo: lifecycle.perform after the sweep's (SweepReplay)."""
        return self.replay.perform(ticket, action, actor, now, **params)

    def owner(self, ticket):
        if ticket.owner_department_id:
            return self.by_department[ticket.owner_department_id]
        return self.by_place[ticket.owner_place_id]

    def reporter(self, channel, building, i):
        """Who files a demand coming in on `channel`: the hotline takes calls and messages;
        a 随手拍 comes from the volunteer (in their community) or the grid's worker; a
        patrol's hazard from the grid's worker."""
        grid_worker = self.by_place.get(building.parent_id)
        if channel == "photo":
            if self.volunteer_area and building.path.startswith(self.volunteer_area) and i % 2:
                return self.volunteer
            return grid_worker or self.hotline
        if channel == "patrol":
            return grid_worker or self.hotline
        return self.hotline

    def street_of(self, ticket):
        street = (ticket.place or ticket.owner_place).ancestor_at(Level.STREET)
        return self.by_place[street.pk]


def seed_routing_rules():
    district = Place.objects.filter(level=Level.DISTRICT).order_by("path").first()
    departments = {d.code.rsplit("-", 1)[-1]: d for d in Department.objects.filter(place=district)}
    for name, suffix in DEPARTMENT_RULES.items():
        for category in Category.objects.filter(name=name):
            RoutingRule.objects.get_or_create(
                category=category, place=None, defaults={"department": departments[suffix]}
            )


def _shift(times, end):
    """Move a run of old timestamps so the latest lands on `end`, keeping their spacing."""
    latest = max(t for t in times if t)
    return lambda t: timezone.make_aware(t) + (end - timezone.make_aware(latest))


def _minutes(rng, median, spread, low, high):
    """A handling delay: log-normal around `median` minutes, kept within [low, high]; most
    units sign within the hour, some take most of a day."""
    value = rng.lognormvariate(math.log(median), spread)
    return dt.timedelta(minutes=min(max(value, low), high))


class Pace:
    """Deterministic, varied times for one ticket's steps, never after `now`."""

    def __init__(self, rng, start, now=None):
        self.rng, self.now = rng, now
        self.at = start

    def step(self, delay):
        self.at += delay
        if self.now is not None and self.at > self.now:
            self.at = self.now
        return self.at

    def dispatch(self):
        return self.step(_minutes(self.rng, 20, 0.6, 5, 180))

    def accept(self):
        return self.step(_minutes(self.rng, 70, 1.0, 4, 30 * 60))

    def contact(self):
        return self.step(_minutes(self.rng, 150, 0.9, 10, 40 * 60))

    def resolve(self):
        return self.step(dt.timedelta(days=self.rng.uniform(0.2, 4)))

    def callback(self):
        return self.step(dt.timedelta(hours=self.rng.uniform(3, 30)))


class SweepReplay:
    """The deadline sweep (督办、上报) as it would have run over the demo's past: the demo's
    street has had its sweep running all along, so the first real sweep finds the ladder
    网格 → 社区 → 街道 climbed where it was due, each step at the run that would have made it,
    instead of a wall of escalations stamped with the demo's start. sweep.next_due says
    when the sweep would act on a ticket as it stands, sweep.sweep_ticket acts as a run
    does; timelines stay in time order, and every act of the demo goes through `perform`."""

    def __init__(self):
        # ticket id → [time of its last event, its supervisions, a pending extension's date]
        self.known = {}
        # Called as take_up(ticket, at, until) after each escalation at `at` (TakeUp).
        self.take_up = None

    def perform(self, ticket, action, actor, now, **params):
        """lifecycle.perform, after the sweep's supervisions that fell due on the ticket
        before `now`. Not its escalations: one would have taken the ticket from the unit
        acting now, so where a unit acted late the demo has it act, not the sweep pass it
        up."""
        self.until(ticket, now, escalate=False)
        event = lifecycle.perform(ticket, action, actor, now=now, **params)
        if ticket.pk in self.known:
            self.known[ticket.pk][0] = now
        return event

    def until(self, ticket, until, escalate):
        """The sweep's acts on `ticket` that fell due after its last event and before
        `until` (at `until` too when escalating)."""
        if not sweep.missed_stages(ticket, until):
            return  # no deadline passed by then: the common case, and no query
        state = self.known.get(ticket.pk) or self._read(ticket)
        while True:
            last, supervisions, pending = state
            at = sweep.next_due(ticket, last, supervisions, pending, escalate=escalate)
            if at is None or at > until or (at == until and not escalate):
                return
            owner = (ticket.owner_place_id, ticket.owner_department_id)
            report = sweep.sweep_ticket(ticket, at, supervisions, pending, escalate=escalate)
            state[0] = at
            supervisions.update((owner, stage, at) for _code, stage in report.supervised)
            if not report.supervised and not report.escalated:
                escalate = False  # no rung above (routing.next_level_up): supervisions only
            if report.escalated and self.take_up is not None:
                self.take_up(ticket, at, until)

    def _read(self, ticket):
        events = TicketEvent.objects.filter(ticket=ticket).order_by("-at")
        last = events.values_list("at", flat=True).first() or ticket.created_at
        supervisions = sweep.supervisions_of([ticket.pk])[ticket.pk]
        pending = sweep.pending_extensions([ticket.pk]).get(ticket.pk)
        self.known[ticket.pk] = state = [last, supervisions, pending]
        return state

    def finish(self, now, tickets=None):
        """The sweep's acts on every open demo ticket up to `now`, supervisions and
        escalations, each when it fell due after the ticket's last event (read again: a
        ticket may have had events written other than through `perform`). `tickets`: the
        demo tickets to sweep, by default those made from messages (EXTERNAL_PREFIX); the
        field work's (fieldwork.py) are made later and swept there."""
        self.known.clear()
        if tickets is None:
            tickets = Ticket.objects.filter(external_id__startswith=EXTERNAL_PREFIX)
        tickets = tickets.filter(status__in=OPEN_STATUSES).select_related(
            "owner_place", "owner_department", "place", "category"
        )
        for ticket in tickets.order_by("id"):
            self.until(ticket, now, escalate=True)


class TakeUp:
    """The unit a ticket is escalated to takes most of them up (SweepReplay.take_up): signs
    for it within hours, calls the requester if nobody has, and resolves it some days later,
    then the callback. Some are left waiting at the unit above: the overdue a street follows.
    A ticket passed up after its resolve_by (an escalation keeps it) is resolved late
    whatever is drawn; one taken up in time is resolved within the time left, but every
    LATE-th of these days after it all the same (as a street sometimes is), so both happen
    whatever the holidays, not as the days fall. Without this class, every ticket the
    sweep passed up stayed untouched where it arrived, and a street's 按时办结率 counted
    only those (7% in the demo's month, beside a score of 99). Its own generator: every
    other ticket of the demo stays as it was.

    Who is left and who is late are counted, not drawn. Drawn, the small demo (tests) had
    three tickets taken up in time at every moment tried from December 2026 to March 2027,
    one left by the draw and one not resolved yet by `now`: one resolved in time, a draw
    away from none. Left: every LEFT-th ticket passed up after its resolve_by, the first
    included, and it stays left when passed up again (it waits at the street); one passed
    up in time is taken up. Late: every LATE-th ticket taken up in time whose resolution
    comes by `now`, so the first two of those are resolved in time."""

    LEFT = 4  # every fourth ticket passed up after its resolve_by waits at the unit above
    LATE = 3  # every third ticket taken up in time is resolved after its resolve_by

    def __init__(self, actors, rng):
        self.actors, self.rng = actors, rng
        self.passed_late = 0  # tickets passed up with their resolve_by gone
        self.left = set()  # ids of the tickets nobody above has taken up
        self.in_time = 0  # tickets taken up in time and resolved by `now`

    def __call__(self, ticket, at, until):
        rng = self.rng
        # Drawn whether used or not, as when leaving was drawn: the delays stay as they were.
        rng.random()
        delays = (
            _minutes(rng, 90, 0.8, 10, 8 * 60),
            _minutes(rng, 60, 0.8, 5, 6 * 60),
            rng.random(),
            dt.timedelta(hours=rng.uniform(3, 30)),
            rng.choice(["satisfied"] * 2 + ["basic"]),
        )
        if self._left(ticket, at):
            return
        accept, contact, share, callback, satisfaction = delays
        owner = self.actors.owner(ticket)
        perform = self.actors.perform
        if (now := at + accept) > until:
            return
        perform(ticket, "accept", owner, now=now)
        if ticket.contacted_at is None and ticket.reachable:
            if (now := now + contact) > until:
                return
            perform(ticket, "contact", owner, now=now, note="已联系诉求人")
        if (now := self._resolved_at(ticket, now, share, until)) > until:
            return
        perform(ticket, "resolve", owner, now=now, reply="上级单位接手处置，问题已解决。")
        if (now := now + callback) > until:
            return
        perform(
            ticket,
            "callback",
            self.actors.hotline,
            now=now,
            resolved=True,
            satisfaction=satisfaction,
        )

    def _left(self, ticket, at):
        """Whether nobody above takes up `ticket`, passed up at `at`: one left before stays
        left; of those passed up after their resolve_by, every LEFT-th, the first included."""
        if ticket.pk in self.left:
            return True
        if ticket.resolve_by is not None and ticket.resolve_by > at:
            return False
        self.passed_late += 1
        if self.passed_late % self.LEFT == 1:
            self.left.add(ticket.pk)
            return True
        return False

    def _resolved_at(self, ticket, now, share, until):
        """When the unit above resolves `ticket`, in hand since `now`; `share` drawn in
        [0, 1): 0.3 to 6 days later when its resolve_by has passed; else within the time
        left (a tenth to nine tenths of it), or, for every LATE-th of those coming by
        `until`, 0.3 to 3 days after its resolve_by."""
        deadline = ticket.resolve_by
        if deadline is None or deadline <= now:
            return now + dt.timedelta(days=0.3 + 5.7 * share)
        in_time = now + (deadline - now) * (0.1 + 0.8 * share)
        if in_time > until:
            return in_time  # still in hand at the demo's now: not counted
        self.in_time += 1
        if self.in_time % self.LATE == 0:
            return deadline + dt.timedelta(days=0.3 + 2.7 * share)
        return in_time


def _data(row, building, rng, channel):
    return {
        "channel": channel,
        "nature": rng.choice(["complaint", "complaint", "help", "suggest", "report"]),
        "title": row["title"][:200],
        "description": row["body"][:4000],
        "place": building.code,
        "requester_name": rng.choice("王李张刘陈杨黄赵吴周") + rng.choice(("先生", "女士")),
        "requester_phone": f"13{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}",
        "external_id": f"{EXTERNAL_PREFIX}{row['message_id']}",
    }


def _self_service(data):
    # A report naming no requester is the reporter's own (intake links their person).
    return {**data, "requester_name": "", "requester_phone": ""}


def _dispatch_if_waiting(ticket, actors, at):
    if ticket.status == Status.RECEIVED:
        community = ticket.place.ancestor_at(Level.COMMUNITY)
        actors.perform(
            ticket,
            "dispatch",
            actors.street_of(ticket),
            now=at,
            unit=community.code,
            reason="街道派单至属地社区",
        )


def _handle(ticket, actors, pace, reply, resolved_at):
    owner = actors.owner(ticket)
    actors.perform(ticket, "accept", owner, now=pace.accept())
    actors.perform(ticket, "contact", owner, now=pace.contact(), note="已电话联系诉求人")
    actors.perform(ticket, "resolve", owner, now=max(resolved_at, pace.at), reply=reply)


def _pass_over(row, buildings, rng):
    """Draw what seed_history draws for a row, taking nothing in: the rows moved out of the
    history (RECURRING_MESSAGES) leave every other ticket of the demo as it was."""
    _data(row, rng.choice(buildings), rng, rng.choice(["hotline", "wechat", "api"]))
    pace = Pace(rng, dt.datetime(2000, 1, 1))
    for step in (pace.dispatch, pace.accept, pace.contact):
        step()
    rng.uniform(4, 40)  # the callback's delay
    rng.random()  # an unhappy first callback?
    rng.choice(["satisfied"] * 2 + ["basic"])


def seed_history(rows, buildings, actors, rng, end, moved=()):
    """Closed tickets from the replied messages, their times shifted to end at `end`; the
    rows whose message ids are in `moved` are passed over (seed_recurring takes them)."""
    shift = _shift([parse_time(r["time"]) for r in rows], end)
    for row in rows:
        received, replied = parse_time(row["time"]), parse_time(row["reply_time"])
        if received is None or replied is None:
            continue
        if row["message_id"] in moved:
            _pass_over(row, buildings, rng)
            continue
        start = shift(received)
        resolved_at = max(shift(replied), start + dt.timedelta(hours=5))
        ticket = intake.create_ticket(
            _data(row, rng.choice(buildings), rng, rng.choice(["hotline", "wechat", "api"])),
            actor=actors.hotline,
            now=start,
        ).ticket
        pace = Pace(rng, start)
        _dispatch_if_waiting(ticket, actors, pace.dispatch())
        _handle(ticket, actors, pace, row["reply"][:4000], resolved_at)
        resolved_at = ticket.resolved_at
        callback_at = resolved_at + dt.timedelta(hours=rng.uniform(4, 40))
        if rng.random() < 0.08:
            actors.perform(
                ticket,
                "callback",
                actors.hotline,
                now=callback_at,
                resolved=False,
                satisfaction="dissatisfied",
                note="诉求人表示问题仍未解决",
            )
            actors.perform(
                ticket, "contact", actors.owner(ticket), now=callback_at + dt.timedelta(hours=2)
            )
            actors.perform(
                ticket,
                "resolve",
                actors.owner(ticket),
                now=callback_at + dt.timedelta(days=2),
                reply="再次上门核实并处理完毕。",
            )
            callback_at += dt.timedelta(days=3)
        # History is closed: its last callback closes it (an unresolved or dissatisfied one
        # would reopen it, leaving a ticket years overdue among the recent ones).
        actors.perform(
            ticket,
            "callback",
            actors.hotline,
            now=callback_at,
            resolved=True,
            satisfaction=rng.choice(["satisfied"] * 2 + ["basic"]),
        )


def _month_starts(now, count):
    """The starts of the last `count` calendar months (local time), oldest first."""
    start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [start]
    for _i in range(count - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
        starts.insert(0, start)
    return starts


def _recurring_times(rng, now):
    """Times for the recurring complaints: RECURRING_PER_MONTH spread over each month (the
    current one up to `now`), so every calendar month has its share whatever the day."""
    starts = _month_starts(now, len(RECURRING_PER_MONTH))
    times = []
    for start, end, count in zip(starts, [*starts[1:], now], RECURRING_PER_MONTH, strict=True):
        span = end - start
        for i in range(count):
            at = start + span * ((i + rng.uniform(0.2, 0.8)) / count)
            times.append(at.replace(second=0, microsecond=0))
    return times


def seed_recurring(rows, buildings, actors, rng, now):
    """Noise complaints in one community, month after month (每月一题): taken in by the
    hotline, handled by the unit the category routes to and closed by the callback, each
    step only once its time has come (one taken in this morning is still being handled)."""
    category = Category.objects.get(
        name=RECURRING_CATEGORY[2],
        parent__name=RECURRING_CATEGORY[1],
        parent__parent__name=RECURRING_CATEGORY[0],
    )
    rows = sorted(rows, key=lambda r: parse_time(r["time"]))
    for row, start in zip(rows, _recurring_times(rng, now), strict=True):
        data = _data(row, rng.choice(buildings), rng, rng.choice(["hotline", "wechat", "api"]))
        data.update(
            category=category,
            nature="suggest" if row["title"].startswith("建议") else "complaint",
        )
        ticket = intake.create_ticket(data, actor=actors.hotline, now=start).ticket
        _handle_until(ticket, actors, Pace(rng, start), row["reply"][:4000], now)


def _handle_until(ticket, actors, pace, reply, now):
    """Dispatch, accept, contact, resolve and close by a satisfied callback, stopping at the
    first step whose time would come after `now`."""
    if (at := pace.dispatch()) > now:
        return
    _dispatch_if_waiting(ticket, actors, at)
    owner = actors.owner(ticket)
    if (at := pace.accept()) > now:
        return
    actors.perform(ticket, "accept", owner, now=at)
    if (at := pace.contact()) > now:
        return
    actors.perform(ticket, "contact", owner, now=at, note="已电话联系诉求人")
    if (at := pace.resolve()) > now:
        return
    actors.perform(ticket, "resolve", owner, now=at, reply=reply)
    if (at := pace.callback()) > now:
        return
    satisfaction = pace.rng.choice(["satisfied"] * 2 + ["basic"])
    actors.perform(
        ticket, "callback", actors.hotline, now=at, resolved=True, satisfaction=satisfaction
    )


# Callbacks that reopen a ticket: not resolved, or resolved but dissatisfied (so the
# demo's 解决率 and 满意率 differ, as they do in life).
UNHAPPY_CALLBACKS = (
    (False, "dissatisfied", "诉求人不满意，要求重新处理"),
    (True, "dissatisfied", "问题已解决，但对处理时效不满意"),
    (False, "basic", "对工作态度基本满意，但问题尚未解决"),
)
# How often each is picked: "resolved but dissatisfied with the delay" only when the
# resolution was late, so no unit shows it without a reason.
UNHAPPY_WEIGHTS = {"late": (3, 2, 2), "on_time": (4, 0, 3)}
RESIDENT_REPORTS = (10, 16, 18)  # rows whose fate (i % 10) is: waiting, resolved, closed


def _summoned(ticket, departments, drawn):
    """Two department codes to summon on `ticket`: those of WHISTLE_DEPARTMENTS for its
    matter, never the department holding it, made up from `drawn`."""
    root = ticket.category.lineage()[-1] if ticket.category_id else None
    suffixes = WHISTLE_DEPARTMENTS.get(root.name if root else None, ())
    codes = [code for suffix in suffixes for code in departments if code.endswith("-" + suffix)]
    holder = ticket.owner_department.code if ticket.owner_department_id else None
    chosen = []
    for code in [*codes, *drawn, *departments]:
        if code != holder and code not in chosen:
            chosen.append(code)
    return chosen[:2]


def _call_again(i, ticket, data, actors, now):
    """Some callers ring again about a matter still open (重复来电): a new ticket that the
    duplicate search links to the first one, for the dispatcher to merge."""
    again_at = ticket.created_at + dt.timedelta(days=1, hours=2)
    if i % 20 != 1 or again_at >= now or not data.get("requester_phone"):
        return  # a 随手拍 reporter follows it in 我的诉求 rather than calling again
    again = {
        **data,
        "channel": "hotline",
        "description": f"再次来电反映，此前反映的问题仍未解决：{data['description']}"[:4000],
        "external_id": f"{data['external_id']}-again",
    }
    intake.create_ticket(again, actor=actors.hotline, now=again_at)


# How old a recent ticket left unfinished can be, by its fate (i % 10), and still be within
# its deadlines (general urgency: signed for by the next working day's end, the requester
# called within 2 working days, resolved within 7): 0 waiting to be signed for, 1-2 signed
# for, 3-5 in hand. A street's open tickets are mostly on time; one row in five of these
# keeps its age (up to three weeks), so some are overdue and the sweep has passed them up
# 网格 → 社区 → 街道. Drawn over three weeks for every fate, half the demo's open tickets had
# climbed to the street and the grid workers' queues were empty.
ON_TIME_AGE = {
    0: dt.timedelta(hours=20),
    **dict.fromkeys((1, 2), dt.timedelta(hours=40)),
    **dict.fromkeys((3, 4, 5), dt.timedelta(days=6)),
}
RECENT_DAYS = 21


# A row signed for but never called (fates 1-2) that keeps its age is at least this many
# working days old: the sweep passed it up for the missed call (2 working days, +24 h
# grace) with its resolve_by (7 working days) still ahead, and that deadline has passed
# by `now`, so the unit above (TakeUp) has had the time to resolve it by then or not.
# Drawn in calendar days, on the first days after a long holiday (2026-02-24, 2026-10-08)
# it fell in the holiday: no call was missed yet, and every ticket the sweep had passed up
# was past its resolve_by already, so none could be resolved in time.
MISSED_CALL_WORKDAYS = 8


def _start(drawn, now, i, calendar):
    """When recent row `i` was received: `drawn` (over the last RECENT_DAYS), brought
    nearer to `now` in proportion for unfinished fates within their ON_TIME_AGE; a signed-
    for row keeping its age at least MISSED_CALL_WORKDAYS old, whole days earlier."""
    cap = ON_TIME_AGE.get(i % 10)
    if cap is None:
        return drawn
    if (i // 10) % 5:
        return now - (now - drawn) * (cap / dt.timedelta(days=RECENT_DAYS))
    while i % 10 in (1, 2) and calendar.workdays_between(drawn, now) < MISSED_CALL_WORKDAYS:
        drawn -= dt.timedelta(days=1)
    return drawn


def seed_recent(rows, buildings, actors, rng, now):
    """Recent tickets over the last three weeks, left in every state."""
    resident = get_user_model().objects.filter(username="resident").select_related("person")
    resident = resident.first()
    city_management = Category.objects.filter(name=DEPARTMENT_DESK_CATEGORY).first()
    calendar = WorkCalendar.load()
    for i, row in enumerate(rows):
        fate = i % 10
        drawn = now - dt.timedelta(hours=rng.uniform(1, RECENT_DAYS * 24))
        start = _start(drawn, now, i, calendar)
        building = rng.choice(buildings)
        if row["message_id"] in GRID_PLACED:
            grid = GRID_PLACED[row["message_id"]][0]
            building = next((b for b in buildings if f"/{grid}/" in b.path), building)
        channel = rng.choice(["hotline", "wechat", "photo", "patrol"])
        data = _data(row, building, rng, channel)
        if row["message_id"] in GRID_PLACED:
            event = GRID_PLACED[row["message_id"]][1]
            data["category"] = Category.objects.filter(grid_event=True, name=event).first()
        if row["message_id"] in DEPARTMENT_DESK and city_management is not None:
            start = now - dt.timedelta(hours=DEPARTMENT_DESK[row["message_id"]])
            data["category"] = city_management
        actor = actors.reporter(channel, building, i)
        if channel == "photo":
            data = _self_service(data)
        if i in RESIDENT_REPORTS and resident is not None:
            # The demo resident's own 随手拍 reports, one waiting, one resolved, one closed,
            # so 我的诉求 has something to show.
            # Naming nobody else, the reporter is the requester (intake links their person).
            data.update(channel="photo", place=resident.person.place.code)
            data.update(requester_name="", requester_phone="")
            actor = resident
        ticket = intake.create_ticket(data, actor=actor, now=start).ticket
        if fate == 0:
            continue  # waiting to be accepted (overdue when old enough)
        pace = Pace(rng, start, now)
        _dispatch_if_waiting(ticket, actors, pace.dispatch())
        owner = actors.owner(ticket)
        actors.perform(ticket, "accept", owner, now=pace.accept())
        if fate in (1, 2):
            _call_again(i, ticket, data, actors, now)
            continue  # accepted, nobody called the requester yet
        actors.perform(ticket, "contact", owner, now=pace.contact(), note="已联系")
        if fate == 3:
            street = actors.street_of(ticket)
            departments = list(Department.objects.order_by("code").values_list("code", flat=True))
            drawn = rng.sample(departments, 2)  # still drawn: later tickets keep their draws
            summoned = _summoned(ticket, departments, drawn)
            blown = pace.step(dt.timedelta(hours=1))
            actors.perform(
                ticket,
                "whistle",
                street,
                now=blown,
                departments=summoned,
                # The report-by the page offers (sla.default_whistle_hours): 24 office hours
                # on a general ticket ran over three working days and a weekend.
                report_within_hours=None,
                reason="涉及多个部门职责，街道吹哨召集联合处置",
            )
            first = Department.objects.get(code=summoned[0])
            actors.perform(
                ticket,
                "whistle-report",
                actors.by_department[first.pk],
                now=pace.step(dt.timedelta(hours=rng.uniform(2, 8))),
                department=first.code,
                note="已到场，联合执法",
            )
            if rng.random() < 0.7:  # the street rates the department that came
                actors.perform(
                    ticket,
                    "whistle-rate",
                    street,
                    now=pace.step(dt.timedelta(hours=rng.uniform(1, 6))),
                    department=first.code,
                    rating=rng.choice((2, 3, 3, 4, 4)),
                )
            continue  # the second department has not reported: late once its report-by passes
        if fate in (4, 5):
            _call_again(i, ticket, data, actors, now)
            continue  # in progress
        actors.perform(
            ticket, "resolve", owner, now=pace.resolve(), reply="已现场处置，问题已解决。"
        )
        if fate == 6:
            continue  # waiting for the callback
        callback_at = pace.callback()
        if fate == 7:
            late = ticket.resolve_by is not None and ticket.resolved_at > ticket.resolve_by
            weights = UNHAPPY_WEIGHTS["late" if late else "on_time"]
            (resolved, satisfaction, note), *_ = rng.choices(UNHAPPY_CALLBACKS, weights=weights)
            actors.perform(
                ticket,
                "callback",
                actors.hotline,
                now=callback_at,
                resolved=resolved,
                satisfaction=satisfaction,
                note=note,
            )
            continue  # reopened
        actors.perform(
            ticket,
            "callback",
            actors.hotline,
            now=callback_at,
            resolved=True,
            satisfaction=rng.choice(["satisfied", "basic"]),
        )


def seed_hot_clusters(rows, actors, rng, now):
    """The HOT_CLUSTERS messages as recent tickets at their compounds: each writer keeps one
    phone, so repeated messages count as one person; older ones accepted and in hand."""
    by_id = {row["message_id"]: row for row in rows}
    phones = {}
    for grid_code, ids in HOT_CLUSTERS:
        grid = Place.objects.filter(code=grid_code).first()
        members = [by_id[i] for i in ids if i in by_id]
        if grid is None or not members:
            continue
        buildings = list(Place.objects.filter(parent=grid, level=Level.BUILDING).order_by("code"))
        times = [parse_time(row["time"]) for row in members]
        span = max(times) - min(times)
        scale = min(1.0, dt.timedelta(days=HOT_CLUSTER_DAYS) / span) if span else 1.0
        latest = now - dt.timedelta(hours=rng.uniform(2, 30))
        for row, at in zip(members, times, strict=True):
            start = latest - (max(times) - at) * scale
            data = _data(row, rng.choice(buildings), rng, rng.choice(["hotline", "wechat"]))
            data["requester_phone"] = phones.setdefault(row["user"], data["requester_phone"])
            ticket = intake.create_ticket(data, actor=actors.hotline, now=start).ticket
            if now - start > dt.timedelta(days=5):
                pace = Pace(rng, start, now)
                _dispatch_if_waiting(ticket, actors, pace.dispatch())
                owner = actors.owner(ticket)
                actors.perform(ticket, "accept", owner, now=pace.accept())
                actors.perform(ticket, "contact", owner, now=pace.contact(), note="已联系")


def seed_tickets(now=None, limit=None):
    """Demo tickets: historical closed ones and recent ones in every state.

    `limit` (default: setting GRIDGOV_DEMO_TICKET_LIMIT, else all) caps the rows
    taken from each sample, for quick test runs.
    """
    if Ticket.objects.filter(external_id__startswith=EXTERNAL_PREFIX).exists():
        return
    limit = limit or getattr(settings, "GRIDGOV_DEMO_TICKET_LIMIT", None)
    seed_routing_rules()
    # The reference data's versions read once, not at every cached lookup of every act
    # (a write of reference data in here would read them again: versions.bump).
    with versions.scope():
        _seed_tickets(now, limit)


def _seed_tickets(now, limit):
    now = now or timezone.now().replace(minute=0, second=0, microsecond=0)
    rng = random.Random(SEED)
    buildings = list(Place.objects.filter(level=Level.BUILDING).order_by("code"))
    actors = Actors()
    replies = read("replies_sample.csv")
    # The recurring complaints are taken from the history whatever the limit: a small demo
    # shows 每月一题 too.
    recurring = [r for r in replies if r["message_id"] in RECURRING_MESSAGES]
    history, recent = replies[:limit], read("hot_messages_sample.csv")[:limit]
    end = now - dt.timedelta(days=25)
    seed_history(history, buildings, actors, rng, end, moved=RECURRING_MESSAGES)
    community = Place.objects.get(code=f"{names.STREETS[0][0]}-{names.COMMUNITIES[0][0][0]}")
    around = [b for b in buildings if b.path.startswith(community.path)]
    seed_recurring(recurring, around, actors, random.Random(SEED + 1), now)
    seed_recent(recent, buildings, actors, rng, now)
    # Its own generator: the clusters leave every other demo ticket as it was.
    seed_hot_clusters(read("hot_clusters_sample.csv"), actors, random.Random(SEED + 2), now)
    actors.replay.take_up = TakeUp(actors, random.Random(SEED + 3))
    actors.replay.finish(now)


def resample(source_dir):
    """Rebuild the packaged samples from the full data set (see data/README.md)."""
    for name, out, step in (
        ("replies.csv", "replies_sample.csv", 9),
        ("hot_messages.csv", "hot_messages_sample.csv", 12),
    ):
        with open(Path(source_dir) / name, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        with open(DATA / out, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows[::step])
    with open(Path(source_dir) / "hot_messages.csv", encoding="utf-8", newline="") as handle:
        rows = {row["message_id"]: row for row in csv.DictReader(handle)}
    with open(DATA / "hot_clusters_sample.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(next(iter(rows.values()))))
        writer.writeheader()
        writer.writerows(rows[i] for _grid, ids in HOT_CLUSTERS for i in ids)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--resample":
        resample(sys.argv[2])
    else:
        sys.exit("usage: python -m gridgov.demo.tickets --resample DIR")
