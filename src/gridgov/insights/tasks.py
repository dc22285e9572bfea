"""Celery tasks: retrain the classifier, refresh hot issues (beat entries in settings)."""

from celery import shared_task


@shared_task(name="gridgov.insights.retrain")
def retrain(note="scheduled", force=True):
    """Train a new version; the nightly run (force=False) skips when nothing new was learnt."""
    from . import training

    if not force and not training.has_news():
        return {"skipped": "no new staff corrections since the version in use"}
    record = training.retrain(note=note)
    pruned = training.prune_versions()
    return {
        "version": record.version,
        "examples": record.examples,
        "seconds": record.train_seconds,
        "pruned": pruned,
    }


@shared_task(name="gridgov.insights.refresh_hot_issues")
def refresh_hot_issues():
    from . import dedupe, hotissues, training

    indexed = dedupe.index_missing()
    corrections = training.harvest_overrides()
    issues = hotissues.refresh()
    return {"hot_issues": issues, "indexed": indexed, "corrections": corrections}
