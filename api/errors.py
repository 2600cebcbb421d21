"""Every API error is JSON with a Chinese message: {"code": ..., "message": ..., "detail": ...}.

Open311 clients expect a list of {"code", "description"} objects; their views format errors
themselves (see open311), this handler covers every other API view.
"""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from django.conf import settings
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve

from api.public import PublicAPIView

MESSAGES = {
    status.HTTP_400_BAD_REQUEST: "请求格式有误",
    status.HTTP_401_UNAUTHORIZED: "缺少或无效的接口密钥",
    status.HTTP_403_FORBIDDEN: "无权访问",
    status.HTTP_404_NOT_FOUND: "没有找到",
    status.HTTP_405_METHOD_NOT_ALLOWED: "不支持这种请求方法",
    status.HTTP_406_NOT_ACCEPTABLE: "不支持所请求的格式",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "不支持所提交的内容类型",
    status.HTTP_429_TOO_MANY_REQUESTS: "请求过于频繁，请稍后再试",
}


def message_for(status_code: int) -> str:
    return MESSAGES.get(status_code, "请求未能完成")


def exception_handler(exc, context):
    """DRF's handler, with the body rewritten as {"code", "message", "detail"} in Chinese."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        message = message_for(response.status_code)
    elif isinstance(detail, dict) and "detail" in detail and _is_chinese(str(detail["detail"])):
        message = str(detail.pop("detail"))
        detail = detail or None
    else:
        message = message_for(response.status_code)
        detail = None
    response.data = {"code": response.status_code, "message": message, "detail": detail}
    return response


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def json_error(status_code: int, message: str | None = None, detail=None) -> Response:
    return Response(
        {"code": status_code, "message": message or message_for(status_code), "detail": detail},
        status=status_code,
    )


class ApiErrorSerializer(serializers.Serializer):
    """The error body of every API but Open311's (which has its own, as its standard says)."""

    code = serializers.IntegerField(help_text="HTTP 状态码，例如 404")
    message = serializers.CharField(help_text="中文说明，例如“没有找到这位代表”")
    detail = serializers.JSONField(
        allow_null=True, help_text="补充信息：请求有误时为各字段的问题（字段名 → 说明列表），否则为空"
    )


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ApiErrorSerializer, description=description)


NOT_FOUND = error_response("没有找到（JSON 错误，中文说明）")


class UnknownApiPath(PublicAPIView):
    """Any /api/ address no interface answers: a JSON 404, not the site's HTML page.

    Matching every /api/ address, it also keeps CommonMiddleware from adding a missing slash,
    so it does that itself: /api/v1/popolo redirects to /api/v1/popolo/ as elsewhere on the site.
    """

    def dispatch(self, request, *args, **kwargs):
        if settings.APPEND_SLASH and not request.path_info.endswith("/"):
            try:
                match = resolve(request.path_info + "/")
            except Resolver404:
                match = None
            if match is not None and getattr(match.func, "view_class", None) is not UnknownApiPath:
                return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound("没有这个接口地址，可用的接口见 /api/schema/docs/")
