"""报到 from the home page: a new-employment worker (快递员、外卖骑手) or an in-service Party
member registers with their community, which then finds them marked on its people list."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.people.models import CheckIn, PartyMember, Person
from gridgov.places.models import Level


def offer(user):
    """{"kind", "community", "last"} when the user may report to a community, else None.
    An in-service Party member reports to their home community (报到 as a member), anyone
    else marked a new-employment worker to the community they live in."""
    if not user.is_authenticated:
        return None
    person = _person_to_offer(user)
    if person is None:
        return None
    member = getattr(person, "party_member", None)
    if member is not None and member.status == PartyMember.Status.IN_SERVICE:
        kind = CheckIn.Kind.PARTY_MEMBER
        community = member.home_community or person.place.ancestor_at(Level.COMMUNITY)
    elif person.new_employment:
        kind = CheckIn.Kind.NEW_EMPLOYMENT
        community = person.place.ancestor_at(Level.COMMUNITY)
    else:
        return None
    if community is None:
        return None
    last = CheckIn.objects.filter(person=person, kind=kind, community_id=community.pk).first()
    return {"person": person, "kind": kind, "community": community, "last": last}


def _person_to_offer(user):
    """The login's person if it may be an in-service Party member or a new-employment
    worker, with its membership and place; else None. Asked on every home page, where most
    logins are neither: one light query says so (reading the person, then its membership,
    took two). What is read is kept on the login as `user.person` keeps it: the home page's
    panels ask for it too."""
    login = Person._meta.get_field("user")
    if login.remote_field.is_cached(user):
        return login.remote_field.get_cached_value(user)  # offer() looks at it itself
    found = Person.objects.filter(user_id=user.pk).values_list(
        "new_employment", "party_member__status"
    )[:1]
    row = next(iter(found), None)
    if row is None:
        login.remote_field.set_cached_value(user, None)
        return None
    new_employment, member_status = row
    if not new_employment and member_status != PartyMember.Status.IN_SERVICE:
        return None
    person = (
        Person.objects.filter(user_id=user.pk)
        .select_related("place", "party_member__home_community")
        .first()
    )
    login.remote_field.set_cached_value(user, person)
    if person is not None:
        login.set_cached_value(person, user)
    return person


@login_required
@require_POST
def check_in(request):
    found = offer(request.user)
    if found is None:
        raise PermissionDenied(
            _(
                "Only new-employment workers and in-service Party members report to a community here."
            )
        )
    if found["last"] is not None:
        return redirect("home")
    record = CheckIn(person=found["person"], community=found["community"], kind=found["kind"])
    if not request.user.has_perm("people.add_check_in", record):
        raise PermissionDenied
    record.full_clean()
    with transaction.atomic():
        # Checked again under the person's row lock: two presses at once (a double click)
        # both found no check-in above, and both wrote one.
        Person.objects.select_for_update().filter(pk=record.person_id).first()
        already = CheckIn.objects.filter(
            person_id=record.person_id, kind=record.kind, community_id=record.community_id
        )
        if not already.exists():
            record.save()
    return redirect("home")
