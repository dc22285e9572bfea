"""Estimate of the held-back evaluation: whole messages kept out of every training file.

The organisers keep back labelled messages "of the same source". To estimate
how the shipped recipe does on them, this splits messages.csv into 5 folds;
for each fold it trains on titles.csv *without those messages' titles*,
bodies.csv and the other folds of messages.csv, then predicts the held-out
messages three ways: body alone, title alone, title + body. Every message is
held out once; macro-F1 over all of them. Last line on stdout: JSON.

    python bench/classify_holdout.py [--data ../shared/data/teddy2020] [--folds 5]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "teddy2020"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--folds", type=int, default=5)
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
    started = time.perf_counter()
    split = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    for k, (train, test) in enumerate(split.split(np.zeros(len(y)), y), start=1):
        held = {messages[i].title for i in test}
        rows = [e for e in titles if e.text not in held] + bodies + [messages[i] for i in train]
        model = clf.TextClassifier.fit(
            [e.text for e in rows], [e.label for e in rows], calibrate=False
        )
        for kind in predicted:
            texts = []
            for i in test:
                title, whole = messages[i].title, messages[i].text
                body = whole[len(title) + 1 :] if whole.startswith(title + " ") else whole
                texts.append({"body": body, "title": title, "whole": whole}[kind])
            for i, (label, _s) in zip(test, model.predict(texts), strict=True):
                predicted[kind][i] = label
        print(f"fold {k}/{args.folds} done", file=sys.stderr, flush=True)
    result = {}
    for kind, labels in predicted.items():
        scores = clf.scores(list(y), labels)
        result[kind] = {"macro_f1": scores["macro_f1"], "accuracy": scores["accuracy"]}
        print(f"{kind:5s}: macro-F1 {scores['macro_f1']:.4f}, accuracy {scores['accuracy']:.4f}",
              file=sys.stderr)  # fmt: skip
    result["messages"] = len(messages)
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
