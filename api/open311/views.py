"""Open311 GeoReport v2 at /open311/v2/: services, service definitions, service requests.

Every path takes Open311's format suffix (.json or .xml). Reading is public; sending a
request needs a client system's API key (issued in the admin). Every error is Open311's
error list, `[{"code": <status>, "description": "中文说明"}]` (XML: `<errors><error>…`),
with the HTTP status it names; nothing is stored when the answer is an error.
"""

from __future__ import annotations

import datetime as dt

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from api.errors import message_for
from api.models import PREFIX_LENGTH, ApiKey, Open311Action
from api.open311 import data, docs
from api.open311.formats import (
    ERRORS,
    Open311Error,
    Open311JSONRenderer,
    Open311XMLParser,
    Open311XMLRenderer,
)
from api.open311.submit import TOO_MANY_SUBMISSIONS, service_notice, take_in_request
from api.public import PublicAPIView
from base import audit
from base.ids import parse_id
from workflows.models import Category

MAX_IDS = 200  # receipt numbers in one service_request_id list

FORMAT = OpenApiParameter(
    "fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["json", "xml"], description="返回格式（Open311 后缀）"
)
JURISDICTION = OpenApiParameter(
    "jurisdiction_id", OpenApiTypes.STR, OpenApiParameter.QUERY, description="辖区编号（可省略；填写时须与本区一致）"
)
TAGS = ["Open311 GeoReport v2"]


class SuffixNegotiation(DefaultContentNegotiation):
    """The path's suffix decides the format, whatever the Accept header says."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or "json"
        for renderer in renderers:
            if renderer.format == wanted:
                return renderer, renderer.media_type
        return renderers[0], renderers[0].media_type


def as_open311_error(exc) -> Open311Error | None:
    if isinstance(exc, Open311Error):
        return exc
    if isinstance(exc, Http404 | exceptions.NotFound):
        return Open311Error(404, "没有找到。")
    if isinstance(exc, exceptions.ParseError):
        return Open311Error(400, "请求内容无法解析：JSON、XML 或表单格式有误。")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return Open311Error(
            400, "不支持所提交的内容类型：请用表单（application/x-www-form-urlencoded）、JSON 或 XML 提交。"
        )
    if isinstance(exc, exceptions.APIException):
        return Open311Error(exc.status_code, message_for(exc.status_code))
    return None


class Open311View(PublicAPIView):
    renderer_classes = [Open311JSONRenderer, Open311XMLRenderer]
    parser_classes = [FormParser, MultiPartParser, JSONParser, Open311XMLParser]
    content_negotiation_class = SuffixNegotiation
    throttle_classes = []

    def get_format_suffix(self, **kwargs):
        return kwargs.get("fmt")

    def handle_exception(self, exc):
        error = as_open311_error(exc)
        if error is None:
            return super().handle_exception(exc)
        response = Response(error.as_list(), status=error.status_code)
        response.open311_xml = ERRORS
        response.exception = True
        return response

    def check_jurisdiction(self, value, *, required: bool) -> None:
        value = (value or "").strip() if isinstance(value, str) else ""
        if not value:
            if required:
                raise Open311Error(400, "缺少辖区编号 jurisdiction_id。")
            return
        if value != data.jurisdiction():
            raise Open311Error(404, f"没有这个辖区：{value[:40]}。本接口的辖区编号是 {data.jurisdiction()}。")


def category_for(code) -> Category:
    pk = parse_id(str(code).strip()) if code is not None else None
    category = Category.objects.filter(pk=pk).first() if pk is not None else None
    if category is None:
        raise Open311Error(404, f"没有这个服务类别（service_code）：{str(code)[:20]}。")
    return category


class ServiceListView(Open311View):
    xml_root, xml_item = "services", "service"

    @extend_schema(
        operation_id="open311_services",
        summary="服务类别（意见分类）",
        description="群众意见的分类，每类一个 service_code。",
        tags=TAGS,
        parameters=[FORMAT, JURISDICTION],
        responses={200: docs.ServiceSerializer(many=True), 404: docs.ErrorSerializer(many=True)},
    )
    def get(self, request, fmt):
        self.check_jurisdiction(request.query_params.get("jurisdiction_id"), required=False)
        return Response(data.services())


class ServiceDefinitionView(Open311View):
    xml_root, xml_item = "service_definition", "attribute"

    @extend_schema(
        operation_id="open311_service_definition",
        summary="服务定义（提交时要填的属性）",
        description="提交意见时除 Open311 标准字段外要填写的属性：站点（必填）、标题、是否同意公开答复。",
        tags=TAGS,
        parameters=[FORMAT, JURISDICTION],
        responses={200: docs.ServiceDefinitionSerializer, 404: docs.ErrorSerializer(many=True)},
    )
    def get(self, request, service_code, fmt):
        self.check_jurisdiction(request.query_params.get("jurisdiction_id"), required=False)
        return Response(data.definition(category_for(service_code)))


def parse_moment(value: str, name: str, *, end: bool = False) -> dt.datetime:
    """A W3C date-time (2010-01-01T00:00:00Z) or a date; a date-time without offset is local."""
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is not None:
                moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, f"{name} 的格式应为 W3C 日期时间，例如 2026-01-01T00:00:00+08:00。")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def comma_list(params, name: str) -> list[str]:
    return [part.strip() for value in params.getlist(name) for part in value.split(",") if part.strip()]


class ServiceRequestsView(Open311View):
    xml_root, xml_item = "service_requests", "request"

    @extend_schema(
        operation_id="open311_requests",
        summary="查询意见（服务请求）",
        description=(
            "按类别、状态（open/closed）和提交时间（默认最近 90 天，跨度不超过 90 天）查询，"
            "最新的在前，最多返回 1000 条；给出 service_request_id（回执编号，逗号分隔）时忽略其他条件。"
            "不含姓名、电话、标题和意见原文；办理结果经审核公开后才给出公开摘要（description）。"
        ),
        tags=TAGS,
        parameters=[
            FORMAT,
            JURISDICTION,
            OpenApiParameter("service_request_id", OpenApiTypes.STR, description="回执编号，可用逗号分隔多个"),
            OpenApiParameter("service_code", OpenApiTypes.STR, description="服务类别，可用逗号分隔多个"),
            OpenApiParameter("status", OpenApiTypes.STR, description="open 或 closed，可用逗号分隔"),
            OpenApiParameter("start_date", OpenApiTypes.DATETIME, description="最早提交时间（W3C 格式）"),
            OpenApiParameter("end_date", OpenApiTypes.DATETIME, description="最晚提交时间（W3C 格式）"),
        ],
        responses={
            200: docs.ServiceRequestSerializer(many=True),
            400: docs.ErrorSerializer(many=True),
            404: docs.ErrorSerializer(many=True),
        },
    )
    def get(self, request, fmt):
        params = request.query_params
        self.check_jurisdiction(params.get("jurisdiction_id"), required=False)
        queryset = data.requests_queryset()
        ids = comma_list(params, "service_request_id")
        if ids:
            if len(ids) > MAX_IDS:
                raise Open311Error(400, f"一次最多查询 {MAX_IDS} 个回执编号。")
            queryset = queryset.filter(receipt_no__in=[value.upper() for value in ids])
        else:
            queryset = self.filtered(queryset, params)
        rows = queryset.order_by("-created_at", "-pk")[: data.max_requests()]
        tz = timezone.get_current_timezone()
        return Response([data.service_request(row, tz) for row in rows])

    def filtered(self, queryset, params):
        codes = comma_list(params, "service_code")
        if codes:
            pks = {parse_id(code) for code in codes}
            if None in pks or Category.objects.filter(pk__in=pks).count() != len(pks):
                raise Open311Error(404, "没有这个服务类别（service_code）。")
            queryset = queryset.filter(category_id__in=pks)
        statuses = {value.lower() for value in comma_list(params, "status")}
        if not statuses <= {"open", "closed"}:
            raise Open311Error(400, "status 只能是 open 或 closed。")
        if statuses == {"open"}:
            queryset = queryset.exclude(state__in=data.CLOSED_STATES)
        elif statuses == {"closed"}:
            queryset = queryset.filter(state__in=data.CLOSED_STATES)
        start = parse_moment(params["start_date"], "start_date") if params.get("start_date") else None
        end = parse_moment(params["end_date"], "end_date", end=True) if params.get("end_date") else None
        if start is None and end is None:
            end = timezone.now()
        if start is None:
            start = end - data.MAX_SPAN
        if end is None:
            end = start + data.MAX_SPAN
        if end < start:
            raise Open311Error(400, "end_date 不能早于 start_date。")
        if end - start > data.MAX_SPAN + dt.timedelta(days=1):
            raise Open311Error(400, "start_date 与 end_date 的跨度不能超过 90 天。")
        return queryset.filter(created_at__gte=start, created_at__lte=end)

    @extend_schema(
        operation_id="open311_create_request",
        summary="提交意见（需要接口密钥）",
        description=(
            "其他系统（如 12345 热线）代群众提交一条意见，与网站表单同样校验、同样限流、同样防重复提交。"
            "必填：jurisdiction_id、api_key、service_code、attribute[station]、description、"
            "last_name/first_name（姓名）、phone（11 位手机号）。"
            "同一 idempotency_key 重复提交返回第一次的回执编号。"
            "错误：400 参数有误或缺少辖区编号，401 密钥无效，403 密钥已吊销，"
            "404 辖区或服务类别不存在，429 提交过于频繁。"
        ),
        tags=TAGS,
        parameters=[FORMAT],
        request={
            "application/x-www-form-urlencoded": docs.CreateRequestSerializer,
            "application/json": docs.CreateRequestSerializer,
            "application/xml": docs.CreateRequestSerializer,
        },
        responses={
            201: docs.CreatedSerializer(many=True),
            200: docs.CreatedSerializer(many=True),
            400: docs.ErrorSerializer(many=True),
            401: docs.ErrorSerializer(many=True),
            403: docs.ErrorSerializer(many=True),
            404: docs.ErrorSerializer(many=True),
            429: docs.ErrorSerializer(many=True),
        },
    )
    def post(self, request, fmt):
        body = request.data  # a malformed body raises ParseError here: 400
        if not hasattr(body, "get") or not hasattr(body, "keys"):
            raise Open311Error(400, "请求内容应为表单、JSON 对象或 XML 元素。")
        self.check_jurisdiction(
            body.get("jurisdiction_id") or request.query_params.get("jurisdiction_id"), required=True
        )
        key = self.authenticated_key(request, body)
        try:
            code = body.get("service_code")
            if code is None or (isinstance(code, str) and not code.strip()):
                raise Open311Error(400, "缺少服务类别 service_code。")
            category = category_for(code)
            outcome = take_in_request(request, body, key, str(category.pk))
            if outcome.limited:
                raise Open311Error(429, TOO_MANY_SUBMISSIONS)
            if outcome.errors:
                raise Open311Error(400, "；".join(outcome.errors))
        except Open311Error as error:
            key.touch()
            audit.record(
                Open311Action.KEY_USED,
                obj=key,
                username=key.client_name,
                outcome="refused",
                status=error.status_code,
                reason=error.description[:200],
            )
            raise
        key.touch()
        opinion = outcome.opinion
        audit.record(
            Open311Action.KEY_USED,
            obj=key,
            username=key.client_name,
            outcome="created" if outcome.created else "replayed",
            status=201 if outcome.created else 200,
            receipt_no=opinion.receipt_no,
        )
        body_out = [{"service_request_id": opinion.receipt_no, "service_notice": service_notice(opinion)}]
        return Response(body_out, status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)

    def authenticated_key(self, request, body) -> ApiKey:
        raw = body.get("api_key")
        raw = raw.strip() if isinstance(raw, str) else ""
        if not raw:
            raise Open311Error(401, "缺少接口密钥 api_key。")
        key = ApiKey.objects.for_raw_key(raw)
        if key is None:
            audit.record(Open311Action.KEY_REFUSED, username="开放接口", reason="无效密钥", prefix=raw[:PREFIX_LENGTH])
            raise Open311Error(401, "接口密钥无效。")
        if not key.is_active:
            audit.record(Open311Action.KEY_REFUSED, obj=key, username=key.client_name, reason="密钥已吊销")
            raise Open311Error(403, "接口密钥已吊销，请联系区人大常委会代表工委重新签发。")
        return key


class ServiceRequestView(Open311View):
    xml_root, xml_item = "service_requests", "request"

    @extend_schema(
        operation_id="open311_request",
        summary="查询一条意见的办理状态",
        description="按回执编号查询；返回一个只含一条记录的列表（Open311 的约定）。",
        tags=TAGS,
        parameters=[FORMAT, JURISDICTION],
        responses={200: docs.ServiceRequestSerializer(many=True), 404: docs.ErrorSerializer(many=True)},
    )
    def get(self, request, request_id, fmt):
        self.check_jurisdiction(request.query_params.get("jurisdiction_id"), required=False)
        row = data.requests_queryset().filter(receipt_no=request_id.strip().upper()[:20]).first()
        if row is None:
            raise Open311Error(404, f"没有这个回执编号：{request_id[:20]}。")
        return Response([data.service_request(row)])
