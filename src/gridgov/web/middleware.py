from django.conf import settings

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
