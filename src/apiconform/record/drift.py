"""Drift between two recordings of one provider: what changed, exchange by exchange, and which clauses it touches.

Two cassette sets (or a set and a fresh recording of a target) are paired test by test; inside a
test, exchanges are paired by operation (method and templated path: ids differ between recordings),
the query's parameter names and their order of occurrence. A pair compares its status, its header
names, and the shape of its body (field paths and JSON types, never values, except the values of
fields the provider's schemas declare as enums). Everything provider-specific comes from the
contract: which headers are rate-limit, pagination or conditional headers, and the clauses each
change touches.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from apiconform.contract.model import Contract
from apiconform.http.exchange import Exchange
from apiconform.record.cassettes import CassetteError, cassette_name, read_cassette

BREAKING, ADDITIVE, INFO = "breaking", "additive", "info"
#: Exit status of ``apiconform drift`` (README "Exit status"): 0 nothing changed, 1 a change breaks a
#: clause, 3 additive changes only; 2 is a usage error (as for every command).
EXIT_NONE, EXIT_BREAKING, EXIT_ADDITIVE = 0, 1, 3
CACHING_HEADERS = ("cache-control", "etag", "last-modified", "expires", "vary", "age")  # RFC 9110/9111
PAGINATION_LINK = "link"  # RFC 8288: next/prev relations
#: [rate_limit.headers] roles whose own check is named otherwise in [rate_limit.clauses] (README: the table)
RATE_ROLE_CLAUSE = {"retry_after": "exceeded", "used": "remaining", "max": "limit"}

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class DriftError(Exception):
    """The recordings cannot be compared (no cassettes, other providers); names the folder."""


@dataclass(frozen=True)
class Recorded:
    """One recorded interaction, reduced to what drift compares."""

    test: str  # the cassette's file name: the same check in both recordings
    operation: str  # ``GET /customers/{id}.json``
    query: tuple[str, ...]  # the query's parameter names, sorted
    status: int
    headers: dict[str, str]  # lower-cased names
    body: Any  # decoded JSON or XML (as {root: value}); None when empty or neither
    clauses: tuple[str, ...]  # the clauses the recorded check verified (cassette metadata), if recorded
    index: int  # its place in the cassette


@dataclass
class Recording:
    """A cassette set: its folder, provider and the interactions of each cassette, in order."""

    folder: Path
    provider: str
    cassettes: dict[str, list[Recorded]]
    recorded_at: list[str] = field(default_factory=list)
    targets: Counter = field(default_factory=Counter)
    without_clauses: int = 0  # cassettes recorded before the test's clauses were written into them


@dataclass
class Change:
    """One kind of change, aggregated over every exchange where it was seen."""

    kind: str  # status, header-removed, header-added, header-renamed, field-removed, field-added,
    #           type-changed, enum-added, enum-removed, list-to-envelope, only-old, only-new
    severity: str  # breaking | additive | info
    subject: str  # the header, the field path, or ``200 -> 404``
    detail: str
    category: str = ""  # for headers: rate-limit, pagination, caching, consistency, or ""
    operations: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    count: int = 0
    clauses: list[str] = field(default_factory=list)  # the contract's own clause for this kind of change
    check_clauses: list[str] = field(default_factory=list)  # the clauses of the checks that saw it
    broke: list[str] = field(default_factory=list)  # clauses those checks violated in the new recording's run
    sites: set[tuple[str, str, int]] = field(default_factory=set, repr=False)  # (cassette, operation, index)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("kind", "severity", "subject", "detail", "category", "operations",
                                              "tests", "count", "clauses", "check_clauses", "broke")}


# -- reading ------------------------------------------------------------------------------------

def template(path: str) -> str:
    """``/customers/123.json`` -> ``/customers/{id}.json``: ids differ between recordings."""
    out = []
    for segment in path.split("/"):
        stem, dot, suffix = segment.partition(".")
        if stem.isdigit() or _UUID.fullmatch(stem) or (len(stem) >= 8 and any(c.isdigit() for c in stem)):
            stem = "{id}"
        out.append(stem + dot + suffix)
    return "/".join(out)


def decode(headers: dict[str, str], body: str | bytes) -> Any:
    """The body as :meth:`Exchange.data` reads it (XML as ``{root: value}``); None when empty or neither."""
    raw = body.encode("utf-8") if isinstance(body, str) else body or b""
    if not raw.strip():
        return None
    exchange = Exchange("", "", {}, "", 0, httpx.Headers(headers), raw, fmt="")
    try:
        data = exchange.data()
    except ValueError:
        media = exchange.media_type
        return {"(unparsable body)": media} if media.endswith(("json", "xml")) else None
    return {data[0]: data[1]} if isinstance(data, tuple) else data


def load_recording(folder: Path, provider: str | None = None) -> Recording:
    """Every cassette in ``folder``; a corrupt one is a :class:`DriftError` naming it."""
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise DriftError(f"{folder}: no cassettes here (a cassette set is a folder of *.yaml: cassettes/<provider>)")
    rec = Recording(folder=folder, provider=provider or "", cassettes={})
    for path in files:
        try:
            data = read_cassette(path)
        except CassetteError as exc:
            raise DriftError(str(exc)) from None
        meta = data.get("metadata", {})
        found = str(meta.get("provider") or "")
        if found and rec.provider and found != rec.provider:
            raise DriftError(f"{path}: recorded for {found}, not {rec.provider}")
        rec.provider = rec.provider or found
        if meta.get("recorded_at"):
            rec.recorded_at.append(str(meta["recorded_at"]))
        rec.targets[str(meta.get("target") or "unknown")] += 1
        clauses = tuple(str(c) for c in meta.get("clauses") or ())
        rec.without_clauses += not clauses
        rec.cassettes[path.name] = [_recorded(path.name, n, i, clauses) for n, i in enumerate(data["interactions"])]
    if not rec.provider:
        raise DriftError(f"{folder}: the cassettes do not say their provider; pass --provider")
    return rec


def _recorded(test: str, index: int, interaction: dict[str, Any], clauses: tuple[str, ...]) -> Recorded:
    request, response = interaction["request"], interaction["response"]
    url = urlsplit(request["uri"])
    headers = {str(k).lower(): str(v[0] if isinstance(v, list) else v) for k, v in response["headers"].items()}
    return Recorded(test=test, operation=f"{request['method']} {template(url.path)}",
                    query=tuple(sorted({k for k, _ in parse_qsl(url.query, keep_blank_values=True)})),
                    status=response["status"]["code"], headers=headers,
                    body=decode(headers, response["body"]["string"]), clauses=clauses, index=index)


# -- what the contract says about headers and bodies ----------------------------------------------

@dataclass(frozen=True)
class Knowledge:
    """What the contract names: header categories and their clauses, enum fields, the invariant clauses."""

    headers: dict[str, tuple[str, tuple[str, ...]]]  # lower-cased name -> (category, clauses)
    named: tuple[tuple[frozenset[str], tuple[str, ...]], ...]  # words of a contract table -> its clauses
    enums: dict[str, frozenset[Any]]  # property name -> the values a schema allows
    status_clause: str
    schema_clause: str
    error_clauses: tuple[str, ...]

    def header(self, name: str) -> tuple[str, tuple[str, ...]]:
        """A header's category and clauses: by its role in the contract, else the tables that name it."""
        category, clauses = self.headers.get(name, ("", ()))
        if not clauses:
            clauses = tuple(c for words, cs in self.named if name in words for c in cs)
        return category, clauses

    @classmethod
    def of(cls, contract: Contract, schema_dir: Path | None) -> Knowledge:
        headers: dict[str, tuple[str, tuple[str, ...]]] = {}
        area_clauses = defaultdict(list)
        for cid, clause in contract.clauses.items():
            area_clauses[clause.area].append(cid)
        for name in CACHING_HEADERS:
            headers[name] = ("caching", ())
        named = []  # a table that names a header, as a key or a value ([writes] location = true), owns it
        for table in contract.raw.values():
            if isinstance(table, dict) and _clauses_of(table, contract):
                words = {str(k).lower() for k in table} | {v.lower() for v in table.values() if isinstance(v, str)}
                named.append((frozenset(words), _clauses_of(table, contract)))
        cond = contract.conditional
        if cond:
            style = str(cond.get("style", ""))
            category = "caching" if style in ("etag", "last-modified") else "consistency"
            cond_names = _header_names(cond)
            cond_names += [style] if style in ("etag", "last-modified") else []  # the style names its header
            for name in cond_names:
                headers[name.lower()] = (category, _clauses_of(cond, contract))
        pag = contract.pagination
        pag_clauses = _clauses_of(pag, contract) or tuple(area_clauses.get("pagination", ()))
        for name in [PAGINATION_LINK, *_header_names(pag)]:
            headers[name.lower()] = ("pagination", pag_clauses)
        consistency = contract.raw.get("consistency", {})
        if isinstance(consistency, dict):
            for name in _header_names(consistency):
                headers[name.lower()] = ("consistency", _clauses_of(consistency, contract))
        if contract.rate_limit is not None:
            rate_clauses = (contract.rate_limit.clauses["headers"],)
            for role, name in contract.rate_limit.headers.items():
                extra = contract.rate_limit.clauses.get(RATE_ROLE_CLAUSE.get(role, role))
                headers[name.lower()] = ("rate-limit", rate_clauses + ((extra,) if extra else ()))
        inv = contract.raw.get("invariants", {})
        error_body = inv.get("error_body", {})
        return cls(headers=headers, named=tuple(named), enums=_schema_enums(schema_dir),
                   status_clause=str(inv.get("status", "")), schema_clause=contract.schema_clause,
                   error_clauses=tuple(error_body.values()) if isinstance(error_body, dict)
                   else ((error_body,) if error_body else ()))


def _header_names(table: dict[str, Any]) -> list[str]:
    """Header names a table gives under ``*header`` keys (a string) or ``*headers`` keys (a table or a list)."""
    out: list[str] = []
    for key, value in table.items():
        if key.endswith("header") and isinstance(value, str):
            out.append(value)
        elif key.endswith("headers") and isinstance(value, dict | list):
            out += [str(v) for v in (value.values() if isinstance(value, dict) else value)]
    return out


def _clauses_of(table: dict[str, Any], contract: Contract) -> tuple[str, ...]:
    found = [v for k, v in table.items() if k == "clause" or k.endswith("_clause")]
    found += [v for v in (table.get("clauses") or {}).values()] if isinstance(table.get("clauses"), dict) else []
    return tuple(c for c in found if isinstance(c, str) and c in contract.clauses)


def _schema_enums(schema_dir: Path | None) -> dict[str, frozenset[Any]]:
    """Property name -> allowed values, from every ``enum`` under ``properties`` in the provider's schemas."""
    enums: dict[str, set[Any]] = defaultdict(set)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                if isinstance(sub, dict) and isinstance(sub.get("enum"), list):
                    enums[name].update(v for v in sub["enum"] if isinstance(v, str | int | bool))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(schema_dir.glob("*.json")) if schema_dir and schema_dir.is_dir() else []:
        try:
            walk(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            continue  # the schema loader names a broken schema; drift reads what it can
    return {k: frozenset(v) for k, v in enums.items()}


# -- shapes --------------------------------------------------------------------------------------

def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def shape(data: Any, enums: dict[str, frozenset[Any]], path: str = "$",
          out: dict[str, set[str]] | None = None, values: dict[str, set[Any]] | None = None
          ) -> tuple[dict[str, set[str]], dict[str, set[Any]]]:
    """Field path -> JSON types seen there (list items under ``[]``), and the values of enum fields."""
    out = {} if out is None else out
    values = {} if values is None else values
    out.setdefault(path, set()).add(_type(data))
    if isinstance(data, dict):
        for key, value in data.items():
            sub = f"{path}.{key}"
            if key in enums and isinstance(value, str | int | bool):
                values.setdefault(sub, set()).add(value)
            shape(value, enums, sub, out, values)
    elif isinstance(data, list):
        for item in data:
            shape(item, enums, f"{path}[]", out, values)
    return out, values


def _envelopes(old: dict[str, set[str]], new: dict[str, set[str]]) -> dict[str, str]:
    """Paths that were a list and are now an object holding that list: path -> the envelope's items key."""
    found = {}
    for path, types in old.items():
        if types == {"array"} and new.get(path) == {"object"}:
            for candidate, ctypes in new.items():
                if candidate.startswith(path + ".") and candidate.count(".") == path.count(".") + 1 \
                        and "[" not in candidate[len(path):] and ctypes == {"array"}:
                    found[path] = candidate[len(path) + 1:]
                    break
    return found


# -- comparing -----------------------------------------------------------------------------------

@dataclass
class Drift:
    """The comparison: changes (breaking first), what was compared, and each side's provenance."""

    provider: str
    old: Recording
    new: Recording
    changes: list[Change]
    paired: int
    notes: list[str]

    @property
    def exit_status(self) -> int:
        severities = {c.severity for c in self.changes}
        if BREAKING in severities:
            return EXIT_BREAKING
        return EXIT_ADDITIVE if ADDITIVE in severities else EXIT_NONE

    def as_dict(self) -> dict[str, Any]:
        def side(r: Recording) -> dict[str, Any]:
            dates = sorted(r.recorded_at)
            return {"folder": str(r.folder), "cassettes": len(r.cassettes), "targets": dict(r.targets),
                    "recorded": [dates[0], dates[-1]] if dates else None, "without_clauses": r.without_clauses}

        return {"provider": self.provider, "old": side(self.old), "new": side(self.new), "paired": self.paired,
                "exit_status": self.exit_status, "notes": self.notes,
                "counts": dict(Counter(c.severity for c in self.changes)),
                "changes": [c.as_dict() for c in self.changes]}


class _Changes:
    """Aggregates raw findings into one :class:`Change` per kind and subject."""

    def __init__(self, violated: dict[str, list[str]]) -> None:
        self.by_key: dict[tuple[str, str, str], Change] = {}
        self.violated = violated

    def add(self, kind: str, severity: str, subject: str, detail: str, where: Recorded, *,
            category: str = "", clauses: Iterable[str] = ()) -> None:
        change = self.by_key.setdefault((kind, subject, detail), Change(kind, severity, subject, detail, category))
        change.count += 1
        change.sites.add((where.test, where.operation, where.index))
        for bucket, items in ((change.operations, [where.operation]), (change.tests, [where.test]),
                              (change.clauses, clauses), (change.check_clauses, where.clauses),
                              (change.broke, self.violated.get(where.test, ()))):
            bucket.extend(i for i in items if i and i not in bucket)


def compare(old: Recording, new: Recording, contract: Contract, schema_dir: Path | None,
            violated: dict[str, list[str]] | None = None) -> Drift:
    """Pair the two recordings and describe every difference.

    ``violated`` maps a cassette name to the clauses its check violated when the new recording was
    made (:func:`violations`): a change in that cassette is tied to them as what it broke.
    """
    if old.provider != new.provider:
        raise DriftError(f"{old.folder} holds {old.provider}, {new.folder} holds {new.provider}")
    know = Knowledge.of(contract, schema_dir)
    found = _Changes(violated or {})
    limited = contract.rate_limit.status if contract.rate_limit else None
    notes = []
    paired = 0
    # Bodies compare per check, operation and status class: the union of one check's answers on each side.
    bodies: dict[tuple[str, str, int], tuple[list[Recorded], list[Recorded]]] = defaultdict(lambda: ([], []))
    for name in sorted(set(old.cassettes) | set(new.cassettes)):
        if name not in new.cassettes:
            notes.append(f"{name}: only in the old recording (a check that no longer exists, or was not run)")
            continue
        if name not in old.cassettes:
            notes.append(f"{name}: only in the new recording (a new check)")
            continue
        for a, b in _pairs(_unretried(old.cassettes[name], limited), _unretried(new.cassettes[name], limited), found):
            paired += 1
            if a.status != b.status:
                allowed = contract.allowed_status(a.operation.split(" ", 1)[0])
                clauses = [know.status_clause] if know.status_clause and b.status not in allowed else []
                found.add("status", BREAKING, f"{a.status} -> {b.status}", "the same request, another status",
                          b, clauses=clauses)
            else:
                _compare_headers(a, b, know, found)
            if a.status // 100 == b.status // 100:  # 404 -> 410 still compares the error bodies
                bodies[(name, a.operation, a.status // 100)][0].append(a)
                bodies[(name, a.operation, a.status // 100)][1].append(b)
    for (_, _, status_class), (olds, news) in sorted(bodies.items()):
        _compare_bodies(olds, news, status_class * 100, know, found)
    if old.without_clauses or new.without_clauses:
        notes.append(f"{old.without_clauses + new.without_clauses} cassette(s) predate the clauses metadata: "
                     f"changes there are tied to the contract's clauses only (re-record to tie them to the checks)")
    _renames(found)
    order = {BREAKING: 0, ADDITIVE: 1, INFO: 2}
    changes = sorted(found.by_key.values(), key=lambda c: (order[c.severity], c.kind, c.subject, c.detail))
    return Drift(old.provider, old, new, changes, paired, notes)


def _unretried(items: list[Recorded], limited: int | None) -> list[Recorded]:
    """Without the rate-limit answers that the same request followed: the budget's retries are pacing, not drift."""
    if limited is None:
        return items
    return [r for r, nxt in zip(items, [*items[1:], None], strict=False)
            if not (r.status == limited and nxt is not None and (nxt.operation, nxt.query) == (r.operation, r.query))]


def _pairs(old: list[Recorded], new: list[Recorded], found: _Changes) -> list[tuple[Recorded, Recorded]]:
    """The k-th exchange of an operation (and query names) in one recording with the k-th in the other."""
    def keyed(items: list[Recorded]) -> dict[tuple[str, tuple[str, ...], int], Recorded]:
        seen: Counter = Counter()
        out = {}
        for r in items:
            seen[(r.operation, r.query)] += 1
            out[(r.operation, r.query, seen[(r.operation, r.query)])] = r
        return out

    a, b = keyed(old), keyed(new)
    for key in a.keys() - b.keys():
        found.add("only-old", INFO, a[key].operation, "recorded before, not sent now (the check stopped earlier, "
                  "or sends less)", a[key])
    for key in b.keys() - a.keys():
        found.add("only-new", INFO, b[key].operation, "sent now, not recorded before", b[key])
    return [(a[k], b[k]) for k in a if k in b]


def _compare_headers(a: Recorded, b: Recorded, know: Knowledge, found: _Changes) -> None:
    for name in sorted(a.headers.keys() - b.headers.keys()):
        category, clauses = know.header(name)
        found.add("header-removed", BREAKING, name, "no longer sent", b, category=category, clauses=clauses)
    for name in sorted(b.headers.keys() - a.headers.keys()):
        category, clauses = know.header(name)
        found.add("header-added", ADDITIVE, name, "newly sent", b, category=category, clauses=clauses)


def _renames(found: _Changes) -> None:
    """A header removed from exactly the exchanges where another one appeared: one rename, not two changes."""
    removed = [c for c in found.by_key.values() if c.kind == "header-removed"]
    added = [c for c in found.by_key.values() if c.kind == "header-added"]
    for gone in removed:
        twins = [new for new in added if new.sites == gone.sites]
        if len(twins) != 1:
            continue
        new = twins[0]
        added.remove(new)
        del found.by_key[(gone.kind, gone.subject, gone.detail)], found.by_key[(new.kind, new.subject, new.detail)]
        gone.kind, gone.subject = "header-renamed", f"{gone.subject} -> {new.subject}"
        gone.detail = "gone from every exchange where the new name appeared"
        gone.category = gone.category or new.category
        gone.clauses += [c for c in new.clauses if c not in gone.clauses]
        found.by_key[(gone.kind, gone.subject, gone.detail)] = gone


def _compare_bodies(olds: list[Recorded], news: list[Recorded], status: int, know: Knowledge,
                    found: _Changes) -> None:
    """One operation and status: the union of field paths and types on each side, and enum values."""
    old_shape: dict[str, set[str]] = {}
    new_shape: dict[str, set[str]] = {}
    old_values: dict[str, set[Any]] = {}
    new_values: dict[str, set[Any]] = {}
    for r in olds:
        if r.body is not None:
            shape(r.body, know.enums, out=old_shape, values=old_values)
    for r in news:
        if r.body is not None:
            shape(r.body, know.enums, out=new_shape, values=new_values)
    where = news[0]
    clauses = list(know.error_clauses) if status >= 400 else ([know.schema_clause] if know.schema_clause else [])
    if bool(old_shape) != bool(new_shape):
        found.add("field-removed" if old_shape else "field-added", BREAKING if old_shape else ADDITIVE, "$",
                  "the body is gone" if old_shape else "a body where there was none", where, clauses=clauses)
        return
    envelopes = _envelopes(old_shape, new_shape)
    for path, items in envelopes.items():
        found.add("list-to-envelope", BREAKING, path, f"a list became an object with the list under {items!r}",
                  where, clauses=clauses)
        new_shape = _unwrap(new_shape, path, items)
        new_values = _unwrap(new_values, path, items)
    for path in sorted(old_shape.keys() - new_shape.keys()):
        if _parent(path) in old_shape.keys() - new_shape.keys() or _items_unseen(path, new_shape):
            continue  # reported with its parent, or the list was empty on the other side
        found.add("field-removed", BREAKING, path, f"was {'|'.join(sorted(old_shape[path]))}", where, clauses=clauses)
    for path in sorted(new_shape.keys() - old_shape.keys()):
        if _parent(path) in new_shape.keys() - old_shape.keys() or _items_unseen(path, old_shape):
            continue
        found.add("field-added", ADDITIVE, path, f"{'|'.join(sorted(new_shape[path]))}", where, clauses=clauses)
    for path in sorted(old_shape.keys() & new_shape.keys()):
        was, now = old_shape[path] - {"null"}, new_shape[path] - {"null"}
        if was and now and was != now and path not in envelopes:
            found.add("type-changed", BREAKING, path, f"{'|'.join(sorted(was))} -> {'|'.join(sorted(now))}",
                      where, clauses=clauses)
    for path in sorted(old_values.keys() & new_values.keys()):
        allowed = know.enums.get(path.rsplit(".", 1)[-1], frozenset())
        for value in sorted(new_values[path] - old_values[path], key=str):
            severity = ADDITIVE if value in allowed else BREAKING
            found.add("enum-added", severity, path, f"new value {value!r}"
                      + ("" if value in allowed else " (outside the schema's enum)"), where, clauses=clauses)
        for value in sorted(old_values[path] - new_values[path], key=str):
            found.add("enum-removed", BREAKING, path, f"value {value!r} no longer seen", where, clauses=clauses)


def _items_unseen(path: str, other: dict[str, set[str]]) -> bool:
    """A path inside list items, where the other side's list never held an item: nothing to compare with."""
    at = path.find("[]")
    while at != -1:
        if path[:at] in other and path[:at + 2] not in other:
            return True
        at = path.find("[]", at + 2)
    return False


def _parent(path: str) -> str:
    if path.endswith("[]"):
        return path[:-2]
    return path.rsplit(".", 1)[0] if "." in path else "$"


def _unwrap(table: dict[str, Any], path: str, items: str) -> dict[str, Any]:
    """Paths under an envelope's items read as paths under the list they replaced; the envelope itself drops."""
    inner = f"{path}.{items}"
    out = {}
    for key, value in table.items():
        if key == inner or key.startswith(inner + "[") or key.startswith(inner + "."):
            out[path + key[len(inner):]] = value
        elif key == path:
            out[key] = {"array"} if isinstance(value, set) and "object" in value else value
        elif not key.startswith(path + "."):
            out[key] = value
    return out


def violations(results: Path) -> dict[str, list[str]]:
    """Cassette name -> clauses violated (``fail``/``differs``/``expected``) in a run's results.json."""
    try:
        records = json.loads(results.read_text(encoding="utf-8")).get("records") or []
    except (OSError, ValueError, AttributeError) as exc:
        raise DriftError(f"{results}: not a readable results.json ({type(exc).__name__})") from None
    out: dict[str, list[str]] = defaultdict(list)
    for r in records:
        if isinstance(r, dict) and r.get("violated") and "::" in str(r.get("test")):
            out[cassette_name(str(r["test"]))].append(str(r["violated"]))
    return dict(out)
