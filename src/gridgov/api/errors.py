"""JSON errors with a Chinese and an English message for every API failure."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# code -> (中文, English)
MESSAGES = {
    "invalid": ("请求参数有误", "The request is invalid"),
    "parse_error": ("请求格式无法解析", "The request body could not be parsed"),
    "not_authenticated": ("请先登录或提供令牌", "Authentication credentials were not provided"),
    "authentication_failed": ("身份验证失败", "Authentication failed"),
    "permission_denied": ("无权执行此操作或超出辖区范围", "Not allowed, or outside your area"),
    "not_found": ("未找到该资源", "Not found"),
    "method_not_allowed": ("不支持该请求方法", "Method not allowed"),
    "not_acceptable": ("无法提供所请求的格式", "Requested format not acceptable"),
    "unsupported_media_type": ("不支持的上传格式", "Unsupported media type"),
    "throttled": ("请求过于频繁，请稍后再试", "Too many requests, try again later"),
    "payload_too_large": ("上传内容过大", "Upload too large"),
    "conflict": ("状态冲突", "Conflict with the current state"),
    "trailing_slash": (
        "接口地址以斜杠结尾：请向 Location 所示地址重新提交",
        "API URLs end with a slash: send the request again to the Location given",
    ),
    "server_error": ("服务器内部错误", "Internal server error"),
    "password_change_required": (
        "请先修改初始密码：在网页登录后于 /password/ 修改",
        "Change your initial password first: sign in on the web and change it at /password/",
    ),
}


class ApiError(exceptions.APIException):
    """An error with an explicit bilingual message, e.g. ApiError(400, "outside_area", zh, en)."""

    def __init__(self, status_code, code, message_zh, message_en, detail=None):
        self.status_code = status_code
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(detail=detail or message_en, code=code)
        # DRF turns every value in `detail` into a string; clients want row 3 as 3.
        self.raw_detail = detail


def bilingual_error(status_code, code, message, detail=None, **params):
    """ApiError with `message` (an English msgid) in Chinese and in English."""
    from django.utils import translation

    with translation.override("zh-hans"):
        zh = translation.gettext(message) % params
    with translation.override("en"):
        en = translation.gettext(message) % params
    return ApiError(status_code, code, zh, en, detail)


def coded_error(status_code, code, detail=None):
    """ApiError with the project's standard message for `code` (see MESSAGES)."""
    zh, en = MESSAGES[code]
    return ApiError(status_code, code, zh, en, detail)


def error_body(code, message_zh, message_en, detail=None):
    body = {"error": {"code": code, "message": message_zh, "message_en": message_en}}
    if detail is not None:
        body["error"]["detail"] = detail
    return body


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        body = error_body(exc.code, exc.message_zh, exc.message_en, exc.raw_detail)
        return Response(body, status=exc.status_code, headers=response.headers)
    code = getattr(exc, "default_code", "invalid")
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
    zh, en = MESSAGES.get(code, MESSAGES["invalid"])
    detail = response.data
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        detail = detail["detail"]
    response.data = error_body(code, zh, en, detail)
    return response


def json_error(request, status_code, code):
    zh, en = MESSAGES[code]
    return JsonResponse(error_body(code, zh, en), status=status_code)


def not_found(request, exception=None):
    if request.path.startswith(("/api/", "/open311/")):
        return json_error(request, status.HTTP_404_NOT_FOUND, "not_found")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(("/api/", "/open311/")):
        return json_error(request, status.HTTP_500_INTERNAL_SERVER_ERROR, "server_error")
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request)
