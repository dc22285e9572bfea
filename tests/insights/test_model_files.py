"""Found in the concurrency review (issue #5): classifier versions while they are trained,
pruned, switched and loaded by several processes at once."""

import shutil
import threading

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
