"""Estimate of the held-back evaluation: whole messages kept out of every training file.

The organisers keep back labelled messages "of the same source". To estimate
how the shipped recipe does on them, this splits messages.csv into 5 folds;
for each fold it trains on titles.csv *without those messages' titles*,
bodies.csv and the other folds of messages.csv, then predicts the held-out
messages three ways: body alone, title alone, title + body. Every message is
held out once; macro-F1 over all of them. Last line on stdout: JSON.

With --confidence each fold's model is calibrated as `gridgov classify train`
calibrates it (the temperature, from its own training rows), and a table prints,
per threshold on the best label's score, the share of held-out messages below it
(kept at the dispatch desk by intake: settings.GRIDGOV_AUTO_DISPATCH_MIN_SCORE)
and the accuracy of those at or above it (dispatched) and of those below.

    python bench/classify_holdout.py [--data ../shared/data/teddy2020] [--folds 5] [--confidence]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "teddy2020"
THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98)


def confidence_table(scores, right, in_top3):
    """{threshold: {held, accuracy_dispatched, accuracy_held, held_in_top3}} of the best
    label's score, whether it is right and whether the right one is among the best three
    (what the dispatch desk is offered)."""
    import numpy as np

    scores, right = np.asarray(scores), np.asarray(right, dtype=bool)
    in_top3 = np.asarray(in_top3, dtype=bool)
    table = {}
    for threshold in THRESHOLDS:
        held = scores < threshold
        table[threshold] = {
            "held": round(float(held.mean()), 4),
            "accuracy_dispatched": round(float(right[~held].mean()), 4) if (~held).any() else None,
            "accuracy_held": round(float(right[held].mean()), 4) if held.any() else None,
            "held_in_top3": round(float(in_top3[held].mean()), 4) if held.any() else None,
        }
    return table


def print_table(kind, table, file):
    print(f"{kind}: threshold  held  accuracy dispatched  accuracy held  held in top 3", file=file)
    for threshold, row in table.items():
        held = "—" if row["accuracy_held"] is None else f"{row['accuracy_held']:.3f}"
        top3 = "—" if row["held_in_top3"] is None else f"{row['held_in_top3']:.3f}"
        print(f"  {threshold:4.2f}  {row['held']:6.1%}  {row['accuracy_dispatched']:.3f}  {held}  {top3}",
              file=file)  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--confidence", action="store_true", help="also the threshold table")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from gridgov.insights import classifier as clf

    data = Path(args.data)
    read = lambda name: clf.read_labelled([data / name]).examples  # noqa: E731
    titles, bodies, messages = read("titles.csv"), read("bodies.csv"), read("messages.csv")
    y = np.array([m.label for m in messages])
    predicted = {kind: [None] * len(messages) for kind in ("body", "title", "whole")}
    top_scores = {kind: [0.0] * len(messages) for kind in predicted}
    top3 = {kind: [()] * len(messages) for kind in predicted}
    started = time.perf_counter()
    split = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    for k, (train, test) in enumerate(split.split(np.zeros(len(y)), y), start=1):
        held = {messages[i].title for i in test}
        rows = [e for e in titles if e.text not in held] + bodies + [messages[i] for i in train]
        model = clf.TextClassifier.fit(
            [e.text for e in rows], [e.label for e in rows], calibrate=args.confidence
        )
        for kind in predicted:
            texts = []
            for i in test:
                title, whole = messages[i].title, messages[i].text
                body = whole[len(title) + 1 :] if whole.startswith(title + " ") else whole
                texts.append({"body": body, "title": title, "whole": whole}[kind])
            for i, (label, score) in zip(test, model.predict(texts), strict=True):
                predicted[kind][i] = label
                top_scores[kind][i] = score
            if args.confidence:
                best3 = np.argsort(-model.predict_proba(texts), axis=1)[:, :3]
                for i, row in zip(test, best3, strict=True):
                    top3[kind][i] = {model.labels[j] for j in row}
        print(f"fold {k}/{args.folds} done", file=sys.stderr, flush=True)
    result = {}
    for kind, labels in predicted.items():
        scores = clf.scores(list(y), labels)
        result[kind] = {"macro_f1": scores["macro_f1"], "accuracy": scores["accuracy"]}
        print(f"{kind:5s}: macro-F1 {scores['macro_f1']:.4f}, accuracy {scores['accuracy']:.4f}",
              file=sys.stderr)  # fmt: skip
        if args.confidence:
            right = [p == t for p, t in zip(labels, y, strict=True)]
            in_top3 = [t in best for best, t in zip(top3[kind], y, strict=True)]
            table = confidence_table(top_scores[kind], right, in_top3)
            result[kind]["confidence"] = table
            print_table(kind, result[kind]["confidence"], sys.stderr)
    result["messages"] = len(messages)
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
