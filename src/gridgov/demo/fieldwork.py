"""Demo field work (网格巡查、入户走访): patrol tasks for the grids of 魏家坡社区 with a few
weeks of walks (one hazard reported on the way), and visits to some households, so the
grid worker's pages have something due, something done and households left to visit.

The hazard is an emergency (a blocked fire lane): the grid worker who found it signs for
it and clears it within its time limits, and the street desk closes it the next day; its
acts go through the demo's SweepReplay (tickets.py) as every demo ticket's do, and the
sweep's past is replayed on whatever field-work ticket is left open, so the first real
sweep after the demo does not stamp days of 督办 and 上报 with the demo's start."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from gridgov.people.models import Household
from gridgov.people.scope import scope_for
from gridgov.places.models import Level, Place
from gridgov.tickets import patrols
from gridgov.tickets.models import PatrolTask, Status, Ticket

from .tickets import Actors

DAILY = ("楼道堆物", "消防通道", "电动车违规充电", "井盖与路灯", "垃圾分类投放")
FIRE = ("消火栓与灭火器", "疏散通道与安全出口", "高层楼道烟感")
COMMUNITY = "QF-WJ-WJP"
HEARD = (
    "家中老人身体尚好，反映小区健身器材有损坏。",
    "住户表示近期无困难，对物业服务基本满意。",
    "独居老人，子女在外地，希望社区定期上门看看。",
    "反映楼上漏水，已与物业联系，尚未修好。",
)
HAZARD = {
    "title": "消防通道被私家车占用",
    "description": "巡查发现2栋东侧消防通道停放私家车两辆，阻碍消防车通行。",
}
HAZARD_REPLY = "已联系车主将两辆私家车移走，消防通道恢复畅通；已请物业在通道口增设禁停标识。"
HAZARD_CLOSE = "网格员巡查发现并当场处置，经街道核查消防通道已畅通，予以结案。"


def seed_fieldwork(now=None):
    if PatrolTask.objects.exists():
        return
    now = now or timezone.now().replace(minute=0, second=0, microsecond=0)
    users = get_user_model().objects.in_bulk(["gridworker", "gridworker2"], field_name="username")
    grids = Place.objects.filter(level=Level.GRID, path__contains=f"/{COMMUNITY}/")
    for grid in grids.order_by("code"):
        PatrolTask.objects.create(grid=grid, title=f"{grid.name}日常巡查", checklist=list(DAILY))
        PatrolTask.objects.create(
            grid=grid, title=f"{grid.name}消防安全专项巡查", checklist=list(FIRE), every_days=7
        )
    walker = users.get("gridworker")
    if walker is None:
        return
    actors = Actors()
    paths = scope_for(walker).paths(patrols.PATROL_ROLES)
    tasks = PatrolTask.objects.filter(grid__path__in=paths).order_by("id")
    daily, fire = tasks[0], tasks[1]
    # Walked every day until yesterday, so today's walk is due; a hazard three days ago.
    for days_ago in range(6, 0, -1):
        at = now - dt.timedelta(days=days_ago, hours=3)
        results = dict.fromkeys(daily.checklist, "ok")
        hazard = None
        if days_ago == 3:
            results["消防通道"] = "issue"
            hazard = dict(HAZARD)
        record = patrols.record_patrol(
            walker, daily, results=results, note="", hazard=hazard, now=at
        )
        if record.ticket is not None:
            _clear(record.ticket, walker, actors, at)
    patrols.record_patrol(
        walker,
        fire,
        results=dict.fromkeys(fire.checklist, "ok"),
        now=now - dt.timedelta(days=9),
    )
    # Some households visited lately; the rest of the grid is listed to visit.
    households = Household.objects.filter(building__path__startswith=daily.grid.path)
    for index, household in enumerate(households.order_by("id")[:8]):
        at = now - dt.timedelta(days=2 + 9 * index)
        patrols.log_visit(walker, household, heard=HEARD[index % len(HEARD)], at=at, now=now)
    # The sweep's past on the field work's tickets left open (none, as told above).
    made = Q(patrol_records__isnull=False) | Q(visits__isnull=False)
    actors.replay.finish(now, Ticket.objects.filter(made).distinct())


def _clear(ticket, walker, actors, found_at):
    """The hazard handled as an emergency is: signed for within minutes by the grid worker
    who found it (its grid holds it), cleared within the hour, which is the first word on
    it (响应), and closed by the street desk's check the next day (nobody to call back)."""
    if ticket.status != Status.DISPATCHED or ticket.owner_place_id != ticket.grid_id:
        return  # not sent to the walker's grid: left to the sweep's replay
    actors.perform(ticket, "accept", walker, now=found_at + dt.timedelta(minutes=4))
    actors.perform(
        ticket, "resolve", walker, now=found_at + dt.timedelta(minutes=50), reply=HAZARD_REPLY
    )
    actors.perform(
        ticket,
        "close",
        actors.street_of(ticket),
        now=found_at + dt.timedelta(hours=19),
        reason=HAZARD_CLOSE,
    )
