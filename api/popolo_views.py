"""Popolo JSON at /api/v1/popolo/: the whole district in one document, each list on its own,
and one person, organization or membership."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api.errors import NOT_FOUND
from api.popolo import Popolo
from api.popolo_serializers import (
    PopoloDocumentSerializer,
    PopoloMembershipSerializer,
    PopoloOrganizationDetailSerializer,
    PopoloOrganizationSerializer,
    PopoloPersonDetailSerializer,
    PopoloPersonSerializer,
    PopoloPostSerializer,
)
from api.public import PublicAPIView

TAG = "Popolo：代表、联络站与任职"
PUBLIC_ONLY = (
    "只含公众可见的内容：在任代表的公开信息（不含任何电话、邮箱、证件号、住址），已发布且不受访问限制的联络站。"
)


class PopoloView(PublicAPIView):
    """A read-only Popolo answer built by api.popolo."""

    def popolo(self, request) -> Popolo:
        return Popolo(request)


class DocumentView(PopoloView):
    @extend_schema(
        operation_id="popolo_document",
        summary="Popolo 全量文档",
        description="全区的代表（persons）、街道与联络站（organizations）、任职（memberships）和岗位（posts），"
        "一次取回。" + PUBLIC_ONLY,
        responses={200: PopoloDocumentSerializer},
        tags=[TAG],
    )
    def get(self, request):
        return Response(self.popolo(request).document())


class PersonListView(PopoloView):
    @extend_schema(
        operation_id="popolo_persons",
        summary="代表列表（Popolo Person）",
        description="全部在任代表，按姓名排序。" + PUBLIC_ONLY,
        responses={200: PopoloPersonSerializer(many=True)},
        tags=[TAG],
    )
    def get(self, request):
        return Response(self.popolo(request).persons())


class PersonDetailView(PopoloView):
    @extend_schema(
        operation_id="popolo_person",
        summary="一位代表（Popolo Person）",
        description="代表的公开信息及其在公开联络站的任职（含已离站的）。编号即 person/<编号> 中的数字。",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="代表编号")],
        responses={200: PopoloPersonDetailSerializer, 404: NOT_FOUND},
        tags=[TAG],
    )
    def get(self, request, id):
        return _found(self.popolo(request).person(id), "没有找到这位代表")


class OrganizationListView(PopoloView):
    @extend_schema(
        operation_id="popolo_organizations",
        summary="组织列表：街道与联络站（Popolo Organization）",
        description="先列街道（classification 为“街道”），再按站点树的顺序列联络站；parent_id 指向上级联络站，"
        "street_id 指向所属街道。",
        responses={200: PopoloOrganizationSerializer(many=True)},
        tags=[TAG],
    )
    def get(self, request):
        return Response(self.popolo(request).organizations())


class StationDetailView(PopoloView):
    @extend_schema(
        operation_id="popolo_station",
        summary="一个联络站（Popolo Organization）",
        description="联络站及其任职与岗位。编号即 station/<编号> 中的数字。",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="联络站编号")],
        responses={200: PopoloOrganizationDetailSerializer, 404: NOT_FOUND},
        tags=[TAG],
    )
    def get(self, request, id):
        return _found(self.popolo(request).station(id), "没有找到这个联络站")


class StreetDetailView(PopoloView):
    @extend_schema(
        operation_id="popolo_street",
        summary="一个街道（Popolo Organization）",
        description="街道。编号即 street/<编号> 中的数字。",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="街道编号")],
        responses={200: PopoloOrganizationSerializer, 404: NOT_FOUND},
        tags=[TAG],
    )
    def get(self, request, id):
        return _found(self.popolo(request).street(id), "没有找到这个街道")


class MembershipListView(PopoloView):
    @extend_schema(
        operation_id="popolo_memberships",
        summary="任职列表（Popolo Membership）",
        description="代表在联络站的任职：在任的 end_date 为空，已离站的保留并带离站日期。",
        responses={200: PopoloMembershipSerializer(many=True)},
        tags=[TAG],
    )
    def get(self, request):
        return Response(self.popolo(request).memberships())


class MembershipDetailView(PopoloView):
    @extend_schema(
        operation_id="popolo_membership",
        summary="一项任职（Popolo Membership）",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="任职编号")],
        responses={200: PopoloMembershipSerializer, 404: NOT_FOUND},
        tags=[TAG],
    )
    def get(self, request, id):
        return _found(self.popolo(request).membership(id), "没有找到这项任职")


class PostListView(PopoloView):
    @extend_schema(
        operation_id="popolo_posts",
        summary="岗位列表（Popolo Post）",
        description="各联络站有人担任过的站长、副站长、联络员岗位；进站代表是任职，不是岗位。",
        responses={200: PopoloPostSerializer(many=True)},
        tags=[TAG],
    )
    def get(self, request):
        return Response(self.popolo(request).posts())


def _found(data, message: str) -> Response:
    if data is None:
        raise NotFound(message)
    return Response(data)
