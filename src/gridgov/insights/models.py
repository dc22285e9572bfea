"""Text intelligence: classifier versions, training examples, duplicate signatures, hot issues."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from gridgov.places.models import Place
from gridgov.tickets.models import Category, Ticket


class ModelVersion(models.Model):
    """A trained classifier folder in the data dir, with what it was trained on and how it scored."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    path = models.CharField(_("folder"), max_length=500)
    fingerprint = models.CharField(_("training-data fingerprint"), max_length=64)
    examples = models.PositiveIntegerField(_("training texts"), default=0)
    overrides = models.PositiveIntegerField(_("staff corrections used"), default=0)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    train_seconds = models.FloatField(_("training time (s)"), default=0)
    active = models.BooleanField(_("in use"), default=False, db_index=True)
    created_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    # Why it was trained: an English id ("scheduled", "by street" …), translated when shown.
    note = models.CharField(_("note"), max_length=200, blank=True)
    # How it compared with the version in use when it was trained (training.review):
    # {"baseline": 3, "baseline_f1": 0.91, "macro_f1": 0.83, "tolerance": 0.01, "kept_back": true}
    review = models.JSONField(_("comparison at training"), default=dict, blank=True)

    class Meta:
        verbose_name = _("classifier version")
        verbose_name_plural = _("classifier versions")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_classifier_in_use"
            )
        ]

    def __str__(self):
        return f"v{self.version}"

    @property
    def note_display(self):
        return note_display(self.note)

    @property
    def kept_back(self):
        return bool((self.review or {}).get("kept_back"))

    @property
    def review_display(self):
        """Why it was not put in use, in the reader's language ('' when it was)."""
        review = self.review or {}
        if not review.get("kept_back"):
            return ""
        return _(
            "Not put in use: its macro-F1 %(new)s is more than %(tolerance)s below "
            "the %(old)s of v%(baseline)s, the version in use."
        ) % {
            # Over the labels both versions know, when the new one learnt a label more.
            "new": review.get("shared_f1", review.get("macro_f1")),
            "old": review.get("shared_baseline_f1", review.get("baseline_f1")),
            "baseline": review.get("baseline"),
            "tolerance": review.get("tolerance"),
        }

    @property
    def comparison_display(self):
        """When it learnt a category the version in use lacked: what it was judged on
        (the categories both know) and the new ones' own scores ('' otherwise)."""
        review = self.review or {}
        if "shared_f1" not in review:
            return ""
        return _(
            "Judged over the categories both versions know: macro-F1 %(new)s against "
            "%(old)s of v%(baseline)s. New categories: %(labels)s."
        ) % {
            "new": review["shared_f1"],
            "old": review.get("shared_baseline_f1"),
            "baseline": review.get("baseline"),
            "labels": _(", ").join(
                _("%(label)s (F1 %(f1)s)") % {"label": label, "f1": f1}
                for label, f1 in (review.get("new_labels") or {}).items()
            ),
        }


NOTES = {
    "first start": _("first start"),
    "scheduled": _("scheduled"),
    "command": _("command line"),
}


def note_display(note):
    """A stored version note in the reader's language: the known ids, and 'by <login>'."""
    if note in NOTES:
        return NOTES[note]
    if note.startswith("by "):
        return _("by %(name)s") % {"name": note[3:]}
    return note


class ModelActivation(models.Model):
    """One change of the classifier in use: which version, who, when and how."""

    class How(models.TextChoices):
        FIRST = "first", _("first version")
        TRAINED = "trained", _("retrained, no worse than the version in use")
        STAFF = "staff", _("chosen by staff")

    # The version row may be pruned later; its number stays in the record.
    version = models.ForeignKey(
        ModelVersion,
        verbose_name=_("classifier version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activations",
    )
    version_number = models.PositiveIntegerField(_("version"))
    previous_number = models.PositiveIntegerField(_("previous version"), null=True, blank=True)
    how = models.CharField(_("how"), max_length=16, choices=How.choices)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    activated_at = models.DateTimeField(_("put in use at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("classifier activation")
        verbose_name_plural = _("classifier activations")
        ordering = ["-activated_at", "-id"]

    def __str__(self):
        return f"v{self.version_number} @ {self.activated_at:%Y-%m-%d %H:%M}"


class TrainingExample(models.Model):
    """A labelled text learnt from the platform itself: a staff correction of a suggestion."""

    class Source(models.TextChoices):
        OVERRIDE = "override", _("Staff correction")
        MANUAL = "manual", _("Added by staff")

    ticket = models.OneToOneField(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="training_example",
    )
    text = models.TextField(_("text"))
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )
    suggested = models.ForeignKey(
        Category,
        verbose_name=_("suggested category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.OVERRIDE
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training example")
        verbose_name_plural = _("training examples")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.category.name}: {self.text[:30]}"


class TextSignature(models.Model):
    """MinHash signature of a ticket's text, for near-duplicate search (dedupe.py)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="signature")
    minhash = models.BinaryField()
    # Who asked (a person id or a hashed phone), where, and when: the other duplicate signals.
    requester_key = models.CharField(max_length=64, blank=True)
    place_path = models.CharField(max_length=1024, blank=True)
    created_at = models.DateTimeField()  # indexed with the requester and with the place

    class Meta:
        # The duplicate search unites band, requester and place matches within its window
        # (dedupe._candidate_rows): each branch reads only its own index range.
        indexes = [
            models.Index(fields=["requester_key", "created_at"], name="insights_sig_requester_idx"),
            models.Index(
                fields=["place_path", "created_at"],
                name="insights_sig_place_idx",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
        ]

    def __str__(self):
        return f"signature of {self.ticket_id}"


class SignatureBand(models.Model):
    """One LSH band of a signature: tickets sharing a band key are candidate duplicates."""

    signature = models.ForeignKey(TextSignature, on_delete=models.CASCADE, related_name="bands")
    key = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "created_at"])]

    def __str__(self):
        return f"{self.signature_id}:{self.key}"


# What the refresh writes as the note of a dismissed issue it puts back for a decision
# (hotissues._back_after_dismissal): a message id, translated when shown.
COMEBACK_NOTE = gettext_noop("More demands came in after the dismissal: back for a decision.")


def hot_note_display(note):
    """A hot issue's or decision's note in the reader's language: the refresh's are ids."""
    return gettext(note) if note == COMEBACK_NOTE else note


class HotIssue(models.Model):
    """热点问题: a cluster of similar tickets in one area and time window (hotissues.py)."""

    class State(models.TextChoices):
        NEW = "new", _("New")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")
        TOPIC = "topic", _("Turned into a topic")

    # Stable across refreshes: the cluster's earliest ticket, so a decision sticks.
    key = models.CharField(_("cluster key"), max_length=64, unique=True)
    title = models.CharField(_("representative title"), max_length=200)
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    place_label = models.CharField(_("place"), max_length=200, blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_at = models.DateTimeField(_("first"))
    last_at = models.DateTimeField(_("last"))
    ticket_count = models.PositiveIntegerField(_("tickets"))
    requester_count = models.PositiveIntegerField(_("requesters"))
    reactions = models.PositiveIntegerField(_("public reactions"), default=0)
    heat = models.FloatField(_("heat"), db_index=True)
    trend = models.JSONField(_("trend"), default=list, blank=True)  # [[date, count], …]
    tickets = models.ManyToManyField(
        Ticket, verbose_name=_("tickets"), related_name="hot_issues", blank=True
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.NEW, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("hot issue")
        verbose_name_plural = _("hot issues")
        ordering = ["-heat"]

    def __str__(self):
        return self.title

    @property
    def note_display(self):
        return hot_note_display(self.note)


class HotIssueDecision(models.Model):
    """One decision on a hot issue (研判): the issue keeps only the latest, this keeps them all."""

    issue = models.ForeignKey(
        HotIssue, verbose_name=_("hot issue"), on_delete=models.CASCADE, related_name="decisions"
    )
    action = models.CharField(_("decision"), max_length=16)
    from_state = models.CharField(_("from"), max_length=16, choices=HotIssue.State.choices)
    to_state = models.CharField(_("to"), max_length=16, choices=HotIssue.State.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("hot-issue decision")
        verbose_name_plural = _("hot-issue decisions")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.issue_id}: {self.from_state} → {self.to_state}"

    @property
    def note_display(self):
        return hot_note_display(self.note)
