"""Training in the platform: versions in the data dir, staff corrections as examples.

The base corpus ships with the package (`data/*.csv.gz`, the labelled public
messages, about 2 MB); `retrain()` trains on it plus every staff correction
(TrainingExample), writes `<data dir>/models/classifier/v0007/`, records a
ModelVersion with its metrics and fingerprint and makes it the one in use.

Staff corrections are read from ticket data (`harvest_overrides`): intake
stores the classifier's top label in the create event; a ticket whose
category (set at intake or changed later, by any path) lies under a different
first-level category than that suggestion is a correction.
"""

import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction

from gridgov.tickets.models import Category, TicketEvent

from . import classifier as clf
from . import predictor

log = logging.getLogger(__name__)
BASE_DATA = Path(__file__).parent / "data"
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
        if chosen.pk == suggested.pk or chosen.grid_event:
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

    rows = list(TrainingExample.objects.select_related("category").order_by("id"))
    known = {c.name for c in Category.objects.filter(depth=1)}
    counts = {}
    for row in rows:
        counts[row.category.name] = counts.get(row.category.name, 0) + 1
    examples = []
    for row in rows:
        label = row.category.name
        if label not in known:
            continue
        examples.append(clf.Example(row.text, label, "whole", "corrections"))
    return examples, counts


def next_version():
    from .models import ModelVersion

    last = ModelVersion.objects.order_by("-version").first()
    return (last.version + 1) if last else 1


def retrain(paths=None, limit=None, note=""):
    """Train a new version on the base corpus and staff corrections; make it active."""
    from .models import ModelVersion

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
    version = next_version()
    out = models_dir() / f"v{version:04d}"
    started = time.perf_counter()
    model, dataset = clf.train(paths or [BASE_DATA], out, extra_examples=examples, limit=limit)
    seconds = time.perf_counter() - started
    with transaction.atomic():
        ModelVersion.objects.filter(active=True).update(active=False)
        record = ModelVersion.objects.create(
            version=version,
            path=str(out),
            fingerprint=model.meta["fingerprint"],
            examples=len(dataset.examples),
            overrides=len(examples),
            metrics=model.meta.get("metrics", {}),
            train_seconds=round(seconds, 2),
            active=True,
            note=note,
        )
    predictor.forget()
    log.info("classifier v%s trained on %s texts in %.1f s", version, record.examples, seconds)
    return record


def store_metrics(record, metrics):
    """Attach evaluation figures (CV or held-out) to a version, in the DB and its model.json."""
    import json

    record.metrics = metrics
    record.save(update_fields=["metrics"])
    meta_file = Path(record.path) / "model.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        meta["metrics"] = metrics
        meta_file.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def has_news():
    """Is there a staff correction the version in use has not seen (or no version at all)?"""
    from .models import TrainingExample

    harvest_overrides()
    active = predictor.active_version()
    if active is None:
        return True
    return TrainingExample.objects.filter(created_at__gt=active.created_at).exists()


def prune_versions(keep=5):
    """Delete the folders (and rows) of old inactive versions beyond the newest `keep`."""
    import shutil

    from .models import ModelVersion

    old = ModelVersion.objects.filter(active=False).order_by("-version")[keep:]
    pruned = 0
    for record in old:
        folder = Path(record.path)
        if folder.is_dir() and folder.parent == models_dir():
            shutil.rmtree(folder, ignore_errors=True)
        record.delete()
        pruned += 1
    return pruned


def ensure_model(limit=None):
    """The active version, training one from the shipped corpus when there is none (demo)."""
    version = predictor.active_version()
    if version is not None and Path(version.path, "model.json").exists():
        return version, False
    return retrain(limit=limit, note="first start"), True
