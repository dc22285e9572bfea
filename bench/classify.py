"""Benchmark: classifying message bodies, against a plain scikit-learn pipeline.

Trains gridgov's classifier (gridgov.insights.classifier: numpy char 1–2-gram
TF-IDF + LinearSVC, with its 3-fold calibration) on the shared labelled data
(titles, bodies, whole messages; or the copy shipped in the package), times
the training, saves it and weighs the model folder. Then, in the same run, it
classifies every body of bodies.csv (repeated to --bodies texts) with

1. gridgov's saved model, loaded from disk: bodies per second;
2. a plain scikit-learn pipeline, TfidfVectorizer(analyzer="char",
   ngram_range=(1, 3), sublinear_tf=True) + LinearSVC, trained on the same
   texts: bodies per second;

and prints the ratio. Each rate is the best of --repeats runs. Figures go to
stderr; the last line on stdout is one JSON object.

    python bench/classify.py [--data ../shared/data/teddy2020] [--bodies 20000] [--repeats 3]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "teddy2020"
GOALS = {"bodies_per_s": 5000, "train_s": 120, "model_mb": 50}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def best_rate(fn, texts, repeats):
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        fn(texts)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--bodies", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from gridgov.insights import classifier as clf

    base_data = Path(clf.__file__).parent / "data"  # the corpus shipped in the package

    data = Path(args.data)
    source = data if (data / "bodies.csv").exists() else base_data
    log(f"data: {source}")
    dataset = clf.read_labelled([source])
    texts = [e.text for e in dataset.examples]
    labels = [e.label for e in dataset.examples]
    bodies = [e.text for e in dataset.examples if e.kind == "body"]
    batch = (bodies * (args.bodies // len(bodies) + 1))[: args.bodies]
    log(f"{len(texts)} labelled texts; classifying {len(batch)} bodies "
        f"(mean {sum(map(len, batch)) / len(batch):.0f} characters)")  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model"
        started = time.perf_counter()
        clf.train([source], out)
        train_s = time.perf_counter() - started
        model_mb = sum(p.stat().st_size for p in out.iterdir()) / 1e6
        model = clf.TextClassifier.load(out)
        log(f"gridgov: trained in {train_s:.1f} s (with calibration), model {model_mb:.2f} MB")
        ours = best_rate(model.predict, batch, args.repeats)
        log(f"gridgov: {ours:,.0f} bodies/s")

    started = time.perf_counter()
    baseline = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True), LinearSVC()
    ).fit(texts, labels)
    baseline_train_s = time.perf_counter() - started
    base_batch = batch[: max(len(batch) // 5, 1000)]  # it is slow: a fifth of the texts
    theirs = best_rate(baseline.predict, base_batch, max(args.repeats - 1, 1))
    log(f"scikit-learn char 1–3-gram TF-IDF + LinearSVC: trained in {baseline_train_s:.1f} s, "
        f"{theirs:,.0f} bodies/s")  # fmt: skip
    result = {
        "bodies_per_s": round(ours),
        "baseline_per_s": round(theirs),
        "ratio": round(ours / theirs, 2),
        "train_s": round(train_s, 1),
        "baseline_train_s": round(baseline_train_s, 1),
        "model_mb": round(model_mb, 2),
        "bodies": len(batch),
        "cpus": os.cpu_count(),
        "goals": GOALS,
    }
    log(f"ratio: {result['ratio']}× the baseline")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
