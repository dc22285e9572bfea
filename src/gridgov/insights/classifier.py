"""Demand text → first-level category: train, save, load, predict, evaluate.

The model (chosen by measurement, docs/insights.md): TF-IDF of character 1–2
grams (textprep.py) and an NBSVM: per label, a binary LinearSVC (C = 4,
balanced) on the features scaled by their damped naive-Bayes log-count ratio,
the ratio folded into the stored weights (a model with "nb": false in its
parameters is a plain multi-class LinearSVC); trained on every labelled text
given — titles, bodies and whole messages (title + body) together, so one
model serves any of them. Scores are calibrated by temperature scaling: a
softmax of the decision values divided by a temperature fitted on out-of-fold
decision values, so "0.9" means about nine in ten right.

A model is a folder: `model.json` (format and version, labels, parameters,
metrics, the SHA-256 fingerprint of the training data) and `arrays.npz`
(vocabulary keys, idf, weights). Training writes into a temporary folder
beside the target and renames it into place at the end, so a failed or
interrupted training leaves the previous model (or nothing) — never half a
model.
"""

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gridgov.core import textfiles

from . import textprep

FORMAT = "gridgov-text-classifier"
FORMAT_VERSION = 1
TEXT_COLUMNS = ("title", "body")
REQUIRED_KEYS = ("labels", "temperature", "params")  # besides format and format_version
REQUIRED_PARAMS = ("ngram", "min_df")
DEFAULT_PARAMS = {
    "ngram": [1, 2],
    "min_df": 2,
    "C": 4.0,
    "nb": True,
    "calibration_folds": 3,
}


class ClassifierError(Exception):
    """Bad input or an unusable model: the message says what to do."""


@dataclass
class Example:
    text: str
    label: str
    kind: str  # title, body or whole
    source: str = ""
    title: str = ""  # the title part, to keep one message out of both sides of a CV split


@dataclass
class Dataset:
    examples: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (source, reason)
    files: list = field(default_factory=list)

    @property
    def labels(self):
        return sorted({e.label for e in self.examples})

    def fingerprint(self):
        digest = hashlib.sha256()
        for e in sorted(self.examples, key=lambda e: (e.label, e.kind, e.text)):
            digest.update(f"{e.label}\t{e.kind}\t{e.text}\n".encode())
        return digest.hexdigest()


def row_text(row):
    """(text, kind) of a CSV row: title and body joined when both are present."""
    title = (row.get("title") or "").strip()
    body = (row.get("body") or "").strip()
    if title and body:
        return f"{title} {body}", "whole"
    if title:
        return title, "title"
    return body, "body"


def _open_csv(path):
    """(handle, DictReader, stripped column names) of a CSV in UTF-8 or GB18030 (as Excel
    and WPS save "CSV" on a Chinese Windows); `handle.encoding_read` says which."""
    try:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rb") as raw:
            data = raw.read()
    except (OSError, EOFError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ClassifierError(f"{path}: cannot be read ({reason}).") from exc
    try:
        text, encoding = textfiles.decode(data)
    except textfiles.NotText:
        raise ClassifierError(f"{path}: not a UTF-8 or GB18030 CSV file.") from None
    handle = io.StringIO(text, newline="")
    handle.encoding_read = encoding
    reader = csv.DictReader(handle)
    try:
        columns = reader.fieldnames or []
    except csv.Error as exc:
        raise ClassifierError(f"{path}: not a readable CSV file ({exc}).") from exc
    # Rows are keyed by the stripped names too: "id, title,label" has a 'title' column.
    columns = [(c or "").strip() for c in columns]
    reader.fieldnames = columns
    return handle, reader, columns


def csv_files(paths):
    """Expand folders into the CSV files inside them (sorted); keep files as given."""
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.name.lower().endswith((".csv", ".csv.gz"))
            )
            if not found:
                raise ClassifierError(f"{path}: no CSV file in this folder.")
            files.extend((p, True) for p in found)
        elif path.exists():
            files.append((path, False))
        else:
            raise ClassifierError(f"{path}: no such file or folder.")
    return files


def read_labelled(paths, limit=None):
    """Labelled examples from CSV files or folders of them.

    A file named on its own must have a `label` column and a `title` and/or
    `body` column; in a folder, CSVs without them are skipped (and reported).
    """
    dataset = Dataset()
    for path, in_folder in csv_files(paths):
        handle, reader, columns = _open_csv(path)
        with handle:
            has_text = any(c in columns for c in TEXT_COLUMNS)
            if "label" not in columns or not has_text:
                reason = "needs a 'label' column and a 'title' and/or 'body' column"
                if in_folder:
                    dataset.skipped.append((str(path), reason))
                    continue
                raise ClassifierError(f"{path}: {reason}; it has: {', '.join(columns) or 'none'}.")
            count = 0
            try:
                for row in reader:
                    text, kind = row_text(row)
                    label = (row.get("label") or "").strip()
                    if not label or not textprep.has_chinese(text):
                        dataset.skipped.append((f"{path}:{reader.line_num}", "empty or no Chinese"))
                        continue
                    title = (row.get("title") or "").strip()
                    dataset.examples.append(Example(text, label, kind, path.name, title))
                    count += 1
                    if limit and count >= limit:
                        break
            except csv.Error as exc:
                raise ClassifierError(f"{path}: not a readable CSV file ({exc}).") from exc
            dataset.files.append({"file": path.name, "rows": count})
    if not dataset.examples:
        raise ClassifierError("No labelled text to train on: every row was empty or skipped.")
    return dataset


# --- the model ---------------------------------------------------------------------------


def _softmax(scores, temperature):
    z = scores / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(scores, truth):
    """The temperature minimising the log loss of softmax(scores / T) (golden-section search)."""
    rows = np.arange(len(truth))

    def loss(log_t):
        p = _softmax(scores, np.exp(log_t))
        return -np.mean(np.log(np.clip(p[rows, truth], 1e-12, None)))

    lo, hi = np.log(0.01), np.log(10.0)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if loss(a) < loss(b):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def check_target(out):
    """Refuse to replace anything but a model folder (or an empty folder) with a model."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ClassifierError(f"{out} is a file; give a folder for the model.")
    if out.is_dir() and not (out / "model.json").exists() and any(out.iterdir()):
        raise ClassifierError(
            f"{out} exists and is not a model folder; give a new or empty folder "
            "(a model folder is replaced as a whole)."
        )


def _sync(handle):
    handle.flush()
    os.fsync(handle.fileno())


def _sync_folder(folder):
    """Put a folder's entries (files created, renamed in) on disk, where the system can."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # a system that cannot open a folder (Windows): nothing to do
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class TextClassifier:
    def __init__(self, labels, vectorizer, coef, intercept, temperature=1.0, meta=None):
        self.labels = list(labels)
        self.vectorizer = vectorizer
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.temperature = float(temperature)
        self.meta = meta or {}

    # -- training --
    @classmethod
    def fit(cls, texts, labels, params=None, calibrate=True):
        from sklearn.svm import LinearSVC

        params = {**DEFAULT_PARAMS, **(params or {})}
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise ClassifierError("Training needs at least two different labels.")
        y = np.array([classes.index(label) for label in labels])
        vectorizer = textprep.CharTfidf(params["ngram"], params["min_df"])
        features = vectorizer.fit_transform(texts)
        if features.shape[1] == 0:
            raise ClassifierError(
                f"Too little text to train on: no character n-gram occurs in "
                f"{params['min_df']} or more texts. Give more labelled texts."
            )
        if params.get("nb"):
            coef, intercept = cls._nbsvm(features, y, len(classes), params["C"])
        else:
            svm = LinearSVC(C=params["C"], class_weight="balanced").fit(features, y)
            coef, intercept = svm.coef_, svm.intercept_
            if len(classes) == 2:  # binary LinearSVC keeps one row: make it symmetric
                coef = np.vstack([-coef[0], coef[0]]) / 2
                intercept = np.array([-intercept[0], intercept[0]]) / 2
        temperature, oof = 1.0, None
        folds = params["calibration_folds"]
        if calibrate and folds and min(np.bincount(y)) >= folds:
            temperature, oof = cls._calibrate(texts, y, len(classes), params)
        model = cls(classes, vectorizer, coef, intercept, temperature, {"params": params})
        # Out-of-fold predictions of the calibration folds: an honest score for free.
        model.oof_predicted = [classes[i] for i in oof.argmax(axis=1)] if oof is not None else None
        return model

    @staticmethod
    def _nbsvm(features, y, n_classes, C):
        """One-vs-rest SVMs on NB-scaled features (Wang & Manning's NBSVM), folded into coef.

        For each class, every feature column is multiplied by its log-count ratio r (how
        much more often the n-gram occurs in the class than outside it, add-one smoothed,
        damped to sign(r)·sqrt|r|), and a binary LinearSVC (balanced) is trained on that.
        Its score is (x·r)·w + b = x·(r·w) + b, so the model stores r·w as the class's
        row: prediction is the same matrix product as a plain linear SVM.
        """
        import scipy.sparse as sp
        from sklearn.svm import LinearSVC

        present = features.copy()
        present.data[:] = 1.0
        coef = np.zeros((n_classes, features.shape[1]))
        intercept = np.zeros(n_classes)
        for k in range(n_classes):
            positive = y == k
            p = 1.0 + np.asarray(present[positive].sum(axis=0)).ravel()
            q = 1.0 + np.asarray(present[~positive].sum(axis=0)).ravel()
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            ratio = np.sign(ratio) * np.sqrt(np.abs(ratio))
            svm = LinearSVC(C=C, class_weight="balanced", max_iter=5000).fit(
                features @ sp.diags(ratio), positive.astype(int)
            )
            coef[k] = svm.coef_[0] * ratio
            intercept[k] = svm.intercept_[0]
        return coef, intercept

    @classmethod
    def _calibrate(cls, texts, y, n_classes, params):
        from sklearn.model_selection import StratifiedKFold

        scores = np.zeros((len(y), n_classes))
        texts = np.array(texts, dtype=object)
        split = StratifiedKFold(params["calibration_folds"], shuffle=True, random_state=0)
        for train, test in split.split(texts, y):
            labels = [str(v) for v in y[train]]
            if len(set(labels)) < n_classes:
                return 1.0, None
            try:
                model = cls.fit(list(texts[train]), labels, params, calibrate=False)
            except ClassifierError:  # a fold too small to train on: leave it uncalibrated
                return 1.0, None
            order = [model.labels.index(str(i)) for i in range(n_classes)]
            scores[test] = model.decision_function(list(texts[test]))[:, order]
        return fit_temperature(scores, y), scores

    # -- prediction --
    def decision_function(self, texts):
        features = self.vectorizer.transform(texts)
        return np.asarray(features @ self.coef.T) + self.intercept

    def predict_proba(self, texts):
        return _softmax(self.decision_function(texts), self.temperature)

    def predict(self, texts):
        """(label, score) for each text; ("", 0.0) for a text without Chinese."""
        texts = list(texts)
        out = [("", 0.0)] * len(texts)
        usable = [i for i, t in enumerate(texts) if textprep.has_chinese(t)]
        if usable:
            proba = self.predict_proba([texts[i] for i in usable])
            best = proba.argmax(axis=1)
            for i, b, p in zip(usable, best, proba, strict=True):
                out[i] = (self.labels[b], float(p[b]))
        return out

    def top(self, text, n=3):
        """The n best (label, score) for one text, best first."""
        if not textprep.has_chinese(text):
            raise textprep.TextError("The text has no Chinese to classify.")
        proba = self.predict_proba([text])[0]
        order = np.argsort(-proba)[:n]
        return [(self.labels[i], float(proba[i])) for i in order]

    # -- storage --
    def save(self, out, metrics=None, fingerprint="", extra=None):
        """Write the model folder atomically; returns its path."""
        out = Path(out)
        check_target(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        try:
            meta = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "labels": self.labels,
                "temperature": self.temperature,
                "params": self.meta.get("params", DEFAULT_PARAMS),
                "features": int(len(self.vectorizer.vocab)),
                "fingerprint": fingerprint,
                "metrics": metrics or {},
                "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                **(extra or {}),
            }
            # Each file, then the folder, on disk before the folder is renamed into place, and
            # the rename on disk before this returns (and training records the version): after
            # a crash of the machine the rename could otherwise survive without the data, and a
            # version recorded in use would have an empty model.json or arrays.npz.
            with open(tmp / "arrays.npz", "wb") as handle:
                np.savez_compressed(
                    handle,
                    vocab=self.vectorizer.vocab,
                    idf=self.vectorizer.idf.astype(np.float32),
                    coef=self.coef.astype(np.float32),
                    intercept=self.intercept.astype(np.float32),
                )
                _sync(handle)
            with open(tmp / "model.json", "w", encoding="utf-8") as handle:
                handle.write(json.dumps(meta, ensure_ascii=False, indent=2))
                _sync(handle)
            os.chmod(tmp, 0o755)
            _sync_folder(tmp)
            old = None
            if out.is_dir() and not any(out.iterdir()):
                # An empty folder (the version folder training reserved) is replaced in one
                # step: moved aside first, it was missing for a moment, and a second training
                # starting then reserved it too (training._reserve_version).
                tmp.replace(out)
            else:
                if out.exists():
                    old = out.with_name(f".{out.name}.old-{os.getpid()}-{time.time_ns()}")
                    out.rename(old)
                tmp.rename(out)
            _sync_folder(out.parent)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.meta = meta
        return out

    @classmethod
    def load(cls, folder):
        folder = Path(folder)
        meta_file = folder / "model.json"
        if not meta_file.exists():
            raise ClassifierError(f"{folder}: not a model folder (no model.json).")
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise ClassifierError(f"{folder}: model.json is unreadable ({exc}).") from exc
        if meta.get("format") != FORMAT:
            raise ClassifierError(f"{folder}: not a gridgov text classifier.")
        version = meta.get("format_version")
        if version != FORMAT_VERSION:
            raise ClassifierError(
                f"{folder}: model format version {version}, but this gridgov reads version "
                f"{FORMAT_VERSION}. Retrain it: gridgov classify train --input … --out {folder}"
            )
        missing = [key for key in REQUIRED_KEYS if key not in meta]
        params = meta.get("params")
        if isinstance(params, dict):
            missing += [f"params.{key}" for key in REQUIRED_PARAMS if key not in params]
        elif "params" not in missing:
            missing.append("params")
        if missing:
            raise ClassifierError(
                f"{folder}: model.json lacks {', '.join(missing)}; the model is damaged. "
                f"Retrain it: gridgov classify train --input … --out {folder}"
            )
        try:
            temperature = float(meta["temperature"])
            labels = [str(label) for label in meta["labels"]]
        except (TypeError, ValueError) as exc:
            raise ClassifierError(f"{folder}: model.json has a malformed field ({exc}).") from exc
        if not labels or temperature <= 0 or isinstance(meta["labels"], str):
            raise ClassifierError(f"{folder}: model.json has no labels or a bad temperature.")
        meta["params"].setdefault("nb", False)  # older models: plain SVM
        try:
            with np.load(folder / "arrays.npz") as arrays:
                vectorizer = textprep.CharTfidf(meta["params"]["ngram"], meta["params"]["min_df"])
                vectorizer.vocab = arrays["vocab"]
                vectorizer.idf = arrays["idf"]
                coef, intercept = arrays["coef"], arrays["intercept"]
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise ClassifierError(f"{folder}: the model arrays are missing or damaged.") from exc
        if coef.shape != (len(labels), len(vectorizer.vocab)):
            raise ClassifierError(f"{folder}: the model arrays do not match model.json.")
        return cls(labels, vectorizer, coef, intercept, temperature, meta)


# --- training and evaluation recipes -------------------------------------------------------


def train(paths, out, params=None, extra_examples=(), limit=None, metrics=None):
    """Read labelled CSVs (plus extra Examples), train, save to `out`. Returns (model, dataset)."""
    check_target(out)  # before the work, not after it
    dataset = read_labelled(paths, limit=limit) if paths else Dataset()
    dataset.examples.extend(extra_examples)
    if not dataset.examples:
        raise ClassifierError("No labelled text to train on.")
    started = time.perf_counter()
    model = TextClassifier.fit(
        [e.text for e in dataset.examples], [e.label for e in dataset.examples], params
    )
    seconds = time.perf_counter() - started
    kinds = {}
    for e in dataset.examples:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    if metrics is None and model.oof_predicted is not None:
        metrics = out_of_fold_metrics(model, dataset)
    model.save(
        out,
        metrics=metrics or {},
        fingerprint=dataset.fingerprint(),
        extra={
            "examples": len(dataset.examples),
            "examples_by_kind": kinds,
            "files": dataset.files,
            "skipped": len(dataset.skipped),
            "train_seconds": round(seconds, 2),
        },
    )
    return model, dataset


def scores(truth, predicted, labels=None):
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix."""
    labels = labels or sorted(set(truth) | {p for p in predicted if p})
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(truth, predicted, strict=True):
        if t in index and p in index:
            matrix[index[t], index[p]] += 1
    per_class = {}
    f1s = []
    for label, i in index.items():
        tp = matrix[i, i]
        support = sum(1 for t in truth if t == label)
        predicted_n = matrix[:, i].sum()
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(float(precision), 4),
            "recall": round(float(recall), 4),
            "f1": round(float(f1), 4),
            "support": int(support),
        }
        if support:
            f1s.append(f1)
    correct = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p)
    return {
        "n": len(truth),
        "accuracy": round(correct / len(truth), 4) if truth else 0.0,
        "macro_f1": round(float(np.mean(f1s)), 4) if f1s else 0.0,
        "per_class": per_class,
        "labels": labels,
        "confusion": matrix.tolist(),
    }


def out_of_fold_metrics(model, dataset):
    """Scores of the calibration folds' out-of-fold predictions (k-fold CV, pooled)."""
    truth = [e.label for e in dataset.examples]
    result = scores(truth, model.oof_predicted, model.labels)
    result["method"] = f"{model.meta['params']['calibration_folds']}-fold cross-validation"
    result["by_kind"] = _by_kind(dataset, truth, model.oof_predicted, model.labels)
    return result


def _by_kind(dataset, truth, predicted, labels):
    out = {}
    for kind in ("title", "body", "whole"):
        rows = [i for i, e in enumerate(dataset.examples) if e.kind == kind]
        if rows:
            part = scores([truth[i] for i in rows], [predicted[i] for i in rows], labels)
            out[kind] = {k: part[k] for k in ("n", "accuracy", "macro_f1")}
    return out


def evaluate(model, dataset):
    """Scores of a trained model on labelled examples (overall and by input kind)."""
    unseen = sorted({e.label for e in dataset.examples} - set(model.labels))
    if unseen:
        raise ClassifierError(
            "Labels the model never saw in training: "
            + ", ".join(unseen)
            + ". Retrain with examples of them, or leave those rows out."
        )
    predicted = [label for label, _score in model.predict([e.text for e in dataset.examples])]
    truth = [e.label for e in dataset.examples]
    result = scores(truth, predicted, model.labels)
    result["by_kind"] = _by_kind(dataset, truth, predicted, model.labels)
    return result


def cross_validate(dataset, folds=5, params=None, pooled=True, progress=None, skipped=None):
    """K-fold cross-validation per source file.

    Each file's rows are split into folds; a fold is predicted by a model
    trained on the other folds — plus, when `pooled`, every row of the other
    files (as the deployed model is trained). Returns {file: scores}. A file
    with a class of fewer rows than folds is left out; when `skipped` is a
    list, (file, reason) is appended to it for each such file.
    """
    from sklearn.model_selection import StratifiedKFold

    by_file = {}
    for e in dataset.examples:
        by_file.setdefault(e.source, []).append(e)
    results = {}
    for source, rows in by_file.items():
        others = [e for e in dataset.examples if e.source != source] if pooled else []
        y = np.array([e.label for e in rows])
        counts = {label: int((y == label).sum()) for label in set(y)}
        if min(counts.values()) < folds:
            if skipped is not None:
                few = sorted(label for label, n in counts.items() if n < folds)
                skipped.append(
                    (
                        source,
                        f"fewer than {folds} rows of {', '.join(few)}: cannot make {folds} folds",
                    )
                )
            continue
        predicted = np.empty(len(rows), dtype=object)
        split = StratifiedKFold(folds, shuffle=True, random_state=0)
        for k, (train_idx, test_idx) in enumerate(split.split(np.zeros(len(y)), y), start=1):
            if progress:
                progress(source, k, folds)
            held = {rows[i].title for i in test_idx if rows[i].title}
            train_rows = [rows[i] for i in train_idx] + [
                e for e in others if not (e.title and e.title in held)
            ]
            model = TextClassifier.fit(
                [e.text for e in train_rows],
                [e.label for e in train_rows],
                params,
                calibrate=False,
            )
            for i, (label, _s) in zip(
                test_idx, model.predict([rows[i].text for i in test_idx]), strict=True
            ):
                predicted[i] = label
        result = scores(list(y), list(predicted))
        result["kind"] = max({e.kind for e in rows}, key=lambda k: sum(e.kind == k for e in rows))
        results[source] = result
    return results


def format_report(result, out=None):
    """accuracy, macro-F1 and the per-class table as text."""
    out = out or io.StringIO()
    out.write(f"rows: {result['n']}\n")
    out.write(f"accuracy: {result['accuracy']:.4f}\n")
    out.write(f"macro-F1: {result['macro_f1']:.4f}\n")
    width = max([len(label) for label in result["per_class"]] + [5]) * 2
    out.write(f"{'class':<{width}} precision  recall     f1  support\n")
    for label, row in result["per_class"].items():
        pad = width - len(label)  # Chinese characters take two columns
        out.write(
            f"{label}{' ' * max(pad - len(label), 1)} {row['precision']:9.4f} {row['recall']:7.4f}"
            f" {row['f1']:6.4f} {row['support']:8d}\n"
        )
    return out.getvalue() if isinstance(out, io.StringIO) else None
