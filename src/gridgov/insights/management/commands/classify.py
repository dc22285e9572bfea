"""`gridgov classify train|predict|evaluate`: the text classifier from the command line.

gridgov classify train --input PATH [PATH …] --out DIR
gridgov classify predict --model DIR --input CSV --output CSV
gridgov classify evaluate --model DIR --input PATH [--cv 5]
"""

import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridgov.insights import classifier as clf
from gridgov.insights import textprep


class Command(BaseCommand):
    help = "Train, apply and evaluate the demand text classifier."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="Train a model from labelled CSVs.")
        train.add_argument("--input", nargs="+", required=True, help="CSV files or folders")
        train.add_argument("--out", required=True, help="model folder to write")
        train.add_argument("--limit", type=int, default=None, help="at most N rows per file")
        predict = sub.add_parser("predict", help="Add 'predicted' and 'score' to every row.")
        predict.add_argument("--model", required=True)
        predict.add_argument("--input", required=True)
        predict.add_argument("--output", required=True)
        evaluate = sub.add_parser("evaluate", help="Accuracy, macro-F1, per-class table.")
        evaluate.add_argument("--model", required=True)
        evaluate.add_argument("--input", nargs="+", required=True)
        evaluate.add_argument(
            "--cv",
            type=int,
            default=0,
            help="K-fold cross-validation of the model's recipe on the input, per file",
        )
        evaluate.add_argument(
            "--alone",
            action="store_true",
            help="with --cv: train each fold on its own file only (not pooled with the others)",
        )
        evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
        sub.add_parser(
            "retrain",
            help="Train a new version in the data dir (shipped corpus + staff corrections) "
            "and put it in use.",
        )

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except (clf.ClassifierError, textprep.TextError) as exc:
            raise CommandError(str(exc)) from exc

    def _train(self, input, out, limit=None, **options):
        started = time.perf_counter()
        model, dataset = clf.train(input, out, limit=limit)
        for source, reason in dataset.skipped[:5]:
            self.stderr.write(f"skipped {source}: {reason}")
        if len(dataset.skipped) > 5:
            self.stderr.write(f"… {len(dataset.skipped) - 5} more rows skipped")
        meta = model.meta
        self.stdout.write(
            f"trained on {meta['examples']} texts {meta['examples_by_kind']} from "
            f"{', '.join(f['file'] for f in meta['files'])}"
        )
        self.stdout.write(
            f"labels: {', '.join(model.labels)}; features: {meta['features']}; "
            f"temperature: {model.temperature:.3f}"
        )
        self.stdout.write(
            f"wrote {out} in {time.perf_counter() - started:.1f} s "
            f"({_size_mb(Path(out)):.1f} MB, fingerprint {meta['fingerprint'][:12]})"
        )

    def _retrain(self, **options):
        from gridgov.insights.tasks import retrain

        self.stdout.write(json.dumps(retrain(note="command")))

    def _predict(self, model, input, output, **options):
        loaded = clf.TextClassifier.load(model)
        handle, reader, columns = clf._open_csv(input)
        with handle:
            if not any(c in columns for c in clf.TEXT_COLUMNS):
                raise CommandError(
                    f"{input}: needs a 'title' and/or 'body' column; it has: "
                    f"{', '.join(columns) or 'none'}."
                )
            try:
                rows = list(reader)
            except csv.Error as exc:
                raise CommandError(f"{input}: not a readable CSV file ({exc}).") from exc
        results = []
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            results.extend(loaded.predict([clf.row_text(r)[0] for r in chunk]))
        fields = [c for c in columns if c not in ("predicted", "score")] + ["predicted", "score"]
        output = Path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
        try:
            # A BOM when the input had one or was GB18030: a file from Excel or WPS goes
            # back to them, which read a CSV without one in the local code page (the
            # Chinese garbled); a program's UTF-8 file (no BOM) gets rows whose first
            # column name is as it was.
            encoding = "utf-8" if handle.encoding_read == "utf-8" else "utf-8-sig"
            with os.fdopen(fd, "w", encoding=encoding, newline="") as out:
                writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
                writer.writeheader()
                for row, (label, score) in zip(rows, results, strict=True):
                    writer.writerow({**row, "predicted": label, "score": f"{score:.4f}"})
            os.replace(tmp, output)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        blank = sum(1 for label, _s in results if not label)
        if blank:
            self.stderr.write(
                f"{blank} rows had no Chinese text to classify: 'predicted' left empty, score 0."
            )
        self.stdout.write(f"wrote {len(rows)} rows to {output}")

    def _evaluate(self, model, input, cv=0, alone=False, json=False, **options):
        loaded = clf.TextClassifier.load(model)
        dataset = clf.read_labelled(input)
        if cv:
            if cv < 2:
                raise CommandError("--cv needs at least 2 folds.")

            def progress(source, k, folds):
                self.stderr.write(f"  {source}: fold {k}/{folds}")

            skipped = []
            results = clf.cross_validate(
                dataset,
                cv,
                loaded.meta.get("params"),
                pooled=not alone,
                progress=progress,
                skipped=skipped,
            )
            for source, reason in skipped:
                self.stderr.write(f"skipped {source}: {reason}")
            if not results:
                raise CommandError(
                    f"Nothing to cross-validate: every file has a class with fewer than {cv} "
                    f"rows. Use fewer folds (--cv) or more labelled rows."
                )
            if json:
                self.stdout.write(_json(results))
                return
            how = "alone" if alone else "pooled with the other files"
            for source, result in results.items():
                self.stdout.write(f"\n== {source} ({result['kind']}): {cv}-fold CV, {how} ==")
                self.stdout.write(clf.format_report(result))
            summary = ", ".join(f"{s} {r['macro_f1']:.4f}" for s, r in results.items())
            self.stdout.write(f"macro-F1 ({cv}-fold CV): {summary}")
            return
        result = clf.evaluate(loaded, dataset)
        if json:
            self.stdout.write(_json(result))
            return
        self.stdout.write(clf.format_report(result))
        for kind, part in result["by_kind"].items():
            self.stdout.write(
                f"  {kind}: {part['n']} rows, accuracy {part['accuracy']:.4f}, "
                f"macro-F1 {part['macro_f1']:.4f}"
            )


def _json(data):
    return json.dumps(data, ensure_ascii=False, indent=2)


def _size_mb(folder):
    return sum(p.stat().st_size for p in folder.iterdir()) / 1e6


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run as: gridgov classify …")
