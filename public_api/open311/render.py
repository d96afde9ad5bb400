"""GeoReport v2 documents in XML (the spec's default) and JSON, from plain rows: the spec's element
names, ISO 8601 times with the bureau's offset, and its error list."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from fastapi.responses import Response

from complaints.open311 import ServiceProfile, open311_status
from complaints.schemas import CategoryOut, PublicReport
from complaints.workflow import status_label
from core.errors import DomainError
from core.kit.bureau_time import BureauTime
from core.kit.language import pick

XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json"
# The element of each item of a list-valued field.
CHILDREN = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
# Characters XML 1.0 cannot carry (text from the database may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
Row = Mapping[str, Any]


def format_of(path: str) -> str:
    """The answer's format from the path's suffix; XML, the spec's default, otherwise."""
    return "json" if path.endswith(".json") else "xml"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ElementTree.Element, value: Any, name: str) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), item, key)
    elif isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(element, CHILDREN.get(name, "item")), item, CHILDREN.get(name, "item"))
    else:
        element.text = _text(value)


def xml_document(root: str, item: str | None, body: Row | Sequence[Row]) -> bytes:
    """`<root><item>...</item>...</root>`, or `<root>fields</root>` for a single object."""
    top = ElementTree.Element(root)
    if item is None:
        _fill(top, body, root)
    else:
        for row in body:  # type: ignore[union-attr]
            _fill(ElementTree.SubElement(top, item), row, item)
    return ElementTree.tostring(top, encoding="utf-8", xml_declaration=True)


def document(fmt: str, root: str, item: str | None, body: Row | Sequence[Row], status_code: int = 200) -> Response:
    if fmt == "json":
        return Response(json.dumps(body, ensure_ascii=False), status_code=status_code, media_type=JSON_TYPE)
    return Response(xml_document(root, item, body), status_code=status_code, media_type=XML_TYPE)


def open311_status_code(status_code: int) -> int:
    """The spec's errors are 400, 403 and 404: invalid input and conflicts are 400s here."""
    return 400 if status_code in (409, 422) else status_code


def error_document(path: str, exc: DomainError, status_code: int, lang: str,
                   headers: dict[str, str] | None = None) -> Response:
    code = open311_status_code(status_code)
    response = document(format_of(path), "errors", "error", [{"code": code, "description": exc.message(lang)}], code)
    if headers:
        response.headers.update(headers)
    return response


def when(bureau: BureauTime, value: datetime | None) -> str | None:
    """ISO 8601 with the bureau's offset: 2026-03-10T10:00:00+08:00."""
    return bureau.iso(value)


# When the discovery document's content last changed (the spec's sortable `changeset`): bump it with
# the endpoint list or the formats.
DISCOVERY_CHANGESET = "2026-12-02T00:00:00+08:00"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def discovery_row(base_url: str, contact: str, key_service: str) -> dict[str, Any]:
    """The spec's discovery document: where the v2 endpoint is and which formats it speaks."""
    return {
        "changeset": DISCOVERY_CHANGESET,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": f"{base_url.rstrip('/')}/open311/v2",
            "changeset": DISCOVERY_CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }


def service_row(category: CategoryOut, service: ServiceProfile, lang: str) -> dict[str, Any]:
    name = pick(lang, category.name_zh, category.name_en)
    department = category.default_department
    return {
        "service_code": category.code,
        "service_name": name,
        "description": pick(lang, f"{category.name_zh}（承办：{department}）", f"{category.name_en} (handled by "
                            f"{department})") if department else name,
        "metadata": bool(service.attributes),
        "type": "realtime",  # the request id is given at once
        "keywords": service.keywords(lang),
        "group": pick(lang, *service.group),
    }


_DATATYPE_NOTES = {
    "number": ("整数", "a whole number"),
    "singlevaluelist": ("选择一项", "choose one"),
    "multivaluelist": ("可选择多项（attribute[code][]）", "choose one or more (attribute[code][])"),
    "string": ("简短文字", "short text"),
}


def definition_row(code: str, service: ServiceProfile, lang: str) -> dict[str, Any]:
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": pick(lang, *_DATATYPE_NOTES.get(attribute.datatype, ("", ""))),
                "order": order,
                "description": attribute.label(lang),
                "values": [{"key": c.key, "name": pick(lang, c.zh, c.en)} for c in attribute.choices],
            }
            for order, attribute in enumerate(service.attributes, start=1)
        ],
    }


def request_row(report: PublicReport, bureau: BureauTime, lang: str) -> dict[str, Any]:
    """A request as the public sees it: no description, contact, photos or exact place."""
    notes = report.status_notes or report.outcome
    if report.merged_into:
        merged = pick(lang, f"已与 {report.merged_into} 合并办理", f"Handled together with {report.merged_into}")
        notes = f"{merged}。{notes}" if notes else merged
    return {
        "service_request_id": report.tracking_number,
        "status": open311_status(report.status),
        "status_notes": notes,
        "service_name": pick(lang, report.category.name_zh, report.category.name_en),
        "service_code": report.category.code,
        "agency_responsible": report.department,
        "service_notice": status_label(report.status, lang),
        "requested_datetime": when(bureau, report.received_at),
        "updated_datetime": when(bureau, report.updated_at),
        "expected_datetime": when(bureau, report.due_at),
        "address": report.area or None,
        "lat": report.lat,
        "long": report.lon,
    }
