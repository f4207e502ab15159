"""Cassettes: vcrpy configured for scrubbed, atomic recording and socket-free replay.

Recording rewrites the target's base URL to :data:`REPLAY_BASE`, drops every credential
(headers, query, basic auth, bodies), then the written text is scanned for the run's secrets
before it replaces the old cassette. Replay matches on method, path, query and whether the
request was a raw probe (rawprobe.py), plays each recorded response once in order, and runs
with sockets disabled. Cassettes are :class:`~apiconform.record.index.IndexedCassette`: a request
finds its interactions by key, so replay time grows with the cassette, not its square.
"""
from __future__ import annotations

import gc
import os
import re
import socket
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from apiconform import __version__
from apiconform.parsecache import cached_yaml
from apiconform.record.scrub import REDACTED, Scrubber
from apiconform.verdict import HarnessError

if TYPE_CHECKING:
    import vcr

REPLAY_BASE = "https://replay.invalid"
FORMAT = 1  # metadata.format: the cassette layout; a cassette without one is format 1
PROBE_HEADER = "X-Apiconform-Probe"  # sent by the raw probe (rawprobe.py): its interactions match only raw probes


class CassetteError(HarnessError):
    """A cassette is missing, corrupt, or lacks a request; names the file."""


def cassette_name(nodeid: str) -> str:
    """``suites/mite/test_auth.py::test_x[basic]`` -> ``test_auth__test_x[basic].yaml``."""
    file_part, _, test_part = nodeid.partition("::")
    stem = Path(file_part).stem
    safe = "".join(c if c.isalnum() or c in "-_.[]" else "_" for c in test_part.replace("::", "__"))
    return f"{stem}__{safe}.yaml"


def make_persister(scrubber: Scrubber, checked: dict[str, Any] | None = None) -> type:
    """A vcrpy persister that writes atomically and refuses to write a secret.

    ``checked`` is the cassette as :func:`read_cassette` parsed and checked it (replay): vcrpy
    builds its requests and responses from that data instead of parsing the file a second time.
    """
    from vcr.persisters.filesystem import CassetteNotFoundError
    from vcr.serialize import deserialize, serialize

    class _Checked:  # vcrpy's serializer interface, over the data already parsed
        @staticmethod
        def deserialize(_text: str) -> dict[str, Any] | None:
            return checked

    class GatedPersister:
        @classmethod
        def load_cassette(cls, cassette_path: str, serializer: Any) -> Any:
            if checked is not None:
                return deserialize("", _Checked)
            path = Path(cassette_path)
            if not path.is_file():
                raise CassetteNotFoundError()
            return deserialize(path.read_text(encoding="utf-8"), serializer)

        @staticmethod
        def save_cassette(cassette_path: str, cassette_dict: dict[str, Any], serializer: Any) -> None:
            path = Path(cassette_path)
            text = serialize(cassette_dict, serializer)
            scrubber.gate(text, str(path))
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    return GatedPersister


REFUSED = "refused"
"""Metadata key: requests whose connection the target refused when recorded (see :func:`refusal_key`)."""


def refusal_key(method: str, url: str) -> str:
    """``GET http://replay.invalid/myself.json``: a refused request, host rewritten as in the interactions."""
    parts = urlsplit(url)
    return f"{method} {REPLAY_BASE.replace('https', parts.scheme, 1)}{parts.path}"


def check_cassette(path: Path) -> dict[str, Any]:
    """Replay needs a readable cassette; say which file is wrong and how. Returns its metadata."""
    meta: dict[str, Any] = _load(path).get("metadata", {})
    return meta


def read_cassette(path: Path) -> dict[str, Any]:
    """The cassette's metadata and interactions, checked (drift reads whole cassette sets)."""
    return _load(path)


def _load(path: Path) -> dict[str, Any]:
    """The cassette's data, every interaction checked for the shape vcrpy and the checks rely on."""
    if not path.is_file():
        raise CassetteError(f"{path}: no cassette for this test; record it with --mode record")
    try:
        with _collector_paused():
            data = cached_yaml(path.read_bytes())
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CassetteError(f"{path}: corrupt cassette ({type(exc).__name__}); re-record it") from None
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise CassetteError(f"{path}: corrupt cassette (no interactions list); re-record it")
    meta = data.get("metadata", {})
    if not isinstance(meta, dict) or not _strings(meta.get(REFUSED, [])):
        raise CassetteError(f"{path}: corrupt cassette (metadata is not a mapping, or its {REFUSED} is not a "
                            f"list of requests); re-record it")
    version = meta.get("format", 1)
    if type(version) is not int or version > FORMAT:
        raise CassetteError(f"{path}: cassette format {version!r} is newer than this apiconform reads (up to "
                            f"{FORMAT}); upgrade apiconform or re-record it")
    for index, interaction in enumerate(data["interactions"]):
        problem = _shape_problem(interaction) or _length_problem(interaction)
        if problem:
            request = interaction.get("request") if isinstance(interaction, dict) else None
            method, uri = (request.get("method"), request.get("uri")) if isinstance(request, dict) else (None, None)
            where = f"{method} {urlsplit(uri).path}" if isinstance(method, str) and isinstance(uri, str) else "?"
            raise CassetteError(f"{path}: corrupt cassette, interaction {index} ({where}): {problem}; re-record it")
    return data


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing a cassette builds a large tree of objects and no garbage; CPython's cyclic collector
    would walk the growing heap again and again while it is built (a 5,000-interaction cassette
    parsed 2-3x slower with it running)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _shape_problem(interaction: Any) -> str | None:
    """What is missing or mistyped in one recorded interaction (what vcrpy and the checks read), or None."""
    if not isinstance(interaction, dict):
        return "not a mapping"
    request, response = interaction.get("request"), interaction.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        return "no request or no response"
    if not (isinstance(request.get("method"), str) and isinstance(request.get("uri"), str)):
        return "request.method or request.uri is not a string"
    if not _headers_ok(request.get("headers"), single_ok=True):
        return "request.headers is not a mapping of header lists"
    if "body" not in request or not isinstance(request["body"], (str, bytes, type(None))):
        return "request.body is missing or not a string"
    status = response.get("status")
    if not (isinstance(status, dict) and type(status.get("code")) is int):
        return "response.status.code is not an integer"
    if "message" not in status or not isinstance(status["message"], (str, type(None))):  # vcrpy replays it
        return "response.status.message is missing or not a string"
    if not _headers_ok(response.get("headers"), single_ok=False):
        return "response.headers is not a mapping of header lists"
    body = response.get("body")
    if not (isinstance(body, dict) and isinstance(body.get("string"), (str, bytes))):
        return "response.body.string is missing or not a string"
    return None


def _length_problem(interaction: dict[str, Any]) -> str | None:
    """A recorded Content-Length that the recorded body does not match, or None.

    A body cut short inside valid YAML would otherwise replay as a server bug ("body does not
    parse"). Answers to HEAD and 304s are exempt: their Content-Length describes a body that
    is never sent.
    """
    request, response = interaction["request"], interaction["response"]
    sides = [("request", request["headers"], request["body"])]
    if request["method"] != "HEAD" and response["status"]["code"] != 304:
        sides.append(("response", response["headers"], response["body"]["string"]))
    for side, headers, content in sides:
        declared = next((v for k, v in headers.items() if str(k).lower() == "content-length"), None)
        if declared is None:
            continue
        value = declared[0] if isinstance(declared, list) else declared
        size = len(content.encode("utf-8") if isinstance(content, str) else content or b"")
        if not (value.isdigit() and int(value) == size):
            return f"{side} body is {size} bytes, its Content-Length says {value}"
    return None


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _headers_ok(headers: Any, *, single_ok: bool) -> bool:
    """vcrpy replays a response header per list item, so only request headers may be a bare string."""
    if not isinstance(headers, dict):
        return False
    for value in headers.values():
        if isinstance(value, str) and single_ok:
            continue
        if not (value and _strings(value)):
            return False
    return True


def recorded_bodies(path: Path, method: str, url_path: str) -> list[str]:
    """Request bodies a cassette recorded for ``method`` on URLs whose path matches the regex ``url_path``."""
    out = []
    for interaction in _load(path)["interactions"]:
        req = interaction["request"]
        if req["method"] == method and re.fullmatch(url_path, urlsplit(req["uri"]).path):
            body = req["body"] or ""
            out.append(body.decode() if isinstance(body, bytes) else body)
    return out


def note_refusals(cas: Any, refused: list[str]) -> None:
    """Record mode: the refusals this recording saw replace those of the cassette it overwrites."""
    cas._metadata.pop(REFUSED, None)
    if refused:
        cas._metadata[REFUSED] = list(refused)


def note_clauses(cas: Any, test: str, clauses: list[str]) -> None:
    """Record mode: the check and the clauses it declares (not the invariants every answer passes), for drift."""
    cas._metadata.update({"test": test, "clauses": list(clauses)})


def age_problem(meta: dict[str, Any], path: Path, max_days: float, now: datetime | None = None
                ) -> tuple[str, bool] | None:
    """Why a cassette is older than ``max_days``, and whether its age is known; None when it is young enough.

    A cassette without ``recorded_at`` (recorded before apiconform wrote it) replays: its age is unknown.
    """
    recorded = meta.get("recorded_at")
    try:
        when = datetime.fromisoformat(str(recorded)) if recorded else None
    except ValueError:
        when = None
    if when is None:
        return f"{path}: unknown age (no recorded_at: recorded before apiconform wrote it)", False
    days = ((now or datetime.now(UTC)) - when).total_seconds() / 86400
    if days <= max_days:
        return None
    return (f"{path}: recorded {when.date()} from a {meta.get('target') or 'unknown'} target, {days:.0f} days ago, "
            f"older than --max-age {max_days:g}; re-record it with --mode record"), True


def unplayed(cas: Any, recorded_refusals: Iterable[str], replayed_refusals: Iterable[str]) -> list[str]:
    """What a replay left unplayed: ``METHOD path`` of each interaction in recorded order, then refusals."""
    left = [f"{req.method} {req.path}" for index, req in enumerate(cas.requests) if cas.play_counts[index] == 0]
    return left + [f"{r} (refused)" for r in (Counter(recorded_refusals) - Counter(replayed_refusals)).elements()]


def recorder(scrubber: Scrubber, bases: list[str], mode: str, auth_headers: list[str], auth_params: list[str]
             ) -> vcr.VCR:
    """A vcrpy VCR for ``record`` or ``replay``; ``bases`` are the target's URLs to rewrite."""

    def _replace_base(value: str) -> str:
        for base in bases:
            if base:
                scheme = base.split("://", 1)[0]
                value = value.replace(base.rstrip("/"), REPLAY_BASE.replace("https", scheme, 1))
        return value

    answering: list[tuple[str, str]] = []  # vcrpy hands over a request, then its response

    def before_request(request: Any) -> Any:
        answering[:] = [(request.method, request.uri)]
        request.uri = scrubber.text(_replace_base(request.uri))
        for name in list(request.headers):
            if name.lower() == "host":
                request.headers[name] = REPLAY_BASE.split("://", 1)[1]
        body = request.body
        if body:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            request.body = scrubber.text(_replace_base(text)).encode()
            if "content-length" in request.headers:  # the replay check compares it with the body
                request.headers["content-length"] = str(len(request.body))
        return request

    def before_response(response: dict[str, Any]) -> dict[str, Any]:
        headers = response.get("headers", {})
        for name in list(headers):
            headers[name] = [scrubber.header_value(name, _replace_base(v)) for v in headers[name]]
        body = response.get("body", {}).get("string")
        for method, uri in answering:  # a secret the answer hands out is scrubbed from its first recording on
            scrubber.learn_from(method, uri, body)
        if body:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            new = scrubber.text(_replace_base(text)).encode()
            if new != body:
                response["body"]["string"] = new
                for name in headers:
                    if name.lower() == "content-length":
                        headers[name] = [str(len(new))]
        return response

    import vcr
    from vcr.patch import PATCHER_NAMES

    from apiconform.record.index import match_key

    match_key(_same_probe, lambda r: r.headers.get(PROBE_HEADER))  # so cassettes matching on it stay indexed
    vcr_ = vcr.VCR(
        serializer="yaml",
        record_mode="all" if mode == "record" else "none",
        match_on=["method", "path", "query", "probe"],
        filter_headers=[(h, REDACTED) for h in [*auth_headers, "authorization", "cookie"]],
        filter_query_parameters=[(p, REDACTED) for p in auth_params],
        before_record_request=before_request,
        before_record_response=before_response,
        decode_compressed_response=True,
        # Recording replaces the old cassette whole; replay must never write one (vcrpy would
        # otherwise save a replayed cassette without the interactions the check left unplayed).
        drop_unused_requests=mode == "record",
        # Only httpx carries a check's requests (the raw probe appends to the cassette itself). vcrpy
        # would otherwise try to import and patch eight other HTTP libraries at every cassette it opens.
        skip_patchers=[name for name in PATCHER_NAMES if name != "httpx"],
    )
    vcr_.register_matcher("probe", _same_probe)
    return vcr_


def _same_probe(r1: Any, r2: Any) -> None:
    """httpx's requests and the raw probe's never stand in for each other, even on the same method and URL."""
    assert r1.headers.get(PROBE_HEADER) == r2.headers.get(PROBE_HEADER)


@contextmanager
def cassette(vcr_: vcr.VCR, path: Path, scrubber: Scrubber, target: str, provider: str,
             checked: dict[str, Any] | None = None) -> Iterator[Any]:
    """The test's cassette, open; replay passes the ``checked`` data :func:`read_cassette` returned."""
    from apiconform.record.index import IndexedCassette

    persister = make_persister(scrubber, checked)
    vcr_.register_persister(persister)
    # vcr_.use_cassette, with the cassette class that finds a request's interactions by key (record/index.py)
    with IndexedCassette.use(**vcr_.get_merged_config(path=str(path))) as cas:
        if vcr_.record_mode != "none":
            cas._metadata.update({"format": FORMAT, "provider": provider, "target": target,
                                  "tool": f"apiconform {__version__}",
                                  "recorded_at": datetime.now(UTC).isoformat(timespec="seconds")})
            cas.dirty = True
        yield cas


class _NoSockets:
    """Replay must not touch the network: any connect attempt is a harness error."""

    def __init__(self) -> None:
        self.saved: dict[str, Any] = {}

    def install(self) -> None:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise HarnessError("replay mode opened a socket: a request was not served from the cassette")

        self.saved = {"connect": socket.socket.connect, "connect_ex": socket.socket.connect_ex,
                      "create_connection": socket.create_connection}
        socket.socket.connect = refuse  # type: ignore[method-assign]
        socket.socket.connect_ex = refuse  # type: ignore[method-assign]
        socket.create_connection = refuse  # type: ignore[assignment]

    def uninstall(self) -> None:
        if self.saved:
            socket.socket.connect = self.saved["connect"]  # type: ignore[method-assign]
            socket.socket.connect_ex = self.saved["connect_ex"]  # type: ignore[method-assign]
            socket.create_connection = self.saved["create_connection"]  # type: ignore[assignment]
            self.saved = {}


no_sockets = _NoSockets()
