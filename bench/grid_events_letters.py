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
  all the data. By default it reads a second judged file too,
  bench/grid_events_letters_judged_greetings.txt: letters led by a salutation or greeting
  (尊敬的领导：您好！), whose head is the first sentence after it (classify.SALUTATION); its
  keys are those of bodies.csv (letters without a title, bodies:N) and titled letters read by
  their body alone (key#body), as a resident who types no title sends them.
- `--greetings`: lists those letters (bodies.csv's and the titled ones' bodies alone) that get a
  type only because the head skips their salutation, with the head, to judge.
- `--openings`: lists those letters whose head still opens with a salutation or greeting (an
  honorific, 您好, an official's title in its first 12 characters: STILL_GREETED), with the head,
  to find the shapes classify.SALUTATION and classify.GLUED_TITLE do not read. The letters whose
  type the shapes read since changed are judged in bench/grid_events_letters_judged_openings.txt,
  also read by default.

Last line: JSON, the figures of each judged file.

    python bench/grid_events_letters.py [--data ../shared/data/teddy2020] [--judged FILE ...]
    python bench/grid_events_letters.py --sample 100 [--seed 5]
    python bench/grid_events_letters.py --greetings
    python bench/grid_events_letters.py --openings
"""

import argparse
import csv
import json
import os
import random
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "teddy2020"
DEFAULT_JUDGED = HERE / "grid_events_letters_judged.txt"
DEFAULT_GREETINGS = HERE / "grid_events_letters_judged_greetings.txt"
DEFAULT_OPENINGS = HERE / "grid_events_letters_judged_openings.txt"
BODY_ALONE = "#body"
# A head that still opens with a salutation or greeting (--openings).
STILL_GREETED = re.compile(
    r"^.{0,12}?(?:尊敬|敬爱|尊重|您好|你好|大家好|领导|书记|市长|局长|厅长|主任)"
)


def read_letters(data, bodies_alone=False):
    """{key: text} of every message once (key: file stem and message_id), and of bodies.csv's
    letters without a title (bodies:N); with `bodies_alone`, the titled messages' bodies alone
    (key#body) instead."""
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
                key = f"{path.stem}:{row['message_id']}"
                if bodies_alone:
                    letters[key + BODY_ALONE] = row["body"].strip()
                else:
                    letters[key] = f"{row['title']} {row['body']}"
    if bodies_alone:
        return letters
    # Letters without a title (their bodies alone, as intake reads a demand with no title:
    # suggest_category strips the text), keyed by their row: often led by a salutation.
    path = Path(data) / "bodies.csv"
    if path.exists():
        with open(path, encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), 1):
                letters[f"bodies:{number}"] = row["body"].strip()
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


def head_as_before(text):
    """classify.head without skipping a salutation: what the greeting skip is measured against."""
    from gridgov.tickets.classify import CO_OCCURRENCE_UP_TO, HEAD_END

    text = text.lstrip()
    end = HEAD_END.search(text)
    return text[: end.start() if end else len(text)][:CO_OCCURRENCE_UP_TO]


def greetings(data):
    """The long letters without a title (bodies.csv's, and the titled ones' bodies alone) that
    get a grid event type only because classify.head skips their salutation."""
    from gridgov.tickets import classify

    letters = read_letters(data, bodies_alone=True)
    letters.update((k, t) for k, t in read_letters(data).items() if k.startswith("bodies:"))
    long = {k: t for k, t in letters.items() if len(t) > classify.CO_OCCURRENCE_UP_TO}
    now = {k: classify.grid_event(t) for k, t in long.items()}
    skip = classify.head
    classify.head = head_as_before
    try:
        before = {k: classify.grid_event(t) for k, t in long.items()}
    finally:
        classify.head = skip
    gained = sorted(k for k in long if now[k] is not None and before[k] is None)
    print(f"{len(long)} long letters without a title; {len(gained)} gain a type", file=sys.stderr)
    for key in gained:
        event = now[key]
        print(f"{key}\t{event.name}\t{' '.join(words_found(event, long[key]))}")
        print(f"    head: {skip(long[key])}\n    {long[key]}\n")


def openings(data):
    """The long letters without a title whose head still opens with a salutation or greeting."""
    from gridgov.tickets import classify

    letters = read_letters(data, bodies_alone=True)
    letters.update((k, t) for k, t in read_letters(data).items() if k.startswith("bodies:"))
    long = {k: t for k, t in letters.items() if len(t) > classify.CO_OCCURRENCE_UP_TO}
    still = sorted(k for k, t in long.items() if STILL_GREETED.match(classify.head(t)))
    print(
        f"{len(long)} long letters without a title; {len(still)} heads open with a salutation",
        file=sys.stderr,
    )
    for key in still:
        print(f"{key}\t{classify.head(long[key])}\n    {long[key][:160]}\n")


def measure(path, found):
    """The figures of one judged file against the rule as the code has it now (`found`: key →
    grid event type or None)."""
    judged = read_judged(path)
    missing = [row["key"] for row in judged if row["key"] not in found]
    if missing:
        sys.exit(f"{path}: not among the long letters: {', '.join(missing[:5])}")
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
    return {
        "judged": len(judged),
        "right_when_judged": before,
        "precision_when_judged": round(before / len(judged), 3),
        "typed_now_of_judged": given,
        "right_now": right,
        "precision_now": round(right / given, 3) if given else None,
        "right_when_judged_lost": lost,
        "wrong_now_by_type": dict(wrong_types.most_common()),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--sample", type=int, help="print N letters to judge")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--greetings", action="store_true", help="list greeting-led gains")
    parser.add_argument("--openings", action="store_true", help="list heads still greeted")
    parser.add_argument("--judged", action="append", help="judged file (repeatable)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    # The grid event types are categories in the database: without a data dir of one's own,
    # a throwaway one is migrated (the migrations seed the categories), so a clean checkout runs.
    scratch = None
    if "GRIDGOV_DATA_DIR" not in os.environ:
        scratch = tempfile.TemporaryDirectory(prefix="gridgov-bench-")
        os.environ["GRIDGOV_DATA_DIR"] = scratch.name
    import django

    django.setup()
    if scratch is not None:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    from gridgov.tickets.classify import CO_OCCURRENCE_UP_TO, grid_event

    if args.greetings:
        return greetings(args.data)
    if args.openings:
        return openings(args.data)
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

    alone = read_letters(args.data, bodies_alone=True)
    figures = {"long_letters": len(long), "typed_now": len(typed)}
    for path in args.judged or [DEFAULT_JUDGED, DEFAULT_GREETINGS, DEFAULT_OPENINGS]:
        keys = {row["key"] for row in read_judged(path)}
        found.update((k, grid_event(alone[k])) for k in keys if k in alone)
        figures[Path(path).name] = measure(path, found)
    for name, value in figures.items():
        if isinstance(value, dict):
            print(name, file=sys.stderr)
            for item, number in value.items():
                print(f"  {item:24} {number}", file=sys.stderr)
        else:
            print(f"{name:26} {value}", file=sys.stderr)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
