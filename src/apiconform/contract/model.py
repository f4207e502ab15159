"""A provider's contract, loaded from ``suites/<provider>/contract.toml``.

The generic checks read everything provider-specific from here, so a new provider needs a
contract file, schemas and a few tests, not engine changes.
"""
from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

PROVENANCES = ("documented", "observed", "assumed")

ANY = "*"
#: Every table and key a contract may hold, in one place: a key outside it is a ContractError
#: naming the file and the key (a typo must not silently change what is checked). Values:
#: a set of key patterns (fnmatch), ANY for a free map (status by method), or for a table of
#: named entries ({name: {...}}) or an array of tables ([[...]]) a one-element tuple holding the
#: entries' keys. A new table (webhooks, consistency, spec) is added here with the code reading it.
CONTRACT_KEYS: dict[str, Any] = {
    "provider": {"name", "title", "base_url", "https_only", "probe", "user_agent"},
    "credentials": ({"env", "secret", "required", "refused", "shape"},),
    "auth": ({"name", "kind", "methods", "clause", "header", "param", "credential", "username", "password"},),
    "auth_probes": {"status", "refused_status", "*_status", "*_error", "*_key", "body", "write"},
    "formats": {"style", "default", "media_types", "unsupported_status", "unsupported_suffix"},
    "status": ANY,
    "errors": {"json", "xml", "type_field", "status_field", "types", "messages_field", "by_status", "validation"},
    "invariants": {"status", "content_type", "error_body", "error_type", "schema", "spec"},
    "pagination": {"style", "limit", "page", "first_page", "default_limit", "min_limit", "max_limit", "page_size",
                   "archived", "filter", "after", "before", "order", "items", "seed", "refused_status",
                   "refused_error", "label", "sort", "resource", "per_page", "seed_day", "cleanup", "created",
                   "current", "item_count", "items_per_page", "page_count", "clauses", "headers", "list", "skip"},
    "conditional": {"style", "clause", "request_header", "not_modified", "weak"},
    "writes": {"create_status", "update_status", "delete_status", "locked_status", "missing_status",
               "content_type_required_status", "location", "update_body", "delete_body", "missing_error",
               "malformed_body", "create_clause", "read_clause", "update_clause", "missing_clause", "malformed_error",
               "endpoint_error"},
    "lists": {"items", "more", "marker", "meta"},
    "roles": ({"writes", "status", "error", "reads"},),
    "resources": ({"path", "schema", "root", "create_schema", "update_schema", "singleton", "read_only",
                   "archived_list", "unlock", "lock", "unknown_id", "sample", "unique", "id_field", "item_key",
                   "list_key", "find_by", "update_method", "deletable"},),
    "rate_limit": {"limit", "window", "status", "headers", "values", "error", "clauses"},
    "invalid_payloads": ({"resource", "constraint", "status", "clause", "error", "constraint_clause", "action",
                          "message"},),
    "range_filters": ({"resource", "param", "ops", "seed_day", "clause"},),
    "defaults": ({"resource", "field", "value", "now", "tolerance", "clause"},),
    "unique_within": ({"resource", "list", "field", "at", "clause"},),
    "replace": {"resource", "method", "body", "field", "initial", "allowed", "move", "move_body", "clauses"},
    "webhooks": {"header", "algorithm", "key", "events", "register", "trigger_env", "wait", "clauses"},
    "upsert": {"resource", "path", "key", "items", "max", "kept", "filter", "sample", "refused_status", "clauses"},
    "soft_delete": {"resource", "field", "active", "deleted", "clause"},
    "secrets": ({"name", "method", "path", "field"},),
    "scrub": {"look_alikes"},
    "spec": {"document", "source", "licence", "versions", "operations", "schemas", "clause", "clauses"},
    "consistency": {"event_header", "wait_header", "timeout", "timeout_status", "lag_status", "sandbox_lag_status",
                    "clauses"},
    "stateful": {"resource", "clause", "label", "marker", "create", "update", "sequences", "steps", "live",
                 "page_size", "clauses", "counter", "role", "shrink_seconds", "soft_delete", "revive", "upsert",
                 "narrow", "events", "ids"},
    "list_filters": ({"resource", "param", "attribute", "values", "seed", "clause", "narrow"},),
    "clauses": ({"id", "area", "text", "source", "provenance"},),
}


class ContractError(Exception):
    """A contract file is missing or malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Clause:
    id: str
    area: str
    text: str
    source: str
    provenance: str


@dataclass(frozen=True)
class Credential:
    name: str
    env: str
    secret: bool
    required: bool
    refused: bool = False  # a credential the target must refuse (e.g. a revoked key)
    shape: str = ""  # regex of what such a credential looks like (e.g. Mitwirken's mit_…): the leak gate scans for it


#: The method classes an ``[[auth]]`` variant may declare in ``methods``, beside single methods.
METHOD_CLASSES = {"read": ("GET", "HEAD"), "write": ("POST", "PUT", "PATCH", "DELETE")}
READ_METHODS = ("GET", "HEAD", "OPTIONS")
METHODS = (*READ_METHODS, *METHOD_CLASSES["write"])


@dataclass(frozen=True)
class AuthVariant:
    name: str
    kind: str  # header | query | basic | bearer
    methods: tuple[str, ...]  # the methods it authenticates, classes expanded (e.g. read -> GET, HEAD)
    clause: str
    header: str = ""
    param: str = ""
    credential: str = ""
    username: str = ""
    password: str = ""

    def of_class(self, cls: str) -> tuple[str, ...]:
        """The declared methods of class ``read`` or ``write``, in declared order: each is exercised with this
        variant (checks/auth.py)."""
        return tuple(m for m in self.methods if (m in READ_METHODS) == (cls == "read"))


@dataclass(frozen=True)
class Resource:
    name: str
    path: str
    schema: str
    root: str = ""  # single resources travel as {root: resource}; "" means unwrapped
    create_schema: str = ""
    update_schema: str = ""
    singleton: bool = False
    read_only: bool = False
    archived_list: bool = False  # also listed under <path>/<pagination.archived>
    unlock: dict[str, Any] | None = None  # attributes that lift a lock (admin), sent before cleanup deletes
    lock: dict[str, Any] | None = None
    unknown_id: int | str = 2147483000  # an id no record of this resource has
    sample: dict[str, Any] | None = None  # attributes of a valid record, for checks that need one to exist
    unique: tuple[str, ...] = ()  # fields no two records may share: generated payloads get fresh values there
    id_field: str = "id"  # the record's id (mStudio: apiTokenId, sshKeyId)
    item_key: str = ""  # a single record read travels as {item_key: record} (mStudio's {sshKey}); "" bare
    list_key: str = ""  # a list travels as {list_key: [...]} (mStudio's {sshKeys}); "" a bare array
    find_by: str = ""  # a create that answers no id: the record field whose value the payload carries
    update_method: str = "PATCH"  # PUT where the API edits with PUT (mStudio)
    deletable: bool = True  # False where the API cannot remove a record (Hive v1's orders): no cleanup is owed

    def wrap(self, attrs: Any) -> Any:
        """A request body: the attributes, under the root if the resource has one."""
        return {self.root: attrs} if self.root else attrs

    def unwrap(self, data: Any) -> Any:
        """The resource in a decoded single-item body (XML: ``(root, value)``), or None if it has none."""
        if isinstance(data, tuple):
            return data[1]
        if not self.root:
            return data
        return data.get(self.root) if isinstance(data, dict) else None


@dataclass(frozen=True)
class InvalidPayload:
    resource: str
    constraint: str  # "<keyword>:<property>"
    status: int
    clause: str  # the status (and error type) a refusal carries
    error: str = ""  # the error type a refusal names, where the contract has typed errors
    constraint_clause: str = ""  # that the constraint exists at all: a target that accepts the payload breaks it
    action: str = "create"  # create (POST) or update (PATCH of a sample record)
    message: str = ""  # in [errors] messages_field: an entry of its list ("Name can't be blank"), or part of its text

    @property
    def accepted_clause(self) -> str:
        return self.constraint_clause or self.clause


@dataclass(frozen=True)
class ListFilter:
    resource: str
    param: str
    attribute: str
    values: tuple[Any, ...]
    seed: dict[str, Any]
    clause: str
    narrow: dict[str, Any] = field(default_factory=dict)  # extra query parameters for every request


RESET_VALUES = ("delta-seconds", "epoch-seconds")
RETRY_AFTER_VALUES = ("integer-seconds", "fractional-seconds")
RATE_HEADERS = ("limit", "remaining", "reset", "retry_after", "used", "max", "exempt")
#: The findings ``[stateful.clauses]`` may give a clause of their own: the ones a single operation shows. A kind
#: the table leaves out, and every finding that needs several writes to one record or a list that disagrees with
#: the reads of the same records, fail the model's clause (``clause``). checks/stateful.py.
STATEFUL_KINDS = {
    "create": "a read lacks what the record's create sent, and the create is the record's only write",
    "update": "a read lacks what the record's update sent, and that update is its only write after the create",
    "delete": "a record deleted right after its create still reads, or the delete is refused",
    "missing": "a record deleted right after its create reads with another status than [writes] missing_status",
    "walk": "one list walk breaks its own rules: a status, an item twice, a page too long, a cursor",
    "past_end": "one list walk's page past the end repeats earlier items",
    "counter": "one list walk's count ([stateful] counter) differs from the items it yielded, after at most one "
               "write of the sequence (a count that only several writes put wrong is the model's)",
    "uncounted": "a page of such a walk carries no count (default: the counter's clause)",
    "role": "a write as [stateful] role is not refused as [roles] says, or changes the record, which had no other "
            "write after its create",
    "upsert": "a read lacks what the record's [upsert] sent, and that upsert is its only write after its create",
}

RATE_CLAUSES = ("headers", "values", "limit", "remaining", "reset", "exceeded", "retry", "exempt")


@dataclass(frozen=True)
class RateLimit:
    """The documented rate limit (``[rate_limit]``): what the budget paces by and the ratelimit area checks.

    ``headers`` maps a role (limit, remaining, reset, retry_after, used, max, exempt) to the header
    name the provider uses; ``values`` says what reset, retry-after and the exempt marker mean;
    ``error`` lists fields the body of the exceeded response carries; ``clauses`` maps each
    ratelimit check (headers, limit, remaining, reset, exceeded, retry) to its clause id.
    """

    limit: int  # requests per window, per credential
    window: float  # seconds
    status: int  # the status above the limit, e.g. 429
    headers: dict[str, str]
    values: dict[str, str]
    error: dict[str, Any]
    clauses: dict[str, str]

    @property
    def per_second(self) -> float:
        return self.limit / self.window


@dataclass
class Contract:
    provider: str
    title: str
    base_url: str
    https_only: bool
    probe: str
    user_agent: str
    credentials: dict[str, Credential]
    auth: list[AuthVariant]
    auth_probes: dict[str, Any]
    formats: dict[str, Any]
    status: dict[str, tuple[int, ...]]
    errors: dict[str, str]
    pagination: dict[str, Any]
    conditional: dict[str, Any]
    writes: dict[str, Any]
    resources: dict[str, Resource]
    invalid_payloads: list[InvalidPayload]
    list_filters: list[ListFilter]
    clauses: dict[str, Clause]
    path: Path
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    rate_limit: RateLimit | None = None  # None: the provider documents no rate limit

    @property
    def env_prefix(self) -> str:
        return self.provider.upper().replace("-", "_")

    @property
    def schema_clause(self) -> str:
        """The clause that resource bodies match their schemas."""
        return self.raw.get("invariants", {}).get("schema", "")

    def clause(self, clause_id: str) -> Clause:
        try:
            return self.clauses[clause_id]
        except KeyError:
            raise ContractError(f"{self.path}: no clause {clause_id!r}") from None

    def allowed_status(self, method: str) -> tuple[int, ...]:
        return self.status.get(method.upper(), ())

    def media_type(self, fmt: str) -> str:
        return self.formats["media_types"][fmt]

    @property
    def refusal_statuses(self) -> tuple[int, ...]:
        """The statuses that mean "this credential is not accepted"."""
        probes = self.auth_probes
        return tuple(probes.get("refused_status", [probes.get("status", 401)]))

    @property
    def lists(self) -> dict[str, Any]:
        """How a list travels: ``{}`` for a bare array, else its envelope (items, more, marker)."""
        return self.raw.get("lists", {})

    def list_records(self, res: Resource, data: Any) -> Any:
        """A decoded JSON list's records: under the resource's ``list_key`` (absent: none, as mStudio's spec
        allows), else the contract's ``[lists]`` envelope or the bare array, each unwrapped from its root."""
        if res.list_key:
            items = data.get(res.list_key) if isinstance(data, dict) else data
            return [] if items is None else items
        entries = self.list_entries(data) if not self.lists or isinstance(data, dict) else None
        return [res.unwrap(entry) for entry in entries] if isinstance(entries, list) else entries

    def list_entries(self, data: Any) -> Any:
        """The entries of a decoded JSON list: the array itself, or the items of its envelope."""
        return data[self.lists["items"]] if self.lists else data

    def probe_error(self, how: str) -> str:
        """The error type a ``missing``, ``wrong``, ``malformed`` or ``revoked`` credential gets, if typed."""
        return str(self.auth_probes.get(f"{how}_error", ""))

    def probe_status(self, how: str) -> int:
        """The status a ``missing``, ``wrong``, ``malformed`` or ``revoked`` credential gets."""
        return int(self.auth_probes.get(f"{how}_status", self.auth_probes.get("status", 401)))

    def role(self, credential: str) -> dict[str, Any]:
        """What a credential of a restricted role may not do: ``writes`` refused with ``status``/``error``."""
        return {"writes": ["POST"], "status": 403, "reads": False, **self.raw.get("roles", {}).get(credential, {})}

    def may(self, credential: str, method: str) -> bool:
        """False where the credential's role refuses ``method`` (its refusal is then the contract's answer)."""
        return credential not in self.raw.get("roles", {}) or method.upper() not in self.role(credential)["writes"]

    def auth_variant(self, name: str) -> AuthVariant:
        for variant in self.auth:
            if variant.name == name:
                return variant
        raise ContractError(f"{self.path}: no auth variant {name!r}")


def suite_contract(test_file: str) -> Contract:
    """The contract beside a suite's test file, loaded once per process (not once per test file)."""
    return _contract_at(str(Path(test_file).with_name("contract.toml")))


@cache
def _contract_at(path: str) -> Contract:
    return load_contract(Path(path))


def _need(table: dict[str, Any], key: str, where: str, path: Path) -> Any:
    if key not in table:
        raise ContractError(f"{path}: [{where}] lacks required field {key!r}")
    return table[key]


def read_toml(path: Path, error: type[Exception], what: str) -> dict[str, Any]:
    """A TOML file's data; a missing or broken file raises ``error`` naming it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {what} file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


def load_contract(path: Path) -> Contract:
    """Parse and cross-check a contract file; every error names the file and the field."""
    raw = read_toml(path, ContractError, "contract")
    _known_keys(raw, path)

    prov = _need(raw, "provider", "provider", path)
    clauses: dict[str, Clause] = {}
    for i, c in enumerate(raw.get("clauses", [])):
        where = f"clauses #{i + 1}"
        clause = Clause(**{k: str(_need(c, k, where, path)) for k in ("id", "area", "text", "source", "provenance")})
        if clause.provenance not in PROVENANCES:
            raise ContractError(f"{path}: [{where}] provenance {clause.provenance!r} is not one of {PROVENANCES}")
        if clause.id in clauses:
            raise ContractError(f"{path}: clause {clause.id!r} defined twice")
        clauses[clause.id] = clause

    credentials = {
        name: Credential(name, _need(c, "env", f"credentials.{name}", path), bool(c.get("secret", True)),
                         bool(c.get("required", True)), bool(c.get("refused", False)), _shape(c, name, path))
        for name, c in raw.get("credentials", {}).items()
    }
    auth = []
    for a in raw.get("auth", []):
        a = dict(a)
        a["methods"] = _methods(a.get("methods", []), a.get("name"), path)
        try:
            auth.append(AuthVariant(**a))
        except TypeError as exc:
            raise ContractError(f"{path}: [[auth]] {a.get('name')!r}: {exc}") from None
    resources = {}
    for name, r in raw.get("resources", {}).items():
        try:
            resources[name] = Resource(name=name, **{**r, "unique": tuple(r.get("unique", ()))})
        except TypeError as exc:
            raise ContractError(f"{path}: [resources.{name}]: {exc}") from None
    invalid = []
    for p in raw.get("invalid_payloads", []):
        try:
            invalid.append(InvalidPayload(**p))
        except TypeError as exc:
            raise ContractError(f"{path}: [[invalid_payloads]] {p.get('constraint')!r}: {exc}") from None
    filters = []
    for f in raw.get("list_filters", []):
        try:
            filters.append(ListFilter(**{**f, "values": tuple(f.get("values", ())), "seed": f.get("seed", {}),
                                         "narrow": f.get("narrow", {})}))
        except TypeError as exc:
            raise ContractError(f"{path}: [[list_filters]] {f.get('param')!r}: {exc}") from None

    contract = Contract(
        provider=_need(prov, "name", "provider", path),
        title=prov.get("title", prov["name"]),
        base_url=_need(prov, "base_url", "provider", path),
        https_only=bool(prov.get("https_only", True)),
        probe=prov.get("probe", ""),
        user_agent=prov.get("user_agent", "apiconform"),
        credentials=credentials,
        auth=auth,
        auth_probes=raw.get("auth_probes", {}),
        formats=raw.get("formats", {}),
        status={m.upper(): tuple(codes) for m, codes in raw.get("status", {}).items()},
        errors=raw.get("errors", {}),
        pagination=raw.get("pagination", {}),
        conditional=raw.get("conditional", {}),
        writes=raw.get("writes", {}),
        resources=resources,
        invalid_payloads=invalid,
        list_filters=filters,
        clauses=clauses,
        path=path,
        raw=raw,
        rate_limit=_rate_limit(raw["rate_limit"], path) if "rate_limit" in raw else None,
    )
    _cross_check(contract)
    return contract


def _rate_limit(table: dict[str, Any], path: Path) -> RateLimit:
    """``[rate_limit]``, complete and consistent: which fields are required follows from the headers named."""
    def number(key: str, types: tuple[type, ...], low: float, high: float = float("inf")) -> Any:
        value = _need(table, key, "rate_limit", path)
        if isinstance(value, bool) or not isinstance(value, types) or not low <= value <= high:
            raise ContractError(f"{path}: [rate_limit] {key} = {value!r} is not a number in [{low:g}, {high:g}]"
                                + (" (an integer)" if types == (int,) else ""))
        return value

    limit, status = number("limit", (int,), 1), number("status", (int,), 400, 599)
    window = number("window", (int, float), 1e-3)
    parts = {}
    for name, allowed in (("headers", RATE_HEADERS), ("values", ("reset", "retry_after", "exempt")),
                          ("clauses", RATE_CLAUSES)):
        part = table.get(name, {})
        if not isinstance(part, dict) or any(not isinstance(v, str) or not v for v in part.values()):
            raise ContractError(f"{path}: [rate_limit.{name}] must map names to non-empty strings")
        unknown = sorted(set(part) - set(allowed))
        if unknown:
            raise ContractError(f"{path}: [rate_limit.{name}] has unknown field(s) {', '.join(unknown)} "
                                f"(known: {', '.join(allowed)})")
        parts[name] = part
    headers, values, clauses = parts["headers"], parts["values"], parts["clauses"]
    # The budget needs to know what is left: a remaining count, or used and max (Hive).
    if "used" in headers or "max" in headers:
        _need(headers, "max" if "used" in headers else "used", "rate_limit.headers", path)
    else:
        _need(headers, "remaining", "rate_limit.headers", path)
    meanings = {"reset": RESET_VALUES, "retry_after": RETRY_AFTER_VALUES, "exempt": None}
    for role, allowed in meanings.items():
        if role in headers:
            value = _need(values, role, "rate_limit.values", path)
            if allowed and value not in allowed:
                raise ContractError(f"{path}: [rate_limit.values] {role} = {value!r} is not one of {allowed}")
        elif role in values:
            raise ContractError(f"{path}: [rate_limit.values] {role} describes a header [rate_limit.headers] "
                                f"does not name")
    needed = {"headers", "exceeded", "retry"}
    needed |= {"limit"} if {"limit", "max"} & set(headers) else set()
    needed |= {"remaining"} if {"remaining", "used"} & set(headers) else set()
    needed |= {"reset"} if "reset" in headers else set()
    for key in sorted(needed):
        _need(clauses, key, "rate_limit.clauses", path)
    error = table.get("error", {})
    if not isinstance(error, dict):
        raise ContractError(f"{path}: [rate_limit.error] must be a table of body fields")
    return RateLimit(limit=limit, window=float(window), status=status, headers=headers, values=values,
                     error=error, clauses=clauses)


def _known_keys(raw: dict[str, Any], path: Path) -> None:
    """Every table and key is one :data:`CONTRACT_KEYS` declares; the first that is not names itself."""
    for table, value in raw.items():
        if table not in CONTRACT_KEYS:
            raise ContractError(f"{path}: unknown table [{table}] (known: {', '.join(sorted(CONTRACT_KEYS))})")
        known = CONTRACT_KEYS[table]
        if known == ANY:
            continue
        if isinstance(known, tuple):  # named entries, or an array of tables
            entries = value.items() if isinstance(value, dict) else ((f"#{i + 1}", e) for i, e in enumerate(value))
            for name, entry in entries:
                if not isinstance(entry, dict):
                    raise ContractError(f"{path}: [{table}] {name} is not a table")
                _unknown(entry, known[0], f"{table}.{name}", path)
        elif not isinstance(value, dict):
            raise ContractError(f"{path}: [{table}] is not a table")
        else:
            _unknown(value, known, table, path)


def _unknown(table: dict[str, Any], known: set[str], where: str, path: Path) -> None:
    extra = sorted(k for k in table if not any(fnmatch.fnmatchcase(k, pattern) for pattern in known))
    if extra:
        raise ContractError(f"{path}: [{where}] has unknown key {extra[0]!r} (known: {', '.join(sorted(known))})")


def _methods(declared: Any, name: Any, path: Path) -> tuple[str, ...]:
    """``[[auth]] methods``: single methods and classes (``read``, ``write``), expanded, each once; none is an error,
    since a variant that declares nothing is never exercised."""
    methods: list[str] = []
    for value in declared if isinstance(declared, list) else [declared]:
        for method in METHOD_CLASSES.get(str(value).lower(), (str(value).upper(),)):
            if method not in METHODS:
                raise ContractError(f"{path}: [[auth]] {name!r}: method {value!r} is not one of "
                                    f"{', '.join((*METHOD_CLASSES, *METHODS))}")
            if method not in methods:
                methods.append(method)
    if not methods:
        raise ContractError(f"{path}: [[auth]] {name!r} declares no methods")
    return tuple(methods)


def _check_auth_writes(c: Contract) -> None:
    """A variant that declares a write method is exercised on it (checks/auth.py ``variant_writes``), so
    ``[auth_probes.write]`` names the resource written (with a sample), the change an update sends, and for each
    such method the clause its effect is held to."""
    wanted = {m for a in c.auth for m in a.of_class("write")}
    if not wanted:
        return
    where = "auth_probes.write"
    spec = _need(c.auth_probes, "write", "auth_probes", c.path)
    res = c.resources.get(_need(spec, "resource", where, c.path))
    if res is None or not res.sample:
        raise ContractError(f"{c.path}: [{where}] resource {spec['resource']!r} is no resource with a sample")
    change = _need(spec, "change", where, c.path)
    clauses = _need(spec, "clauses", where, c.path)
    if not isinstance(change, dict) or not change or not isinstance(clauses, dict):
        raise ContractError(f"{c.path}: [{where}] change and clauses must be tables, change not empty")
    for method in sorted(wanted):
        c.clause(_need(clauses, method, f"{where}.clauses", c.path))


def _shape(raw: dict[str, Any], name: str, path: Path) -> str:
    shape = str(raw.get("shape", ""))
    try:
        re.compile(shape)
    except re.error as exc:
        raise ContractError(f"{path}: [credentials.{name}] shape is not a regular expression: {exc}") from None
    return shape


WEBHOOK_ALGORITHMS = ("hmac-sha256-hex",)
WEBHOOK_CLAUSES = ("delivered", "signature", "payload")


def _check_webhooks(c: Contract) -> None:
    """``[webhooks]``: the fields the webhook checks read, a known algorithm, a known key, an event or more."""
    table = c.raw.get("webhooks")
    if table is None:
        return
    for key in ("header", "algorithm", "key", "register", "trigger_env", "clauses", "events"):
        _need(table, key, "webhooks", c.path)
    if table["algorithm"] not in WEBHOOK_ALGORITHMS:
        raise ContractError(f"{c.path}: [webhooks] algorithm {table['algorithm']!r} is not one of {WEBHOOK_ALGORITHMS}")
    if table["key"] not in c.credentials:
        raise ContractError(f"{c.path}: [webhooks] key names no credential: {table['key']!r}")
    for key in WEBHOOK_CLAUSES:
        _need(table["clauses"], key, "webhooks.clauses", c.path)
    if not table["events"]:
        raise ContractError(f"{c.path}: [webhooks.events] lists no event")
    for name, event in table["events"].items():
        for key in ("schema", "trigger", "moved"):
            _need(event, key, f"webhooks.events.{name}", c.path)


def _check_stateful(c: Contract) -> None:
    """[stateful] (checks/stateful.py): its clause and resource exist, and its writes carry its marker."""
    table = c.raw.get("stateful")
    if not table:
        return
    for key in ("resource", "clause", "label", "marker", "create", "update"):
        _need(table, key, "stateful", c.path)
    c.clause(table["clause"])
    clauses = table.get("clauses", {})
    unknown = sorted(set(clauses) - set(STATEFUL_KINDS))
    if unknown:
        raise ContractError(f"{c.path}: [stateful.clauses] has unknown finding(s) {', '.join(unknown)} "
                            f"(known: {', '.join(STATEFUL_KINDS)})")
    for clause_id in clauses.values():
        c.clause(clause_id)
    counter = table.get("counter")
    if counter is not None and (not isinstance(counter, dict) or len(counter) != 1 or not {*counter} <= {
            "header", "field"} or not isinstance([*counter.values()][0], str) or not [*counter.values()][0]):
        raise ContractError(f"{c.path}: [stateful] counter must be {{ header = \"...\" }} or {{ field = \"...\" }}")
    if "role" in table and table["role"] not in c.raw.get("roles", {}):
        raise ContractError(f"{c.path}: [stateful] role {table['role']!r} has no [roles] table")
    if table["resource"] not in c.resources:
        raise ContractError(f"{c.path}: [stateful] names unknown resource {table['resource']!r}")
    if not str(table["create"].get(table["label"], "")).startswith(table["marker"]) or not str(
            table["update"].get(table["label"], table["marker"])).startswith(table["marker"]):
        raise ContractError(f"{c.path}: [stateful] create must set {table['label']} to start with the marker, "
                            "and update keep it")
    for key in ("sequences", "steps", "live", "page_size", "shrink_seconds"):
        if not isinstance(table.get(key, 1), int) or table.get(key, 1) < 1:
            raise ContractError(f"{c.path}: [stateful] {key} must be a positive integer")
    if table.get("ids", "answered") not in ("answered", "listed"):
        raise ContractError(f"{c.path}: [stateful] ids must be answered or listed")
    if table.get("events") and "consistency" not in c.raw:
        raise ContractError(f"{c.path}: [stateful] events needs a [consistency] table")


def _check_stateful_semantics(c: Contract) -> None:
    """[stateful] soft_delete, revive and upsert (Hive's semantics as rules) need the tables they use."""
    table = c.raw.get("stateful", {})
    if table.get("soft_delete") and "soft_delete" not in c.raw:
        raise ContractError(f"{c.path}: [stateful] soft_delete needs a [soft_delete] table")
    if table.get("revive") and not table.get("soft_delete"):
        raise ContractError(f"{c.path}: [stateful] revive needs soft_delete: only a soft-deleted record comes back")
    if "upsert" in table and c.raw.get("upsert", {}).get("resource") != table["resource"]:
        raise ContractError(f"{c.path}: [stateful] upsert needs an [upsert] table of {table['resource']!r}")


def _cross_check(c: Contract) -> None:
    """Every clause a contract names must exist; every credential an auth variant uses too."""
    named = [a.clause for a in c.auth] + [p.clause for p in c.invalid_payloads] + [f.clause for f in c.list_filters]
    named += [p.constraint_clause for p in c.invalid_payloads if p.constraint_clause]
    for value in c.raw.get("invariants", {}).values():  # a clause id, or one per format
        named += list(value.values()) if isinstance(value, dict) else [value]
    named += [v for k, v in c.writes.items() if k.endswith("_clause")]
    named += list(c.rate_limit.clauses.values()) if c.rate_limit else []
    for table in ("pagination", "upsert", "webhooks", "consistency", "replace"):  # data-driven: a `clauses` table
        named += list(c.raw.get(table, {}).get("clauses", {}).values())
    named += [t["clause"] for t in [c.raw.get("soft_delete", {}), *c.raw.get("range_filters", []),
                                        *c.raw.get("defaults", []), *c.raw.get("unique_within", [])] if "clause" in t]
    for clause_id in named:
        c.clause(clause_id)
    _check_webhooks(c)
    _check_auth_writes(c)
    _check_stateful_semantics(c)
    for a in c.auth:
        for cred in (a.credential, a.username, a.password):
            if cred and cred not in c.credentials:
                raise ContractError(f"{c.path}: auth variant {a.name!r} uses unknown credential {cred!r}")
    for p in [*c.invalid_payloads, *c.list_filters]:
        if p.resource not in c.resources:
            raise ContractError(f"{c.path}: {type(p).__name__} names unknown resource {p.resource!r}")
    if c.lists and "items" not in c.lists:
        raise ContractError(f"{c.path}: [lists] needs items")
    inv = c.raw.get("invariants", {})
    if inv.get("error_type") and not (c.errors.get("type_field") and inv.get("error_body")):
        raise ContractError(f"{c.path}: [invariants] error_type needs [errors] type_field and an error_body clause")
    look_alikes = c.raw.get("scrub", {}).get("look_alikes", [])
    if not (isinstance(look_alikes, list) and all(isinstance(v, str) and len(v) >= 4 for v in look_alikes)):
        raise ContractError(f"{c.path}: [scrub] look_alikes must be a list of strings of 4 characters or more")
    for name in c.raw.get("roles", {}):
        if name not in c.credentials:
            raise ContractError(f"{c.path}: [roles.{name}] names no credential")
    _check_stateful(c)  # after [roles]: its role must name one
    for p in c.invalid_payloads:
        res = c.resources[p.resource]
        if p.action not in ("create", "update"):
            raise ContractError(f"{c.path}: [[invalid_payloads]] {p.constraint!r}: action {p.action!r} is not "
                                "create or update")
        if p.action == "update" and not (res.update_schema and res.sample):
            raise ContractError(f"{c.path}: [[invalid_payloads]] {p.constraint!r}: an update needs "
                                f"[resources.{res.name}] update_schema and sample")
    for f in c.list_filters:
        if len(f.values) < 2:  # one value cannot show that the filter narrows anything
            raise ContractError(f"{c.path}: [[list_filters]] {f.param!r} needs at least two values")
