"""GeoReport v2 documents in JSON and XML, and the spec's error document.

A document is built once as plain data (dicts, lists, strings, numbers,
booleans, None) and rendered in either format. XML element names are the
spec's: a list is written as its own element holding one child element per
item, named by `ITEM_TAGS` (`<services><service>…`, `<service_requests>
<request>…`, `<errors><error>…`, `<attributes><attribute>…`, `<values>
<value>…`, `<endpoints><endpoint>…`, `<formats><format>…`, `<notes>
<note>…`). None is an empty element in XML and null in JSON.
"""

import json
import re
from xml.etree import ElementTree as ET

from django.http import HttpResponse

FORMATS = ("xml", "json")
CONTENT_TYPES = {
    "xml": "text/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
# Each list's element name → the element name of one item.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}


class Open311Error(Exception):
    """An error answered in the spec's format: a list of {code, description}."""

    def __init__(self, status, *descriptions, headers=None):
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = [str(d) for d in descriptions] or [""]
        self.headers = headers or {}

    def document(self):
        return [{"code": self.status, "description": d} for d in self.descriptions]


# Characters XML 1.0 cannot hold, escaped or not (ElementTree writes them as they are, and
# the document no longer parses): the control characters but tab, LF and CR, and the
# non-characters U+FFFE/U+FFFF. Text pasted into a ticket brings vertical tabs and the like.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value):
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _build(parent, tag, value):
    element = ET.SubElement(parent, tag) if parent is not None else ET.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            _build(element, key, item)
    elif isinstance(value, list | tuple):
        child_tag = ITEM_TAGS[tag]
        for item in value:
            _build(element, child_tag, item)
    elif value is not None:
        element.text = _NOT_XML.sub("", _text(value))
    return element


def to_xml(root_tag, data):
    """The document as UTF-8 XML bytes, with an XML declaration."""
    root = _build(None, root_tag, data)
    ET.indent(root)
    return XML_DECLARATION + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def to_json(data):
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def render(fmt, root_tag, data, status=200, headers=None):
    """An HttpResponse with `data` as the `fmt` document (`root_tag` names the XML root)."""
    body = to_json(data) if fmt == "json" else to_xml(root_tag, data)
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def render_error(fmt, error):
    """The spec's error document; an unknown format gets XML, the format the spec requires."""
    fmt = fmt if fmt in FORMATS else "xml"
    return render(fmt, "errors", error.document(), status=error.status, headers=error.headers)
