"""The staff page's form for issuing a key."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.people.scope import scope_for
from gridgov.tickets.models import Channel

from . import keys
from .models import ApiKey, Jurisdiction


def jurisdictions_for(user):
    """Jurisdictions the user may bind keys to (a street's is made on first sight)."""
    keys.ensure_street_jurisdictions()
    scope = scope_for(user)
    found = Jurisdiction.objects.filter(active=True).select_related("place")
    return [j for j in found if scope.covers(j.place, {Role.STREET_STAFF, Role.DISTRICT_STAFF})]


class IssueKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "contact", "channel", "jurisdiction", "rate_limit", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        allowed = jurisdictions_for(user)
        field = self.fields["jurisdiction"]
        field.queryset = Jurisdiction.objects.filter(pk__in=[j.pk for j in allowed])
        self.may_issue_unbound = user.is_superuser or scope_for(user).has_role(
            {Role.DISTRICT_STAFF}
        )
        if not self.may_issue_unbound:
            field.required = True
            field.empty_label = None
            field.help_text = ""
        else:
            field.empty_label = _("Every jurisdiction")
        self.fields["channel"].choices = [
            (value, label) for value, label in Channel.choices if value != Channel.PATROL
        ]
        self.fields["rate_limit"].widget.attrs.update(min=1, max=10000)

    def clean_rate_limit(self):
        value = self.cleaned_data["rate_limit"]
        if not 1 <= value <= 10000:
            raise forms.ValidationError(_("Between 1 and 10,000 requests per minute."))
        return value
