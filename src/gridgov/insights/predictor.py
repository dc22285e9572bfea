"""The classifier behind `tickets.classify.suggest_category` (settings.GRIDGOV_CLASSIFIER).

`suggest(text, top=3)` answers from the active trained model (ModelVersion,
data dir), mapping its labels to first-level categories by name, and refines
the best one to a more specific category when the keyword baseline finds one
inside it (城乡建设 → 城管执法 when the text says so), so routing rules on
deeper categories still apply. Failing that, a text that clearly names one of
the grid's own event types (楼道堆物 …, which the model never saw) gets that type
in place of the model's best label (tickets.classify.grid_event), so the grid
handles it. With no trained model (a fresh install) or a model that cannot be
loaded, it falls back to the keyword baseline.

The answer says where its best label comes from (tickets.classify.Suggestions.by: the
model, a grid event type, the keywords): intake dispatches by a model's label only when
it scores at least settings.GRIDGOV_AUTO_DISPATCH_MIN_SCORE (classify.needs_confirmation).

What is offered is tidied (`_tidy`): a category is not listed beside one of its
own descendants, nor a label the model all but rules out (below
settings.GRIDGOV_SUGGESTION_MIN_SCORE, default 0.05; the best one always stays).
"""

import logging
import threading
import time

from django.conf import settings

from gridgov.core import versions
from gridgov.tickets import reference
from gridgov.tickets.classify import Suggestions, grid_event, keyword_baseline

from . import textprep
from .classifier import ClassifierError, TextClassifier

log = logging.getLogger(__name__)
_lock = threading.Lock()
# (key, model, monotonic time after which a model that could not be loaded is tried again):
# one tuple, replaced whole, so no thread pairs one version's key with another's model.
_cache = (None, None, 0.0)
# A model folder may be unreadable for a moment where it was just written (a data dir
# shared between machines shows a new folder late): the load is retried after this long,
# rather than this process using keywords until the next version is put in use.
RETRY_LOAD_SECONDS = 60.0
# The last answer per thread: intake asks for the same text twice (insights.intake.advise
# records the model's top, then tickets.classify.suggest_category suggests from it).
_last = threading.local()


def active_version():
    """The ModelVersion in use (cached per process until a model is trained or switched)."""
    from .models import ModelVersion

    return versions.cached(
        "classifier",
        "active",
        lambda: ModelVersion.objects.filter(active=True).order_by("-version").first(),
    )


def load_active():
    """(ModelVersion, TextClassifier) of the model in use, or (None, None)."""
    version = active_version()
    if version is None:
        return None, None
    global _cache
    key = (version.pk, version.path)
    cached = _cache
    if _fresh(cached, key):
        return version, cached[1]
    with _lock:
        if not _fresh(_cache, key):
            try:
                model = TextClassifier.load(version.path)
            except ClassifierError as exc:
                log.warning("classifier v%s unusable, using keywords: %s", version.version, exc)
                model = None
            _cache = (key, model, time.monotonic() + RETRY_LOAD_SECONDS)
        return version, _cache[1]


def _fresh(cached, key):
    """Does the cached entry answer for `key`: its model, or a failure not yet due a retry?"""
    cached_key, model, retry_at = cached
    return cached_key == key and (model is not None or time.monotonic() < retry_at)


def forget():
    global _cache
    _cache = (None, None, 0.0)


def first_level_categories():
    return reference.categories().first_level


def model_top(text, top=3):
    """[(label, score)] from the active model, or None without a usable one."""
    _version, model = load_active()
    if model is None or not textprep.has_chinese(text):
        return None
    key = (model, text, top)
    if getattr(_last, "key", None) != key:
        _last.key, _last.value = key, model.top(text, n=top)
    return list(_last.value)


def min_score():
    return float(getattr(settings, "GRIDGOV_SUGGESTION_MIN_SCORE", 0.05))


def suggest(text, top=3):
    ranked = model_top(text, top=max(top, 3))
    if ranked is None:
        return _tidy(keyword_baseline(text, top=top + 2), top, "keywords")
    categories = first_level_categories()
    suggestions = [
        (categories[label], round(score, 3)) for label, score in ranked if label in categories
    ]
    if not suggestions:
        return _tidy(keyword_baseline(text, top=top + 2), top, "keywords")
    best, score = suggestions[0]
    for candidate, _kw in keyword_baseline(text, top=5):
        if candidate.depth > 1 and candidate.top().pk == best.pk:
            suggestions[0] = (candidate, score)
            return _tidy(suggestions, top, "model")
    event = grid_event(text)
    if event is not None:
        # The grid's own event types are not among the model's labels: the one the text
        # names stands for the model's best label and takes its score, rather than
        # showing beside it with the same percentage.
        suggestions[0] = (event, score)
        return _tidy(suggestions, top, "event")
    return _tidy(suggestions, top, "model")


def _tidy(suggestions, top, by):
    """At most `top` suggestions: none that is an ancestor of another one listed, and none
    scoring below the floor (but the best, whatever its score); `by` says whence the best."""
    floor = min_score()
    by_id = reference.categories().by_id
    above = set()
    for category, _score in suggestions:
        node = by_id.get(category.parent_id)
        while node is not None:
            above.add(node.pk)
            node = by_id.get(node.parent_id)
    kept = [
        (category, score)
        for index, (category, score) in enumerate(suggestions)
        if category.pk not in above and (index == 0 or score >= floor)
    ]
    return Suggestions(kept[:top], by=by)
