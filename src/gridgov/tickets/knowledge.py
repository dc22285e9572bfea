"""知识库: finding standard answers for what an operator is typing."""

from .models import KnowledgeAnswer

MIN_SCORE = 2


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
    pieces = {compact[i : i + 2] for i in range(len(compact) - 1)}
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
