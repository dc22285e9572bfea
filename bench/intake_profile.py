"""Where an intake's time goes, in-process: POST /api/v1/tickets/ through Django's full
handler and middleware (django.test.Client, no HTTP server), with bench/intake.py's
database, seed and payloads (real citizen messages, named categories, PostgreSQL).

Prints the CPU of this process per request (min of 3 rounds: the cores are shared),
then each statement's wall time and count per request, and with --profile the
functions by cumulative time (cProfile, CPU clock: its overhead inflates Python-heavy
calls, so compare profiles with each other, not with the CPU figure). For the real
server, sample gunicorn's workers while bench/intake.py runs instead:

    py-spy record --gil --subprocesses -r 200 -f raw -o out.raw -p <gunicorn master pid>

    python bench/intake_profile.py --database intake_profile_1 [--requests 900] [--profile]
"""

import argparse
import collections
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import intake as bench


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="gridgov_intake_profile")
    parser.add_argument("--requests", type=int, default=900, help="measured, after 1000 warm")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--dump", help="with --profile: also write the pstats data to this file")
    args = parser.parse_args(argv)
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    bench.recreate_database(admin, args.database)
    try:
        bench.setup_django(
            f"postgres://postgres@127.0.0.1:5432/{args.database}", Path(tempfile.mkdtemp())
        )
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            bench.drop_database(admin, args.database)


def run(args):
    from django.db import connection
    from django.test import Client

    import intake_wsgi  # noqa: F401 - the server's own warm-up and collector settings

    token, buildings = bench.seed()
    cats = bench.categories()
    rng = random.Random(7)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")

    def post(bodies):
        for body in bodies:
            response = client.post(
                "/api/v1/tickets/",
                data=json.dumps(body, ensure_ascii=False),
                content_type="application/json",
            )
            assert response.status_code == 201, response.content[:300]

    post(bench.ticket_bodies(1000, buildings, cats, rng))  # warm, and a database to search
    rounds = []
    for _round in range(3):
        bodies = bench.ticket_bodies(max(1, args.requests // 3), buildings, cats, rng)
        started = time.process_time()
        post(bodies)
        rounds.append((time.process_time() - started) / len(bodies) * 1000)
    print(
        f"CPU per request (this process): {min(rounds):.2f} ms (rounds: "
        + ", ".join(f"{r:.2f}" for r in rounds)
        + ")"
    )

    walls, counts = collections.defaultdict(float), collections.Counter()

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            words = " ".join(sql.split()[:4])[:60]
            kind = "SAVEPOINT / RELEASE" if "SAVEPOINT" in words else words
            walls[kind] += time.perf_counter() - started
            counts[kind] += 1

    sample = 200
    with connection.execute_wrapper(timed):
        post(bench.ticket_bodies(sample, buildings, cats, rng))
    print("statements per request (wall, count; BEGIN and COMMIT not shown):")
    for kind, wall in sorted(walls.items(), key=lambda kv: -kv[1]):
        print(f"  {wall / sample * 1000:6.3f} ms  {counts[kind] / sample:4.1f}x  {kind}")

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        post(bench.ticket_bodies(300, buildings, cats, rng))
        profiler.disable()
        if args.dump:
            profiler.dump_stats(args.dump)
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(
            os.environ.get("BENCH_FILTER", "gridgov|django/db|rest_framework|psycopg"), 60
        )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
