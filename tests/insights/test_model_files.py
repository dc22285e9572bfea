"""Found in the concurrency review (issue #5): classifier versions while they are trained,
pruned, switched and loaded by several processes at once."""

import os
import shutil
import threading
import time
from types import SimpleNamespace

import pytest
from django.db import connection

from gridgov.insights import training
from gridgov.insights.models import ModelVersion


def _versions(tmp_path, count, active):
    folder = tmp_path / "models" / "classifier"
    rows = []
    for number in range(1, count + 1):
        out = folder / f"v{number:04d}"
        out.mkdir(parents=True)
        (out / "model.json").write_text("{}")
        rows.append(
            ModelVersion.objects.create(
                version=number, path=str(out), fingerprint="x", active=number == active
            )
        )
    return rows


@pytest.mark.django_db(transaction=True)
def test_a_version_put_back_in_use_while_old_ones_are_pruned_stays_in_use(
    settings, tmp_path, monkeypatch
):
    """The nightly retrain prunes old versions while staff roll back to one of them: the
    pruning had listed it as inactive, then deleted its row and folder after the rollback
    had put it in use, and no version was left in use (the page said it was)."""
    settings.DATA_DIR = tmp_path
    oldest, *_rest = _versions(tmp_path, 4, active=4)
    outcome = []

    def rollback():
        try:
            training.activate(ModelVersion.objects.get(pk=oldest.pk))
            outcome.append("activated")
        except training.ActivationError:
            outcome.append("refused")
        except ModelVersion.DoesNotExist:
            outcome.append("refused")
        finally:
            connection.close()

    real_rmtree, started = shutil.rmtree, []

    def rmtree(path, *args, **kwargs):  # staff click while the pruning is under way
        if not started:
            started.append(threading.Thread(target=rollback))
            started[0].start()
            started[0].join(3)
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", rmtree)
    training.prune_versions(keep=2)
    started[0].join(10)
    in_use = list(ModelVersion.objects.filter(active=True).values_list("version", flat=True))
    assert len(in_use) == 1
    assert all(training.usable(v) for v in ModelVersion.objects.filter(active=True))
    if outcome == ["activated"]:
        assert in_use == [1]
    else:
        assert outcome == ["refused"] and in_use == [4]
        assert not ModelVersion.objects.filter(version=1).exists()


@pytest.mark.django_db
def test_a_model_folder_unreadable_for_a_moment_is_loaded_later(
    tmp_path, small_model_dir, monkeypatch
):
    """A worker that asked for the new version before its folder could be read (a data dir
    shared between machines shows a new folder late) kept the failure for good: that
    process suggested from keywords until another version was put in use."""
    from gridgov.insights import predictor

    folder = tmp_path / "v0002"
    predictor.forget()
    ModelVersion.objects.create(version=2, path=str(folder), fingerprint="x", active=True)
    try:
        assert predictor.load_active()[1] is None  # not there yet: keywords meanwhile
        shutil.copytree(small_model_dir, folder)
        assert predictor.load_active()[1] is None  # not tried again at every intake …
        later = time.monotonic() + getattr(predictor, "RETRY_LOAD_SECONDS", 60) + 1
        clock = SimpleNamespace(monotonic=lambda: later)
        monkeypatch.setattr(predictor, "time", clock, raising=False)
        version, model = predictor.load_active()  # … but once the retry is due
        assert version.version == 2 and model is not None
        assert predictor.model_top("小区楼道堆满杂物没人管") is not None
    finally:
        predictor.forget()


@pytest.mark.django_db(transaction=True)
def test_a_second_training_never_reserves_the_folder_the_first_is_moving_its_model_into(
    settings, tmp_path, small_corpus, monkeypatch
):
    """Saving a model moved the reserved (empty) version folder aside, then the new model
    into its place: in between the folder did not exist, a second training starting then
    reserved the same version folder, and the two trainings wrote one folder."""
    from pathlib import Path

    from gridgov.insights import classifier as clf

    settings.DATA_DIR = tmp_path
    reserved = []

    def moved(real):
        def move(self, target):
            result = real(self, target)
            if not reserved and Path(self).parent == training.models_dir():
                reserved.append(training._reserve_version()[1])  # a second training starts
            return result

        return move

    monkeypatch.setattr(Path, "rename", moved(Path.rename))
    monkeypatch.setattr(Path, "replace", moved(Path.replace))
    record = training.retrain(paths=[small_corpus], limit=150)
    assert reserved and Path(record.path) != reserved[0]
    assert clf.TextClassifier.load(record.path).meta["fingerprint"] == record.fingerprint


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names open files via /proc")
def test_a_model_is_on_disk_before_its_folder_is_renamed_into_place(
    small_model_dir, tmp_path, monkeypatch
):
    """Nothing was synced: after a crash of the machine, the folder renamed into place
    (and the version the database then recorded in use) could hold an empty model.json or
    arrays.npz, and every process fell back to keywords."""
    from pathlib import Path

    from gridgov.insights import classifier as clf

    events, real_fsync = [], os.fsync

    def fsync(fd):
        events.append(("sync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def moved(real):
        def move(self, target):
            events.append(("move", str(self), str(target)))
            return real(self, target)

        return move

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(Path, "rename", moved(Path.rename))
    monkeypatch.setattr(Path, "replace", moved(Path.replace))
    out = tmp_path / "models" / "v0001"
    clf.TextClassifier.load(small_model_dir).save(out)
    moves = [i for i, e in enumerate(events) if e[0] == "move" and e[2] == str(out)]
    assert len(moves) == 1
    written = events[moves[0]][1]
    synced_before = {e[1] for e in events[: moves[0]] if e[0] == "sync"}
    assert {f"{written}/arrays.npz", f"{written}/model.json", written} <= synced_before
    assert ("sync", str(out.parent)) in events[moves[0] :]
    assert clf.TextClassifier.load(out).labels == clf.TextClassifier.load(small_model_dir).labels


@pytest.mark.django_db(transaction=True)
def test_two_trainings_finishing_at_once_are_each_judged_against_the_version_they_replace(
    settings, tmp_path, monkeypatch
):
    """Each training read the version in use, then compared, recorded and switched: two
    finishing together (the nightly task and the button) were both judged against the old
    version, and the second went in use in place of the first even when clearly worse
    (0.92 replacing 0.95, with a tolerance of 0.01)."""
    from gridgov.insights import classifier as clf
    from gridgov.insights.models import ModelActivation

    settings.DATA_DIR = tmp_path
    (tmp_path / "v0").mkdir()
    (tmp_path / "v0" / "model.json").write_text("{}")
    ModelVersion.objects.create(
        version=1, path=str(tmp_path / "v0"), fingerprint="x", active=True,
        metrics={"macro_f1": 0.90},
    )  # fmt: skip
    scores = {"better": 0.95, "worse": 0.92}
    go_better, better_done = threading.Event(), threading.Event()

    def train(paths, out, **kwargs):  # a stand-in for training: the model scores as named
        name = threading.current_thread().name
        if name == "better":
            go_better.wait(5)
        out.mkdir(exist_ok=True)
        (out / "model.json").write_text("{}")
        meta = {"metrics": {"macro_f1": scores[name]}, "fingerprint": name}
        return SimpleNamespace(meta=meta), SimpleNamespace(examples=[])

    real_review = training.review

    def review(metrics, active):
        if threading.current_thread().name == "worse":  # has read the version in use
            go_better.set()
            better_done.wait(3)
        return real_review(metrics, active)

    monkeypatch.setattr(clf, "train", train)
    monkeypatch.setattr(training, "review", review)
    errors = []

    def run():
        try:
            training.retrain(note=threading.current_thread().name)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            if threading.current_thread().name == "better":
                better_done.set()
            connection.close()

    threads = [threading.Thread(target=run, name=name) for name in ("better", "worse")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert ModelVersion.objects.get(active=True).note == "better"
    for switch in ModelActivation.objects.select_related("version"):
        assert switch.version.review["baseline"] == switch.previous_number
