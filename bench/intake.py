"""Benchmark: ticket intake over HTTP and the bulk import path, against PostgreSQL.

Creates a throwaway database (default `gridgov_bench` on 127.0.0.1:5432), migrates
it, seeds the demo places (gridgov.demo.seed.seed_places: 40 grids, 400
buildings) and a hotline operator with an API token, then measures:

1. HTTP: `POST /api/v1/tickets/` (token auth; address → building → grid, routing,
   deadlines, duplicate search, dispatch; titles and bodies are real citizen
   messages from the shipped teddy2020 corpus) from 16 concurrent clients against a real server on
   127.0.0.1 (gunicorn with --workers sync workers, or waitress when gunicorn is
   not installed; 4 workers on 2 cores: with 8 each intake cost about a third more CPU
   and fewer went through per second, 3 were no better, runs alternated on 2026-11-28):
   creations per second, p50 and p99 latency. In the same run,
   the same for a bare Django view inserting one row (`POST /bench/bare/`,
   bench/intake_urls.py), and the ratio of the two. Also the CPU per request of
   the server, of the PostgreSQL backends serving it and of the load generator
   (from /proc), so the difference between the two is visible. The requests
   name their category and no classifier model is trained, so no text is
   classified; no handler has an e-mail address, so no notification is sent
   (with a broker, notifications are a Celery task outside the request anyway).
2. Bulk: gridgov.tickets.imports.import_rows on N generated 12345 rows (validate,
   route, deadlines, codes, tickets + create/dispatch events), tickets per second;
   then PostgreSQL COPY (psycopg) of exactly the rows it wrote (tickets and
   events) into copies of the two tables, and the ratio. Also the CPU of this process
   and of its PostgreSQL backend for both: an all-or-nothing import is one
   transaction, so one backend does all of the database's work (COPY, 24 indexes: 18
   on a ticket, 6 on an event, and after each COPY a foreign-key check per key, 9 on a
   ticket and 4 on an event, which the copies of the tables do not have).

Only loopback traffic, bounded request counts. Prints figures on stderr; the last
line on stdout is one JSON object.

    python bench/intake.py [--requests 2000] [--clients 16] [--bulk 50000] [--workers 4]
"""

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOALS = {"http_per_s": 500, "http_p99_ms": 100, "ratio_http": 0.5, "bulk_per_s": 20_000}
GOALS["ratio_bulk"] = 0.2


def log(message):
    print(message, file=sys.stderr, flush=True)


# --- database -------------------------------------------------------------------------------


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
    os.environ["GRIDGOV_SECRET_KEY"] = "bench-" + "x" * 50
    os.environ["GRIDGOV_DB_CONN_MAX_AGE"] = "600"
    os.environ["DJANGO_SETTINGS_MODULE"] = "intake_settings"
    sys.path.insert(0, str(HERE))
    import django

    django.setup()


def seed():
    """Places, a hotline operator with a token, the bare view's table; → (token, addresses)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from gridgov.demo.seed import seed_places
    from gridgov.people.models import Role, RoleAssignment
    from gridgov.places.models import Level, Place

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    district = seed_places()
    user = get_user_model().objects.create_user("bench-hotline", password="bench-pass-123")
    RoleAssignment.objects.create(user=user, role=Role.HOTLINE_OPERATOR, place=district)
    token = Token.objects.create(user=user).key
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_bare (id bigserial PRIMARY KEY, body text NOT NULL, "
            "at timestamptz NOT NULL)"
        )
    buildings = list(Place.objects.filter(level=Level.BUILDING).values_list("address", flat=True))
    log(f"migrated and seeded {len(buildings)} buildings in {time.perf_counter() - started:.1f}s")
    return token, buildings


def categories():
    """(code, full path) of the categories handled by place offices (grid, community, street)."""
    from gridgov.tickets.models import Category, HomeLevel

    rows = Category.objects.filter(
        active=True, home_level__in=(HomeLevel.GRID, HomeLevel.COMMUNITY, HomeLevel.STREET)
    ).select_related("parent__parent")
    return [(c.code, c.full_name.replace(" / ", "/")) for c in rows]


# --- HTTP -----------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, workers, data_dir):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    env["DJANGO_SETTINGS_MODULE"] = "intake_settings"
    if shutil.which("gunicorn") or _has_module("gunicorn"):
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--worker-class=sync",
            "--backlog=256",
            "--log-level=warning",
            "intake_wsgi:application",
        ]
        kind = f"gunicorn, {workers} sync workers"
    else:
        command = [
            sys.executable,
            "-m",
            "waitress",
            f"--listen=127.0.0.1:{port}",
            "--threads=16",
            "intake_wsgi:application",
        ]
        kind = "waitress, 16 threads"
    process = subprocess.Popen(command, cwd=HERE, env=env, stdout=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status < 500:
                log(f"server up: {kind} on 127.0.0.1:{port}")
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError("the server did not start")


def _has_module(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


def stop_server(process):
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def load(port, path, bodies, clients, headers):
    """POST each body once, `clients` at a time; → (seconds, [latency ms], failures)."""
    queue = list(enumerate(bodies))
    lock = threading.Lock()
    latencies, failures = [], []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                _index, body = queue.pop()
            data = json.dumps(body, ensure_ascii=False).encode()
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=data, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                status, payload = 0, str(exc).encode()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status == 201:
                    latencies.append(elapsed)
                else:
                    failures.append((status, payload[:300]))

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, failures


# --- CPU accounting (Linux /proc): where a request's CPU goes -------------------------------


def _cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid):
    """Every descendant of `pid` (gunicorn's workers)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents.setdefault(int(f.read().rsplit(")", 1)[1].split()[1]), []).append(
                        int(entry)
                    )
            except OSError:
                continue
    found, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _db_backends(database):
    """PostgreSQL backends connected to the bench database (persistent: CONN_MAX_AGE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        return [row[0] for row in cursor.fetchall()]


def _own_backend():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


class CpuMeter:
    """CPU seconds of the server (gunicorn and its workers) and of the database backends
    serving it, between start() and stop(); None where /proc is not readable."""

    def __init__(self, server_pid, database):
        self.server_pid, self.database = server_pid, database

    def start(self):
        self.server = [self.server_pid, *_children(self.server_pid)]
        self.db = _db_backends(self.database)
        self.at = ([_cpu_seconds(p) for p in self.server], [_cpu_seconds(p) for p in self.db])

    def stop(self):
        server = sum(_cpu_seconds(p) for p in self.server) - sum(self.at[0])
        db = sum(_cpu_seconds(p) for p in self.db) - sum(self.at[1])
        return server, db


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def corpus_texts():
    """(title, body) pairs of real citizen messages (the shipped teddy2020 corpus), so the
    duplicate index sees a real city's mix rather than one template repeated."""
    import csv
    import gzip

    import gridgov.insights

    data = Path(gridgov.insights.__file__).parent / "data"
    with gzip.open(data / "titles.csv.gz", "rt", encoding="utf-8") as f:
        titles = [row["title"] for row in csv.DictReader(f)]
    with gzip.open(data / "bodies.csv.gz", "rt", encoding="utf-8") as f:
        bodies = [row["body"][:600] for row in csv.DictReader(f)]
    return list(zip(titles, bodies, strict=False))


_TEXTS = []


def ticket_bodies(count, buildings, cats, rng):
    if not _TEXTS:
        _TEXTS.extend(corpus_texts())
    texts = rng.sample(_TEXTS, count) if count <= len(_TEXTS) else rng.choices(_TEXTS, k=count)
    return [
        {
            "channel": "hotline",
            "nature": rng.choice(["complaint", "help", "report", "suggest"]),
            "title": texts[i][0][:200],
            "description": texts[i][1],
            "address": rng.choice(buildings),
            "requester_name": "张三",
            "requester_phone": f"138{rng.randrange(10**8):08d}",
            "category": rng.choice(cats)[0],
        }
        for i in range(count)
    ]


def measure_http(args, token, buildings, cats, rng, data_dir):
    port = free_port()
    server = start_server(port, args.workers, data_dir)
    try:
        api_headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        bare_headers = {"Content-Type": "application/json"}
        warm = min(200, args.requests)
        load(port, "/api/v1/tickets/", ticket_bodies(warm, buildings, cats, rng), 4, api_headers)
        load(port, "/bench/bare/", ticket_bodies(warm, buildings, cats, rng), 4, bare_headers)
        results = {}
        meter = CpuMeter(server.pid, args.database) if Path("/proc/self/stat").exists() else None
        # Alternate halves, so drift (autovacuum, caches) hits both alike.
        half = args.requests // 2
        for _round in range(2):
            for name, path, headers in (
                ("http", "/api/v1/tickets/", api_headers),
                ("bare", "/bench/bare/", bare_headers),
            ):
                bodies = ticket_bodies(half, buildings, cats, rng)
                if meter:
                    meter.start()
                client_started = time.process_time()
                seconds, latencies, failures = load(port, path, bodies, args.clients, headers)
                client_cpu = time.process_time() - client_started
                server_cpu, db_cpu = meter.stop() if meter else (0.0, 0.0)
                if failures:
                    log(f"{name}: {len(failures)} failure(s), first: {failures[0]}")
                acc = results.setdefault(name, {"latencies": [], "failures": 0})
                for part in ("seconds", "server", "db", "client"):
                    acc.setdefault(part, 0.0)
                acc["seconds"] += seconds
                acc["latencies"] += latencies
                acc["failures"] += len(failures)
                acc["server"] += server_cpu
                acc["db"] += db_cpu
                acc["client"] += client_cpu
    finally:
        stop_server(server)
    figures = {}
    for name, acc in results.items():
        lat = acc["latencies"]
        figures[f"{name}_per_s"] = round(len(lat) / acc["seconds"], 1) if lat else 0.0
        figures[f"{name}_p50_ms"] = round(statistics.median(lat), 2) if lat else None
        figures[f"{name}_p99_ms"] = round(percentile(lat, 99), 2) if lat else None
        figures[f"{name}_failures"] = acc["failures"]
        if meter and lat:  # CPU per request: server, database backends, load generator
            for part in ("server", "db", "client"):
                figures[f"{name}_{part}_cpu_ms"] = round(acc[part] / len(lat) * 1000, 2)
            log(
                f"{name}: CPU per request: server {figures[f'{name}_server_cpu_ms']} ms, "
                f"database {figures[f'{name}_db_cpu_ms']} ms, "
                f"clients {figures[f'{name}_client_cpu_ms']} ms"
            )
        log(
            f"{name}: {len(lat)} created in {acc['seconds']:.2f}s = {figures[f'{name}_per_s']}/s, "
            f"p50 {figures[f'{name}_p50_ms']} ms, p99 {figures[f'{name}_p99_ms']} ms, "
            f"{acc['failures']} failed"
        )
    figures["ratio_http"] = (
        round(figures["http_per_s"] / figures["bare_per_s"], 3) if figures["bare_per_s"] else None
    )
    return figures


# --- bulk -----------------------------------------------------------------------------------

HEADERS = ["工单编号", "受理时间", "诉求标题", "诉求内容", "诉求地址", "来电人", "联系电话"]
HEADERS += ["诉求类型", "诉求性质"]


def import_rows(count, buildings, cats, rng):
    import datetime as dt

    start = dt.datetime(2026, 1, 5, 8, 0)
    natures = ["投诉", "求助", "举报", "建议", "咨询"]
    rows = []
    for i in range(count):
        when = start + dt.timedelta(seconds=97 * i)
        rows.append(
            (
                i + 2,
                [
                    f"B{i:08d}",
                    when.strftime("%Y-%m-%d %H:%M:%S"),
                    f"诉求{i}",
                    f"第{i}号诉求：小区里的问题，请处理。",
                    rng.choice(buildings),
                    "李四",
                    f"139{rng.randrange(10**8):08d}",
                    rng.choice(cats)[1],
                    rng.choice(natures),
                ],
            )
        )
    return rows


def measure_bulk(args, buildings, cats, rng):
    from django.db import connection

    from gridgov.tickets import imports
    from gridgov.tickets.models import Ticket, TicketEvent

    rows = import_rows(args.bulk, buildings, cats, rng)
    # Warm the address index and the category index outside the timing.
    imports.import_rows(HEADERS, rows[:50], dry_run=True)
    since = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    backend = _own_backend()
    cpu_at = (time.process_time(), _cpu_seconds(backend))
    started = time.perf_counter()
    report = imports.import_rows(HEADERS, rows, source="bench")
    bulk_s = time.perf_counter() - started
    bulk_cpu = (time.process_time() - cpu_at[0], _cpu_seconds(backend) - cpu_at[1])
    if args.profile:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(
            os.environ.get("BENCH_SORT", "cumulative")
        ).print_stats(os.environ.get("BENCH_FILTER", "gridgov|django/db|psycopg"), 30)
        if os.environ.get("BENCH_CALLERS"):
            pstats.Stats(profiler, stream=sys.stderr).print_callers(os.environ["BENCH_CALLERS"])
    assert report.ok, report.errors[:5]
    assert report.created == args.bulk, report
    bulk_per_s = args.bulk / bulk_s
    log(
        f"bulk import: {args.bulk} tickets ({report.dispatched} dispatched) with "
        f"{args.bulk + report.dispatched} events in {bulk_s:.2f}s = {bulk_per_s:,.0f} tickets/s "
        f"(check {report.phases['check']:.2f}s, write {report.phases['write']:.2f}s, "
        f"commit {report.phases['commit']:.2f}s); "
        f"CPU: this process {bulk_cpu[0]:.2f}s, its PostgreSQL backend {bulk_cpu[1]:.2f}s "
        f"({bulk_cpu[1] / args.bulk * 1e6:.0f} µs a ticket: one transaction is one backend)"
    )

    # COPY exactly what the bulk path wrote, into copies of the two tables.
    tables = []
    for model, where in ((Ticket, "id > %s"), (TicketEvent, "ticket_id > %s")):
        table = model._meta.db_table
        columns = [f.column for f in model._meta.concrete_fields]
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE bench_copy_{table} (LIKE {table} INCLUDING ALL)")
            cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}", [since])
            tables.append((f"bench_copy_{table}", columns, cursor.fetchall()))
    raw = connection.connection  # the psycopg connection
    cpu_at = (time.process_time(), _cpu_seconds(backend))
    started = time.perf_counter()
    with raw.transaction():
        with raw.cursor() as cursor:
            for table, columns, data in tables:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(
                            [json.dumps(v) if isinstance(v, dict | list) else v for v in row]
                        )
    copy_s = time.perf_counter() - started
    copy_cpu = (time.process_time() - cpu_at[0], _cpu_seconds(backend) - cpu_at[1])
    copy_per_s = args.bulk / copy_s
    log(
        f"COPY of the same rows: {copy_s:.2f}s = {copy_per_s:,.0f} tickets/s; CPU: this process "
        f"{copy_cpu[0]:.2f}s, backend {copy_cpu[1]:.2f}s (copies of the tables have the "
        "indexes but no foreign keys, so no per-row checks at commit)"
    )
    return {
        "bulk_rows": args.bulk,
        "bulk_s": round(bulk_s, 3),
        "bulk_per_s": round(bulk_per_s),
        "copy_s": round(copy_s, 3),
        "copy_per_s": round(copy_per_s),
        "ratio_bulk": round(bulk_per_s / copy_per_s, 3),
        "bulk_client_cpu_s": round(bulk_cpu[0], 2),
        "bulk_db_cpu_s": round(bulk_cpu[1], 2),
        "copy_client_cpu_s": round(copy_cpu[0], 2),
        "copy_db_cpu_s": round(copy_cpu[1], 2),
    }


# --- main -----------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per endpoint (bounded)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--bulk", type=int, default=50_000, help="rows for the bulk import")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--database", default="gridgov_bench")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile the bulk import")
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args(argv)
    args.requests = max(2, min(args.requests, 20_000))
    args.bulk = max(100, min(args.bulk, 1_000_000))
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the benchmark only talks to a database on this machine")

    base = f"postgres://{args.user}@{args.host}:{args.port}"
    admin_url, db_url = f"{base}/postgres", f"{base}/{args.database}"
    data_dir = Path(tempfile.mkdtemp(prefix="gridgov-bench-"))
    rng = random.Random(args.seed)
    recreate_database(admin_url, args.database)
    figures = {}
    try:
        setup_django(db_url, data_dir)
        token, buildings = seed()
        cats = categories()
        if not args.skip_http:
            figures.update(measure_http(args, token, buildings, cats, rng, data_dir))
        if not args.skip_bulk:
            figures.update(measure_bulk(args, buildings, cats, rng))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(admin_url, args.database)
        shutil.rmtree(data_dir, ignore_errors=True)
    met = {
        name: (figures[name] <= goal if name.endswith("_ms") else figures[name] >= goal)
        for name, goal in GOALS.items()
        if figures.get(name) is not None
    }
    for name, ok in met.items():
        log(
            f"goal {name} {'≤' if name.endswith('_ms') else '≥'} {GOALS[name]}: {'met' if ok else 'MISSED'} ({figures[name]})"
        )
    print(json.dumps({**figures, "goals_met": met}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
