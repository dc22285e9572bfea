"""Grid event types on long letters: how often tickets.classify.grid_event is right there.

A letter to the mayor (over classify.CO_OCCURRENCE_UP_TO characters) is read word by word
(co-occurrences are for short reports), and a word there is often about something else: 电线
电缆生意 in a court case is no 线路破损 (hence classify.head: only the types a letter's title or
first sentence names). The judged sample was drawn from what the rule before the head gave a
type (70b5ce6); the rule now types a subset of those letters. Reads the messages of the shared data (hot_messages.csv, replies.csv,
messages.csv; each once, by user, title and time, as dedupe_requester.py does), keeps the long
ones (title + " " + body, as intake sees them), and

- `--sample N`: prints a seeded random sample of the letters grid_event gives a type, each
  with the words that made it and the whole text, for a person to judge;
- `--judged FILE` (default bench/grid_events_letters_judged.txt): reads the judged sample —
  one letter a line, `key<TAB>type given<TAB>y|n<TAB>the grid event it really is (- for
  none)<TAB>note` — and recomputes, with the rule as the code has it now, how many of them it
  gives a type, how many of those are right (precision), and how many of the letters it was
  right about when judged it no longer gives their type (lost: they get the model's
  first-level label instead). Also counts the long letters the rule gives a type to, over
  all the data.

Last line: JSON.

    python bench/grid_events_letters.py [--data ../shared/data/teddy2020] [--judged FILE]
    python bench/grid_events_letters.py --sample 100 [--seed 5]
"""

import argparse
import csv
import json
import os
import random
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "teddy2020"
DEFAULT_JUDGED = HERE / "grid_events_letters_judged.txt"


def read_letters(data):
    """{key: text} of every message once (key: file stem and message_id)."""
    letters, seen = {}, set()
    for name in ("hot_messages.csv", "replies.csv", "messages.csv"):
        path = Path(data) / name
        if not path.exists():
            continue
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                same = (row["user"], row["title"], row["time"])
                if same in seen:
                    continue
                seen.add(same)
                letters[f"{path.stem}:{row['message_id']}"] = f"{row['title']} {row['body']}"
    return letters


def words_found(category, text):
    """The words of `category` in a long `text` (co-occurrences are not read there), and
    its name in brackets when the text names it."""
    from gridgov.tickets.classify import MIN_KEYWORD, covered

    words = [w for w in category.keywords if "+" not in w and len(w) >= MIN_KEYWORD]
    named = [f"[{category.name}]"] if category.name in text else []
    return sorted(w for w in words if covered(w, text)) + named


def read_judged(path):
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, given, verdict, really, *_note = line.split("\t")
        if verdict not in ("y", "n"):
            sys.exit(f"{path}: {key}: the verdict must be y or n, not {verdict!r}")
        rows.append({"key": key, "given": given, "yes": verdict == "y", "really": really})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--sample", type=int, help="print N letters to judge")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--judged", default=str(DEFAULT_JUDGED))
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from gridgov.tickets.classify import CO_OCCURRENCE_UP_TO, grid_event

    letters = read_letters(args.data)
    long = {k: t for k, t in letters.items() if len(t) > CO_OCCURRENCE_UP_TO}
    if not long:
        sys.exit(f"no letters in {args.data}")
    found = {k: grid_event(t) for k, t in long.items()}
    typed = {k: e for k, e in found.items() if e is not None}
    print(f"{len(long)} long letters; grid_event gives {len(typed)} a type", file=sys.stderr)

    if args.sample:
        keys = sorted(typed)
        random.Random(args.seed).shuffle(keys)
        for key in sorted(keys[: args.sample]):
            event = typed[key]
            print(f"{key}\t{event.name}\t{' '.join(words_found(event, long[key]))}")
            print(f"    {long[key]}\n")
        return

    judged = read_judged(args.judged)
    missing = [row["key"] for row in judged if row["key"] not in long]
    if missing:
        sys.exit(f"not among the long letters of {args.data}: {', '.join(missing[:5])}")
    given = right = lost = 0
    wrong_types = Counter()
    for row in judged:
        event = found[row["key"]]
        name = event.name if event is not None else "-"
        if event is not None:
            given += 1
            right += name == row["really"]
            if name != row["really"]:
                wrong_types[name] += 1
        if row["yes"] and name != row["really"]:
            lost += 1
            print(f"lost: {row['key']} {row['really']} (now {name})", file=sys.stderr)
    before = sum(row["yes"] for row in judged)
    figures = {
        "long_letters": len(long),
        "typed_now": len(typed),
        "judged": len(judged),
        "right_when_judged": before,
        "precision_when_judged": round(before / len(judged), 3),
        "typed_now_of_judged": given,
        "right_now": right,
        "precision_now": round(right / given, 3) if given else None,
        "right_when_judged_lost": lost,
        "wrong_now_by_type": dict(wrong_types.most_common()),
    }
    for name, value in figures.items():
        print(f"{name:24} {value}", file=sys.stderr)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
