"""Every response a full mStudio run produces conforms to the official document.

The committed cassettes are a full recorded run of ``suites/mstudio`` (``apiconform run --provider mstudio
--mode record``). Each interaction is matched to its covered operation and held to the extracted schemas
(``spec/conform.py``): its status declared, its body valid for that status. Every covered operation must
appear, so the proof covers every operation the sandbox serves; errors (401, 403, 404, 400, 412, 429) are
among them.
"""
from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlsplit

import yaml

from apiconform.paths import cassettes_dir, schemas_dir
from apiconform.spec import conform


def _interactions() -> list[dict]:
    found = []
    for path in sorted(cassettes_dir("mstudio").glob("*.yaml")):
        found += yaml.safe_load(path.read_text())["interactions"]
    return found


def test_every_recorded_response_conforms_to_the_spec() -> None:
    interactions = _interactions()
    assert len(interactions) > 200, "the mStudio cassettes are missing: record them"
    seen: Counter[str] = Counter()
    statuses: set[int] = set()
    bad = []
    for it in interactions:
        if it["request"]["uri"].startswith("http://"):  # the plain-HTTP port's redirect is not the API
            continue
        method, path = it["request"]["method"], urlsplit(it["request"]["uri"]).path
        status, body = it["response"]["status"]["code"], it["response"]["body"]["string"]
        body = body.encode() if isinstance(body, str) else body
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = None
        op = conform.operation_for("mstudio", method, path)
        if op is None:
            continue
        seen[op["key"]] += 1
        statuses.add(status)
        bad += [f"{method} {path} {status}: {p}" for p in conform.problems_with("mstudio", method, path, status,
                                                                                body, data)]
    assert not bad, bad[:5]
    covered = json.loads((schemas_dir("mstudio") / "spec" / "index.json").read_text())
    assert set(covered) == set(seen), set(covered) - set(seen)
    assert {200, 201, 204, 308, 400, 401, 403, 404, 412, 429} <= statuses


def test_a_response_off_the_spec_is_named() -> None:
    """The same function on answers the document does not allow: each is a problem naming the operation."""
    token = {"apiTokenId": "a5b3e7c4-0d1e-4f2a-9b8c-7d6e5f4a3b2c", "description": "x", "roles": ["api_read"],
             "createdAt": "2026-01-01T00:00:00Z"}
    ok = conform.problems_with("mstudio", "GET", "/v2/users/self/api-tokens", 200, b"[]", [token])
    assert ok == []
    assert "does not declare status 200" in conform.problems_with("mstudio", "POST", "/v2/users/self/api-tokens",
                                                                   200, b"{}", {})[0]
    roles = conform.problems_with("mstudio", "GET", "/v2/users/self/api-tokens", 200, b"[]", [{**token, "roles": "x"}])
    assert "user-list-api-tokens" in roles[0] and "roles" in roles[0]
    edit = f"/v2/users/self/api-tokens/{token['apiTokenId']}"
    assert "without a body" in conform.problems_with("mstudio", "PUT", edit, 204, b"{}", {})[0]
    assert conform.problems_with("mstudio", "GET", "/v2/users/self", 200, b"{}", {})  # User requires userId, person
    assert conform.problems_with("mstudio", "GET", "/v2/not-covered", 500, b"", None) == []
