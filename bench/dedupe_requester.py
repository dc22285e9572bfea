"""Same-requester duplicates on the shared messages: how many are flagged, and a sample to judge.

Reads every message with a `user` column in the data folder (hot_messages.csv,
replies.csv, messages.csv; a message in several files counts once), flags the
pairs the intake rule flags for one requester — same user, within the window,
estimated Jaccard of character bigrams ≥ 0.35 (score = similarity + 0.10 ≥ 0.45,
dedupe.py) — and prints a seeded random sample of pairs (titles side by side)
for a person to judge. `--judged FILE` reads judgements (one line per sampled
pair: `y` same matter, `n` not) and prints the precision. Last line: JSON.

    python bench/dedupe_requester.py [--data ../shared/data/teddy2020] [--sample 60] [--judged FILE]
"""

import argparse
import csv
import datetime as dt
import json
import os
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "teddy2020"


def parse_time(text):
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--min-similarity", type=float, default=0.35)
    parser.add_argument("--judged", help="file of y/n lines, one per sampled pair")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from gridgov.insights import dedupe

    records = read_records(args.data)
    pairs = dedupe.same_requester_pairs(records, days=args.days, min_similarity=args.min_similarity)
    users = {}
    for r in records:
        users[r["user"]] = users.get(r["user"], 0) + 1
    repeat_pairs = 0
    for indexes in _by_user(records).values():
        indexes.sort(key=lambda i: records[i]["time"])
        for a, i in enumerate(indexes):
            for j in indexes[a + 1 :]:
                if records[j]["time"] - records[i]["time"] <= dt.timedelta(days=args.days):
                    repeat_pairs += 1
    print(f"{len(records)} messages, {len(users)} users; {repeat_pairs} same-user pairs within "
          f"{args.days:g} days; {len(pairs)} flagged as duplicates", file=sys.stderr)  # fmt: skip
    sample = random.Random(5).sample(pairs, min(args.sample, len(pairs)))
    for n, (i, j, sim) in enumerate(sample, start=1):
        print(f"{n:3d}. {sim:.2f} | {records[i]['title'][:40]} || {records[j]['title'][:40]}",
              file=sys.stderr)  # fmt: skip
    result = {"messages": len(records), "same_user_pairs": repeat_pairs, "flagged": len(pairs),
              "sample": len(sample)}  # fmt: skip
    if args.judged:
        marks = [m.strip().lower() for m in Path(args.judged).read_text().split() if m.strip()]
        marks = marks[: len(sample)]
        result["judged"] = len(marks)
        result["precision"] = round(marks.count("y") / len(marks), 3) if marks else None
    print(json.dumps(result))


def read_records(data):
    """The messages with a `user` (user, time, title, text), each once (also for
    dedupe_titles.py)."""
    records, seen = [], set()
    for name in ("hot_messages.csv", "replies.csv", "messages.csv"):
        path = Path(data) / name
        if not path.exists():
            continue
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                key = (row["user"], row["title"], row["time"])
                when = parse_time(row.get("time", ""))
                if key in seen or when is None:
                    continue
                seen.add(key)
                records.append({"user": row["user"], "time": when, "title": row["title"],
                                "text": f"{row['title']} {row['body']}"})  # fmt: skip
    return records


def _by_user(records):
    groups = {}
    for i, r in enumerate(records):
        groups.setdefault(r["user"], []).append(i)
    return {u: g for u, g in groups.items() if len(g) > 1}


if __name__ == "__main__":
    main()
