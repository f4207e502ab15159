"""The indexed cassette (record/index.py) finds exactly what vcrpy's scan finds, in the same order.

The index must change how fast a request finds its interactions, never which one it gets: the
first unplayed in recorded order, each played once, raw probes apart from httpx requests, and a
request the cassette does not hold still a CassetteError naming the file.
"""
from __future__ import annotations

from collections.abc import Callable
from itertools import product
from pathlib import Path
from typing import Any

import pytest
import yaml
from vcr import matchers
from vcr.cassette import Cassette
from vcr.errors import UnhandledHTTPRequestError
from vcr.request import Request

from apiconform.contract.model import load_contract
from apiconform.http.client import Api
from apiconform.http.targets import replay_target, scrubber_for
from apiconform.paths import contract_path
from apiconform.record.cassettes import PROBE_HEADER, REPLAY_BASE, CassetteError, cassette, recorder
from apiconform.record.index import MATCH_KEYS, IndexedCassette
from apiconform.record.scrub import Scrubber

CONTRACT = load_contract(contract_path("mite"))
RAW = {PROBE_HEADER: "raw"}


def _interaction(method: str, path: str, body: str, headers: dict[str, str] | None = None,
                 request_body: str = "") -> dict[str, Any]:
    return {"request": {"method": method, "uri": f"{REPLAY_BASE}{path}", "body": request_body,
                        "headers": {k: [v] for k, v in (headers or {}).items()}},
            "response": {"status": {"code": 200, "message": "OK"},
                         "headers": {"content-type": ["application/json"], "content-length": [str(len(body))]},
                         "body": {"string": body}}}


RECORDED = [
    _interaction("GET", "/services.json?limit=1&page=1", '"first"'),
    _interaction("GET", "/services.json?page=2&limit=1", '"page 2"'),
    _interaction("GET", "/services.json?limit=1&page=1", '"second"'),  # the same request again
    _interaction("GET", "/services.json?limit=1&page=1", '"raw"', RAW),  # a raw probe of the same URL
    _interaction("POST", "/services.json", '"a"', request_body='{"name": "a"}'),
    _interaction("POST", "/services.json", '"b"', request_body='{"name": "b"}'),
    _interaction("GET", "", '"root"'),
]


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"interactions": RECORDED, "metadata": {"format": 1}, "version": 1}),
                    encoding="utf-8")
    return path


def _plays(cls: type[Cassette], path: Path, match_on: list[str], requests: list[Request]) -> list[Any]:
    """What each request gets from a cassette of class ``cls``: whether it can play, then the body or the error."""
    vcr_ = recorder(Scrubber({}), [], "replay", [], [])
    vcr_.match_on = match_on
    out: list[Any] = []
    with cls.use(**vcr_.get_merged_config(path=str(path))) as cas:
        for request in requests:
            can = bool(cas.can_play_response_for(request))
            try:
                out.append((can, cas.play_response(request)["body"]["string"]))
            except UnhandledHTTPRequestError:
                out.append((can, "unhandled"))
    return [*out, sorted(cas.play_counts.items())]


def _get(path: str, headers: dict[str, str] | None = None, method: str = "GET", body: str = "") -> Request:
    return Request(method, f"{REPLAY_BASE}{path}", body, headers or {})


SEQUENCE = [
    _get("/services.json?page=1&limit=1"),  # query order does not matter: the first of the two
    _get("/services.json?limit=1&page=1", RAW),  # the raw one, not an httpx one
    _get("/services.json?limit=1&page=1"),  # the second
    _get("/services.json?limit=1&page=1"),  # none left
    _get("/services.json?limit=1&page=1", RAW),  # none left
    _get("/services.json?limit=1&page=3"),  # never recorded
    _get("/services.json", method="POST", body='{"name": "b"}'),
    _get("/services.json", method="POST", body='{"name": "a"}'),
    _get("/"),  # an empty path is "/"
    _get("/services.json?limit=1&page=2"),
    _get("/services.json?limit=1&page=2"),
]


@pytest.mark.parametrize("match_on", [["method", "path", "query", "probe"],  # the engine's
                                      ["method", "path", "query", "body"],  # body has no key: confirmed by vcrpy
                                      ["uri"]])  # no key at all: one bucket, vcrpy's scan
def test_plays_what_vcrpy_plays(tmp_path, match_on):
    path = _write(tmp_path)
    indexed = _plays(IndexedCassette, path, match_on, SEQUENCE)
    assert indexed == _plays(Cassette, path, match_on, SEQUENCE)
    if match_on[-1] == "probe":  # the rules themselves, spelled out once
        assert [body for _, body in indexed[:5]] == [b'"first"', b'"raw"', b'"second"', "unhandled", "unhandled"]


SAMPLES = [Request(m, u, "", h) for m, u, h in product(
    ["GET", "POST"],
    ["https://a.invalid", "https://a.invalid/", "https://a.invalid/x", "https://a.invalid/x/", "http://a.invalid/x",
     "https://a.invalid:8443/x", "https://b.invalid/x", "https://a.invalid/x?p=1&q=2", "https://a.invalid/x?q=2&p=1",
     "https://a.invalid/x?p=1&p=2", "https://a.invalid/x?p=2&p=1", "https://a.invalid/x?p=%20", "https://a.invalid/x?p=+",
     "https://a.invalid/x?p="],
    [{}, RAW, {PROBE_HEADER: "other"}])]


@pytest.mark.parametrize("matcher", list(MATCH_KEYS), ids=lambda m: m.__name__)
def test_each_key_is_what_its_matcher_compares(matcher: Callable[..., Any]):
    key = MATCH_KEYS[matcher]
    for a, b in product(SAMPLES, repeat=2):
        assert (key(a) == key(b)) == matchers.requests_match(a, b, [matcher]), (matcher.__name__, a, b)


def test_replay_through_the_client_keeps_order_and_names_the_file(tmp_path):
    path = _write(tmp_path)
    target = replay_target(CONTRACT)
    scrubber = scrubber_for(CONTRACT, target)
    vcr_ = recorder(scrubber, [target.base_url, target.http_url or ""], "replay", ["X-MiteApiKey"], ["api_key"])
    with cassette(vcr_, path, scrubber, target.kind, "mite") as cas:
        assert isinstance(cas, IndexedCassette)
        api = Api(CONTRACT, target, cassette_path=path, replaying=True)
        try:
            params = {"limit": 1, "page": 1}
            first, second = (api.get("/services", params=params, invariants=False) for _ in range(2))
            assert (first.data(), second.data()) == ("first", "second")
            with pytest.raises(CassetteError) as exc:
                api.get("/services", params=params, invariants=False)
            assert str(path) in str(exc.value) and "GET /services.json" in str(exc.value)
        finally:
            api.close()
