"""`gridgov hotissues`: hot issues (未诉先办) from a CSV of messages, or refreshed from tickets.

gridgov hotissues --input messages.csv [--top 10] [--output issues.csv|.json] [--window-days 30]
gridgov hotissues --refresh            # recompute the hot issues of the tickets

The CSV output is opened in Excel or WPS, and its titles, places and message ids come from
what the public wrote: a value that would be read as a formula (= + - @, a tab or line
break first) gets a leading apostrophe, as the Excel export writes such text as text
(tickets.exports.csv_text). The JSON output is as mined.
"""

import csv
import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridgov.insights import hotissues
from gridgov.tickets.exports import csv_text

NEEDED = ("message_id", "title", "body", "time")
TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M",
                "%Y/%m/%d", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S")  # fmt: skip


def parse_time(text):
    text = (text or "").strip()
    for fmt in TIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _int(value):
    try:
        return max(int(float(value or 0)), 0)
    except (ValueError, OverflowError):  # OverflowError: 1e999 is read as inf
        return 0


def read_records(path):
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise CommandError(f"{path}: cannot be read ({exc.strerror}).") from exc
    with handle:
        reader = csv.DictReader(handle)
        try:
            columns = [(c or "").strip() for c in reader.fieldnames or []]
            reader.fieldnames = columns  # rows keyed by the stripped names
            missing = [c for c in NEEDED if c not in columns]
            if missing:
                raise CommandError(
                    f"{path}: missing column(s) {', '.join(missing)}; needs "
                    f"{', '.join(NEEDED)} (likes, dislikes and user are optional)."
                )
            records, bad = [], 0
            for row in reader:
                when = parse_time(row.get("time"))
                if when is None or not (row.get("title") or row.get("body") or "").strip():
                    bad += 1
                    continue
                records.append(
                    hotissues.Record(
                        id=row["message_id"],
                        title=(row.get("title") or "").strip(),
                        body=(row.get("body") or "").strip(),
                        time=when,
                        user=(row.get("user") or "").strip(),
                        likes=_int(row.get("likes")),
                        dislikes=_int(row.get("dislikes")),
                    )
                )
        except (UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"{path}: not a readable UTF-8 CSV file ({exc}).") from exc
    return records, bad


class Command(BaseCommand):
    help = "Mine hot issues: from a CSV of messages (--input) or from the tickets (--refresh)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--input", help="CSV with message_id, title, body, time [, likes, dislikes, user]"
        )
        parser.add_argument("--top", type=int, default=10)
        parser.add_argument("--output", help="write the issues to this .csv or .json file")
        parser.add_argument("--window-days", type=float, default=30.0)
        parser.add_argument("--min-size", type=int, default=2)
        parser.add_argument(
            "--refresh", action="store_true", help="refresh the tickets' hot issues"
        )

    def handle(self, *args, input=None, top, output, window_days, min_size, refresh, **options):
        if refresh:
            from gridgov.insights.tasks import refresh_hot_issues

            self.stdout.write(json.dumps(refresh_hot_issues()))
            return
        if not input:
            raise CommandError("Give --input CSV, or --refresh for the tickets.")
        if top < 1:
            raise CommandError("--top must be at least 1.")
        records, bad = read_records(input)
        if bad:
            self.stderr.write(f"{bad} rows without a readable time or any text were left out.")
        if not records:
            raise CommandError(f"{input}: no message to mine.")
        issues = hotissues.mine(records, window_days=window_days, min_size=min_size)
        shown = issues[:top]
        self.stdout.write(
            f"{len(records)} messages → {len(issues)} clusters of ≥{min_size} (window "
            f"{window_days:g} days); top {len(shown)} by heat:"
        )
        for rank, issue in enumerate(shown, start=1):
            self.stdout.write(
                f"{rank:2d}. heat {issue.heat:5.2f} | {issue.count:3d} messages, "
                f"{issue.requesters:3d} people, {issue.reactions:4d} likes+dislikes, "
                f"{issue.rate_per_week:4.1f}/week | {issue.first:%Y-%m-%d} – {issue.last:%Y-%m-%d} | "
                f"{issue.place_label or '—'} | {issue.title}"
            )
        if output:
            write_issues(output, shown)
            self.stdout.write(f"wrote {len(shown)} issues to {output}")


def write_issues(path, issues):
    rows = [
        {
            "rank": rank,
            "heat": issue.heat,
            "messages": issue.count,
            "requesters": issue.requesters,
            "reactions": issue.reactions,
            "per_week": issue.rate_per_week,
            "first": issue.first.isoformat(sep=" "),
            "last": issue.last.isoformat(sep=" "),
            "place": issue.place_label,
            "title": issue.title,
            "message_ids": " ".join(str(i) for i in issue.ids),
            "trend": issue.trend,
        }
        for rank, issue in enumerate(issues, start=1)
    ]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
        return
    # With a BOM, or Excel and WPS read the Chinese as the local code page: garbled.
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=[k for k in rows[0] if k != "trend"] if rows else ["rank"]
        )
        writer.writeheader()
        for row in rows:
            row.pop("trend")
            writer.writerow({key: csv_text(value) for key, value in row.items()})
