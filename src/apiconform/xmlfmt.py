"""Rails-style XML, the dialect mite.api speaks.

The sandbox encodes with `dumps`/`dumps_list`; the checks decode with `loads` so that an
XML rendering can be compared with its JSON twin. The mapping (ActiveSupport's to_xml):

* element names are dasherized (`time_entry` -> `<time-entry>`), and undasherized on decode;
* ints carry `type="integer"`, bools `type="boolean"`, floats `type="float"`;
* None is an empty element with `nil="true"`;
* a list is `type="array"` whose children are named by singularising the parent;
* a dict is nested elements; strings carry no type attribute.

Decoding also accepts the other Rails types (`datetime`, `date`, ...) as plain strings, and
turns repeated sibling tags into a list (`<errors><error>a</error><error>b</error></errors>`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

__all__ = ["PROLOG", "dumps", "dumps_list", "loads", "singularize"]

PROLOG = '<?xml version="1.0" encoding="UTF-8"?>'


def _dasherize(name: str) -> str:
    return name.replace("_", "-")


def _undasherize(name: str) -> str:
    return name.replace("-", "_")


def singularize(name: str) -> str:
    """Name the children of a list element the way Rails does for mite's collections."""
    if "_per_" in name:  # hourly_rates_per_service -> hourly_rate_per_service
        head, _, tail = name.partition("_per_")
        return f"{singularize(head)}_per_{tail}"
    if name.endswith("ies") and len(name) > 3:
        return name[:-3] + "y"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def _build(tag: str, value: Any) -> ET.Element:
    element = ET.Element(_dasherize(tag))
    if value is None:
        element.set("nil", "true")
    elif isinstance(value, bool):  # before int: bool is an int subclass
        element.set("type", "boolean")
        element.text = "true" if value else "false"
    elif isinstance(value, int):
        element.set("type", "integer")
        element.text = str(value)
    elif isinstance(value, float):
        element.set("type", "float")
        element.text = repr(value)
    elif isinstance(value, dict):
        for key, child in value.items():
            element.append(_build(str(key), child))
    elif isinstance(value, (list, tuple)):
        element.set("type", "array")
        item_tag = singularize(tag)
        for child in value:
            element.append(_build(item_tag, child))
    else:
        element.text = str(value)
    return element


def _serialise(element: ET.Element) -> str:
    ET.indent(element, space="  ")
    body = ET.tostring(element, encoding="unicode", short_empty_elements=False)
    return f"{PROLOG}\n{body}\n"


def dumps(root: str, value: Any) -> str:
    """Render `value` as a document whose root element is `root` (snake_case is fine)."""
    return _serialise(_build(root, value))


def dumps_list(root_plural: str, item_root: str, items: list[Any]) -> str:
    """Render a mite list: `<customers type="array"><customer>…</customer>…</customers>`."""
    element = ET.Element(_dasherize(root_plural), {"type": "array"})
    for item in items:
        element.append(_build(item_root, item))
    return _serialise(element)


_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def _leaf(element: ET.Element) -> Any:
    kind = element.get("type")
    text = element.text or ""
    try:
        if kind == "integer":
            return int(text.strip())
        if kind == "float" or kind == "decimal":
            return float(text.strip())
    except ValueError:
        raise ValueError(f"element <{element.tag}> has type={kind!r} but text {text!r}") from None
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"element <{element.tag}> has type='boolean' but text {text!r}")
    return text


def _value(element: ET.Element, *, is_root: bool = False) -> Any:
    if element.get("nil") == "true":
        return None
    children = list(element)
    if element.get("type") == "array":
        return [_value(child) for child in children]
    if children:
        result: dict[str, Any] = {}
        for child in children:
            key = _undasherize(child.tag)
            value = _value(child)
            if key in result:  # repeated sibling tags become a list
                previous = result[key]
                if isinstance(previous, _Repeated):
                    previous.append(value)
                else:
                    result[key] = _Repeated([previous, value])
            else:
                result[key] = value
        return {k: list(v) if isinstance(v, _Repeated) else v for k, v in result.items()}
    if is_root and element.get("type") is None and not (element.text or "").strip():
        return {}  # an empty root such as <tracker></tracker> is an empty object
    return _leaf(element)


class _Repeated(list):
    """Marks a list made from repeated tags, so a genuine list value is not extended."""


def loads(text: str | bytes) -> tuple[str, Any]:
    """Parse a document; return (root name in snake_case, data). ValueError if malformed."""
    if isinstance(text, str):
        # ElementTree refuses str input that declares an encoding only in some versions;
        # encoding to bytes sidesteps that and keeps the declared UTF-8 honest.
        data: str | bytes = text.encode("utf-8")
    else:
        data = text
    if not data.strip():
        raise ValueError("malformed XML: the document is empty")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"malformed XML: {exc}") from None
    return _undasherize(root.tag), _value(root, is_root=True)
