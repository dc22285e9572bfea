"""Persons, households, departments, party organisations and role assignments.

Names, phones and ID numbers are personal data (PIPL): they are stored here
and shown masked everywhere except to roles that need them (see rules.py,
masking.py); every full view is written to AccessLog.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "room"], name="household_unique_room")
        ]

    def __str__(self):
        parts = [self.building.name]
        if self.unit:
            parts.append(f"{self.unit}单元")
        if self.room:
            parts.append(f"{self.room}室")
        return "".join(parts)


class Person(models.Model):
    class Relation(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100)
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["id"]

    def __str__(self):
        from .masking import mask_name

        return mask_name(self.name)


class Department(models.Model):
    """职能部门: a government unit that handles tickets."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # The district or street whose jurisdiction the department serves.
    place = models.ForeignKey(
        Place, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="departments"
    )
    phone = models.CharField(_("office phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self):
        return self.name


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
                _("A %(kind)s cannot be bound to a %(level)s."),
                params={"kind": self.get_kind_display(), "level": self.place.get_level_display()},
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
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
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

    def __str__(self):
        return str(self.person)

    def clean(self):
        if self.status == self.Status.IN_SERVICE and not self.home_community_id:
            raise ValidationError(_("An in-service member must have a home community."))
        if self.home_community_id and self.home_community.level != Level.COMMUNITY:
            raise ValidationError(_("The home community must be a community."))


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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "place", "department"], name="role_assignment_unique"
            )
        ]

    def __str__(self):
        where = self.department or self.place
        return f"{self.user} · {self.get_role_display()} · {where}"

    def clean(self):
        if self.role == Role.DEPARTMENT_HANDLER:
            if not self.department_id:
                raise ValidationError(_("A department handler needs a department."))
            return
        if not self.place_id:
            raise ValidationError(_("This role needs a place."))
        allowed = ROLE_LEVELS.get(self.role, set())
        if self.place.level not in allowed:
            raise ValidationError(
                _("A %(role)s cannot be assigned at a %(level)s."),
                params={"role": self.get_role_display(), "level": self.place.get_level_display()},
            )


class AccessLog(models.Model):
    """Every full (unmasked) view of personal data, for PIPL accountability."""

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
    channel = models.CharField(_("channel"), max_length=16, default="api")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at"]
