import json

from django.http import HttpResponsePermanentRedirect
from django.urls import is_valid_path

from .errors import MESSAGES, error_body, json_error

API_PREFIXES = ("/api/", "/open311/")


class JsonApiErrorsMiddleware:
    """Unknown URLs and unhandled errors under /api/ answer JSON, even with DEBUG on.

    Django's debug pages are HTML; an API client (and a 311 app) must always get
    the bilingual JSON error body instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIXES)
            and response.status_code in (404, 500)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            code = "not_found" if response.status_code == 404 else "server_error"
            return json_error(request, response.status_code, code)
        return response


class ApiTrailingSlashMiddleware:
    """POST /api/v1/tickets (no slash) answers 308 to /api/v1/tickets/, method and body kept.

    Django's APPEND_SLASH answers 301 (a 500 RuntimeError page with DEBUG on) and an HTTP
    client follows a 301 with a GET: a POST meant to file a ticket came back 200 with the
    ticket list, and nothing was filed. 308 makes clients send the same request again.
    Must come before CommonMiddleware. GET and HEAD keep Django's 301.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (
            request.method not in ("GET", "HEAD")
            and request.path.startswith(API_PREFIXES)
            and not path.endswith("/")
        ):
            urlconf = getattr(request, "urlconf", None)
            if not is_valid_path(path, urlconf) and is_valid_path(f"{path}/", urlconf):
                location = request.get_full_path(force_append_slash=True)
                zh, en = MESSAGES["trailing_slash"]
                body = error_body("trailing_slash", zh, en, {"location": location})
                return HttpResponsePermanentRedirect(
                    location,
                    preserve_request=True,  # 308
                    content=json.dumps(body, ensure_ascii=False),
                    content_type="application/json",
                )
        return self.get_response(request)
