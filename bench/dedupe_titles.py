"""Near-identical titles on the shared messages: how many pairs the intake panel's title rule
lists, and a sample to judge.

Reads every message with a `user` column in the data folder (as dedupe_requester.py does),
finds the pairs within the window whose titles reach dedupe.TITLE_MATCH (exact Jaccard of
character bigrams, dedupe.title_similarity; titles of fewer than dedupe.TITLE_MIN_GRAMS
bigrams left out), whoever wrote them, and prints a seeded random sample (titles, and the
similarity of the whole texts) for a person to judge. `--judged FILE`: one y/n line per
sampled pair; prints the precision. Last line: JSON.

    python bench/dedupe_titles.py [--data ../shared/data/teddy2020] [--sample 40] [--judged FILE]
"""

import argparse
import json
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

from dedupe_requester import DEFAULT_DATA, read_records


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--judged", help="file of y/n lines, one per sampled pair")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from gridgov.insights import dedupe

    records = sorted(read_records(args.data), key=lambda r: r["time"])
    grams = [dedupe.title_grams(r["title"]) for r in records]
    postings = defaultdict(list)  # bigram → records, to compare only titles sharing one
    for i, g in enumerate(grams):
        if len(g) >= dedupe.TITLE_MIN_GRAMS:
            for gram in g:
                postings[gram].append(i)
    pairs = []
    for i, g in enumerate(grams):
        if len(g) < dedupe.TITLE_MIN_GRAMS:
            continue
        others = {j for gram in g for j in postings[gram] if j > i}
        for j in sorted(others):
            if (records[j]["time"] - records[i]["time"]).total_seconds() > args.days * 86400:
                continue
            sim = len(g & grams[j]) / len(g | grams[j])
            if sim >= dedupe.TITLE_MATCH:
                pairs.append((i, j, sim))
    same_user = sum(records[i]["user"] == records[j]["user"] for i, j, _s in pairs)
    print(f"{len(records)} messages; {len(pairs)} pairs within {args.days:g} days with titles "
          f"≥ {dedupe.TITLE_MATCH} ({same_user} of one user)", file=sys.stderr)  # fmt: skip
    sample = random.Random(3).sample(pairs, min(args.sample, len(pairs)))
    low_text = 0
    for n, (i, j, sim) in enumerate(sample, start=1):
        text = dedupe.similarity(
            dedupe.signature(records[i]["text"]), dedupe.signature(records[j]["text"])
        )
        low_text += text < dedupe.min_score()
        print(f"{n:3d}. {sim:.2f} text {text:.2f} | {records[i]['title'][:40]} || "
              f"{records[j]['title'][:40]}", file=sys.stderr)  # fmt: skip
    result = {"messages": len(records), "pairs": len(pairs), "same_user": same_user,
              "sample": len(sample), "sample_text_below_threshold": low_text}  # fmt: skip
    if args.judged:
        marks = [m.strip().lower() for m in Path(args.judged).read_text().split() if m.strip()]
        marks = marks[: len(sample)]
        result["judged"] = len(marks)
        result["precision"] = round(marks.count("y") / len(marks), 3) if marks else None
    print(json.dumps(result))


if __name__ == "__main__":
    main()
