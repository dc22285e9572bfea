"""Forms of the workbench: intake, the 随手拍 report page, list filters, one form per action.

The forms only shape input: whether a demand may be filed is decided by
`intake.create_ticket`, whether an action may be taken by `lifecycle.perform`.
Each action form turns its fields into the keyword parameters of the
lifecycle handler (`params()`); business rules (a return needs a reason, a
callback only after resolution …) stay in lifecycle, so the page and the API
refuse the same things with the same words.
"""

import uuid

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from gridgov.core import sheets
from gridgov.people.models import Department
from gridgov.places.models import Level, Place

from . import imports, intake, lifecycle, photos, routing, sla, workdays
from .classify import score_percent
from .models import (
    Category,
    Channel,
    Extension,
    Nature,
    Satisfaction,
    Status,
    Summons,
    Ticket,
    TimeLimit,
    Urgency,
)

INDENT = "\u3000"  # full-width space: indents category names in selects
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to photos.MAX_PHOTOS images; each is checked and re-encoded by photos.clean_photo."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photos"))
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", "image/jpeg,image/png")

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        # FileField's own required check runs per file, so never on an empty list: 补充照片
        # sent without a photo said it was added and wrote an empty event in the timeline.
        if self.required and not files:
            raise forms.ValidationError(_("Choose at least one photo."), code="required")
        if len(files) > photos.MAX_PHOTOS:
            raise forms.ValidationError(_("At most %(n)s photos.") % {"n": photos.MAX_PHOTOS})
        return [super(PhotosField, self).clean(f, initial) for f in files]


def note_dropped_photos(form, name="photos"):
    """A form sent back with errors cannot keep the photos that came with it (a page may not
    fill in a file input): say so on the field, else a photo taken on a phone is lost unseen
    and the ticket filed without it."""
    if name not in form.fields or form.files is None or form.has_error(name):
        return
    if any(form.files.getlist(form.add_prefix(name))):
        form.add_error(name, _("The photos were not kept: choose them again."))


def new_idempotency_key():
    return uuid.uuid4().hex


def category_choices(include_blank=True, max_depth=3):
    """The category tree as grouped choices: one group per top category, children indented."""
    rows = list(
        Category.objects.filter(active=True)
        .order_by("code")
        .values_list("code", "name", "parent_id", "depth", "id")
    )
    children = {}
    for code, name, parent_id, depth, pk in rows:
        children.setdefault(parent_id, []).append((code, name, depth, pk))
    groups = []
    for code, name, _depth, pk in children.get(None, []):
        options = [(code, name)]
        todo = list(reversed(children.get(pk, [])))
        while todo:
            c_code, c_name, c_depth, c_pk = todo.pop()
            if c_depth > max_depth:
                continue
            options.append((c_code, INDENT * (c_depth - 1) + c_name))
            todo.extend(reversed(children.get(c_pk, [])))
        groups.append((name, options))
    blank = [("", _("Choose automatically from the text"))] if include_blank else []
    return blank + groups


def place_label(place):
    """A place named in a list of choices with its level: 幸福一网格（网格）, in English
    "Oak Grid (Grid)"."""
    return gettext("%(name)s (%(level)s)") % {
        "name": place.name,
        "level": place.get_level_display(),
    }


def _styled(field, **attrs):
    field.widget.attrs.update(attrs)
    return field


# --- intake -------------------------------------------------------------------------------


# What the walk-in window's form may file on: the channels of demands handed in on paper.
WINDOW_SOURCES = (Channel.WINDOW, Channel.BOX, Channel.EVENT)


# The nature of a demand as staff file it: chosen every time, none offered first.
NATURE_CHOICES = [("", _("Choose the nature of the demand")), *Nature.choices]
NATURE_REQUIRED = _(
    "Choose the nature of the demand: consultation, request for help, complaint, report, "
    "suggestion or praise."
)


class IntakeForm(forms.Form):
    """What the 12345 operator or the walk-in window clerk types in."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    # No default: a form that chose 求助 for the operator filed complaints and reports
    # as requests for help whenever the field was overlooked.
    nature = forms.ChoiceField(
        label=_("Nature"),
        choices=NATURE_CHOICES,
        error_messages={"required": NATURE_REQUIRED},
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=[("", _("From the category"))] + list(Urgency.choices),
        required=False,
    )
    category = forms.ChoiceField(label=_("Category"), choices=(), required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    requester_name = forms.CharField(label=_("Requester name"), max_length=100, required=False)
    requester_phone = forms.CharField(label=_("Requester phone"), max_length=32, required=False)
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    photos = PhotosField()
    answer = forms.CharField(
        label=_("Answer on the spot"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    knowledge_answer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)
    # The window's desk also enters the suggestion box's slips (意见箱) and the demands
    # collected at an event (活动现场征集): the channel says where each came from.
    source = forms.ChoiceField(label=_("Collected through"), required=False, choices=())

    def __init__(self, *args, channel=Channel.HOTLINE, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", new_idempotency_key())
        super().__init__(*args, **kwargs)
        self.channel = channel
        if channel in WINDOW_SOURCES:
            self.fields["source"].choices = [(c, Channel(c).label) for c in WINDOW_SOURCES]
            self.fields["source"].initial = channel
        else:
            del self.fields["source"]
        self.fields["category"].choices = category_choices()
        _styled(
            self.fields["title"],
            placeholder=_("A short summary, e.g. Stairwell blocked by clutter"),
        )
        _styled(
            self.fields["description"],
            placeholder=_("What happened, where, since when, what the requester wants"),
        )
        _styled(self.fields["address"], placeholder=_("e.g. <estate> Building 3, Unit 2"))
        _styled(self.fields["requester_phone"], inputmode="tel", autocomplete="off")
        _styled(self.fields["requester_name"], autocomplete="off")

    def intake_data(self):
        """The dict `intake.create_ticket` takes."""
        d = self.cleaned_data
        data = {
            "channel": d.get("source") or self.channel,
            "nature": d["nature"],
            "title": d["title"],
            "description": d["description"],
            "urgency": d["urgency"] or None,
            "category": d["category"] or None,
            "address": d["address"],
            "requester_name": "" if d["anonymous"] else d["requester_name"],
            "requester_phone": d["requester_phone"],
            "anonymous": d["anonymous"],
        }
        if d["nature"] == Nature.CONSULT and (d["answer"].strip() or d["knowledge_answer"]):
            data["answer"] = d["answer"].strip()
            data["knowledge_answer"] = d["knowledge_answer"]
        return data

    def add_intake_errors(self, errors):
        """Put `IntakeError.errors` on the fields they are about."""
        where = {"place": "address", "location": "address", "channel": None}
        for key, message in errors.items():
            field = where.get(key, key)
            self.add_error(field if field in self.fields else None, message)


class ReportForm(forms.Form):
    """随手拍: a photo, a few words and where it is (the phone's position or an address)."""

    description = forms.CharField(
        label=_("What is wrong?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        # Not Django's 该字段是必填项: the reporter is told what is missing.
        error_messages={"required": _("Say in a few words what is wrong.")},
    )
    photos = PhotosField()
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(label=_("Or type the address"), max_length=300, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=(), required=False)
    patrol = forms.BooleanField(label=_("Found on patrol"), required=False)
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, may_patrol=False, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", new_idempotency_key())
        super().__init__(*args, **kwargs)
        self.may_patrol = may_patrol
        if not may_patrol:
            del self.fields["patrol"]
        else:
            # Ticked: one who may patrol reports, in the field, what the patrol found.
            # Unticked, the report is his own demand as a resident: intake makes him its
            # requester (SELF_SERVICE_CHANNELS), to be contacted and to follow it.
            self.fields["patrol"].initial = True
            self.fields["patrol"].widget.attrs["aria-describedby"] = "patrol-help"
        self.fields["category"].choices = category_choices()
        _styled(
            self.fields["description"],
            placeholder=_("e.g. Boxes piled in the stairwell of building 3 block the way"),
        )
        self.fields["photos"].widget.attrs["capture"] = "environment"

    def clean(self):
        d = super().clean()
        has_point = d.get("lat") is not None and d.get("lng") is not None
        if not has_point and not (d.get("address") or "").strip():
            self.add_error(
                "address", _("Share your location, or type the address where the problem is.")
            )
        return d

    def intake_data(self):
        """The intake fields; the reporter becomes the requester in intake itself."""
        d = self.cleaned_data
        return {
            "channel": Channel.PATROL if d.get("patrol") else Channel.PHOTO,
            "nature": Nature.REPORT,
            "title": "",
            "description": d["description"],
            "category": d["category"] or None,
            "address": d["address"],
            "lat": d["lat"],
            "lng": d["lng"],
        }

    def add_intake_errors(self, errors):
        where = {"place": "address", "location": "address", "title": "description"}
        for key, message in errors.items():
            field = where.get(key, key)
            self.add_error(field if field in self.fields else None, message)


# --- list filters ---------------------------------------------------------------------------


class DayField(forms.DateField):
    """A date as a list filter reads it: a refusal names the value, which a date input
    cannot show back (the field comes back empty beside its error)."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                _("%(value)s is not a date: give a day that exists, e.g. 2026-11-27.")
                % {"value": str(value).strip()},
                code="invalid",
            ) from None


class TicketFilterForm(forms.Form):
    """Filters of the "all tickets in my area" list (GET).

    A place or category given by code (a link from elsewhere, a hand-edited URL) need not
    be among the options offered: one that exists (the user's place, if a place) is added
    to them; one that does not is refused by name.
    """

    q = forms.CharField(label=pgettext_lazy("ticket list", "Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any status")),
            ("open", _("All open")),
            ("overdue", _("Overdue")),
            # What a street office follows up on Monday: nowhere else to list them.
            ("supervised", _("Supervised, open")),
            ("whistled", _("Whistled")),
        ]
        + list(Status.choices),
    )
    category = forms.ChoiceField(label=_("Category"), required=False, choices=())
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel"))] + list(Channel.choices)
    )
    place = forms.ChoiceField(label=_("Place"), required=False, choices=())
    date_from = DayField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = DayField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # The tickets of one hot issue (未诉先办): its page links here once a street confirms it.
    hot = forms.IntegerField(
        label=_("Hot issue"), required=False, min_value=1, widget=forms.HiddenInput
    )

    # Query parameters the pages send besides the filters: the list's page links, and the
    # purpose of an export with contacts (the list ignores one put into a link).
    PAGE_PARAMS = ("page", "purpose")

    def __init__(self, *args, places=(), area=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.hot_issue = None
        # Parameters no filter reads (?statuss=accepted): ignored, they listed everything.
        self.unknown = sorted(set(self.data) - set(self.fields) - set(self.PAGE_PARAMS))
        categories = category_choices(include_blank=False, max_depth=2)
        self.fields["category"].choices = [("", _("Any category"))] + categories
        place_choices = [("", _("All of my area"))]
        for place in places:
            indent = INDENT if place.level == Level.GRID else ""
            place_choices.append((place.code, indent + place_label(place)))
        self.fields["place"].choices = place_choices
        self._offer_given(area)
        _styled(self.fields["q"], placeholder=_("Code, title or description"), type="search")

    def _offer_given(self, area):
        """Add a place or category code given but not offered when it names one: a district
        (the hot issues' 每月一题 links to one), a grid past the first options, a third-level
        category. `area`: the places the user may filter on (None: any)."""
        if not self.is_bound:
            return
        code = (self.data.get("category") or "").strip()
        if code and not self.fields["category"].valid_value(code):
            category = Category.objects.filter(code=code).first()
            if category is not None:
                self.fields["category"].choices += [(category.code, category.name)]
        code = (self.data.get("place") or "").strip()
        if code and not self.fields["place"].valid_value(code):
            area = Place.objects.all() if area is None else area
            place = area.filter(code=code).first()
            if place is not None:
                label = place_label(place)
                self.fields["place"].choices += [(place.code, label)]

    def clean_hot(self):
        pk = self.cleaned_data.get("hot")
        if not pk:
            return None
        # The insights app's model through the reverse relation: tickets does not import it.
        model = Ticket._meta.get_field("hot_issues").related_model
        issue = model.objects.filter(pk=pk).first()
        if issue is None or (
            self.user is not None and not self.user.has_perm("insights.view_hotissue", issue)
        ):
            raise forms.ValidationError(
                _("There is no hot issue no. %(n)s: the hourly refresh may have regrouped it."),
                params={"n": pk},
            )
        self.hot_issue = issue
        return pk

    def clean(self):
        cleaned = super().clean()
        if self.unknown:
            raise forms.ValidationError(
                _(
                    "There is no filter %(unknown)s, so no ticket is listed (ignoring it would "
                    "list more than you asked for). The filters are: %(allowed)s."
                ),
                params={
                    "unknown": "、".join(self.unknown),
                    "allowed": "、".join((*self.fields, *self.PAGE_PARAMS)),
                },
                code="unknown_parameter",
            )
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            # Both days are valid alone, so the list was merely empty, as if nothing came in.
            self.add_error(
                "date_to",
                forms.ValidationError(
                    _("The end day %(end)s is before the start day %(start)s: swap them."),
                    params={"start": start, "end": end},
                    code="reversed",
                ),
            )
        return cleaned

    def add_error(self, field, error):
        # "Select a valid choice" for a code typed into a URL: say what is unknown instead.
        if field in ("category", "place") and getattr(error, "code", None) == "invalid_choice":
            value = self.data.get(field)
            error = forms.ValidationError(
                _("There is no category with the code %(code)s.")
                if field == "category"
                else _("There is no place with the code %(code)s in your area."),
                params={"code": value},
                code="unknown",
            )
        super().add_error(field, error)

    def refusal(self):
        """What is wrong with the filters, one line per field ("Label: message"), or ""."""
        if not self.is_bound or self.is_valid():
            return ""
        return "；".join(
            (f"{self.fields[name].label}：" if name in self.fields else "")
            + " ".join(str(e).rstrip("。.") for e in errors)
            for name, errors in self.errors.items()
        )

    @property
    def active(self):
        return self.is_bound and any(self.data.get(name) for name in self.fields)

    def described(self):
        """[(label, value as shown)] of the filters set, in the form's words: what an
        export of the list says it holds."""
        if not self.is_bound or not self.is_valid():
            return []
        described = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if not value:
                continue
            if isinstance(field, forms.ChoiceField):
                value = _choice_label(field.choices, value)
            elif name == "hot" and self.hot_issue is not None:
                value = self.hot_issue.title
            described.append((str(field.label), str(value).strip("　")))
        return described


def _choice_label(choices, value):
    """The label of `value` among choices, option groups included."""
    for key, label in choices:
        if isinstance(label, list | tuple):
            found = _choice_label(label, value)
            if found is not None:
                return found
        elif str(key) == str(value):
            return label
    return value


# --- actions ----------------------------------------------------------------------------------


def _unit_choices(ticket):
    """Where a ticket may be sent: offices of the street it lies in, and the departments
    serving that area. Values are "place:CODE" or "department:CODE"."""
    anchor = ticket.place or ticket.owner_place
    street = None
    if anchor is not None:
        street = anchor.ancestor_at(Level.STREET) or anchor.ancestor_at(Level.DISTRICT)
    places = Place.objects.filter(level__in=(Level.STREET, Level.COMMUNITY, Level.GRID))
    departments = Department.objects.select_related("place").order_by("code")
    if street is not None:
        places = places.filter(path__startswith=street.path)
        above = [*street.ancestor_codes, street.code]
        departments = departments.filter(place__code__in=above)
    place_options = []
    for place in places.order_by("path")[:500]:
        depth = {Level.STREET: 0, Level.COMMUNITY: 1, Level.GRID: 2}[place.level]
        label = INDENT * depth + place_label(place)
        place_options.append((f"place:{place.code}", label))
    department_options = [(f"department:{d.code}", d.name) for d in departments]
    choices = []
    if place_options:
        choices.append((_("Offices"), place_options))
    if department_options:
        choices.append((_("Departments"), department_options))
    return choices


def _below_owner(ticket, choices):
    """The offices below the ticket's owning place (an escalated ticket sent down)."""
    owner = ticket.owner_place
    if owner is None:
        return []
    below = set(
        Place.objects.filter(path__startswith=owner.path)
        .exclude(pk=owner.pk)
        .values_list("code", flat=True)
    )
    kept = []
    for group, options in choices:
        options = [(v, label) for v, label in options if v.startswith("place:") and v[6:] in below]
        if options:
            kept.append((group, options))
    return kept


def _split_unit(value):
    kind, _sep, code = (value or "").partition(":")
    if kind == "department":
        return {"department": code}
    if kind == "place":
        return {"unit": code}
    return {}


class ActionForm(forms.Form):
    """One action on one ticket. Subclasses declare fields and map them in `params()`."""

    action = None
    label = None
    # Fields passed to the lifecycle handler under the same name.
    passthrough = ()
    multipart = False
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, ticket, user, **kwargs):
        kwargs.setdefault("prefix", self.action)
        kwargs.setdefault("initial", {}).setdefault("version", ticket.version)
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.user = user
        self.refusal = None  # a lifecycle error message, shown above the fields

    def params(self):
        return {name: self.cleaned_data[name] for name in self.passthrough}

    @property
    def usable(self):
        """False when the form offers nothing to choose (the action cannot succeed)."""
        return True

    def after(self, event):
        """Work done in the same transaction after lifecycle.perform succeeded."""

    @property
    def dom_id(self):
        return f"action-{self.action}"


class NoteForm(ActionForm):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    passthrough = ("note",)


class ReasonForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    passthrough = ("reason",)


class UnitForm(ReasonForm):
    target = forms.ChoiceField(label=_("Unit"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = _unit_choices(self.ticket)
        ticket = self.ticket
        if ticket.status == Status.ESCALATED and not self.user.has_perm(
            "tickets.dispatch_anywhere", ticket
        ):
            choices = _below_owner(ticket, choices)  # as lifecycle._check_sent_down
        self.fields["target"].choices = [("", _("Choose a unit"))] + choices
        self.order_fields(["target", "reason"])

    def params(self):
        return {**super().params(), **_split_unit(self.cleaned_data["target"])}


class DispatchForm(UnitForm):
    action = "dispatch"
    label = lifecycle.ACTION_LABELS["dispatch"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        if self.ticket.status in lifecycle.HANDLING:
            # 交办: the holder hands it down, to the offices below it that cover the place.
            self.label = lifecycle.HAND_DOWN_LABEL
            field.label = _("To the office below")
            field.choices = [("", _("Choose an office"))] + [
                (f"place:{p.code}", place_label(p)) for p in lifecycle.hand_down_units(self.ticket)
            ]
            self.fields["reason"].label = _("Instructions")
            return
        if self.ticket.status == Status.ESCALATED:
            # Sent down by name, no default: the rules would mostly send it back to the
            # unit that passed it up, or out of the holder's area, and lifecycle refuses both.
            return
        field.required = False
        field.choices = [("", _("By the routing rules"))] + field.choices[1:]
        # A ticket the classifier was unsure of: the desk confirms its category (the
        # model's best three first, with their scores), and the rules route by it.
        suggested = intake.category_to_confirm(self.ticket)
        if suggested:
            codes = {category.code for category, _score in suggested}
            others = [
                (group, [(code, name) for code, name in options if code not in codes])
                for group, options in category_choices(include_blank=False)
            ]
            top = [(c.code, f"{c.full_name} · {score_percent(score)}") for c, score in suggested]
            self.fields["category"] = forms.ChoiceField(
                label=_("Category (to confirm)"),
                choices=[(_("The classifier's suggestions"), top), *others],
                initial=self.ticket.category.code if self.ticket.category_id else None,
            )
            self.order_fields(["category", "target", "reason"])

    def params(self):
        params = super().params()
        if "category" in self.fields:
            params["category"] = self.cleaned_data["category"]
        return params


class DesignateForm(UnitForm):
    action = "designate"
    label = lifecycle.ACTION_LABELS["designate"]


class AcceptForm(NoteForm):
    action = "accept"
    label = lifecycle.ACTION_LABELS["accept"]


class ReturnForm(ActionForm):
    action = "return"
    label = lifecycle.ACTION_LABELS["return"]
    reason_code = forms.ChoiceField(
        label=_("Reason for the return"),
        choices=[("", _("Choose a reason"))] + list(lifecycle.RETURN_REASONS.items()),
        required=False,  # lifecycle refuses a return without one, in its own words;
        # the browser asks first, so a phone is not sent a round trip to learn it.
        widget=forms.Select(attrs={"required": True}),
    )
    reason = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    passthrough = ("reason_code", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.return_by = lifecycle.return_by(self.ticket)  # said above the fields

    def params(self):
        return {**super().params(), "reason_code": self.cleaned_data["reason_code"] or None}


CONTACT_METHODS = list(lifecycle.CONTACT_METHODS.items())


class ContactForm(NoteForm):
    action = "contact"
    label = lifecycle.ACTION_LABELS["contact"]
    method = forms.ChoiceField(label=_("How"), choices=CONTACT_METHODS, initial="phone")
    passthrough = ("method", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["method", "note"])


class ExtendForm(ActionForm):
    action = "extend"
    label = lifecycle.ACTION_LABELS["extend"]
    until = forms.DateTimeField(
        label=_("New deadline"),
        input_formats=DATETIME_INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    passthrough = ("until", "reason")


class ApproveExtensionForm(ActionForm):
    action = "approve-extension"
    label = lifecycle.ACTION_LABELS["approve-extension"]
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Approve")), ("no", _("Reject"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        # No default: 批准 ticked in advance extended deadlines for approvers who meant to
        # reject or had not read the request.
        error_messages={"required": _("Choose to approve or reject the extension.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,  # when rejecting (lifecycle says so)
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("Required to reject: why, and what to do instead")}
        ),
    )
    passthrough = ("approve", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = self.ticket.extensions.filter(state=Extension.State.PENDING).first()


class SuperviseForm(ReasonForm):
    action = "supervise"
    label = lifecycle.ACTION_LABELS["supervise"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The unit supervised reads what is asked of it (lifecycle refuses a blank one too).
        field = _styled(
            self.fields["reason"],
            placeholder=_(
                "What you ask of the unit and by when, e.g. Residents keep calling: clear it by "
                "Friday and reply to the requester"
            ),
        )
        field.label = _("Supervision request")
        field.required = True
        field.error_messages["required"] = lifecycle.SUPERVISE_NEEDS_REASON


class EscalateForm(ReasonForm):
    action = "escalate"
    label = lifecycle.ACTION_LABELS["escalate"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The unit above takes the ticket over from this page and must read why, as a
        # return says why (the deadline sweep writes its own reason).
        self.fields["reason"].required = True
        self.fields["reason"].error_messages["required"] = _("Say why the ticket is passed up.")
        # Where lifecycle._escalate sends it, said above the fields (None: not offered).
        self.target = routing.next_level_up(self.ticket)


class WhistleForm(ActionForm):
    action = "whistle"
    label = lifecycle.ACTION_LABELS["whistle"]
    departments = forms.MultipleChoiceField(
        label=_("Departments to summon"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    report_within_hours = forms.IntegerField(
        label=_("Report within (hours)"),
        min_value=1,
        max_value=720,
        initial=sla.WHISTLE_OFFICE_HOURS,
    )
    reason = forms.CharField(
        label=_("Why they are summoned"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    passthrough = ("departments", "report_within_hours", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].choices = [
            (code.split(":", 1)[1], name)
            for group, options in _unit_choices(self.ticket)
            for code, name in options
            if code.startswith("department:")
        ]
        self.fields["report_within_hours"].initial = sla.default_whistle_hours(self.ticket.urgency)
        self.fields["report_within_hours"].help_text = report_hours_help(self.ticket)


def report_hours_help(ticket, now=None):
    """How the whistle form's hours count on this ticket, and where the default ends if
    blown now: a street picking 8 hours at 19:47 otherwise could not tell 03:47 from the
    next working day (sla.whistle_report_by)."""
    hours = sla.default_whistle_hours(ticket.urgency)
    due = timezone.localtime(sla.whistle_report_by(ticket.urgency, now or timezone.now(), hours))
    when = due.strftime("%Y-%m-%d %H:%M")
    if ticket.urgency in sla.CLOCK_URGENCIES:
        text = gettext(
            "Clock hours, night and weekend included: an emergency or utility ticket. "
            "Blown now, %(hours)s hours end at %(when)s."
        )
        return text % {"hours": hours, "when": when}
    spans = sheets.listing(
        f"{a.strftime('%H:%M')}–{b.strftime('%H:%M')}" for a, b in workdays.office_hours()
    )
    text = gettext(
        "Office hours (%(spans)s) of working days only: nights, weekends and public holidays "
        "do not count, make-up working days do. Blown now, %(hours)s hours end at %(when)s."
    )
    return text % {"spans": spans, "hours": hours, "when": when}


def _summoned(ticket, unreported=False):
    summonses = Summons.objects.filter(whistle__ticket=ticket).select_related("department")
    if unreported:
        summonses = summonses.filter(reported_at__isnull=True)
    seen, choices = set(), []
    for summons in summonses.order_by("department__code"):
        if summons.department.code not in seen:
            seen.add(summons.department.code)
            choices.append((summons.department.code, summons.department.name))
    return choices


class WhistleReportForm(ActionForm):
    action = "whistle-report"
    label = lifecycle.ACTION_LABELS["whistle-report"]
    department = forms.ChoiceField(label=_("Department"), choices=())
    note = forms.CharField(
        label=_("What the department did"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    passthrough = ("department", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = _summoned(self.ticket, unreported=True)
        if not self.user.is_superuser:
            # Only the summoned department reports for itself (lifecycle checks it too).
            mine = set(
                Department.objects.filter(
                    role_assignments__user=self.user, role_assignments__active=True
                ).values_list("code", flat=True)
            )
            choices = [c for c in choices if c[0] in mine]
        self.fields["department"].choices = choices

    @property
    def usable(self):
        return bool(self.fields["department"].choices) or self.is_bound


class WhistleRateForm(ActionForm):
    action = "whistle-rate"
    label = lifecycle.ACTION_LABELS["whistle-rate"]
    department = forms.ChoiceField(label=_("Department"), choices=())
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        choices=list(reversed(Summons.Rating.choices)),
        coerce=int,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
    passthrough = ("department", "rating", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only departments that reported or are past their deadline, and not rated yet.
        rateable = lifecycle.rateable_summonses(self.ticket).select_related("department")
        self.fields["department"].choices = sorted(
            {(s.department.code, s.department.name) for s in rateable}
        )

    @property
    def usable(self):
        return bool(self.fields["department"].choices) or self.is_bound


class ResolveForm(ActionForm):
    action = "resolve"
    label = lifecycle.ACTION_LABELS["resolve"]
    multipart = True
    reply = forms.CharField(
        label=_("Reply to the requester"),
        required=False,  # lifecycle says why it is needed; the browser asks before sending,
        max_length=4000,  # so the photos chosen with it are not sent back and lost
        widget=forms.Textarea(attrs={"rows": 4, "required": True}),
    )
    photos = PhotosField(label=_("Photos of the result"))
    passthrough = ("reply",)

    def clean_photos(self):
        try:
            return photos.clean_all(self.cleaned_data.get("photos") or [])
        except photos.PhotoError as exc:
            # The form comes back without any of them: a page may not fill a file input in.
            raise forms.ValidationError(
                [str(exc), _("The photos were not kept: choose them again.")]
            ) from None

    def after(self, event):
        photos.attach(self.ticket, self.cleaned_data.get("photos") or [], event)


class CallbackForm(ActionForm):
    action = "callback"
    label = lifecycle.ACTION_LABELS["callback"]
    resolved = forms.TypedChoiceField(
        label=_("Was it resolved?"),
        choices=[("yes", _("Yes, resolved")), ("no", _("No, not resolved"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("Is the requester satisfied?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    passthrough = ("resolved", "satisfaction", "note")


class AddPhotosForm(forms.Form):
    """补充照片 on the requester's own demand (我的诉求): the photos are checked and
    re-encoded as at intake, then stored by photos.add with their event."""

    photos = PhotosField(label=_("Add photos"), required=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "add")
        super().__init__(*args, **kwargs)

    def clean_photos(self):
        try:
            return photos.clean_all(self.cleaned_data.get("photos") or [])
        except photos.PhotoError as exc:
            raise forms.ValidationError(
                [str(exc), _("The photos were not kept: choose them again.")]
            ) from exc


class RateForm(CallbackForm):
    """The requester's own answer to the callback questions (评价, in 我的诉求)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "rate")
        super().__init__(*args, **kwargs)
        self.fields["resolved"].label = _("Was your demand resolved?")
        self.fields["resolved"].choices = [("yes", _("Yes")), ("no", _("No"))]
        self.fields["satisfaction"].label = _("How satisfied are you with the handling?")
        self.fields["note"].label = _("Anything to add? (optional)")


class ReopenForm(ReasonForm):
    action = "reopen"
    label = lifecycle.ACTION_LABELS["reopen"]


class CloseForm(ReasonForm):
    action = "close"
    label = lifecycle.ACTION_LABELS["close"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.ticket.status == Status.RESOLVED and not self.ticket.reachable:
            self.fields["reason"].initial = _(
                "The requester is anonymous and left no phone: no callback is possible."
            )


class MergeForm(ActionForm):
    action = "merge"
    label = lifecycle.ACTION_LABELS["merge"]
    into = forms.CharField(label=_("Code of the ticket to keep"), max_length=32)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    passthrough = ("into", "reason")

    def clean_into(self):
        code = self.cleaned_data["into"].strip().upper()
        survivor = Ticket.objects.filter(code=code).first()
        if survivor is not None and self.user.has_perm("tickets.view_ticket", survivor):
            refusal = lifecycle.merge_refusal(survivor)
            if refusal:  # beside the field, before anything is tried (lifecycle refuses too)
                raise forms.ValidationError(refusal)
        return code


class AnswerForm(ActionForm):
    action = "answer"
    label = lifecycle.ACTION_LABELS["answer"]
    answer = forms.CharField(
        label=_("Answer"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    passthrough = ("answer",)


ACTION_FORMS = {
    form.action: form
    for form in (
        DispatchForm,
        AcceptForm,
        ReturnForm,
        DesignateForm,
        ContactForm,
        ExtendForm,
        ApproveExtensionForm,
        SuperviseForm,
        EscalateForm,
        WhistleForm,
        WhistleReportForm,
        WhistleRateForm,
        ResolveForm,
        CallbackForm,
        ReopenForm,
        CloseForm,
        MergeForm,
        AnswerForm,
    )
}
assert set(ACTION_FORMS) == set(lifecycle.ACTIONS), "one form per lifecycle action"

# --- labels the workbench shows -------------------------------------------------------------

ACTION_LABELS = {
    "create": pgettext_lazy("ticket action", "Filed"),
    **{action: form.label for action, form in ACTION_FORMS.items()},
}
# Which deadline an open ticket has missed (sla.overdue_stage).
OVERDUE_LABELS = {
    "accept": _("Acceptance overdue"),
    "respond": _("Response overdue"),
    "resolve": _("Resolution overdue"),
}
DEADLINE_LABELS = {
    "accept": _("Accept by"),
    "respond": _("Respond by"),
    "resolve": _("Resolve by"),
}


# --- field work: patrols and visits (patrols.py) ---------------------------------------------

PATROL_RESULTS = (
    ("ok", _("All right")),
    ("issue", _("Problem")),
    ("skipped", _("Not checked")),
)


class PatrolWalkForm(forms.Form):
    """One walk of a patrol task: a result per checklist item, a note, and a hazard seen on
    the way, which becomes a `patrol` ticket in the same step."""

    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    hazard = forms.CharField(
        label=_("Hazard to report"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    hazard_category = forms.ChoiceField(label=_("Category"), choices=(), required=False)
    hazard_address = forms.CharField(label=_("Where exactly"), required=False, max_length=300)
    hazard_photos = PhotosField(label=_("Photos of the hazard"))
    # The switch that opens the hazard section: a real checkbox, so the POST itself says
    # the worker opened it, with or without JavaScript (a <details> opened on a phone with
    # no script posted nothing, and an empty section was dropped without a word). Its
    # fields filled while it is unticked are neither filed nor dropped: clean() asks.
    hazard_open = forms.BooleanField(
        label=_("Found a hazard? Report it as a ticket"), required=False
    )

    HAZARD_INPUTS = ("hazard", "hazard_category", "hazard_address")

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task
        self.item_names = []
        for index, item in enumerate(task.checklist):
            name = f"item_{index}"
            self.fields[name] = forms.ChoiceField(
                label=item, choices=PATROL_RESULTS, initial="ok", widget=forms.RadioSelect
            )
            self.item_names.append(name)
        self.fields["hazard_category"].choices = category_choices()
        _styled(
            self.fields["hazard"],
            placeholder=_("e.g. Boxes piled in the stairwell of building 3 block the way"),
        )
        _styled(self.fields["hazard_address"], placeholder=_("e.g. <estate> Building 3, Unit 2"))
        self.fields["hazard_photos"].widget.attrs["capture"] = "environment"

    def items(self):
        return [self[name] for name in self.item_names]

    def hazard_filled(self):
        """Whether anything was put in the hazard's fields, as sent (a category not on the
        list or a text too long counts too)."""
        if not self.is_bound:
            return False
        typed = any((self.data.get(self.add_prefix(n)) or "").strip() for n in self.HAZARD_INPUTS)
        return typed or any(self.files.getlist(self.add_prefix("hazard_photos")))

    def clean(self):
        d = super().clean()
        ticked = d.get("hazard_open")
        described = (d.get("hazard") or "").strip() if ticked else ""
        problems = any(d.get(name) == "issue" for name in self.item_names)
        if problems and not (d.get("note") or "").strip() and not described:
            self.add_error("note", _("Say what the problem is, in the note or as a hazard."))
        if not ticked:
            # Unticked after typing: "no hazard after all", or a mis-tap. Filing it would
            # report what the worker withdrew, dropping it would lose their words: ask.
            # (With JavaScript the hidden fields are disabled, so they are not sent.)
            if self.hazard_filled():
                self.add_error(
                    "hazard_open",
                    _(
                        "Hazard details were filled in but “Found a hazard” is not ticked: "
                        "tick it to report them, or clear them to record the patrol without "
                        "a hazard."
                    ),
                )
        elif d.get("hazard_photos") and not described:
            # A photo alone would be recorded with the walk and lost: it goes with the ticket.
            self.add_error("hazard", _("Describe the hazard the photos show."))
        elif not described and (
            d.get("hazard_category") or (d.get("hazard_address") or "").strip()
        ):
            # No description, no ticket: the category and place would go unsaid.
            self.add_error(
                "hazard",
                _(
                    "Describe the hazard, or clear its category and place: without a "
                    "description no ticket is filed."
                ),
            )
        elif not described:
            self.add_error(
                "hazard",
                _(
                    "A hazard was ticked but not described: describe it, or untick "
                    "“Found a hazard” to record the patrol without one."
                ),
            )
        return d

    def results(self):
        return {
            self.task.checklist[i]: self.cleaned_data[name]
            for i, name in enumerate(self.item_names)
        }

    def hazard_data(self):
        """The hazard as patrols.record_patrol takes it, or None."""
        d = self.cleaned_data
        text = (d.get("hazard") or "").strip()
        if not text or not d.get("hazard_open"):
            return None
        hazard = {"title": "", "description": text}
        if d.get("hazard_category"):
            hazard["category"] = d["hazard_category"]
        if (d.get("hazard_address") or "").strip():
            hazard["address"] = d["hazard_address"].strip()
        return hazard


class PatrolTaskForm(forms.Form):
    """A patrol task: its grid, title, checklist (one item a line) and schedule."""

    grid = forms.ChoiceField(label=_("Grid"), choices=())
    title = forms.CharField(label=_("Title"), max_length=200)
    checklist = forms.CharField(
        label=_("Checklist"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One item a line"),
    )
    every_days = forms.IntegerField(label=_("Every N days"), min_value=1, max_value=365, initial=1)
    active = forms.BooleanField(label=_("Walked (active)"), required=False, initial=True)

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        grids = list(grids)
        # Of several grids none is chosen in advance: a street's plan saved without looking
        # went to its first grid (东塘小区). A grid worker's one grid is chosen for them.
        blank = [("", _("Choose a grid"))] if len(grids) > 1 else []
        self.fields["grid"].choices = blank + [(g.code, g.name) for g in grids]
        _styled(
            self.fields["checklist"], placeholder=_("Stairwell clutter\nFire lane\nE-bike charging")
        )

    def items(self):
        return [
            line.strip() for line in self.cleaned_data["checklist"].splitlines() if line.strip()
        ]


class VisitForm(forms.Form):
    """入户走访: what was heard at a household, and a demand heard there filed as a ticket."""

    heard = forms.CharField(
        label=_("What was heard"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    file_demand = forms.BooleanField(
        label=_("A demand to handle: file it as a ticket"), required=False
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    nature = forms.ChoiceField(label=_("Nature"), choices=NATURE_CHOICES, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=(), required=False)
    requester = forms.ChoiceField(label=_("Requester"), required=False)

    def __init__(self, *args, members=(), **kwargs):
        """`members`: [(person id, label)] of the household, for naming the requester."""
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["requester"].choices = [("", _("The household, nobody named")), *members]
        _styled(
            self.fields["heard"],
            placeholder=_(
                "e.g. Lives alone; the stairwell light is out, so going out at night is hard"
            ),
        )

    def clean(self):
        d = super().clean()
        if d.get("file_demand") and not (d.get("heard") or "").strip():
            self.add_error("heard", _("Say what the demand is."))
        if d.get("file_demand") and not d.get("nature") and not self.has_error("nature"):
            self.add_error("nature", NATURE_REQUIRED)
        return d

    def demand_data(self):
        """The demand as patrols.log_visit takes it, or None."""
        d = self.cleaned_data
        if not d.get("file_demand"):
            return None
        demand = {"title": d.get("title") or "", "nature": d["nature"]}
        if d.get("category"):
            demand["category"] = d["category"]
        if d.get("requester"):
            demand["requester"] = int(d["requester"])
        return demand


# --- the 12345 import page (import_views.py) ----------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(label=_("12345 export (CSV or Excel)"))
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Channel.choices, initial=Channel.HOTLINE, required=False
    )
    dry_run = forms.BooleanField(label=_("Only check, import nothing"), required=False)
    skip_imported = forms.BooleanField(
        label=_("Skip the tickets imported before (same 工单编号)"), required=False
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.GRIDGOV_MAX_IMPORT_BYTES:
            limit = settings.GRIDGOV_MAX_IMPORT_BYTES // (1024 * 1024)
            raise forms.ValidationError(_("The file is larger than %(n)s MB.") % {"n": limit})
        # A photo, a PDF … is refused here, by content and name: the import keeps only
        # the suffixes it reads, and would take a .docx (a zip) for a damaged .xlsx.
        problem = sheets.refusal(upload.read(), upload.name)
        upload.seek(0)
        if problem:
            raise forms.ValidationError(problem)
        return upload


class MappingForm(forms.Form):
    """Which column of the file holds each ticket field ("" : none)."""

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, headers=(), **kwargs):
        super().__init__(*args, **kwargs)
        columns = list(dict.fromkeys(h for h in headers if h))
        choices = [("", _("— not in the file —")), *((h, h) for h in columns)]
        for name in imports.FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=imports.field_label(name), choices=choices, required=False
            )

    def mapping(self):
        """{field: [header]}, [] for a field the file does not hold (its usual headers are
        not looked for either)."""
        return {f: [self.cleaned_data[f]] if self.cleaned_data[f] else [] for f in imports.FIELDS}


# --- the routing table page (reference_views.py) -----------------------------------------


class RoutingRuleForm(forms.Form):
    """分类交办表: tickets of this category located under this place go to this department."""

    category = forms.ChoiceField(label=_("Category"), choices=())
    place = forms.ChoiceField(label=_("Where"), choices=(), required=False)
    department = forms.ChoiceField(label=_("Department"), choices=())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, places=(), everywhere=False, **kwargs):
        """`places`: the places the user may write rules for; `everywhere`: may write rules
        without a place (district staff)."""
        super().__init__(*args, **kwargs)
        blank = [("", _("Choose a category"))]
        self.fields["category"].choices = blank + category_choices(include_blank=False)
        choices = [("", _("Everywhere"))] if everywhere else []
        choices += [
            (p.code, f"{INDENT * max(0, len(p.path.strip('/').split('/')) - 2)}{p.name}")
            for p in places
        ]
        self.fields["place"].choices = choices
        # No department chosen in advance: with the first one preselected, a rule saved with
        # only its category sent that category to 区城市管理和综合执法局 unasked.
        self.fields["department"].choices = [("", _("Choose a unit"))] + [
            (d.code, d.name) for d in Department.objects.order_by("code")
        ]

    def clean(self):
        d = super().clean()
        d["category_obj"] = Category.objects.filter(code=d.get("category")).first()
        d["place_obj"] = Place.objects.filter(code=d["place"]).first() if d.get("place") else None
        d["department_obj"] = Department.objects.filter(code=d.get("department")).first()
        return d


# --- the knowledge base page (reference_views.py) ----------------------------------------


class KnowledgeAnswerForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=300)
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 6}))
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=1000,
        help_text=_("Separated by spaces, commas or 、"),
    )
    category = forms.ChoiceField(label=_("Category"), choices=(), required=False)
    active = forms.BooleanField(label=_("Offered to operators"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Any category"))] + category_choices(
            include_blank=False
        )

    def answer_fields(self):
        """The model's fields, as knowledge.save_answer takes them."""
        from .knowledge import split_keywords

        d = self.cleaned_data
        return {
            "question": d["question"].strip(),
            "answer": d["answer"].strip(),
            "keywords": split_keywords(d["keywords"]),
            "category": Category.objects.filter(code=d["category"]).first()
            if d["category"]
            else None,
            "active": d["active"],
        }


class TimeLimitForm(forms.Form):
    """时限表: how long a unit has to accept, respond and resolve, by urgency and category."""

    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    category = forms.ChoiceField(label=_("Category"), choices=(), required=False)
    place = forms.ChoiceField(label=_("District"), choices=(), required=False)
    accept_value = forms.IntegerField(label=_("Accept within"), min_value=1, max_value=10_000)
    accept_unit = forms.ChoiceField(label=_("Unit"), choices=TimeLimit.Unit.choices)
    respond_value = forms.IntegerField(label=_("Respond within"), min_value=1, max_value=10_000)
    respond_unit = forms.ChoiceField(label=_("Unit"), choices=TimeLimit.Unit.choices)
    resolve_value = forms.IntegerField(label=_("Resolve within"), min_value=1, max_value=10_000)
    resolve_unit = forms.ChoiceField(label=_("Unit"), choices=TimeLimit.Unit.choices)
    # Kept in the change record (原因), as 恢复使用全市设置's is.
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args, districts=(), city_wide=False, **kwargs):
        """`districts`: those the user may set limits for; `city_wide`: may set the
        limits for the whole city (superusers)."""
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Every category"))] + category_choices(
            include_blank=False
        )
        choices = [("", _("The whole city"))] if city_wide else []
        self.fields["place"].choices = choices + [(d.code, d.name) for d in districts]
        self.districts = {d.code: d for d in districts}

    def clean(self):
        d = super().clean()
        d["category_obj"] = Category.objects.filter(code=d.get("category")).first()
        d["place_obj"] = self.districts.get(d.get("place"))
        return d


class CalendarDayForm(forms.Form):
    """A date the calendar library gets wrong or does not know yet (next year's holidays)."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(
        label=_("That day is"),
        choices=((True, _("a working day")), (False, _("a day off"))),
        coerce=lambda value: value in (True, "True", "true", "1"),
    )
    note = forms.CharField(label=_("Note"), max_length=100, required=False)


class KpiWeightsForm(forms.Form):
    """考核权重: one weight per rate, and why they change (kept in the history)."""

    def __init__(self, *args, **kwargs):
        from . import kpis

        super().__init__(*args, **kwargs)
        for name in kpis.RATES:
            self.fields[name] = forms.FloatField(
                label=kpis.RATE_LABELS[name],
                min_value=0,
                max_value=kpis.MAX_WEIGHT,
                widget=forms.NumberInput(attrs={"step": "any", "min": 0}),
            )
        self.fields["reason"] = forms.CharField(
            label=_("Reason for the change"), max_length=300, strip=True
        )
        # The district whose weights change (empty: the deployment's); the view decides
        # which it is and whether the user may (reference_views._weights_place).
        self.fields["district"] = forms.CharField(required=False, widget=forms.HiddenInput)
