"""Celery tasks: retrain the classifier, refresh hot issues (beat entries in settings)."""

from celery import shared_task


@shared_task(name="gridgov.insights.retrain")
def retrain(note="scheduled", force=True, user_id=None):
    """Train a new version; the nightly run (force=False) skips when nothing new was learnt.

    The new version is put in use only if it scores no worse than the one in use
    (training.retrain); `active` in the answer says whether it was.
    """
    from django.contrib.auth import get_user_model

    from . import training

    if not force and not training.has_news():
        return {"skipped": "no new staff corrections since the last training"}
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    record = training.retrain(note=note, user=user)
    pruned = training.prune_versions()
    return {
        "version": record.version,
        "examples": record.examples,
        "seconds": record.train_seconds,
        "macro_f1": record.metrics.get("macro_f1"),
        "active": record.active,
        "review": record.review,
        "pruned": pruned,
    }


@shared_task(name="gridgov.insights.refresh_hot_issues")
def refresh_hot_issues():
    from . import dedupe, hotissues, training

    indexed = dedupe.index_missing()
    corrections = training.harvest_overrides()
    issues = hotissues.refresh()
    return {"hot_issues": issues, "indexed": indexed, "corrections": corrections}
