"""知识库: finding standard answers for what an operator is typing, and keeping them current.

An answer not reviewed for STALE_AFTER is stale: flagged for staff, still offered. Its
review date moves when its question, answer, keywords or category change, or when staff
confirm it still holds. Every such change is kept (KnowledgeAnswerChange, save_answer).
"""

import datetime as dt
import re

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from .models import KnowledgeAnswer, KnowledgeAnswerChange

MIN_SCORE = 2
STALE_AFTER = dt.timedelta(days=180)
# Two-character pieces every question has ("怎么办理", "需要什么材料"): matching on them
# alone offered the answer about fire lanes to a caller asking about a residence permit.
QUESTION_PIECES = frozenset(
    "怎么 么办 什么 么材 请问 问在 如何 需要 要什 哪里 哪些 为什 可以 是否 多少 有没 没有".split()
)
CONTENT = ("question", "answer", "keywords", "category")
# Why a write is refused (rules.py's `tickets.manage_knowledge`): every operator in the
# city is offered these answers.
READ_ONLY = gettext_noop(
    "Standard answers are offered to operators across the city, so district staff and "
    "superusers keep them; street staff and the intake desks may only view them."
)


def is_stale(answer, now=None):
    return (now or timezone.now()) - answer.reviewed_at > STALE_AFTER


def stale_q(now=None):
    return Q(reviewed_at__lt=(now or timezone.now()) - STALE_AFTER)


def split_keywords(text):
    """Keywords typed in one box, separated by spaces, commas or 、."""
    return [k for k in re.split(r"[\s,，、;；]+", text or "") if k][:50]


TRACKED = (*CONTENT, "active")  # what a KnowledgeAnswerChange keeps before and after


def tracked_values(answer):
    """{field: value} of an answer's tracked fields as the change record keeps them (the
    category by its code)."""
    values = {name: getattr(answer, name) for name in TRACKED}
    values["keywords"] = list(values["keywords"] or [])
    values["category"] = answer.category.code if answer.category_id else None
    return values


def save_answer(answer, fields, reviewed=False, *, by, channel, now=None):
    """Create (answer None) or change a standard answer from `fields` (model field names),
    and keep it in the change record (KnowledgeAnswerChange: `by` whom, through which
    `channel`, the changed fields before and after), in one transaction: the page, the
    API and the admin all save answers this way. The review date moves when its content
    changes, or when `reviewed` (confirmed as still correct: recorded as such when
    nothing else changed). A save that changes nothing writes no record."""
    now = now or timezone.now()
    Action = KnowledgeAnswerChange.Action
    with transaction.atomic():
        if answer is None:
            answer = KnowledgeAnswer.objects.create(reviewed_at=now, **fields)
            before, after = {}, tracked_values(answer)
            action = Action.CREATED
        else:
            # Compared with the stored row, not with what a caller may have set on `answer`.
            old = tracked_values(KnowledgeAnswer.objects.select_for_update().get(pk=answer.pk))
            for name, value in fields.items():
                setattr(answer, name, value)
            new = tracked_values(answer)
            changed = [name for name in TRACKED if old[name] != new[name]]
            if any(name in CONTENT for name in changed) or reviewed:
                answer.reviewed_at = now
            # Only what the caller sets: a whole-row save would put back the times used
            # an intake counted since `answer` was read (lifecycle adds them with F()).
            answer.save(update_fields=[*fields, "reviewed_at"])
            before = {name: old[name] for name in changed}
            after = {name: new[name] for name in changed}
            if "active" in changed:
                action = Action.REACTIVATED if answer.active else Action.DEACTIVATED
            elif changed:
                action = Action.CHANGED
            elif reviewed:
                action = Action.CONFIRMED
            else:
                return answer
        KnowledgeAnswerChange.objects.create(
            answer=answer,
            action=action,
            at=now,
            changed_by=by if by is not None and by.pk else None,
            channel=channel,
            before=before,
            after=after,
        )
    return answer


def changes_of(answer):
    """An answer's change record, newest first."""
    return answer.changes.select_related("changed_by").order_by("-at", "-id")


def scores(text, queryset=None):
    """{answer pk: score} for answers sharing words with `text`, above a floor.

    Chinese is written without spaces, so the text is compared by two-character
    pieces: an answer scores for each keyword the text contains (or that
    contains a typed word), for each typed word or piece found in its question,
    and less for those found in its answer.
    """
    text = (text or "").strip()
    if len(text) < 2:
        return {}
    words = {w for w in text.split() if len(w) >= 2}
    compact = "".join(text.split())
    pieces = {compact[i : i + 2] for i in range(len(compact) - 1)} - QUESTION_PIECES
    queryset = KnowledgeAnswer.objects.all() if queryset is None else queryset
    found = {}
    for pk, question, answer, keywords in queryset.values_list(
        "pk", "question", "answer", "keywords"
    ):
        keywords = [k for k in keywords or [] if isinstance(k, str) and len(k) >= 2]
        score = 4 * sum(1 for k in keywords if k in compact or any(w in k for w in words))
        score += 4 * sum(1 for w in words if w in question)
        score += sum(1 for p in pieces if p in question)
        score += 2 * sum(1 for w in words if w in answer)
        score += 0.25 * sum(1 for p in pieces if p in answer)
        if score >= MIN_SCORE:
            found[pk] = score
    return found


def matches(text, limit=5):
    """Active standard answers for `text`, best first (ties: most used)."""
    active = KnowledgeAnswer.objects.filter(active=True)
    found = scores(text, active)
    answers = active.filter(pk__in=list(found)).select_related("category")
    ranked = sorted(answers, key=lambda a: (-found[a.pk], -a.used_count, a.pk))
    return ranked[:limit]
