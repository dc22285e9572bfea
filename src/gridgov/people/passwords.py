"""Initial passwords: a login whose password was set by someone else must change it.

The staff import and the admin (adding a user with a password, or a superuser resetting
a forgotten one) call `require_change`; the holder's own change at /password/ calls
`changed`. Until then web.middleware.InitialPasswordMiddleware sends their browser to
/password/ and refuses the API on their session, and the token endpoint gives them no
token (api.authentication.ObtainAuthToken). Tokens issued before a reset keep working:
they belong to integrations set up by staff and are revoked in the admin (令牌), not by a
password reset.

The demo's logins are never marked: they share one published password (gridgov-demo)
that every visitor of the demo is meant to use.
"""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ObjectDoesNotExist

from .models import InitialPassword


def require_change(user, reason):
    InitialPassword.objects.update_or_create(user=user, defaults={"reason": reason})
    # A user object loaded before (the request's) must not answer from its cache.
    user.__dict__.pop("_must_change_password", None)
    user._state.fields_cache.pop("initial_password", None)


def changed(user):
    InitialPassword.objects.filter(user=user).delete()
    user._must_change_password = False


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
