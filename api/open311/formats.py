"""Open311's two formats: JSON, and XML in Open311's own element layout.

Open311 names the XML elements of every answer: ``<services><service>…``,
``<service_definition>…<attributes><attribute>…<values><value>…``,
``<service_requests><request>…`` and ``<errors><error>…``. The view names the root and item
elements (`xml_root`, `xml_item`); an error answer names its own (`ERRORS`).
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

from rest_framework.exceptions import APIException
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework_xml.parsers import XMLParser

from django.utils.encoding import force_str
from django.utils.xmlutils import SimplerXMLGenerator

ERRORS = ("errors", "error")
# A nested list's items are named after it, as Open311's service definitions do.
ITEM_NAMES = {"attributes": "attribute", "values": "value"}


class Open311Error(APIException):
    """An answer of Open311's error list: [{"code": <status>, "description": "中文说明"}]."""

    def __init__(self, status_code: int, description: str):
        self.status_code = status_code
        self.description = description
        super().__init__(description)

    def as_list(self) -> list[dict]:
        return [{"code": self.status_code, "description": self.description}]


class Open311JSONRenderer(JSONRenderer):
    """JSON with Chinese as it is (not \\u escapes), as every other API of the platform."""

    ensure_ascii = False
    charset = "utf-8"


class Open311XMLRenderer(BaseRenderer):
    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        context = renderer_context or {}
        response = context.get("response")
        view = context.get("view")
        root, item = getattr(response, "open311_xml", None) or (
            getattr(view, "xml_root", "response"),
            getattr(view, "xml_item", "item"),
        )
        stream = StringIO()
        xml = SimplerXMLGenerator(stream, self.charset)
        xml.startDocument()
        xml.startElement(root, {})
        if isinstance(data, list):
            for entry in data:
                xml.startElement(item, {})
                self._write(xml, entry)
                xml.endElement(item)
        else:
            self._write(xml, data)
        xml.endElement(root)
        xml.endDocument()
        return stream.getvalue().encode(self.charset)

    def _write(self, xml, data, name: str = "item"):
        if isinstance(data, dict):
            for key, value in data.items():
                xml.startElement(key, {})
                self._write(xml, value, ITEM_NAMES.get(key, "item"))
                xml.endElement(key)
        elif isinstance(data, list | tuple):
            for value in data:
                xml.startElement(name, {})
                self._write(xml, value)
                xml.endElement(name)
        elif data is None:
            pass  # an empty element, as Open311 servers send a value they do not have
        elif isinstance(data, bool):
            xml.characters("true" if data else "false")
        elif isinstance(data, dt.datetime | dt.date):
            xml.characters(data.isoformat())
        else:
            xml.characters(force_str(data))


class Open311XMLParser(XMLParser):
    """An XML request body (``<service_request><service_code>…``), defused; every value stays
    the text it was (no numbers: a phone number or a key keeps its leading zeros)."""

    def _type_convert(self, value):
        return value
