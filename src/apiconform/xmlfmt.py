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

`loads` forgets how elements were named. To check the names themselves, `named`/`named_list`
say which names the dialect gives a value and `loads_named` decodes a document with its names
verbatim, in the same shape; `first_difference` compares the two.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

__all__ = ["PROLOG", "Difference", "dumps", "dumps_list", "first_difference", "loads", "loads_named", "named",
           "named_list", "singularize"]

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


# ---------------------------------------------------------------- names

def _named_value(tag: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {_dasherize(str(key)): _named_value(str(key), child) for key, child in value.items()}
    if isinstance(value, (list, tuple)):
        item_tag = singularize(tag)
        return [{_dasherize(item_tag): _named_value(item_tag, child)} for child in value]
    return value


def named(root: str, value: Any) -> tuple[str, Any]:
    """The document the dialect makes of `value` under `root`, in the shape `loads_named` returns.

    Keys are the dasherized element names; a list is a list of one-key dicts `{item tag: value}`,
    its items named by singularising the list's own name.
    """
    return _dasherize(root), _named_value(root, value)


def named_list(root_plural: str, item_root: str, items: list[Any]) -> tuple[str, list[Any]]:
    """A mite list document (`<customers type="array"><customer>…`) in the shape `loads_named` returns."""
    return _dasherize(root_plural), [{_dasherize(item_root): _named_value(item_root, item)} for item in items]


# ---------------------------------------------------------------- encoding

def _element(tag: str, value: Any) -> ET.Element:
    """Build an element from a named value (see `named`): the names are already the dialect's."""
    element = ET.Element(tag)
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
            element.append(_element(key, child))
    elif isinstance(value, list):
        element.set("type", "array")
        for item in value:
            (item_tag, child), = item.items()
            element.append(_element(item_tag, child))
    else:
        element.text = str(value)
    return element


def _serialise(element: ET.Element) -> str:
    ET.indent(element, space="  ")
    body = ET.tostring(element, encoding="unicode", short_empty_elements=False)
    return f"{PROLOG}\n{body}\n"


def dumps(root: str, value: Any) -> str:
    """Render `value` as a document whose root element is `root` (snake_case is fine)."""
    return _serialise(_element(*named(root, value)))


def dumps_list(root_plural: str, item_root: str, items: list[Any]) -> str:
    """Render a mite list: `<customers type="array"><customer>…</customer>…</customers>`."""
    return _serialise(_element(*named_list(root_plural, item_root, items)))


# ---------------------------------------------------------------- decoding

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


def _value(element: ET.Element, *, verbatim: bool, is_root: bool = False) -> Any:
    """Decode an element; `verbatim` keeps tags as sent and array items as `{tag: value}`."""
    if element.get("nil") == "true":
        return None
    children = list(element)
    if element.get("type") == "array":
        if verbatim:
            return [{child.tag: _value(child, verbatim=True)} for child in children]
        return [_value(child, verbatim=False) for child in children]
    if children:
        result: dict[str, Any] = {}
        for child in children:
            key = child.tag if verbatim else _undasherize(child.tag)
            value = _value(child, verbatim=verbatim)
            if key in result:  # repeated sibling tags become a list
                previous = result[key]
                if isinstance(previous, _Repeated):
                    previous.append(value)
                else:
                    result[key] = _Repeated([previous, value])
            else:
                result[key] = value
        # Verbatim, repeated tags stay a tuple: they are not a type="array", and must not equal one.
        repeated = tuple if verbatim else list
        return {k: repeated(v) if isinstance(v, _Repeated) else v for k, v in result.items()}
    if is_root and element.get("type") is None and not (element.text or "").strip():
        return {}  # an empty root such as <tracker></tracker> is an empty object
    return _leaf(element)


class _Repeated(list):
    """Marks a list made from repeated tags, so a genuine list value is not extended."""


def _parse(text: str | bytes) -> ET.Element:
    if isinstance(text, str):
        # ElementTree refuses str input that declares an encoding only in some versions;
        # encoding to bytes sidesteps that and keeps the declared UTF-8 honest.
        data: str | bytes = text.encode("utf-8")
    else:
        data = text
    if not data.strip():
        raise ValueError("malformed XML: the document is empty")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"malformed XML: {exc}") from None


def loads(text: str | bytes) -> tuple[str, Any]:
    """Parse a document; return (root name in snake_case, data). ValueError if malformed."""
    root = _parse(text)
    return _undasherize(root.tag), _value(root, verbatim=False, is_root=True)


def loads_named(text: str | bytes) -> tuple[str, Any]:
    """Parse a document keeping every element name as sent, in the shape `named` returns.

    Repeated sibling tags outside a `type="array"` become a tuple. ValueError if malformed.
    """
    root = _parse(text)
    return root.tag, _value(root, verbatim=True, is_root=True)


# ---------------------------------------------------------------- comparing

@dataclass(frozen=True)
class Difference:
    """Where a decoded document first departs from the expected one: an element path, both sides."""

    path: str
    expected: str
    actual: str


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "nested elements"
    if isinstance(value, list):
        return 'a type="array"'
    if isinstance(value, tuple):
        return "repeated elements"
    return repr(value)


def _same_scalar(expected: Any, actual: Any) -> bool:
    """Equal values of one kind; a number may be integer on one side and float on the other."""
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(actual, numbers) and not isinstance(expected, bool) \
            and not isinstance(actual, bool):
        return expected == actual
    return type(expected) is type(actual) and expected == actual


def _diff(path: str, expected: Any, actual: Any) -> Difference | None:
    if isinstance(expected, dict) and isinstance(actual, dict):
        missing = [key for key in expected if key not in actual]
        for key, value in actual.items():
            if key not in expected:
                due = f"<{missing[0]}>" if missing else "no such element"
                return Difference(f"{path}/{key}", due, f"<{key}>")
            found = _diff(f"{path}/{key}", expected[key], value)
            if found:
                return found
        return Difference(f"{path}/{missing[0]}", f"<{missing[0]}>", "missing") if missing else None
    if type(expected) is list and type(actual) is list:
        for index, (want, got) in enumerate(zip(expected, actual, strict=False)):
            (want_tag, want_value), = want.items()
            (got_tag, got_value), = got.items()
            here = f"{path}/{got_tag}[{index}]"
            if got_tag != want_tag:
                return Difference(here, f"<{want_tag}>", f"<{got_tag}>")
            found = _diff(here, want_value, got_value)
            if found:
                return found
        if len(expected) != len(actual):
            return Difference(path, f"{len(expected)} items", f"{len(actual)} items")
        return None
    if _same_scalar(expected, actual):
        return None
    return Difference(path, _kind(expected), _kind(actual))


def first_difference(expected: tuple[str, Any], actual: tuple[str, Any]) -> Difference | None:
    """The first element, in document order, where `actual` (from `loads_named`) departs from `expected`."""
    (want_root, want), (got_root, got) = expected, actual
    if got_root != want_root:
        return Difference(got_root, f"<{want_root}>", f"<{got_root}>")
    return _diff(got_root, want, got)
