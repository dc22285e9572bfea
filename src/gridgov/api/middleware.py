from .errors import json_error

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
