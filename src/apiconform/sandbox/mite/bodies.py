"""Reading write requests: Content-Type, JSON or XML, and the {"<root>": {...}} wrapper."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from apiconform import xmlfmt
from apiconform.sandbox.mite.errors import CONTENT_TYPE_MISSING, ApiError


@dataclass
class Body:
    attrs: dict[str, Any]
    lenient: bool  # XML carries untyped strings, so numbers and flags may arrive as text
    force: bool


def _kind(content_type: str | None, faults: frozenset[str]) -> str:
    if content_type is None or not content_type.strip():
        if "content-type-optional" in faults:
            return "json"
        raise ApiError(400, CONTENT_TYPE_MISSING)
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("application/json", "text/json") or media.endswith("+json"):
        return "json"
    if media in ("application/xml", "text/xml") or media.endswith("+xml"):
        return "xml"
    raise ApiError(400, f"The Content-Type {media} is not supported. Please use application/json or application/xml.")


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


async def read(request: Request, root: str, faults: frozenset[str]) -> Body:
    """Parse a POST/PATCH/PUT body; every failure is a 400 (malformed-body-422 aside)."""
    raw = await request.body()
    wrapped = f'Please wrap the attributes in "{root}", e.g. {{"{root}": {{...}}}}.'
    if not raw.strip():
        raise ApiError(400, wrapped)
    kind = _kind(request.headers.get("content-type"), faults)
    malformed_status = 422 if "malformed-body-422" in faults else 400
    outer: Any
    if kind == "json":
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(malformed_status, f"Your submitted data is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get(root), dict):
            raise ApiError(400, wrapped)
        attrs, outer = dict(data[root]), data
    else:
        try:
            name, value = xmlfmt.loads(raw)
        except ValueError as exc:
            detail = str(exc).removeprefix("malformed XML: ")
            raise ApiError(malformed_status, f"Your submitted data is not valid XML: {detail}") from None
        if name != root or not isinstance(value, dict):
            raise ApiError(400, wrapped)
        attrs, outer = dict(value), {}
    force = _flag(attrs.pop("force", None)) or _flag(outer.get("force"))
    return Body(attrs=attrs, lenient=kind == "xml", force=force)


async def read_force(request: Request) -> bool:
    """DELETE may carry {"force": true} (or ?force=true); anything unreadable means no force."""
    if _flag(request.query_params.get("force")):
        return True
    raw = await request.body()
    if not raw.strip():
        return False
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        try:
            _, data = xmlfmt.loads(raw)
        except ValueError:
            return False
    if not isinstance(data, dict):
        return False
    inner = data.get("time_entry")
    return _flag(data.get("force")) or (isinstance(inner, dict) and _flag(inner.get("force")))
