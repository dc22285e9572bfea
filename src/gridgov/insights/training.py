"""Training in the platform: versions in the data dir, staff corrections as examples.

The base corpus ships with the package (`data/*.csv.gz`, the labelled public
messages, about 2 MB); `retrain()` trains on it plus every staff correction
(TrainingExample), writes `<data dir>/models/classifier/v0007/` and records a
ModelVersion with its metrics and fingerprint. The new version is put in use
only when its macro-F1 is not lower than that of the version in use by more than
settings.GRIDGOV_CLASSIFIER_TOLERANCE (default 0.01); otherwise it is kept, not
in use, with the comparison (`review`). Staff may put any kept version in use
(`activate`: a rollback, or a version kept back), and every change of the
version in use is recorded (ModelActivation: which, who, when, how).

Staff corrections are read from ticket data (`harvest_overrides`): intake
stores the classifier's top label in the create event; a ticket whose
category (set at intake or changed later, by any path) lies under a different
first-level category than that suggestion is a correction.
"""

import logging
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core.locks import transaction_lock
from gridgov.tickets.models import Category, TicketEvent

from . import classifier as clf
from . import predictor

log = logging.getLogger(__name__)
BASE_DATA = Path(__file__).parent / "data"


class ActivationError(ValueError):
    pass


def tolerance():
    return float(getattr(settings, "GRIDGOV_CLASSIFIER_TOLERANCE", 0.01))


# A label learnt from corrections alone needs this many examples before it is trained.
MIN_EXAMPLES_PER_NEW_LABEL = 5


def models_dir():
    return Path(settings.DATA_DIR) / "models" / "classifier"


def harvest_overrides():
    """Record staff corrections as TrainingExamples. Returns how many were added."""
    from .models import TrainingExample

    done = set(TrainingExample.objects.exclude(ticket=None).values_list("ticket_id", flat=True))
    by_code = {c.code: c for c in Category.objects.all()}
    added = 0
    events = (
        TicketEvent.objects.filter(action="create", data__has_key="classifier")
        .exclude(ticket_id__in=done)
        .select_related("ticket__category")
        .order_by("id")
    )
    for event in events.iterator(chunk_size=500):
        info = (event.data or {}).get("classifier") or {}
        ticket = event.ticket
        suggested = by_code.get(info.get("top"))
        if not info or ticket.category is None or suggested is None:
            continue
        chosen = ticket.category.top()
        if chosen.pk == suggested.pk or _grid_event(ticket.category):
            continue
        TrainingExample.objects.get_or_create(
            ticket=ticket,
            defaults={
                "text": f"{ticket.title} {ticket.description}".strip(),
                "category": chosen,
                "suggested": suggested,
            },
        )
        added += 1
    return added


def correction_examples():
    """Examples from staff corrections, leaving out new labels with too few of them."""
    from .models import TrainingExample

    rows = TrainingExample.objects.select_related("category", "ticket__category").order_by("id")
    known = {c.name for c in Category.objects.filter(depth=1)}
    labelled = [(row, _label_now(row)) for row in rows]
    labelled = [(row, label) for row, label in labelled if label is not None]
    counts = {}
    for _row, label in labelled:
        counts[label] = counts.get(label, 0) + 1
    examples = [
        clf.Example(row.text, label, "whole", "corrections")
        for row, label in labelled
        if label in known
    ]
    return examples, counts


def _label_now(row):
    """A correction's label as its ticket stands now: a category changed again later (say,
    back to what the model had said) decides, and then it may be no correction at all."""
    ticket = row.ticket
    if ticket is None or ticket.category is None:
        return row.category.name
    current = ticket.category.top()
    if _grid_event(ticket.category) or current.pk == row.suggested_id:
        return None
    return current.name


def _grid_event(category):
    """Is this one of the grid's own event types (楼道堆物 …)? The model is never asked for
    them (the keywords name them, predictor.py), so a ticket filed as one corrects nothing.
    The types carry the flag, not their first level 网格事件."""
    return any(node.grid_event for node in category.lineage())


def next_version():
    from .models import ModelVersion

    last = ModelVersion.objects.order_by("-version").first()
    return (last.version + 1) if last else 1


def _reserve_version():
    """(version, folder) for a new model: the folder is created here, exclusively, so two
    trainings at once (the nightly task and the button) never write into one folder, the
    second replacing the first's model while it is in use."""
    version = next_version()
    models_dir().mkdir(parents=True, exist_ok=True)
    while True:
        out = models_dir() / f"v{version:04d}"
        try:
            out.mkdir()
            return version, out
        except FileExistsError:
            version += 1


def usable(record):
    return record is not None and Path(record.path, "model.json").exists()


def _scored_labels(metrics):
    per_class = metrics.get("per_class") or {}
    return {label for label, row in per_class.items() if (row or {}).get("support")}


def _macro_f1_over(metrics, labels):
    f1s = [metrics["per_class"][label]["f1"] for label in sorted(labels)]
    return round(sum(f1s) / len(f1s), 4)


def comparison(metrics, base_metrics):
    """How one version's scores compare with another's, as the versions table shows it:
    {macro_f1, baseline_f1, delta, shared, new_labels}, or None without both scores.

    When the two were scored on different labels (one learnt a label from staff
    corrections), over the labels both know, as `review` judges: the overall figures
    differ by the new label's own thin F1, which is not a fall of the others (the table
    showed -0.0891 in red for a version put in use as within 0.01)."""
    new, old = (metrics or {}).get("macro_f1"), (base_metrics or {}).get("macro_f1")
    if new is None or old is None:
        return None
    mine, theirs = _scored_labels(metrics), _scored_labels(base_metrics)
    shared = mine & theirs
    result = {"macro_f1": new, "baseline_f1": old, "shared": False, "new_labels": {}}
    if shared and mine != theirs:
        result.update(
            macro_f1=_macro_f1_over(metrics, shared),
            baseline_f1=_macro_f1_over(base_metrics, shared),
            shared=True,
            new_labels={
                label: metrics["per_class"][label]["f1"] for label in sorted(mine - theirs)
            },
        )
    result["delta"] = round(result["macro_f1"] - result["baseline_f1"], 4)
    return result


def review(metrics, active):
    """How a newly trained version compares with the one in use: a dict for
    ModelVersion.review, with kept_back true when it should not replace it.

    Compared over the labels both versions were scored on: a label learnt from staff
    corrections alone (a grid event type with a few dozen examples) starts thin, and its
    low F1 would otherwise keep every such version out of use, so the corrections would
    never be learnt. If the new label takes texts from the others, their F1 drops, and
    that does count. The new labels' own scores are kept in the review.
    """
    new = metrics.get("macro_f1")
    old_metrics = (active.metrics or {}) if usable(active) else {}
    old = old_metrics.get("macro_f1")
    if new is None or old is None:
        # Nothing to compare with (no usable version in use, or no scores): it goes in use.
        return {"baseline": active.version if active else None, "kept_back": False}
    allowed = tolerance()
    verdict = {"baseline": active.version, "baseline_f1": old, "macro_f1": new}
    shared = _scored_labels(metrics) & _scored_labels(old_metrics)
    added = sorted(_scored_labels(metrics) - _scored_labels(old_metrics))
    if shared and added:
        old, new = _macro_f1_over(old_metrics, shared), _macro_f1_over(metrics, shared)
        verdict.update(
            shared_baseline_f1=old,
            shared_f1=new,
            new_labels={label: metrics["per_class"][label]["f1"] for label in added},
        )
    verdict["tolerance"] = allowed
    # Rounded: 0.9 - 0.01 must not reject a model scoring 0.89.
    verdict["kept_back"] = round(old - new, 6) > allowed
    return verdict


def activate(record, user=None, how=None):
    """Put `record` in use in place of the active version, recording who and when."""
    from .models import ModelActivation, ModelVersion

    gone = _("v%(v)s cannot be put in use: its model folder is gone.") % {"v": record.version}
    if not usable(record):
        raise ActivationError(gone)
    with transaction.atomic():
        # Every version row locked, then the one in use read from them: two staff activating
        # at once take turns, and the second sees the first's choice as the previous one
        # (locking only the rows found active would miss the row the first one activated).
        rows = _lock_versions()
        if record.pk not in {v.pk for v in rows} or not usable(record):
            raise ActivationError(gone)  # pruned while we waited for the lock
        current = [v for v in rows if v.active]
        ModelVersion.objects.filter(pk__in=[v.pk for v in current]).update(active=False)
        record.active = True
        record.save(update_fields=["active"])  # its signal tells every process (core.versions)
        previous = max((v.version for v in current if v.pk != record.pk), default=None)
        ModelActivation.objects.create(
            version=record,
            version_number=record.version,
            previous_number=previous,
            how=how or ModelActivation.How.STAFF,
            activated_by=user if getattr(user, "is_authenticated", False) else None,
        )
    predictor.forget()
    return record


def retrain(paths=None, limit=None, note="", user=None):
    """Train a new version on the base corpus and staff corrections; put it in use unless
    it scores clearly worse than the version in use (`review`)."""
    from .models import ModelActivation, ModelVersion

    harvest_overrides()
    examples, counts = correction_examples()
    base_labels = {
        "交通运输",
        "劳动和社会保障",
        "卫生计生",
        "商贸旅游",
        "城乡建设",
        "教育文体",
        "环境保护",
    }
    examples = [
        e
        for e in examples
        if e.label in base_labels or counts[e.label] >= MIN_EXAMPLES_PER_NEW_LABEL
    ]
    version, out = _reserve_version()
    started = time.perf_counter()
    try:
        model, dataset = clf.train(paths or [BASE_DATA], out, extra_examples=examples, limit=limit)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)  # our reservation (or our half-written model)
        raise
    seconds = time.perf_counter() - started
    metrics = model.meta.get("metrics", {})
    with transaction.atomic():
        # Compared, recorded and put in use under the lock `activate` takes: of two trainings
        # finishing at once, the second is judged against the first if that went in use
        # (both were judged against the older version, and the second replaced the first
        # however much worse it was).
        rows = _lock_versions()
        active = max((v for v in rows if v.active), key=lambda v: v.version, default=None)
        verdict = review(metrics, active)
        record = ModelVersion.objects.create(
            version=version,
            path=str(out),
            fingerprint=model.meta["fingerprint"],
            examples=len(dataset.examples),
            overrides=len(examples),
            metrics=metrics,
            train_seconds=round(seconds, 2),
            active=False,
            note=note,
            review=verdict,
        )
        if not verdict["kept_back"]:
            how = ModelActivation.How.TRAINED if usable(active) else ModelActivation.How.FIRST
            activate(record, user=user, how=how)
    log.info(
        "classifier v%s trained on %s texts in %.1f s%s",
        version,
        record.examples,
        seconds,
        ""
        if record.active
        else f", kept back (macro-F1 {verdict.get('macro_f1')} "
        f"against {verdict.get('baseline_f1')} of v{verdict.get('baseline')})",
    )
    return record


def has_news():
    """Is there a staff correction the last version trained has not seen (or none in use)?"""
    from .models import ModelVersion, TrainingExample

    harvest_overrides()
    if predictor.active_version() is None:
        return True
    # Since the last training, kept back or not: a version kept back is not retrained
    # every night from the same data.
    latest = ModelVersion.objects.order_by("-version").first()
    return TrainingExample.objects.filter(created_at__gt=latest.created_at).exists()


def _lock_versions():
    """Every version row, locked (oldest first), in a transaction: what recording a trained
    version, switching the version in use and pruning hold while they decide, so they take
    turns (retrain, activate, prune_versions).

    On PostgreSQL an advisory lock is taken first: a row another transaction inserted
    while this one waited for the rows' locks is not in the result of that statement (it
    started before the insert was committed), so the version a retrain had just put in use
    was missed; read after the advisory lock, every committed row is (core.locks)."""
    from .models import ModelVersion

    transaction_lock("gridgov.insights.classifier-versions")
    return list(ModelVersion.objects.select_for_update().order_by("pk"))


def prune_versions(keep=5):
    """Delete the rows (and folders) of old inactive versions beyond the newest `keep`.

    Chosen and deleted under the lock `activate` takes: a version staff put back in use
    at the same moment (a rollback to an old one) was deleted as inactive, row and folder,
    leaving no version in use. The folders go once the rows are gone, so no process can
    put in use a version whose folder is being removed."""
    with transaction.atomic():
        rows = sorted(_lock_versions(), key=lambda v: -v.version)
        old = [v for v in rows if not v.active][keep:]
        for record in old:
            record.delete()
    for record in old:
        folder = Path(record.path)
        if folder.is_dir() and folder.parent == models_dir():
            shutil.rmtree(folder, ignore_errors=True)
    return len(old)


def ensure_model(limit=None):
    """The active version, training one from the shipped corpus when there is none (demo)."""
    version = predictor.active_version()
    if version is not None and Path(version.path, "model.json").exists():
        return version, False
    return retrain(limit=limit, note="first start"), True
