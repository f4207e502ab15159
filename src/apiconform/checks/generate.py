"""Request payloads from JSON Schemas, generated with Hypothesis.

We do not use hypothesis-jsonschema: its last release (0.23.1) fails with Hypothesis >= 6.170.6
(``'many' object has no attribute 'more'``). Our payload schemas use a small, deliberate subset
of JSON Schema (object/properties/required, string length/pattern/format date, integer and
number bounds, boolean, enum, arrays with items and size bounds), and this module turns exactly
that subset into strategies. Anything outside the subset is refused loudly, and every generated
payload is validated against its schema before it is sent (see :func:`valid_payloads`,
:func:`invalid_payload`).

Request schemas extracted from an OpenAPI document (mStudio's) add arrays (``items``, ``minItems``,
``maxItems``, ``uniqueItems``), ``format`` date-time and uuid, ``nullable`` (converted to a type
list with ``null``), ``oneOf``/``anyOf`` and the annotations ``examples`` and an empty ``$defs``.
"""
from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from apiconform.contract.schemas import problems

if TYPE_CHECKING:  # Hypothesis is imported where payloads are drawn: replay never draws, so never loads it
    from hypothesis import strategies as st

SUPPORTED = {"$schema", "title", "description", "type", "properties", "required", "additionalProperties",
             "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "enum", "default",
             "items", "minItems", "maxItems", "uniqueItems", "oneOf", "anyOf", "examples", "$defs", "deprecated"}


@cache
def _moments() -> st.SearchStrategy[str]:
    from hypothesis import strategies as st

    return st.datetimes(datetime(2030, 1, 1), datetime(2099, 12, 31)).map(
        lambda d: d.replace(microsecond=0, tzinfo=UTC).isoformat().replace("+00:00", "Z"))


@cache
def _text() -> st.SearchStrategy[str]:
    """Printable text within the Basic Multilingual Plane: 4-byte characters (emoji) are a storage
    quirk of many backends (MySQL utf8), not part of any contract we check."""
    from hypothesis import strategies as st

    return st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x00", max_codepoint=0xFFFF)


class SchemaNotSupported(ValueError):
    """A payload schema uses a keyword the generator does not implement."""


def strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    from hypothesis import strategies as st

    unknown = set(schema) - SUPPORTED
    if unknown or schema.get("$defs"):
        raise SchemaNotSupported(f"payload schema uses unsupported keywords {sorted(unknown) or ['$defs']}")
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("oneOf", "anyOf"):
        if key in schema:  # each alternative as drawn, kept where it validates the way the keyword demands
            rest = {k: v for k, v in schema.items() if k != key}
            return st.one_of([strategy({**rest, **alt}) for alt in schema[key]]).filter(
                lambda v: not problems(v, schema))
    kind = schema.get("type")
    if isinstance(kind, list):  # nullable: one of the types, or null
        return st.one_of([strategy({**schema, "type": k}) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "array":
        items = strategy(schema.get("items", {"type": "string"}))
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=schema.get("maxItems", 5),
                        unique=bool(schema.get("uniqueItems")))
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: strategy(v) for k, v in props.items() if k in required},
            optional={k: strategy(v) for k, v in props.items() if k not in required},
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "string":
        if schema.get("format") == "date":
            return st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(date.isoformat)
        if schema.get("format") == "date-time":
            return _moments()
        if schema.get("format") == "uuid":
            return st.uuids().map(str)
        lo, hi = schema.get("minLength", 0), schema.get("maxLength", 100)
        if "pattern" in schema:
            base = st.from_regex(schema["pattern"], fullmatch=True, alphabet=_text())
            return base.filter(lambda s: lo <= len(s) <= hi)
        return st.text(_text(), min_size=lo, max_size=hi)
    raise SchemaNotSupported(f"payload schema type {kind!r} is not supported")


def draw(strat: st.SearchStrategy[Any], n: int) -> list[Any]:
    """``n`` examples from a strategy, deterministically for a given Hypothesis version.

    Replay never calls this: it takes the payloads the cassette recorded, so verdicts do not
    depend on the Hypothesis version.
    """
    from hypothesis import HealthCheck, Phase, given, settings

    out: list[Any] = []

    @settings(max_examples=n, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(strat)
    def collect(example: Any) -> None:
        out.append(example)

    collect()
    return out[:n]


def covering(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads that carry every property, each with a value a server could not have defaulted to.

    A server that drops an optional field on create answers with its default ("" for a note), so
    only a payload that sends another value can catch it. Not a default means: not the declared
    ``default``, or, without one, not empty, zero or false.
    """
    from hypothesis import strategies as st

    if schema.get("type") != "object":
        raise SchemaNotSupported("a create payload schema must be an object")
    return st.fixed_dictionaries({name: strategy(sub).filter(lambda v, sub=sub: _not_default(v, sub))
                                  for name, sub in schema.get("properties", {}).items()})


def _not_default(value: Any, sub: dict[str, Any]) -> bool:
    return value != sub["default"] if "default" in sub else bool(value)


def valid_payloads(schema: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """``n`` valid payloads; the first is :func:`covering`, so every optional field is exercised."""
    if n < 1:
        raise ValueError(f"asked for {n} payloads: a payload check must send at least one")
    examples = draw(covering(schema), 1) + (draw(strategy(schema), n - 1) if n > 1 else [])
    if len(examples) != n:  # Hypothesis ran out of distinct examples: the check would send fewer
        raise AssertionError(f"generated {len(examples)} payloads, not {n}")
    for example in examples:
        found = problems(example, schema)
        if found:  # the generator and the schema disagree: a bug of ours, not of the target
            raise AssertionError(f"generated payload {example!r} is invalid: {found}")
    return examples


def invalid_payload(schema: dict[str, Any], base: dict[str, Any], constraint: str) -> dict[str, Any]:
    """``base`` changed to break exactly ``constraint`` (``keyword:property``), proven by validation."""
    keyword, _, prop = constraint.partition(":")
    sub = schema.get("properties", {}).get(prop, {})
    bad = copy.deepcopy(base)
    if keyword == "required":
        bad.pop(prop, None)
    elif keyword == "minLength":
        bad[prop] = "x" * (sub["minLength"] - 1)
    elif keyword == "maxLength":
        bad[prop] = "x" * (sub["maxLength"] + 1)
    elif keyword == "minimum":
        bad[prop] = sub["minimum"] - 1 - len(str(base)) % 50
    elif keyword == "maximum":
        bad[prop] = sub["maximum"] + 1
    elif keyword == "type":
        bad[prop] = 12345 if sub.get("type") == "string" else "not a number"
    elif keyword == "enum" and "enum" in sub.get("items", {}):  # an array of enum values: one unknown value
        bad[prop] = ["not-" + str(sub["items"]["enum"][0])]
    elif keyword == "enum":
        bad[prop] = "not-" + str(sub["enum"][0])
    elif keyword == "format":
        bad[prop] = f"not a {sub['format']}"
    elif keyword == "minItems":
        bad[prop] = list(bad.get(prop, []))[:sub["minItems"] - 1]
    elif keyword == "uniqueItems":
        items = list(bad.get(prop) or [])
        bad[prop] = items[:1] * 2 if items else [None, None]
    else:
        raise SchemaNotSupported(f"cannot break constraint {constraint!r}")
    if not breaks_only(schema, bad, constraint):
        raise AssertionError(f"payload meant to break only {constraint} has problems {problems(bad, schema)}")
    return bad


def breaks_only(schema: dict[str, Any], payload: Any, constraint: str) -> bool:
    """True if validating ``payload`` finds exactly one problem, and it is ``constraint``."""
    keyword, _, prop = constraint.partition(":")
    found = problems(payload, schema)
    if len(found) != 1:
        return False
    return found[0].startswith((prop + ":", prop + "/")) or (keyword == "required" and f"'{prop}'" in found[0])
