"""诉求工单 and everything that hangs off one (see docs/glossary.md).

`Ticket.status` is assigned only by `lifecycle.py`; every change there writes a
`TicketEvent`. Overdue is derived from the stored deadlines and the clock.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Department, Household, Person
from gridgov.places.models import Level, Place


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("12345 hotline")
    WECHAT = "wechat", _("WeChat / mini-program")
    PHOTO = "photo", _("Photo report")
    WINDOW = "window", _("Walk-in window")
    BOX = "box", _("Suggestion box")
    PATROL = "patrol", _("Grid patrol")
    VISIT = "visit", _("Door-to-door visit")
    EVENT = "event", _("Event collection")
    API = "api", _("API")


# Channels where people report for themselves (随手拍, mini-program): the signed-in reporter
# is the requester. What staff file for someone else (hotline, window, API) is the caller's.
SELF_SERVICE_CHANNELS = (Channel.PHOTO, Channel.WECHAT)


class Nature(models.TextChoices):
    CONSULT = "consult", _("Consultation")
    HELP = "help", _("Request for help")
    COMPLAINT = "complaint", _("Complaint")
    REPORT = "report", _("Report")
    SUGGEST = "suggest", _("Suggestion")
    PRAISE = "praise", _("Praise")


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency (life and property)")
    UTILITY = "utility", _("Utilities (water, power, gas, heating)")
    GENERAL = "general", _("General")
    COMPLEX = "complex", _("Complex")


class HomeLevel(models.TextChoices):
    GRID = "grid", _("Grid")
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    DEPARTMENT = "department", _("Department")


class Category(models.Model):
    """Three-level category tree (taxonomy.csv) plus grid event types."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    depth = models.PositiveSmallIntegerField(_("level"), default=1)
    home_level = models.CharField(
        _("home level"), max_length=16, choices=HomeLevel.choices, default=HomeLevel.COMMUNITY
    )
    default_urgency = models.CharField(
        _("default urgency"), max_length=16, choices=Urgency.choices, default=Urgency.GENERAL
    )
    grid_event = models.BooleanField(_("grid event type"), default=False)
    # Open311 lists public categories as services.
    public = models.BooleanField(_("public (Open311)"), default=False)
    # Matters in public space may be shown at building precision on public pages.
    public_space = models.BooleanField(_("about public space"), default=False)
    # Matters of one person or family (social assistance, family planning, lawsuits, reports
    # of crimes …): never published, with everything under them, whatever `public` says.
    private = models.BooleanField(_("private matter (never published)"), default=False)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))

    def top(self):
        node = self
        while node.parent_id:
            node = node.parent
        return node

    def lineage(self):
        """This category, then its parent, up to the first level: most specific first."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class RoutingRule(models.Model):
    """Category × place → department. The most specific matching rule wins."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="routing_rules"
    )
    # The rule applies to tickets located anywhere under this place (null: everywhere).
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.UniqueConstraint(fields=["category", "place"], name="routing_rule_unique"),
            # The one above lets a rule for everywhere repeat (NULL places differ); a second
            # one would never route a ticket (routing takes the earlier). A partial index,
            # as place is the only nullable column (TimeLimit coalesces two).
            models.UniqueConstraint(
                fields=["category"],
                condition=models.Q(place__isnull=True),
                name="routing_rule_unique_everywhere",
                violation_error_code="unique",
                violation_error_message=_(
                    "This category has a rule for everywhere already: change that rule "
                    "rather than adding another, which would never be used."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.category.name} @ {self.place or '*'} → {self.department}"


class TimeLimit(models.Model):
    """Deadlines by urgency (and optionally category): clock hours or working days. A row
    without a place holds for the whole city (全市); a row for a district overrides it
    there (sla.limits_for says which row a ticket runs on)."""

    class Unit(models.TextChoices):
        MINUTES = "minutes", _("clock minutes")
        HOURS = "hours", _("clock hours")
        WORKDAYS = "workdays", _("working days")

    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="time_limits",
    )
    place = models.ForeignKey(
        Place,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="time_limits",
        limit_choices_to={"level": Level.DISTRICT},
    )
    accept_value = models.PositiveIntegerField(_("accept within"))
    accept_unit = models.CharField(_("accept time unit"), max_length=16, choices=Unit.choices)
    respond_value = models.PositiveIntegerField(_("respond within"))
    respond_unit = models.CharField(_("respond time unit"), max_length=16, choices=Unit.choices)
    resolve_value = models.PositiveIntegerField(_("resolve within"))
    resolve_unit = models.CharField(_("resolve time unit"), max_length=16, choices=Unit.choices)

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        constraints = [
            # One row per urgency, category and district, also where category or place is
            # null (NULLs differ in a plain unique index; nulls_distinct needs PostgreSQL 15
            # and SQLite lacks it).
            models.UniqueConstraint(
                F("urgency"),
                Coalesce("category", Value(0)),
                Coalesce("place", Value(0)),
                name="time_limit_unique",
            )
        ]

    def __str__(self):
        where = f" · {self.place.name}" if self.place_id else ""
        return f"{self.get_urgency_display()} · {self.category or '*'}{where}"

    def clean(self):
        from .sla import limit_order_error  # sla reads this model

        errors = {}
        error = self.place_error(self.place)
        if error:
            errors["place"] = error
        order = limit_order_error(
            *(
                (getattr(self, f"{stage}_value"), getattr(self, f"{stage}_unit"))
                for stage in ("accept", "respond", "resolve")
            )
        )
        if order:
            errors[order[0]] = order[1]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def place_error(place):
        """Why `place` cannot hold a time limit (the whole city or a district can), or None;
        in the active language."""
        if place is None or place.level == Level.DISTRICT:
            return None
        message = _(
            "A time limit is set for the whole city or for a district, "
            "not for a %(level)s (%(place)s)."
        )
        return message % {"level": place.get_level_display(), "place": place.name}


class TimeLimitChange(models.Model):
    """时限修改记录: a time limit saved or removed on the page or through the API, or a
    district returned to the city-wide limits (恢复使用全市设置: its own rows removed at
    once). TimeLimit rows are changed in place, as tickets keep the deadlines they were
    given; this keeps who changed what, when, and the values in force before."""

    class Action(models.TextChoices):
        SAVED = "saved", _("Saved")
        REMOVED = "removed", _("Removed")
        FOLLOWS_CITY = "follows_city", _("Returned to the city-wide time limits")

    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    at = models.DateTimeField(_("at"), db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # None: the city-wide rows (全市).
    district = models.ForeignKey(
        Place,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="time_limit_changes",
        limit_choices_to={"level": Level.DISTRICT},
    )
    # [{urgency, category (code or null), accept/respond/resolve: [value, unit]}]: a saved
    # limit's new values, and in `before` what it replaced ([] for a new one); the removed
    # limits' values otherwise.
    limits = models.JSONField(_("time limits"), default=list)
    before = models.JSONField(_("before"), default=list, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("time limit change")
        verbose_name_plural = _("time limit changes")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.district or '*'}"


class CalendarDay(models.Model):
    """Staff override of the working-day calendar (holidays, make-up workdays)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'班' if self.is_workday else '休'}"


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    DISPATCHED = "dispatched", _("Dispatched")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", _("Closed")
    ANSWERED = "answered", _("Answered on intake")
    MERGED = "merged", _("Merged")


OPEN_STATUSES = (
    Status.RECEIVED,
    Status.DISPATCHED,
    Status.RETURNED,
    Status.ACCEPTED,
    Status.IN_PROGRESS,
    Status.ESCALATED,
    Status.REOPENED,
)
FINAL_STATUSES = (Status.CLOSED, Status.ANSWERED, Status.MERGED)
# Signed for and being handled by its owner (签收 … 办理中, or reopened).
HANDLING_STATUSES = (Status.ACCEPTED, Status.IN_PROGRESS, Status.REOPENED)

# Before acceptance the owner races accept_by (a ticket at the desk too: whoever gets it must
# accept by then); a resolved one waits for its callback, so it is due from its resolution.
WAITING_TO_ACCEPT = (Status.RECEIVED, Status.RETURNED, Status.DISPATCHED, Status.ESCALATED)


def racing_deadline(*whens):
    """The deadline a ticket races now, as a database expression (sla.racing is its Python
    twin; sla.racing_expr the name the lists use); `whens` first. Without `whens` it is the
    expression of Ticket's `tickets_ticket_racing_idx`, so a list sorted nearest deadline
    first reads it in that order and stops at its page."""
    return Case(
        *whens,
        When(status__in=WAITING_TO_ACCEPT, then=F("accept_by")),
        When(status=Status.RESOLVED, then=F("resolved_at")),
        When(contacted_at__isnull=True, respond_by__isnull=False, then=F("respond_by")),
        default=F("resolve_by"),
    )


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class Ticket(models.Model):
    # Personal data, unmasked only through gridgov.people.personal_data.reveal (logged). The
    # exact address is too (DESIGN §8): 3号楼2单元501室 names one household.
    PERSONAL_DATA_FIELDS = ("requester_name", "requester_phone", "address")
    PERSONAL_DATA_PERM = "tickets.view_requester"

    # Unique through Meta.constraints rather than unique=True, which on PostgreSQL also
    # builds a second (LIKE) index that every insert pays for and no query uses.
    code = models.CharField(_("code"), max_length=32)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    nature = models.CharField(_("nature"), max_length=16, choices=Nature.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=4000)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    urgency = models.CharField(
        _("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.GENERAL
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )

    # Location: as given, and as resolved on the place tree.
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    building = models.ForeignKey(
        Place,
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Level.BUILDING},
    )
    grid = models.ForeignKey(
        Place,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Level.GRID},
    )
    # The most specific place known (building, grid, community or street): drives scope.
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )

    # Requester: a registered person, or only what they told us; personal data.
    requester = models.ForeignKey(
        Person,
        verbose_name=_("requester"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,  # Meta's tickets_ticket_requester_idx: only the tickets naming one
    )
    requester_name = models.CharField(_("requester name"), max_length=100, blank=True)
    requester_phone = models.CharField(_("requester phone"), max_length=32, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)

    # Owner (责任主体): a place's office or a department.
    # Indexed by the (owner, status) indexes in Meta, which lead with them.
    owner_place = models.ForeignKey(
        Place,
        verbose_name=_("owning office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_tickets",
        db_index=False,
    )
    owner_department = models.ForeignKey(
        Department,
        verbose_name=_("owning department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_tickets",
        db_index=False,
    )

    # No index of its own: the queue and the lists read it through tickets_ticket_racing_idx,
    # the sweep's reminders (sweep._remind) through the status index (the tickets waiting to
    # be signed for are few). resolve_by's serves the KPIs' tickets due in a period.
    accept_by = models.DateTimeField(_("accept by"), null=True, blank=True)
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolve_by = models.DateTimeField(_("resolve by"), null=True, blank=True, db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("contacted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    return_count = models.PositiveSmallIntegerField(_("times returned"), default=0)
    designated = models.BooleanField(_("designated"), default=False)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    resolution = models.TextField(_("reply"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        db_index=False,  # Meta's tickets_ticket_merged_idx: only the merged tickets
    )
    public = models.BooleanField(_("may be published"), default=True)

    idempotency_key = models.CharField(_("idempotency key"), max_length=128, null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Optimistic lock: lifecycle bumps it, so two concurrent transitions cannot both win.
    version = models.PositiveIntegerField(_("row version"), default=0)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        # Plain indexes, not db_index=True: that adds a LIKE index per text column.
        indexes = [
            models.Index(fields=["owner_place", "status"]),
            models.Index(fields=["owner_department", "status"]),
            models.Index(fields=["status"], name="tickets_ticket_status_idx"),
            # ?ordering=deadline and the lists sorted nearest deadline first: read in this
            # order, a wide area's page stops after its first rows instead of sorting all of
            # its tickets (tickets.filters.visible_tickets narrows a small area by index).
            models.Index(racing_deadline(), F("id"), name="tickets_ticket_racing_idx"),
            # A system polling for changes (?updated_after=…&ordering=updated_at, the 12345
            # bridge) reads only what changed since its last pull, in the order it pages.
            models.Index(fields=["updated_at", "id"], name="tickets_ticket_updated_idx"),
            # A ticket's duplicates and a requester's tickets (progress.own_q, and setting
            # NULL when a person is deleted): a few tickets in a hundred are merged or name a
            # person, so the others are left out of the index.
            models.Index(
                fields=["merged_into"],
                condition=models.Q(merged_into__isnull=False),
                name="tickets_ticket_merged_idx",
            ),
            models.Index(
                fields=["requester"],
                condition=models.Q(requester__isnull=False),
                name="tickets_ticket_requester_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="tickets_ticket_code_unique"),
            models.UniqueConstraint(
                fields=["idempotency_key"], name="tickets_ticket_idempotency_key_unique"
            ),
            # One ticket per case of a sending platform (its 工单编号) on a channel: intake
            # and the import refuse a case twice (intake._taken, the import's check); this
            # holds even against a race between them. Leading with external_id, it also
            # serves ?external_id= alone.
            models.UniqueConstraint(
                fields=["external_id", "channel"],
                condition=~models.Q(external_id=""),
                name="tickets_ticket_external_unique",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def owner(self):
        return self.owner_department or self.owner_place

    def survivor(self, max_hops=10):
        """The ticket this one was merged into, following merges of merges; itself if none."""
        current = self
        for _hop in range(max_hops):
            if current.merged_into_id is None:
                break
            current = Ticket.objects.select_related("owner_place", "owner_department").get(
                pk=current.merged_into_id
            )
        return current

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def has_personal_data(self):
        return bool(self.requester_name or self.requester_phone or self.address)

    @property
    def owner_has_offices_below(self):
        """Owned by a place office above the grid (community, street, district), which has
        offices below it to hand the ticket down to (交办); not a grid, not a department."""
        owner = self.owner_place
        return not self.owner_department_id and owner is not None and owner.level != Level.GRID

    @property
    def reachable(self):
        """Whether the requester can be called back: a phone, or an account (a registered
        person rates a resolution in 我的诉求)."""
        return bool(self.requester_phone or self.requester_id)

    def masked_address(self):
        """The address as shown to those who may not see it in full: the building the
        ticket was resolved to (what an office goes to), else the typed address with every
        number starred, else the place's name."""
        from gridgov.people.masking import mask_address

        if self.building_id is not None:
            return self.building.address or self.building.name
        if self.address:
            return mask_address(self.address)
        return self.place.name if self.place_id is not None else ""

    def masked_point(self):
        """(lat, lng) as shown with the masked address: the building's point, else the
        reported one to three decimals (about 100 m), not the doorstep."""
        if self.building_id is not None and self.building.lat is not None:
            return self.building.lat, self.building.lng
        if self.lat is None or self.lng is None:
            return None, None
        return round(self.lat, 3), round(self.lng, 3)

    def is_requesters_account(self, user):
        """Whether `user` is the requester's own login (a resident's 随手拍, their rating).

        Their name is the requester's, so wherever the ticket names who acted it says
        "the requester" instead: the requester's name is shown in full only to those who
        may see it, and then only in the requester panel, logged.
        """
        if user is None or self.requester_id is None:
            return False
        return self.requester.user_id == user.pk


# Events that may set a ticket fresh deadlines, and those that did: an escalation, or a
# reopening (also by an unhappy callback), whose data keeps the deadlines before and after.
# tickets.kpis reads a miss of an earlier round from them, through the index of this name.
RESETTING_ACTIONS = ("escalate", "reopen", "callback")
DEADLINE_RESETS = models.Q(
    action__in=RESETTING_ACTIONS, to_status__in=(Status.ESCALATED, Status.REOPENED)
)


class TicketEvent(models.Model):
    """One row per state change or recorded act on a ticket; never updated."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(_("from status"), max_length=16, blank=True)
    to_status = models.CharField(_("to status"), max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Owner after the event, so the timeline shows who held the ticket when. Indexed by the
    # (owner, action, at, ticket) indexes in Meta, which lead with them.
    owner_place = models.ForeignKey(
        Place,
        verbose_name=_("owning office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    owner_department = models.ForeignKey(
        Department,
        verbose_name=_("owning department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # No index of its own: events are read by ticket (ticket_id) and, for KPIs, through the
    # owner indexes in Meta, which hold `at`. Only the admin's list of every event sorts by it
    # alone, and that page counts the whole table anyway.
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]
        indexes = [
            # KPIs: a unit's hand-overs (dispatch, designate, escalate) and supervisions in a
            # period, and the tickets they name, read from the index alone instead of from
            # every event the unit's tickets ever had; in place of the keys' own indexes.
            models.Index(
                fields=["owner_place", "action", "at", "ticket"],
                name="tickets_event_owner_place_idx",
            ),
            models.Index(
                fields=["owner_department", "action", "at", "ticket"],
                name="tickets_event_owner_dept_idx",
            ),
            # KPIs: the tickets a unit held whose deadlines an escalation or a reopening
            # reset in the period. Only those events are in it (a few in a hundred).
            models.Index(
                fields=["ticket", "at"],
                condition=DEADLINE_RESETS,
                name="tickets_event_handover_idx",
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class TicketPhoto(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="photos"
    )
    event = models.ForeignKey(
        TicketEvent,
        verbose_name=_("ticket event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="photos",
    )
    image = models.ImageField(_("image"), upload_to="tickets/%Y/%m/")
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket photo")
        verbose_name_plural = _("ticket photos")

    def __str__(self):
        return self.image.name


class Extension(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="extensions"
    )
    requested_until = models.DateTimeField(_("requested deadline"))
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("approval"), max_length=16, choices=State.choices, default=State.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")

    def __str__(self):
        return f"{self.ticket_id} → {self.requested_until:%Y-%m-%d} ({self.state})"


class Callback(models.Model):
    """回访: asking the requester whether it was resolved and if they are satisfied."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="callbacks"
    )
    resolved = models.BooleanField(_("resolved"))
    satisfaction = models.CharField(_("satisfaction"), max_length=16, choices=Satisfaction.choices)
    note = models.TextField(_("note"), blank=True)
    # The unit being judged, kept so KPIs survive later re-routing.
    owner_place = models.ForeignKey(
        Place,
        verbose_name=_("owning office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner_department = models.ForeignKey(
        Department,
        verbose_name=_("owning department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("called back by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("called back at"), db_index=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")

    def __str__(self):
        return f"{self.ticket_id} {self.satisfaction}"


class Whistle(models.Model):
    """吹哨报到: a street summons departments to a ticket, each with a report-by deadline."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="whistles"
    )
    street = models.ForeignKey(
        Place, verbose_name=_("street"), on_delete=models.PROTECT, related_name="whistles"
    )
    reason = models.TextField(_("reason"))
    blown_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("blown by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    blown_at = models.DateTimeField(_("blown at"))
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("whistle")
        verbose_name_plural = _("whistles")

    def __str__(self):
        return f"{self.ticket_id} @ {self.street}"


class Summons(models.Model):
    class Rating(models.IntegerChoices):
        POOR = 1, _("Poor")
        FAIR = 2, _("Fair")
        GOOD = 3, _("Good")
        EXCELLENT = 4, _("Excellent")

    whistle = models.ForeignKey(
        Whistle, verbose_name=_("whistle"), on_delete=models.PROTECT, related_name="summonses"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="summonses"
    )
    report_by = models.DateTimeField(_("report by"))
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    action = models.TextField(_("action taken"), blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), choices=Rating.choices, null=True, blank=True
    )
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("summons")
        verbose_name_plural = _("summonses")
        constraints = [
            models.UniqueConstraint(fields=["whistle", "department"], name="summons_unique")
        ]

    def __str__(self):
        return f"{self.whistle_id} · {self.department}"

    def is_late(self, now):
        """Reported after report_by, or not reported and report_by has passed."""
        return (self.reported_at or now) > self.report_by


class KnowledgeAnswer(models.Model):
    """知识库: a standard answer to a common consultation."""

    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="answers",
    )
    used_count = models.PositiveIntegerField(_("times used"), default=0)
    reviewed_at = models.DateTimeField(_("last reviewed"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("standard answer")
        verbose_name_plural = _("knowledge base")

    def __str__(self):
        return self.question


class KnowledgeAnswerChange(models.Model):
    """知识库修改记录: a standard answer added, changed, taken out of use or put back, or
    confirmed as still correct, on the page, through the API or in the admin
    (knowledge.save_answer). Operators across the city are offered these answers and they
    are changed in place; this keeps who changed what, when, where, and the values before.
    Times used (counted at intake) are not changes."""

    class Action(models.TextChoices):
        CREATED = "created", _("Added")
        CHANGED = "changed", _("Changed")
        DEACTIVATED = "deactivated", _("Taken out of use")
        REACTIVATED = "reactivated", _("Put back in use")
        CONFIRMED = "confirmed", _("Confirmed as still correct")

    class Channel(models.TextChoices):
        WEB = "web", _("Knowledge base page")
        API = "api", _("API")
        ADMIN = "admin", _("Admin site")

    answer = models.ForeignKey(
        KnowledgeAnswer,
        verbose_name=_("standard answer"),
        on_delete=models.PROTECT,  # taken out of use, not deleted: its record stays
        related_name="changes",
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    at = models.DateTimeField(_("at"), db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    # {field: value} of the fields that changed (question, answer, keywords, category as
    # its code, active): before ({} for an added answer) and after.
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)

    class Meta:
        verbose_name = _("standard answer change")
        verbose_name_plural = _("standard answer changes")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.answer_id}"


class PatrolTask(models.Model):
    """网格巡查: a checklist a grid worker walks through on a schedule."""

    grid = models.ForeignKey(
        Place, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="patrol_tasks"
    )
    title = models.CharField(_("title"), max_length=200)
    checklist = models.JSONField(_("checklist"), default=list)
    every_days = models.PositiveSmallIntegerField(_("every N days"), default=1)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("patrol task")
        verbose_name_plural = _("patrol tasks")

    def __str__(self):
        return self.title


class PatrolRecord(models.Model):
    task = models.ForeignKey(
        PatrolTask, verbose_name=_("patrol task"), on_delete=models.PROTECT, related_name="records"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("walked by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("walked at"))
    results = models.JSONField(_("results"), default=dict)
    note = models.TextField(_("note"), blank=True)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patrol_records",
    )

    class Meta:
        verbose_name = _("patrol record")
        verbose_name_plural = _("patrol records")

    def __str__(self):
        return f"{self.task} {self.at:%Y-%m-%d}"


class Visit(models.Model):
    """入户走访: a logged door-to-door visit to a household."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="visits"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # In which capacity: grid_worker, party_member, cadre, staff (see patrols.py).
    role = models.CharField(_("visited as"), max_length=32, blank=True)
    at = models.DateTimeField(_("visited at"), db_index=True)
    heard = models.TextField(_("what was heard"), blank=True)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self):
        return f"{self.household} {self.at:%Y-%m-%d}"


class Notice(models.Model):
    """A notification sent about a ticket (notify.py): unique per (ticket, kind, key),
    so a dispatch or a deadline reminder goes out once however often the sweep runs."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=32)  # dispatch, accept_due, resolve_due
    key = models.CharField(max_length=64)  # the event id or the deadline it is about
    recipients = models.JSONField(default=list, blank=True)
    webhook_status = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind", "key"], name="notice_unique")
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.key}"


class TicketCounter(models.Model):
    """Per-day sequence for human-readable codes (GD20261127-000123)."""

    day = models.DateField(_("day"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("ticket counter")
        verbose_name_plural = _("ticket counters")

    def __str__(self):
        return f"{self.day} #{self.last}"


class KpiWeights(models.Model):
    """考核权重: the weights of the composite score from `valid_from` on (kpis.weights), in
    one district or, without one, the whole deployment.

    Rows are only ever added: a change is a new row, with who made it and why, so the
    weights that scored any past period can still be told (the history on the page)."""

    response = models.FloatField(_("response rate weight"))
    resolution = models.FloatField(_("resolution rate weight"))
    satisfaction = models.FloatField(_("satisfaction rate weight"))
    on_time = models.FloatField(_("on-time rate weight"))
    whistle = models.FloatField(_("whistle reports weight"))
    valid_from = models.DateTimeField(_("in force from"), db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300)
    # A district's own weights score its streets, communities, grids and departments; a row
    # without one holds for the whole deployment (全市), where a district has none in force,
    # and ranks the districts against each other (kpis.weights).
    district = models.ForeignKey(
        Place,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kpi_weights",
        limit_choices_to={"level": Level.DISTRICT},
    )
    # A district's return to the whole deployment's weights (恢复使用全市设置): from
    # `valid_from` on its own no longer apply. Such a row keeps, as its rates, the
    # district's own weights that were in force until then, so the history shows what ended.
    follows_city = models.BooleanField(_("follows the whole deployment's weights"), default=False)

    class Meta:
        verbose_name = _("KPI weights")
        verbose_name_plural = _("KPI weights")
        ordering = ["-valid_from", "-id"]

    def __str__(self):
        return f"{self.valid_from:%Y-%m-%d %H:%M} {self.as_dict()}"

    def as_dict(self):
        from .kpis import RATES

        return {name: getattr(self, name) for name in RATES}
