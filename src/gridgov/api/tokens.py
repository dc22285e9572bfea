"""POST /api/v1/auth/token/: a token for username and password.

Not in api.authentication: DRF's views import the authentication classes' module."""

from rest_framework.authtoken import views as authtoken_views

from gridgov.people.passwords import must_change

from .errors import coded_error


class ObtainAuthToken(authtoken_views.ObtainAuthToken):
    """POST /api/v1/auth/token/: DRF's, but no token for a login still on an initial password.

    Otherwise the password handed out by the staff import (or reset by an administrator)
    would be a way around changing it (people.passwords).
    """

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if must_change(serializer.validated_data["user"]):
            raise coded_error(403, "password_change_required")
        return super().post(request, *args, **kwargs)
