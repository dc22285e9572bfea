"""Who may see which person, and the logged full view of personal data (DESIGN §8).

Thin wrappers over the people app, so the pages ask exactly what the API asks:
lists come from `visibility.visible_people` (scope narrowing), details and the
reveal button from the `rules` perms, and every full view goes through
`personal_data.reveal`, which writes the AccessLog row.
"""

from gridgov.people import personal_data
from gridgov.people.models import AccessLog
from gridgov.people.personal_data import PurposeRequired  # noqa: F401 (the pages catch it)
from gridgov.people.visibility import visible_people


def may_use_registry(user):
    """Whether the user holds a role that may browse the people registry at all."""
    return user.is_authenticated and user.has_perm("people.view_person")


def people_in_scope(user):
    return visible_people(user)


def can_view_person(user, person):
    return user.has_perm("people.view_person", person)


def can_view_personal_data(user, person):
    return user.has_perm("people.view_personal_data", person)


def reveal_person(request, person, purpose=""):
    """The unmasked personal data of `person`, after logging the view.

    Raises PermissionDenied when the user may not see it and PurposeRequired when
    `purpose` is blank; nothing is logged then.
    """
    return personal_data.reveal(
        request.user, person, None, AccessLog.Channel.WEB, request, purpose=purpose
    )
