from django.conf import settings
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

from gridgov.api.errors import json_error
from gridgov.people.passwords import must_change

API_PREFIXES = ("/api/", "/open311/")


class ChineseByDefaultMiddleware:
    """Pages are in Chinese unless the user picked another language.

    A browser's Accept-Language would otherwise switch a street office's
    English-configured PC to English; the language switcher's cookie is the
    user's real choice. API clients still negotiate with Accept-Language.
    Must come before LocaleMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = settings.LANGUAGE_COOKIE_NAME in request.COOKIES
        if not chosen and not request.path.startswith(API_PREFIXES):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


# Pages a login with an initial password may still open: changing it, leaving, the
# language switch, and the load balancer's check.
BEFORE_CHANGE = {"web-password", "web-password-done", "login", "logout", "set_language", "healthz"}


class InitialPasswordMiddleware:
    """A login whose password someone else set (people.passwords) changes it first.

    Every page sends their browser to /password/, and the API on their session answers
    403 password_change_required. Must come after AuthenticationMiddleware. Requests with
    a token are not seen here (DRF authenticates them in the view): see people.passwords.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if must_change(request.user) and not self.allowed(request):
            if request.path.startswith(API_PREFIXES):
                return json_error(request, 403, "password_change_required")
            return redirect("web-password")
        return self.get_response(request)

    @staticmethod
    def allowed(request):
        if request.path.startswith(settings.STATIC_URL):
            return True
        try:
            return resolve(request.path_info).url_name in BEFORE_CHANGE
        except Resolver404:
            return False
