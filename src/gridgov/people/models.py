"""Persons, households, departments, party organisations and role assignments.

Names, phones and ID numbers are personal data (PIPL): they are stored here
and shown masked everywhere except to roles that need them (see rules.py,
masking.py); every full view is written to AccessLog.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from gridgov.places.models import Level, Place


class Household(models.Model):
    """户: a dwelling in a building, with its members."""

    building = models.ForeignKey(
        Place,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": Level.BUILDING},
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    room = models.CharField(_("room"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "room"], name="household_unique_room"
            )
        ]

    def __str__(self):
        parts = [self.building.name]
        if self.unit:
            parts.append(gettext("unit %(unit)s") % {"unit": self.unit})
        if self.room:
            parts.append(gettext("room %(room)s") % {"room": self.room})
        return " ".join(parts)

    def clean(self):
        if self.building_id and self.building.level != Level.BUILDING:
            raise ValidationError({"building": _("A household must be in a building.")})


class Person(models.Model):
    class Relation(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        OTHER = "other", _("Other")

    # A person's name is 姓名; the catalogs' plain "name" is 名称, the name of a place or unit.
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    # Where the person lives or is registered; drives place scope.
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="people"
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    relation = models.CharField(
        _("relation to head"), max_length=16, choices=Relation.choices, blank=True
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    lives_alone_elderly = models.BooleanField(_("elderly living alone"), default=False)
    new_employment = models.BooleanField(
        _("new-employment worker"), default=False, help_text=_("Courier, rider or driver")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # What `personal_data.reveal` may unmask, and the permission it needs.
    PERSONAL_DATA_FIELDS = ("name", "phone", "id_number")
    PERSONAL_DATA_PERM = "people.view_personal_data"

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["id"]

    def __str__(self):
        from .masking import mask_name

        return mask_name(self.name)

    def clean(self):
        # Household members live in its building, so seeing the household and
        # seeing its members are decided by the same scope.
        if self.household_id and self.place_id != self.household.building_id:
            raise ValidationError(
                {"place": _("A household member must be placed in the household's building.")}
            )


class Department(models.Model):
    """职能部门: a government unit that handles tickets."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # The district or street whose jurisdiction the department serves; the admin's picker
    # offers only those (limit_choices_to also narrows its autocomplete).
    place = models.ForeignKey(
        Place,
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        related_name="departments",
        limit_choices_to={"level__in": [Level.DISTRICT, Level.STREET]},
    )
    phone = models.CharField(_("office phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.place_id and self.place.level not in {Level.DISTRICT, Level.STREET}:
            raise ValidationError({"place": _("A department serves a district or a street.")})


class PartyOrganization(models.Model):
    """党组织 bound to a place: branches at grid level, groups at building level."""

    class Kind(models.TextChoices):
        WORKING_COMMITTEE = "working_committee", _("Party working committee")
        COMMITTEE = "committee", _("Party committee")
        GENERAL_BRANCH = "general_branch", _("General Party branch")
        BRANCH = "branch", _("Party branch")
        GROUP = "group", _("Party group")

    # Which place levels each kind may be bound to.
    ALLOWED_LEVELS = {
        Kind.WORKING_COMMITTEE: {Level.DISTRICT, Level.STREET},
        Kind.COMMITTEE: {Level.DISTRICT, Level.STREET, Level.COMMUNITY},
        Kind.GENERAL_BRANCH: {Level.COMMUNITY},
        Kind.BRANCH: {Level.COMMUNITY, Level.GRID},
        Kind.GROUP: {Level.GRID, Level.BUILDING},
    }

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="party_organizations"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    secretary = models.ForeignKey(
        Person,
        verbose_name=_("secretary"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Party organisation")
        verbose_name_plural = _("Party organisations")
        ordering = ["place__path", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        allowed = self.ALLOWED_LEVELS.get(self.kind, set())
        if self.place_id and self.place.level not in allowed:
            raise ValidationError(
                {
                    "place": ValidationError(
                        _("A %(kind)s cannot be bound to a %(level)s."),
                        params={
                            "kind": self.get_kind_display(),
                            "level": self.place.get_level_display(),
                        },
                    )
                }
            )
        if self.parent_id:
            if self.pk and self.parent_id == self.pk:
                raise ValidationError({"parent": _("An organisation cannot be its own parent.")})
            if self.place_id and not self.place.path.startswith(self.parent.place.path):
                raise ValidationError(
                    {"parent": _("The parent organisation must sit at or above this place.")}
                )


class PartyMember(models.Model):
    class Status(models.TextChoices):
        REGULAR = "regular", _("Resident member")
        IN_SERVICE = "in_service", _("In-service member")
        MOBILE = "mobile", _("Mobile member")

    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="party_member"
    )
    organization = models.ForeignKey(
        PartyOrganization,
        verbose_name=_("Party organisation"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    # The member's category (类别), not a ticket's status (状态), which shares the msgid.
    status = models.CharField(
        pgettext_lazy("party member", "status"), max_length=16, choices=Status.choices
    )
    # In-service members report (报到) to the community where they live.
    home_community = models.ForeignKey(
        Place,
        verbose_name=_("home community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Level.COMMUNITY},
    )
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)

    class Meta:
        verbose_name = _("Party member")
        verbose_name_plural = _("Party members")
        ordering = ["id"]

    def __str__(self):
        return str(self.person)

    def clean(self):
        if self.status == self.Status.IN_SERVICE and not self.home_community_id:
            raise ValidationError(
                {"home_community": _("An in-service member must have a home community.")}
            )
        if self.home_community_id and self.home_community.level != Level.COMMUNITY:
            raise ValidationError({"home_community": _("The home community must be a community.")})


class CheckIn(models.Model):
    """报到: a party member or new-employment worker registering with a community."""

    class Kind(models.TextChoices):
        PARTY_MEMBER = "party_member", _("In-service Party member")
        NEW_EMPLOYMENT = "new_employment", _("New-employment worker")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="check_ins"
    )
    community = models.ForeignKey(
        Place,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="check_ins",
        limit_choices_to={"level": Level.COMMUNITY},
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    checked_in_at = models.DateTimeField(_("checked in at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-checked_in_at", "-id"]

    def __str__(self):
        return f"{self.person} → {self.community.name}"

    def clean(self):
        if self.community_id and self.community.level != Level.COMMUNITY:
            raise ValidationError({"community": _("Check-ins are made with a community.")})
        if not self.person_id:
            return
        if (
            self.kind == self.Kind.PARTY_MEMBER
            and not PartyMember.objects.filter(person_id=self.person_id).exists()
        ):
            raise ValidationError({"kind": _("Only a Party member can check in as one.")})
        if self.kind == self.Kind.NEW_EMPLOYMENT and not self.person.new_employment:
            raise ValidationError(
                {"kind": _("The person is not registered as a new-employment worker.")}
            )


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    MICRO_GRID_WORKER = "micro_grid_worker", _("Micro-grid worker")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    STREET_STAFF = "street_staff", _("Street staff")
    DISTRICT_STAFF = "district_staff", _("District staff")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    HOTLINE_OPERATOR = "hotline_operator", _("Hotline operator")
    COMMUNITY_POLICE = "community_police", _("Community police")
    CADRE = "cadre", _("Sent-down cadre")
    MEDIATOR = "mediator", _("Mediator")
    VOLUNTEER = "volunteer", _("Volunteer")
    RESIDENT = "resident", _("Resident")


# Which place level a place-bound role is assigned at.
ROLE_LEVELS = {
    Role.GRID_WORKER: {Level.GRID},
    Role.MICRO_GRID_WORKER: {Level.GRID, Level.BUILDING},
    Role.COMMUNITY_STAFF: {Level.COMMUNITY},
    Role.STREET_STAFF: {Level.STREET},
    Role.DISTRICT_STAFF: {Level.DISTRICT},
    Role.HOTLINE_OPERATOR: {Level.DISTRICT, Level.STREET},
    Role.COMMUNITY_POLICE: {Level.GRID, Level.COMMUNITY},
    Role.CADRE: {Level.GRID},
    Role.MEDIATOR: {Level.COMMUNITY, Level.STREET},
    Role.VOLUNTEER: {Level.COMMUNITY, Level.GRID},
    Role.RESIDENT: {Level.BUILDING, Level.GRID, Level.COMMUNITY},
}


class RoleAssignment(models.Model):
    """Binds a login to a role at a place (or, for handlers, a department)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    active = models.BooleanField(_("active"), default=True)
    since = models.DateField(_("since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user_id", "role"]
        # Two partial constraints, because NULLs never collide in a plain one.
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "place"],
                condition=models.Q(department__isnull=True),
                name="role_assignment_unique_place",
                violation_error_message=_("This login already holds this role here."),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=models.Q(place__isnull=True),
                name="role_assignment_unique_department",
                violation_error_message=_("This login already holds this role here."),
            ),
        ]

    def __str__(self):
        where = self.department or self.place
        return f"{self.user} · {self.get_role_display()} · {where}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._forget_user_scope()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._forget_user_scope()
        return result

    def _forget_user_scope(self):
        # The login object held here may carry a cached scope (scope.scope_for).
        user = self._state.fields_cache.get("user")
        if user is not None:
            user.__dict__.pop("_gridgov_scope", None)

    def clean(self):
        # Handlers are bound to a department, every other role to a place.
        if self.role == Role.DEPARTMENT_HANDLER:
            if not self.department_id:
                raise ValidationError({"department": _("A department handler needs a department.")})
            if self.place_id:
                raise ValidationError(
                    {"place": _("A department handler is bound to a department, not a place.")}
                )
            return
        if self.department_id:
            raise ValidationError({"department": _("Only a department handler has a department.")})
        if not self.place_id:
            raise ValidationError({"place": _("This role needs a place.")})
        allowed = ROLE_LEVELS.get(self.role, set())
        if self.place.level not in allowed:
            raise ValidationError(
                {
                    "place": ValidationError(
                        _("A %(role)s cannot be assigned at a %(level)s."),
                        params={
                            "role": self.get_role_display(),
                            "level": self.place.get_level_display(),
                        },
                    )
                }
            )


class AccessLog(models.Model):
    """Every full (unmasked) view of personal data, for PIPL accountability."""

    class Channel(models.TextChoices):
        API = "api", _("API")
        WEB = "web", _("Web")
        # An export hands the data out as a file: auditors tell it from a view on a page.
        WEB_EXPORT = "web-export", _("Export from the web")
        API_EXPORT = "api-export", _("Export through the API")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("viewer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject_type = models.CharField(_("subject type"), max_length=64)
    subject_id = models.CharField(_("subject id"), max_length=64)
    fields = models.JSONField(_("fields"), default=list)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.API
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The subject's place when viewed, so auditors see the logs of their area.
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="accesslog_subject")]

    def __str__(self):
        return f"{self.user} · {self.subject_type}:{self.subject_id} · {self.at:%Y-%m-%d %H:%M}"


class InitialPassword(models.Model):
    """A login whose password someone else set (the staff import, the admin's 增加用户 or
    password reset) and which its holder must change at the next sign-in (web.middleware).

    A row of its own, not a flag in the session, so it holds across devices and until the
    holder has changed it; deleted when they do (people.passwords)."""

    class Reason(models.TextChoices):
        IMPORT = "import", _("Staff import")
        ADMIN_ADD = "admin-add", _("Added in the admin")
        ADMIN_RESET = "admin-reset", _("Reset in the admin")
        # By a street's or community's administrator for staff of their area (重置密码).
        AREA_RESET = "area-reset", _("Reset by the area's administrator")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        on_delete=models.CASCADE,
        related_name="initial_password",
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    set_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        verbose_name = _("initial password to change")
        verbose_name_plural = _("initial passwords to change")

    def __str__(self):
        return f"{self.user} · {self.get_reason_display()}"


class PasswordReset(models.Model):
    """重置密码: who reset whose password, when and where (the evidence of each reset, as the
    access log is of each full view). Never edited; the user's name is kept as it was, so the
    row outlives the login."""

    class Channel(models.TextChoices):
        WEB = "web", _("Staff logins page")
        ADMIN = "admin", _("Admin")
        # POST /api/v1/people/staff/{username}/reset-password/ (an area's own app).
        API = "api", _("API")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="password_resets",
    )
    username = models.CharField(_("login name"), max_length=150)
    reset_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reset by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    # How many API tokens the reset revoked (the admin's reset keeps them: people.passwords).
    tokens_revoked = models.PositiveSmallIntegerField(_("tokens revoked"), default=0)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("password reset")
        verbose_name_plural = _("password resets")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.username} · {self.at:%Y-%m-%d %H:%M}"
