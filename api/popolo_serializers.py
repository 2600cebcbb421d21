"""The shapes of the Popolo JSON answers, for the OpenAPI description.

The views build plain dicts (api.popolo: tens of thousands of objects, no per-field serializer
work); these serializers only describe them, property for property, with the Popolo schemas'
names. tests/test_popolo.py checks the answers against the Popolo JSON schemas themselves.
"""

from rest_framework import serializers


def _text(help_text: str, **extra):
    return serializers.CharField(help_text=help_text, **extra)


def _optional(help_text: str):
    return serializers.CharField(help_text=help_text, allow_null=True, required=False)


class PopoloLinkSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="网址")
    note = _optional("说明，例如“代表主页”")


class PopoloContactDetailSerializer(serializers.Serializer):
    type = _text("联系方式类型：address（地址）或 voice（电话）")
    label = _optional("名称")
    value = _text("内容")


class PopoloIdentifierSerializer(serializers.Serializer):
    scheme = _optional("编码体系，例如“行政区划代码”")
    identifier = _text("编码")


class PopoloMembershipSerializer(serializers.Serializer):
    id = _text("任职的标识，形如 membership/<编号>")
    label = _text("说明，例如“东平巷代表联络站站长”")
    role = _text("职务：站长、副站长、联络员或进站代表")
    role_code = _text("职务代码：head、deputy_head、liaison、resident")
    person_id = _text("代表（person/<编号>）")
    organization_id = _text("联络站（station/<编号>）")
    post_id = _optional("岗位（post/<站点编号>/<职务代码>）；进站代表没有岗位")
    start_date = serializers.DateField(help_text="进站日期", allow_null=True)
    end_date = serializers.DateField(help_text="离站日期；仍在站为空", allow_null=True)


class PopoloPostSerializer(serializers.Serializer):
    id = _text("岗位的标识，形如 post/<站点编号>/<职务代码>")
    label = _text("岗位名称，例如“东平巷代表联络站站长”")
    role = _text("职务：站长、副站长或联络员")
    role_code = _text("职务代码：head、deputy_head、liaison")
    organization_id = _text("所在联络站（station/<编号>）")


class PopoloPersonSerializer(serializers.Serializer):
    id = _text("代表的标识，形如 person/<编号>")
    name = _text("姓名")
    gender = serializers.ChoiceField(
        choices=["female", "male"], allow_null=True, help_text="性别：female（女）或 male（男）"
    )
    image = serializers.URLField(allow_null=True, help_text="公开照片的网址")
    summary = _text("一句话介绍：代表层级与届别")
    biography = _optional("简介")
    links = PopoloLinkSerializer(many=True, help_text="代表主页与接待值班日历")
    congress_level = serializers.ChoiceField(
        choices=["national", "provincial", "city", "district", "street"], help_text="代表层级代码"
    )
    congress_level_label = _text("代表层级，例如“区人大代表”")
    term = _optional("届别，例如“第十八届”")
    constituency = _optional("选区/代表团")
    occupation = _optional("职业与工作单位")


class PopoloPersonDetailSerializer(PopoloPersonSerializer):
    memberships = PopoloMembershipSerializer(many=True, help_text="在公开联络站的任职（含已离站的）")


class PopoloOrganizationSerializer(serializers.Serializer):
    id = _text("组织的标识：联络站为 station/<编号>，街道为 street/<编号>")
    name = _text("名称")
    classification = _text("类别：联络总站、中心站、联络站、联络点或街道")
    parent_id = _optional("上级联络站（station/<编号>）；总站与街道为空")
    description = _optional("简介（联络站）")
    identifiers = PopoloIdentifierSerializer(many=True, required=False, help_text="行政区划代码（街道）")
    contact_details = PopoloContactDetailSerializer(many=True, required=False, help_text="站点地址与电话（联络站）")
    links = PopoloLinkSerializer(many=True, help_text="站点主页与接待日日历")
    level = serializers.ChoiceField(
        choices=["general", "centre", "station", "point"], required=False, help_text="层级代码（联络站）"
    )
    station_type = _text("类型代码（联络站）", required=False)
    station_type_label = _text("类型，例如“社区”（联络站）", required=False)
    street_id = _optional("所属街道（street/<编号>；联络站）")
    slug = _text("街道的英文标识，可用于日历的 street 参数（街道）", required=False)
    latitude = serializers.FloatField(required=False, help_text="纬度（联络站，有坐标时）")
    longitude = serializers.FloatField(required=False, help_text="经度（联络站，有坐标时）")


class PopoloOrganizationDetailSerializer(PopoloOrganizationSerializer):
    memberships = PopoloMembershipSerializer(many=True, required=False, help_text="本站在任与已离站代表的任职")
    posts = PopoloPostSerializer(many=True, required=False, help_text="本站的岗位")


class PopoloDocumentSerializer(serializers.Serializer):
    persons = PopoloPersonSerializer(many=True, help_text="代表")
    organizations = PopoloOrganizationSerializer(many=True, help_text="街道与联络站（树形，parent_id 指向上级）")
    memberships = PopoloMembershipSerializer(many=True, help_text="任职（在任与已离站）")
    posts = PopoloPostSerializer(many=True, help_text="岗位")
