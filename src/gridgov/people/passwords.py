"""Initial passwords: a login whose password was set by someone else must change it.

The staff import and the admin (adding a user with a password, or a superuser resetting
a forgotten one) call `require_change`; the holder's own change at /password/ calls
`changed`. Until then web.middleware.InitialPasswordMiddleware sends their browser to
/password/ and refuses the API on their session, and the token endpoint gives them no
token (api.authentication.ObtainAuthToken). Tokens issued before a superuser's reset in the
admin keep working: they belong to integrations set up by staff and are revoked there (令牌).

A street's or community's administrator resets the password of staff of their area with
`reset` (重置密码, web.staff_logins and POST /api/v1/people/staff/{username}/reset-password/;
who may: assignments.may_reset_password). That login may be in other hands, so the reset
also ends its sessions and revokes its API token. Every reset, on the page, through the
API or in the admin, is a PasswordReset row.

The demo's logins are never marked: they share one published password (gridgov-demo)
that every visitor of the demo is meant to use.
"""

import secrets

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from rest_framework.authtoken.models import Token

from .models import InitialPassword, PasswordReset

# Letters and digits that cannot be misread when a password is read out or copied by hand.
PASSWORD_CHARS = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_password():
    return "".join(secrets.choice(PASSWORD_CHARS) for _i in range(10))


def require_change(user, reason):
    InitialPassword.objects.update_or_create(user=user, defaults={"reason": reason})
    # A user object loaded before (the request's) must not answer from its cache.
    user.__dict__.pop("_must_change_password", None)
    user._state.fields_cache.pop("initial_password", None)


def changed(user):
    InitialPassword.objects.filter(user=user).delete()
    user._must_change_password = False


def reset(user, by, *, ip=None, channel=PasswordReset.Channel.WEB):
    """A new initial password for `user`, set by their area's administrator `by` on the
    staff logins page or through the API (`channel`): returned to be shown once. Their sessions end (Django's session check fails once the password
    hash changes, on their next request) and their API token is revoked."""
    password = new_password()
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        require_change(user, InitialPassword.Reason.AREA_RESET)
        revoked, _per_model = Token.objects.filter(user=user).delete()
        _record(user, by, channel, ip, tokens_revoked=revoked)
    return password


def logged_admin_reset(user, by, *, ip=None):
    """The PasswordReset row of a superuser's reset in the admin (tokens kept)."""
    _record(user, by, PasswordReset.Channel.ADMIN, ip)


def _record(user, by, channel, ip, **more):
    PasswordReset.objects.create(
        user=user, username=user.get_username(), reset_by=by, channel=channel, ip=ip, **more
    )


def must_change(user):
    """Whether `user` still signs in with a password someone else set."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = user.__dict__.get("_must_change_password")
    if cached is not None:
        return cached
    try:
        # Loaded with the user by Backend.get_user: no query on each request.
        user.initial_password  # noqa: B018
        answer = True
    except ObjectDoesNotExist:
        answer = False
    user._must_change_password = answer
    return answer


class Backend(ModelBackend):
    """Django's ModelBackend, loading the session's user with their initial-password row."""

    def get_user(self, user_id):
        from django.contrib.auth import get_user_model

        User = get_user_model()
        try:
            user = User._default_manager.select_related("initial_password").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
