"""The shapes of Open311's answers and of a POST, for the OpenAPI description only (the views
build their answers as plain data: a thousand requests are not run through serializers)."""

from __future__ import annotations

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text="HTTP 状态码")
    description = serializers.CharField(help_text="中文说明")


class ServiceSerializer(serializers.Serializer):
    service_code = serializers.CharField(help_text="服务类别编号（意见分类）")
    service_name = serializers.CharField(help_text="类别名称")
    description = serializers.CharField()
    metadata = serializers.BooleanField(help_text="true：提交前请读服务定义（要选站点）")
    type = serializers.ChoiceField(choices=["realtime", "batch", "blackbox"])
    keywords = serializers.CharField()
    group = serializers.CharField()


class AttributeValueSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class AttributeSerializer(serializers.Serializer):
    variable = serializers.BooleanField()
    code = serializers.CharField(help_text="station、title 或 publish_consent")
    datatype = serializers.ChoiceField(
        choices=["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    )
    required = serializers.BooleanField()
    datatype_description = serializers.CharField()
    order = serializers.IntegerField()
    description = serializers.CharField()
    values = AttributeValueSerializer(many=True, required=False)


class ServiceDefinitionSerializer(serializers.Serializer):
    service_code = serializers.CharField()
    attributes = AttributeSerializer(many=True)


class ServiceRequestSerializer(serializers.Serializer):
    service_request_id = serializers.CharField(help_text="回执编号")
    status = serializers.ChoiceField(choices=["open", "closed"])
    status_notes = serializers.CharField(help_text="平台的中文状态，如“已交办”“已办结（已解决）”")
    service_name = serializers.CharField()
    service_code = serializers.CharField()
    description = serializers.CharField(required=False, help_text="公开摘要：办理结果经审核公开后才有")
    agency_responsible = serializers.CharField(allow_null=True, help_text="承办单位")
    service_notice = serializers.CharField(allow_null=True)
    requested_datetime = serializers.DateTimeField()
    updated_datetime = serializers.DateTimeField()
    expected_datetime = serializers.DateTimeField(allow_null=True, help_text="答复期限")
    address = serializers.CharField(help_text="提交站点名称")
    address_id = serializers.CharField(help_text="提交站点编号")
    zipcode = serializers.CharField(allow_null=True)
    lat = serializers.FloatField(allow_null=True)
    long = serializers.FloatField(allow_null=True)
    media_url = serializers.URLField(allow_null=True)


class CreateRequestSerializer(serializers.Serializer):
    jurisdiction_id = serializers.CharField(help_text="辖区编号")
    api_key = serializers.CharField(help_text="接入系统的接口密钥（在管理后台签发）")
    service_code = serializers.CharField()
    description = serializers.CharField(help_text="意见内容，5–2000 字")
    last_name = serializers.CharField(help_text="姓")
    first_name = serializers.CharField(help_text="名（姓名合计不超过 30 字）")
    phone = serializers.CharField(help_text="11 位中国大陆手机号码")
    attribute = serializers.DictField(
        child=serializers.CharField(),
        help_text="表单中写作 attribute[station]=…；station 必填（站点编号，见服务定义），title、publish_consent 可选",
    )
    idempotency_key = serializers.CharField(required=False, help_text="同一值重复提交只保存一次（扩展字段）")
    lat = serializers.FloatField(required=False, help_text="接受但不保存：以站点为准")
    long = serializers.FloatField(required=False)
    address_string = serializers.CharField(required=False)
    email = serializers.EmailField(required=False, help_text="接受但不保存")
    device_id = serializers.CharField(required=False)
    account_id = serializers.CharField(required=False)
    media_url = serializers.URLField(required=False, help_text="接受但不下载")


class CreatedSerializer(serializers.Serializer):
    service_request_id = serializers.CharField(help_text="回执编号")
    service_notice = serializers.CharField()
