"""The OpenAPI schema's error answers: every operation lists the errors it can give.

Most views declared only their 200, so a client generated from /api/schema/ (or someone
reading /api/docs/) learnt of the 401, 403, 404 and 400 — and of the project's one error
body, `{"error": {"code", "message", "message_en", "detail"}}` — only by meeting them.
An error an operation declares itself (with its own description) is kept.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers

WRITES = ("POST", "PUT", "PATCH", "DELETE")


class ApiErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="invalid, not_authenticated, permission_denied …")
    message = serializers.CharField(help_text="中文")
    message_en = serializers.CharField(help_text="English")
    detail = serializers.JSONField(
        required=False, help_text="Field errors ({field: [messages]}), or what was refused"
    )


class ApiErrorSerializer(serializers.Serializer):
    error = ApiErrorBodySerializer()


class ErrorsAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in self.error_codes():
            if code not in responses:
                answer = OpenApiResponse(ApiErrorSerializer, description=description)
                responses[code] = self._get_response_for_code(answer, code, direction=direction)
        return responses

    def error_codes(self):
        """(status, description) of the errors this operation can answer."""
        checks = [p for p in self.view.get_permissions() if not isinstance(p, permissions.AllowAny)]
        signed_in = bool(checks) and {} not in self.get_auth()
        found = []
        queried = self._get_filter_parameters() or any(
            isinstance(p, OpenApiParameter) and p.location == OpenApiParameter.QUERY
            for p in self.get_override_parameters()
        )
        if self.method in WRITES or queried:
            found.append(("400", "Bad parameters: field errors in detail"))
        if signed_in:
            found.append(("401", "Not signed in, or the token is wrong"))
        if signed_in or (checks and self.method in WRITES):
            found.append(("403", "Not allowed"))
        if self.method in ("POST", "PUT", "PATCH"):
            found.append(("415", "A body type the operation does not read (see its request)"))
        if "{" in self.path:
            found.append(("404", "Not found, or outside your area"))
        elif self.method == "GET" and self._get_pagination_parameters():
            found.append(("404", "No such page"))
        return found
