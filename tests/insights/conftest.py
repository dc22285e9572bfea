"""Fixtures for insights tests: a small classifier trained once per session.

The model is trained on the first rows of each file of the labelled corpus
shipped with the package (gridgov/insights/data), so tests run in seconds.
A test that wants it in use gets a ModelVersion row pointing at it (rolled
back with the test's transaction).
"""

import csv
import gzip

import pytest

from gridgov.insights import classifier as clf
from gridgov.insights.training import BASE_DATA

SMALL_LIMIT = 400


def corpus_rows(name, limit=None):
    with gzip.open(BASE_DATA / f"{name}.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # Every label early on: the files are sorted by label, so take a stride.
    step = max(len(rows) // limit, 1) if limit else 1
    return rows[::step][:limit] if limit else rows


def write_csv(path, rows, fields):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory):
    """A folder with small titles.csv, bodies.csv, messages.csv (labelled)."""
    folder = tmp_path_factory.mktemp("corpus")
    write_csv(folder / "titles.csv", corpus_rows("titles", SMALL_LIMIT), ["title", "label"])
    write_csv(folder / "bodies.csv", corpus_rows("bodies", SMALL_LIMIT), ["body", "label"])
    write_csv(
        folder / "messages.csv",
        corpus_rows("messages", SMALL_LIMIT // 2),
        ["message_id", "title", "body", "label"],
    )
    return folder


@pytest.fixture(scope="session")
def small_model_dir(small_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "small"
    clf.train([small_corpus], out)
    return out


@pytest.fixture
def active_model(db, small_model_dir):
    """The small model registered as the classifier in use."""
    from gridgov.insights import predictor
    from gridgov.insights.models import ModelVersion

    predictor.forget()
    version = ModelVersion.objects.create(
        version=1, path=str(small_model_dir), fingerprint="test", examples=1000, active=True
    )
    yield version
    predictor.forget()
