"""Benchmark: a city-size database and the read paths that must stay fast in it.

Builds, in its own PostgreSQL database (default `gridgov_city` on 127.0.0.1:5432,
dropped and created afresh), a city through the project's own code paths:

1. Places through the models (Place.path_for, bulk_create, then versions.bump as
   places.io does): 6 districts of 8 streets of 5 communities, 2,440 grids in all
   (10-11 per community) with rectangular boundaries, 10 buildings a grid (24,400).
   Each district has the demo's 11 departments and routing rules (demo.tickets
   DEPARTMENT_RULES) naming them for the district; one login for every office
   (grid worker, community and street staff, district staff and a hotline operator
   a district, a handler per department).
2. Tickets through gridgov.tickets.imports.import_rows (validation, routing,
   deadlines, codes, COPY of tickets and their create + dispatch events), a month
   at a time, spread over the last 365 days (office hours weigh most), at buildings
   of unevenly busy grids, titles and bodies from the shipped teddy2020 corpus with
   their first-level category (a child category drawn under it), one in ten a grid
   event; callers' phones repeat (a pool of regular callers).
3. After each month's import, the tickets' lifecycle written in bulk SQL (COPY)
   exactly as tickets.lifecycle writes it: accept, contact (one in ten resolved
   without a separate contact: the resolve stands for it, `responded_on_time`),
   resolve, callback with its Callback row (the owner judged, the district's hotline
   asking); 5 % of callbacks unhappy, reopening the ticket with fresh deadlines
   (sla.compute_deadlines from the callback, `deadlines` before/after in the event's
   data), then contact, resolve and a happy callback. Each event carries the owner,
   from/to status, actor, reason and data lifecycle would give it; each ticket's
   fields (status, accepted/contacted/resolved/closed times, resolution, deadlines,
   reopen_count, version, updated_at) are set to match. Steps that would fall after
   now are not taken (recent tickets stay open), and 0.5 % of tickets stall at some
   step (a backlog of old overdue tickets, as a real city has). No escalation,
   supervision, extension, whistle or merge is written.

Then VACUUM ANALYZE (500,000 tickets: 3 million events, 2 GB, about 23 minutes on two
shared cores; --keep the database and measure it again with --reuse), and times (median
of --repeat runs after a warm-up) these paths, for the logins of one district. Requests go
through Django's test client in this process, no HTTP server: the view, its queries and
its rendering; connections are kept (GRIDGOV_DB_CONN_MAX_AGE=600), so psycopg binds on
the server and prepares what runs five times, as in production; sessions run without JIT
(core.db).

- `GET /api/v1/tickets/?ordering=deadline` for a district, street, community, grid
  and department user (list_deadline_<user>_s), and their queue page sorted by
  nearest deadline (`/tickets/?tab=all`, queue_<user>_s);
- `GET /api/v1/kpis/` of the district's communities over a year (kpis_communities_
  year_s) and the KPI ranking page of the district (streets) over a year
  (ranking_district_year_s);
- `gridgov sweep`'s work (sweep.run) the first time and again, and the hot-issue
  refresh over 30 days (insights.hotissues.refresh) the first time and again with its
  number of queries: these write, so each runs committed on a copy of the city
  (CREATE DATABASE … TEMPLATE), dropped afterwards.

Prints progress on stderr; the last line on stdout is one JSON object (rates as
*_per_s, seconds as *_s).

    python bench/scale_city.py [--database gridgov_city] [--tickets 500000] [--keep]
    python bench/scale_city.py --reuse [--only list,queue,kpis,sweep,hot]   # measure a kept one
"""

import argparse
import bisect
import csv
import datetime as dt
import gzip
import itertools
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DISTRICTS, STREETS, COMMUNITIES, GRIDS, BUILDINGS = 6, 8, 5, 2440, 10
HEADERS = ["工单编号", "受理时间", "诉求标题", "诉求内容", "诉求地址", "来电人", "联系电话"]
HEADERS += ["诉求类型", "诉求性质", "地点编码"]
NATURES = ["投诉", "投诉", "求助", "求助", "举报", "建议", "咨询"]
REPLY = "经核实，问题已处理完毕，并已电话告知来电人处理结果。"
STALL_SHARE = 0.005  # tickets left at some step for good: an old backlog
REOPEN_SHARE = 0.05  # unhappy callbacks
MEASURED = ("list", "queue", "kpis", "sweep", "hot")


def log(message):
    print(message, file=sys.stderr, flush=True)


# --- database and Django --------------------------------------------------------------------


def recreate_database(admin_url, name):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url, name):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(db_url, data_dir):
    os.environ["GRIDGOV_DATABASE_URL"] = db_url
    os.environ["GRIDGOV_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("GRIDGOV_SECRET_KEY", "bench-" + "x" * 50)
    os.environ["GRIDGOV_DB_CONN_MAX_AGE"] = "600"
    os.environ["GRIDGOV_DEBUG"] = "0"  # no query log; the test client's host allowed
    os.environ["GRIDGOV_ALLOWED_HOSTS"] = "testserver"
    os.environ["GRIDGOV_SSL_REDIRECT"] = "0"
    os.environ["GRIDGOV_SECURE_COOKIES"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "gridgov.settings"
    import django

    django.setup()


# --- places, departments, logins ------------------------------------------------------------


def _rect(lng0, lat0, lng1, lat1):
    ring = [[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def build_places(grids_total):
    """The place tree through the models (paths by Place.path_for), one bulk_create per level."""
    from gridgov.core import versions
    from gridgov.demo import names
    from gridgov.places.models import Level, Place

    started = time.perf_counter()
    communities_total = DISTRICTS * STREETS * COMMUNITIES
    per, extra = divmod(grids_total, communities_total)
    compounds = itertools.cycle(names.COMPOUNDS)
    # Areas: (code, name, level, parent code, box, address)
    districts, streets, communities, grids = [], [], [], []
    count = 0
    for d in range(1, DISTRICTS + 1):
        lng_d, lat_d = 112.80 + 0.12 * (d - 1), 28.10
        districts.append((f"Q{d}", f"第{d}区", None, (lng_d, lat_d, lng_d + 0.1, lat_d + 0.16)))
        for s in range(1, STREETS + 1):
            lat_s = lat_d + 0.02 * (s - 1)
            s_code = f"Q{d}-S{s:02d}"
            streets.append(
                (s_code, f"第{d}区第{s}街道", f"Q{d}", (lng_d, lat_s, lng_d + 0.1, lat_s + 0.02))
            )
            for c in range(1, COMMUNITIES + 1):
                lng_c = lng_d + 0.02 * (c - 1)
                c_code = f"{s_code}-C{c:02d}"
                communities.append(
                    (
                        c_code,
                        f"{d}区{s}街{c}社区",
                        s_code,
                        (lng_c, lat_s, lng_c + 0.02, lat_s + 0.02),
                    )
                )
                n = per + (1 if count < extra else 0)
                count += 1
                for g in range(1, n + 1):
                    width = 0.02 / n
                    box = (lng_c + width * (g - 1), lat_s, lng_c + width * g, lat_s + 0.02)
                    compound = f"{d}区{s}街{c}社{next(compounds)}{g}"
                    grids.append((f"{c_code}-G{g:02d}", compound, c_code, box))
    by_code = {}
    for level, rows in (
        (Level.DISTRICT, districts),
        (Level.STREET, streets),
        (Level.COMMUNITY, communities),
        (Level.GRID, grids),
    ):
        objects = []
        for code, name, parent_code, (lng0, lat0, lng1, lat1) in rows:
            parent = by_code.get(parent_code)
            objects.append(
                Place(
                    code=code,
                    name=name,
                    level=level,
                    parent=parent,
                    path=Place.path_for(parent, code),
                    boundary=_rect(lng0, lat0, lng1, lat1),
                    lat=round((lat0 + lat1) / 2, 6),
                    lng=round((lng0 + lng1) / 2, 6),
                    address=name if level == Level.GRID else "",
                )
            )
        for start in range(0, len(objects), 2000):
            Place.objects.bulk_create(objects[start : start + 2000])
        by_code.update({p.code: p for p in objects})
    buildings = []
    for code, compound, _parent, (lng0, lat0, lng1, lat1) in grids:
        grid = by_code[code]
        for b in range(1, BUILDINGS + 1):
            b_code = f"{code}-B{b:02d}"
            buildings.append(
                Place(
                    code=b_code,
                    name=f"{b}栋",
                    level=Level.BUILDING,
                    parent=grid,
                    path=Place.path_for(grid, b_code),
                    lat=round(lat0 + (lat1 - lat0) * (0.3 + 0.4 * ((b - 1) // 5)), 6),
                    lng=round(lng0 + (lng1 - lng0) * (0.1 + 0.16 * ((b - 1) % 5)), 6),
                    address=f"{compound}{b}栋",
                )
            )
    for start in range(0, len(buildings), 5000):
        Place.objects.bulk_create(buildings[start : start + 5000])
    versions.bump("places")  # bulk_create sends no post_save
    log(
        f"places: {len(districts)} districts, {len(streets)} streets, {len(communities)} "
        f"communities, {len(grids)} grids, {len(buildings)} buildings "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return [b.code for b in buildings]


def build_units():
    """Departments and routing rules per district (the demo's), one login per office."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from gridgov.core import versions
    from gridgov.demo import names
    from gridgov.demo.tickets import DEPARTMENT_RULES
    from gridgov.people.models import Department, Role, RoleAssignment
    from gridgov.places.models import Level, Place
    from gridgov.tickets.models import Category, RoutingRule

    started = time.perf_counter()
    districts = list(Place.objects.filter(level=Level.DISTRICT).order_by("code"))
    departments = []
    for district in districts:
        for code, name in names.DEPARTMENTS:
            departments.append(
                Department(
                    code=f"D-{district.code}-{code}", name=f"{district.name}{name}", place=district
                )
            )
    Department.objects.bulk_create(departments)
    versions.bump("departments")  # bulk_create sends no post_save
    by_suffix = {(d.place_id, d.code.rsplit("-", 1)[-1]): d for d in departments}
    for district in districts:
        for name, suffix in DEPARTMENT_RULES.items():
            for category in Category.objects.filter(name=name):
                RoutingRule.objects.create(
                    category=category, place=district, department=by_suffix[(district.pk, suffix)]
                )
    User = get_user_model()
    password = make_password("bench-pass-123")
    wanted = []  # (username, role, place id, department id)
    offices = {
        Level.GRID: ("gw", Role.GRID_WORKER),
        Level.COMMUNITY: ("cs", Role.COMMUNITY_STAFF),
        Level.STREET: ("ss", Role.STREET_STAFF),
        Level.DISTRICT: ("ds", Role.DISTRICT_STAFF),
    }
    for place_id, code, level in Place.objects.exclude(level=Level.BUILDING).values_list(
        "id", "code", "level"
    ):
        prefix, role = offices[level]
        wanted.append((f"{prefix}-{code.lower()}", role, place_id, None))
        if level == Level.DISTRICT:
            wanted.append((f"hl-{code.lower()}", Role.HOTLINE_OPERATOR, place_id, None))
    for d in departments:
        wanted.append((f"dh-{d.code.lower()}", Role.DEPARTMENT_HANDLER, None, d.pk))
    users = [User(username=u, password=password) for u, *_rest in wanted]
    User.objects.bulk_create(users, batch_size=2000)
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user=user, role=role, place_id=place_id, department_id=department_id)
            for user, (_u, role, place_id, department_id) in zip(users, wanted, strict=True)
        ],
        batch_size=2000,
    )
    log(
        f"units: {len(departments)} departments, {RoutingRule.objects.count()} routing rules, "
        f"{len(users)} logins in {time.perf_counter() - started:.1f}s"
    )


# --- tickets --------------------------------------------------------------------------------


def corpus():
    """(title, first-level category name) and bodies by category, from the shipped corpus."""
    import gridgov.insights

    data = Path(gridgov.insights.__file__).parent / "data"
    with gzip.open(data / "titles.csv.gz", "rt", encoding="utf-8") as f:
        titles = [(row["title"][:200], row["label"]) for row in csv.DictReader(f)]
    bodies = {}
    with gzip.open(data / "bodies.csv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            bodies.setdefault(row["label"], []).append(row["body"][:600])
    return titles, bodies


class TicketRows:
    """12345 export rows for import_rows, deterministic from the seed."""

    def __init__(self, buildings, rng, now, total):
        from django.utils import timezone

        from gridgov.tickets.models import Category

        self.rng, self.now, self.total = rng, timezone.localtime(now), total
        self.titles, self.bodies = corpus()
        below = {}
        for c in Category.objects.filter(active=True).select_related("parent__parent"):
            top = c.top()
            below.setdefault(top.name, []).append(c.code)
        self.categories = below
        self.events = list(
            Category.objects.filter(grid_event=True).order_by("code").values_list("code", "name")
        )
        # Unevenly busy grids: a log-normal weight each, shared by its buildings.
        grid_weight = {}
        weights = []
        for code in buildings:
            grid = code.rsplit("-", 1)[0]
            if grid not in grid_weight:
                grid_weight[grid] = rng.lognormvariate(0, 0.6)
            weights.append(grid_weight[grid])
        self.buildings = buildings
        self.cum = list(itertools.accumulate(weights))
        self.regulars = [f"139{rng.randrange(10**8):08d}" for _ in range(max(total // 20, 100))]
        self.start = self.now - dt.timedelta(days=365)  # local wall time, as 12345 exports
        self.serial = 0

    def when(self, index):
        """The index-th of `total` times over the year, at office hours mostly."""
        day = self.start + dt.timedelta(days=365 * index / self.total)
        hour = self.rng.choices(range(24), weights=[1] * 7 + [6] * 12 + [3] * 5)[0]
        moment = day.replace(
            hour=hour, minute=self.rng.randrange(60), second=self.rng.randrange(60)
        )
        return min(moment, self.now - dt.timedelta(minutes=30))

    def rows(self, first, count):
        rng, out = self.rng, []
        for index in range(first, first + count):
            at = self.when(index)
            building = self.buildings[bisect.bisect(self.cum, rng.random() * self.cum[-1])]
            if rng.random() < 0.1:
                category, name = rng.choice(self.events)
                title = f"{name}：{building}附近"
                body = f"{building}附近{name}，请尽快处理。"
            else:
                title, label = rng.choice(self.titles)
                category = rng.choice(self.categories[label])
                body = rng.choice(self.bodies.get(label) or [title])
            phone = (
                rng.choice(self.regulars) if rng.random() < 0.3 else f"13{rng.randrange(10**9):09d}"
            )
            self.serial += 1
            out.append(
                (
                    index + 2,
                    [
                        f"C{self.serial:08d}",
                        at.strftime("%Y-%m-%d %H:%M:%S"),
                        title,
                        body,
                        "",
                        "市民",
                        phone,
                        category,
                        rng.choice(NATURES),
                        building,
                    ],
                )
            )
        return out


# --- lifecycle in bulk ----------------------------------------------------------------------


def _delay(rng, median_minutes, spread, low, high):
    minutes = rng.lognormvariate(math.log(median_minutes), spread)
    return dt.timedelta(minutes=min(max(minutes, low), high))


class Lifecycle:
    """Events, callbacks and final ticket fields as tickets.lifecycle would write them."""

    def __init__(self, rng, now):
        from gridgov.people.models import Department, Role, RoleAssignment
        from gridgov.places.models import Place
        from gridgov.tickets.models import Category

        self.rng, self.now = rng, now
        self.handler = {}  # ("place"|"department", id) → user id
        self.hotline = {}  # district code → user id
        for user_id, role, place_id, department_id, path in RoleAssignment.objects.values_list(
            "user_id", "role", "place_id", "department_id", "place__path"
        ):
            if role == Role.HOTLINE_OPERATOR:
                self.hotline[path.strip("/").split("/")[0]] = user_id
            elif department_id:
                self.handler[("department", department_id)] = user_id
            elif role != Role.DISTRICT_STAFF:
                self.handler[("place", place_id)] = user_id
        self.district_of_place = {
            pk: path.strip("/").split("/")[0]
            for pk, path in Place.objects.exclude(level="building").values_list("id", "path")
        }
        self.district_of_department = {
            d.pk: d.place.code for d in Department.objects.select_related("place")
        }
        self.categories = {c.pk: c for c in Category.objects.select_related("parent__parent")}

    def ticket(self, t):
        """(events, callbacks, fields or None) for one imported ticket (a dict of its columns)."""
        from gridgov.tickets import sla
        from gridgov.tickets.models import Status, Urgency

        rng, S = self.rng, Status
        if t["status"] != S.DISPATCHED:
            return [], [], None  # at the dispatch desk: left there
        owner = (
            ("department", t["owner_department_id"])
            if t["owner_department_id"]
            else (
                "place",
                t["owner_place_id"],
            )
        )
        handler = self.handler.get(owner)
        district = (
            self.district_of_department[owner[1]]
            if owner[0] == "department"
            else self.district_of_place[owner[1]]
        )
        hotline = self.hotline[district]
        fast = t["urgency"] in (Urgency.EMERGENCY, Urgency.UTILITY)
        stall = rng.choice(("accept", "contact", "resolve")) if rng.random() < STALL_SHARE else None
        common = {
            "owner_place_id": t["owner_place_id"],
            "owner_department_id": t["owner_department_id"],
        }
        events, callbacks = [], []
        fields = {
            "status": t["status"],
            "accepted_at": None,
            "contacted_at": None,
            "resolved_at": None,
            "closed_at": None,
            "resolution": "",
            "reopen_count": 0,
            "respond_by": t["respond_by"],
            "resolve_by": t["resolve_by"],
            "version": 0,
            "updated_at": t["updated_at"],
        }
        state = {"at": t["created_at"], "status": t["status"]}

        def step(delay):
            at = state["at"] + delay
            if at > self.now:
                return None
            state["at"] = at
            return at

        def event(action, to_status, actor, reason="", data=None):
            events.append(
                (
                    state["at"],
                    t["id"],
                    action,
                    state["status"],
                    to_status,
                    actor,
                    common["owner_place_id"],
                    common["owner_department_id"],
                    reason,
                    data or {},
                )
            )
            state["status"] = to_status
            fields["status"] = to_status
            fields["version"] += 1
            fields["updated_at"] = state["at"]

        # accept
        if stall == "accept":
            return events, callbacks, fields
        if step(_delay(rng, 10 if fast else 70, 1.0, 2, 30 * 60)) is None:
            return events, callbacks, fields
        fields["accepted_at"] = state["at"]
        event("accept", S.ACCEPTED, handler)
        for round_ in (1, 2):
            # contact (or, one time in ten, the resolve stands for it)
            contact_first = rng.random() < 0.9
            if contact_first:
                if stall == "contact" and round_ == 1:
                    return events, callbacks, fields
                if step(_delay(rng, 20 if fast else 150, 0.9, 3, 40 * 60)) is None:
                    return events, callbacks, fields
                on_time = bool(fields["respond_by"] and state["at"] <= fields["respond_by"])
                fields["contacted_at"] = state["at"]
                event(
                    "contact", S.IN_PROGRESS, handler, data={"method": "phone", "on_time": on_time}
                )
            # resolve
            if stall == "resolve" and round_ == 1:
                return events, callbacks, fields
            if fast:
                delay = _delay(rng, 90, 0.8, 10, 3 * 24 * 60)
            elif rng.random() < 0.1:
                delay = dt.timedelta(days=rng.uniform(5, 20))  # slow: often past resolve_by
            else:
                delay = dt.timedelta(days=rng.uniform(0.2, 4))
            if step(delay) is None:
                return events, callbacks, fields
            data = {"on_time": bool(fields["resolve_by"] and state["at"] <= fields["resolve_by"])}
            if fields["contacted_at"] is None:
                fields["contacted_at"] = state["at"]
                data["responded_on_time"] = bool(
                    fields["respond_by"] and state["at"] <= fields["respond_by"]
                )
            fields["resolved_at"], fields["resolution"] = state["at"], REPLY
            event("resolve", S.RESOLVED, handler, reason=REPLY, data=data)
            # callback
            if step(dt.timedelta(hours=rng.uniform(3, 30))) is None:
                return events, callbacks, fields
            happy = round_ == 2 or rng.random() >= REOPEN_SHARE
            if happy:
                resolved = True
                satisfaction = "satisfied" if rng.random() < 0.75 else "basic"
            else:
                resolved = rng.random() < 0.4
                satisfaction = "dissatisfied" if resolved or rng.random() < 0.7 else "basic"
            callbacks.append(
                (state["at"], t["id"], resolved, satisfaction, "", *common.values(), hotline)
            )
            data = {"resolved": resolved, "satisfaction": satisfaction}
            if happy:
                fields["closed_at"] = state["at"]
                event("callback", S.CLOSED, hotline, data=data)
                return events, callbacks, fields
            # lifecycle._reopen_fields / _reopen_data: fresh deadlines from the callback
            category = self.categories.get(t["category_id"])
            fresh = sla.compute_deadlines(t["urgency"], category, state["at"])
            before, after = {}, {}
            for name in ("respond_by", "resolve_by"):
                new = getattr(fresh, name)
                if new != fields[name]:
                    old = fields[name]
                    before[name] = old.isoformat() if old else None
                    after[name] = new.isoformat()
            if after:
                data["deadlines"] = {"before": before, "after": after}
            fields.update(
                reopen_count=fields["reopen_count"] + 1,
                resolved_at=None,
                closed_at=None,
                accepted_at=state["at"],
                respond_by=fresh.respond_by,
                resolve_by=fresh.resolve_by,
                contacted_at=None,
            )
            event("callback", S.REOPENED, hotline, data=data)
        return events, callbacks, fields


EVENT_COLUMNS = (
    "at",
    "ticket_id",
    "action",
    "from_status",
    "to_status",
    "actor_id",
    "owner_place_id",
    "owner_department_id",
    "reason",
    "data",
)
CALLBACK_COLUMNS = (
    "at",
    "ticket_id",
    "resolved",
    "satisfaction",
    "note",
    "owner_place_id",
    "owner_department_id",
    "by_id",
)
FIELD_COLUMNS = (
    "status",
    "accepted_at",
    "contacted_at",
    "resolved_at",
    "closed_at",
    "resolution",
    "reopen_count",
    "respond_by",
    "resolve_by",
    "version",
    "updated_at",
)


def write_lifecycle(life, since_id):
    """Events, callbacks and ticket fields of the tickets with id > since_id, in bulk."""
    from django.db import connection, transaction

    ticket_columns = (
        "id",
        "status",
        "urgency",
        "category_id",
        "owner_place_id",
        "owner_department_id",
        "created_at",
        "respond_by",
        "resolve_by",
        "updated_at",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(ticket_columns)} FROM tickets_ticket WHERE id > %s "
            "ORDER BY created_at, id",
            [since_id],
        )
        tickets = [dict(zip(ticket_columns, row, strict=True)) for row in cursor.fetchall()]
    events, callbacks, updates = [], [], []
    for t in tickets:
        evs, cbs, fields = life.ticket(t)
        events += evs
        callbacks += cbs
        if fields is not None and fields["version"]:
            updates.append((t["id"], *(fields[c] for c in FIELD_COLUMNS)))
    events.sort(key=lambda e: (e[0], e[1]))  # ids in time order, as a running system's
    callbacks.sort(key=lambda c: (c[0], c[1]))
    raw = connection.connection
    with transaction.atomic(), raw.cursor() as cursor:
        with cursor.copy(
            f"COPY tickets_ticketevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
        ) as copy:
            for e in events:
                copy.write_row((*e[:-1], json.dumps(e[-1], ensure_ascii=False)))
        with cursor.copy(
            f"COPY tickets_callback ({', '.join(CALLBACK_COLUMNS)}) FROM STDIN"
        ) as copy:
            for c in callbacks:
                copy.write_row(c)
        cursor.execute(
            "CREATE TEMP TABLE scale_fields (id bigint, status varchar(16), "
            "accepted_at timestamptz, contacted_at timestamptz, resolved_at timestamptz, "
            "closed_at timestamptz, resolution text, reopen_count smallint, "
            "respond_by timestamptz, resolve_by timestamptz, version integer, "
            "updated_at timestamptz) ON COMMIT DROP"
        )
        with cursor.copy(f"COPY scale_fields (id, {', '.join(FIELD_COLUMNS)}) FROM STDIN") as copy:
            for row in updates:
                copy.write_row(row)
        assignments = ", ".join(f"{c} = f.{c}" for c in FIELD_COLUMNS)
        cursor.execute(
            f"UPDATE tickets_ticket t SET {assignments} FROM scale_fields f WHERE t.id = f.id"
        )
    return len(tickets), len(events), len(callbacks)


def build_tickets(args, buildings, rng, now):
    from django.db import connection

    from gridgov.tickets import imports

    rows = TicketRows(buildings, rng, now, args.tickets)
    life = Lifecycle(rng, now)
    figures = {"import_s": 0.0, "lifecycle_s": 0.0, "lifecycle_events": 0, "lifecycle_callbacks": 0}
    batch = max(1000, args.tickets // 12)  # about a month a batch
    done = 0
    while done < args.tickets:
        count = min(batch, args.tickets - done)
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
            (since_id,) = cursor.fetchone()
        chunk = rows.rows(done, count)
        started = time.perf_counter()
        report = imports.import_rows(HEADERS, chunk, source="scale_city", now=now)
        assert report.ok, report.errors[:5]
        assert report.created == count, report
        figures["import_s"] += time.perf_counter() - started
        started = time.perf_counter()
        _n, n_events, n_callbacks = write_lifecycle(life, since_id)
        figures["lifecycle_s"] += time.perf_counter() - started
        figures["lifecycle_events"] += n_events
        figures["lifecycle_callbacks"] += n_callbacks
        done += count
        log(
            f"tickets: {done:,}/{args.tickets:,} imported ({report.dispatched:,} of the last "
            f"{count:,} dispatched), {figures['lifecycle_events']:,} lifecycle events and "
            f"{figures['lifecycle_callbacks']:,} callbacks so far; import {figures['import_s']:.0f}s, "
            f"lifecycle {figures['lifecycle_s']:.0f}s"
        )
    figures["import_per_s"] = round(args.tickets / figures["import_s"])
    figures["lifecycle_events_per_s"] = round(figures["lifecycle_events"] / figures["lifecycle_s"])
    for name in ("import_s", "lifecycle_s"):
        figures[name] = round(figures[name], 1)
    return figures


def vacuum(db_url):
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    log(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f}s")


def census():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM tickets_ticket), (SELECT count(*) FROM "
            "tickets_ticketevent), (SELECT count(*) FROM tickets_callback), (SELECT count(*) "
            "FROM tickets_ticket WHERE reopen_count > 0), (SELECT count(*) FROM tickets_ticket "
            "WHERE status NOT IN ('closed', 'answered', 'merged')), "
            "pg_database_size(current_database())"
        )
        tickets, events, callbacks, reopened, open_, size = cursor.fetchone()
    log(
        f"city: {tickets:,} tickets ({open_:,} open, {reopened:,} reopened), {events:,} events, "
        f"{callbacks:,} callbacks, database {size / 2**30:.2f} GB"
    )
    return {
        "tickets": tickets,
        "events": events,
        "callbacks": callbacks,
        "reopened": reopened,
        "open": open_,
        "db_gb": round(size / 2**30, 2),
    }


# --- measurements ---------------------------------------------------------------------------


def logins():
    """The measured logins: a district's staff, its first street, community, grid, and its
    city-management handler."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    names = {
        "district": "ds-q1",
        "street": "ss-q1-s01",
        "community": "cs-q1-s01-c01",
        "grid": "gw-q1-s01-c01-g01",
        "department": "dh-d-q1-cg",
    }
    return {kind: User.objects.get(username=username) for kind, username in names.items()}


def timed(fn, repeat):
    fn()  # warm-up: caches, plans, the session's first queries
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), runs


def _get(client, url):
    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return get


def measure_reads(args, only, figures):
    from django.test import Client

    users = logins()
    clients = {}
    for kind, user in users.items():
        clients[kind] = Client()
        clients[kind].force_login(user)
    paths = []
    if "list" in only:
        paths += [
            (f"list_deadline_{kind}_s", kind, "/api/v1/tickets/?ordering=deadline")
            for kind in users
        ]
    if "queue" in only:
        paths += [(f"queue_{kind}_s", kind, "/tickets/?tab=all") for kind in users]
    if "kpis" in only:
        today = dt.date.today()
        start = (today - dt.timedelta(days=364)).isoformat()
        year = f"start={start}&end={today.isoformat()}"
        paths += [
            (
                "kpis_communities_year_s",
                "district",
                f"/api/v1/kpis/?level=community&parent=Q1&{year}",
            ),
            (
                "ranking_district_year_s",
                "district",
                f"/tickets/kpis/?parent=Q1&level=street&period=custom&{year}",
            ),
        ]
    for name, kind, url in paths:
        seconds, runs = timed(_get(clients[kind], url), args.repeat)
        figures[name] = round(seconds, 3)
        log(f"{name}: {seconds:.3f}s median ({', '.join(f'{r:.3f}' for r in runs)}) {url}")


def on_a_copy(args, admin_url, fn):
    """fn() against a copy of the city (CREATE DATABASE … TEMPLATE, dropped afterwards), so
    what writes (the sweep, the hot-issue refresh) runs for real, committed as in production,
    and every measurement starts from the city as built; → fn's result."""
    import psycopg
    from django.db import connections

    copy = f"{args.database}_copy"
    connections.close_all()
    started = time.perf_counter()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{args.database}" STRATEGY FILE_COPY')
    log(f"copied the city in {time.perf_counter() - started:.1f}s")
    settings_dict = connections["default"].settings_dict
    settings_dict["NAME"] = copy
    try:
        return fn()
    finally:
        connections.close_all()
        settings_dict["NAME"] = args.database
        drop_database(admin_url, copy)


def measure_sweep(figures):
    """gridgov sweep's work (sweep.run, reminders off: nobody has an address) twice."""
    from django.utils import timezone

    from gridgov.tickets import sweep

    now = timezone.now()
    started = time.perf_counter()
    first = sweep.run(now=now, remind=False)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    again = sweep.run(now=now, remind=False)
    again_s = time.perf_counter() - started
    figures.update(
        sweep_first_s=round(first_s, 2),
        sweep_again_s=round(again_s, 2),
        sweep_overdue=first.overdue,
        sweep_supervised=len(first.supervised),
        sweep_escalated=len(first.escalated),
    )
    log(
        f"sweep: first {first_s:.2f}s ({first.overdue:,} overdue, {len(first.supervised):,} "
        f"supervised, {len(first.escalated):,} escalated, {len(first.errors)} errors), "
        f"again {again_s:.2f}s ({len(again.supervised)} supervised)"
    )


def measure_hot(figures):
    """The hot-issue refresh over 30 days, the first time and again (issues then exist)."""
    from django.db import connection

    from gridgov.insights import hotissues

    for name in ("first", "again"):
        queries = []  # counted by a wrapper: the debug log keeps only the last 9,000

        def count(run, *args, queries=queries):
            queries.append(1)
            return run(*args)

        with connection.execute_wrapper(count):
            started = time.perf_counter()
            issues = hotissues.refresh(days=30)
            seconds = time.perf_counter() - started
        figures[f"hot_{name}_s"] = round(seconds, 2)
        figures[f"hot_{name}_queries"] = len(queries)
        figures["hot_issues"] = issues
        log(
            f"hot issues ({name}): {issues:,} over 30 days in {seconds:.2f}s, {len(queries):,} queries"
        )


# --- main -----------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="gridgov_city")
    parser.add_argument("--tickets", type=int, default=500_000)
    parser.add_argument("--grids", type=int, default=GRIDS)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database, no build")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--only", default=",".join(MEASURED), help="paths to measure")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args(argv)
    args.tickets = max(1000, min(args.tickets, 2_000_000))
    only = {o.strip() for o in args.only.split(",") if o.strip()}
    if only - set(MEASURED):
        parser.error(f"--only: one or more of {', '.join(MEASURED)}")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the benchmark only talks to a database on this machine")

    base = f"postgres://{args.user}@{args.host}:{args.port}"
    admin_url, db_url = f"{base}/postgres", f"{base}/{args.database}"
    data_dir = Path(tempfile.mkdtemp(prefix="gridgov-city-"))
    (data_dir / "static").mkdir()  # the static files' folder (whitenoise warns without it)
    rng = random.Random(args.seed)
    if not args.reuse:
        recreate_database(admin_url, args.database)
    figures = {}
    try:
        setup_django(db_url, data_dir)
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        if not args.reuse:
            started = time.perf_counter()
            call_command("migrate", verbosity=0)
            log(f"migrated in {time.perf_counter() - started:.1f}s")
            now = timezone.now()
            buildings = build_places(args.grids)
            build_units()
            figures.update(build_tickets(args, buildings, rng, now))
            connections.close_all()
            vacuum(db_url)
            figures["build_s"] = round(time.perf_counter() - started, 1)
        figures.update(census())
        if not args.build_only:
            if only & {"list", "queue", "kpis"}:
                measure_reads(args, only, figures)
            if "sweep" in only:
                on_a_copy(args, admin_url, lambda: measure_sweep(figures))
            if "hot" in only:
                on_a_copy(args, admin_url, lambda: measure_hot(figures))
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            drop_database(admin_url, args.database)
        shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
