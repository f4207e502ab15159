"""The bundled mStudio sandbox, end to end over real HTTPS: tokens, errors, event consistency, pages, rate limit."""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Iterator
from unittest import mock

import httpx
import pytest

from apiconform.sandbox import fault_catalogue
from apiconform.sandbox.runner import SandboxHandle, start_sandbox

UNLIMITED = 10_000  # the rate limit's (and the event lag's) clock this much faster
TOKENS = "/v2/users/self/api-tokens"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox("mstudio", rate_scale=UNLIMITED) as handle:
        yield handle


def client(handle: SandboxHandle, token: str | None = "MSTUDIO_API_TOKEN", bearer: bool = False) -> httpx.Client:
    env = handle.env
    value = env[token] if token else None
    headers = {} if not value else {"Authorization": f"Bearer {value}"} if bearer else {"X-Access-Token": value}
    verify = ssl.create_default_context(cafile=env["MSTUDIO_CA_BUNDLE"])
    return httpx.Client(base_url=env["MSTUDIO_BASE_URL"], verify=verify, headers=headers, timeout=20)


def _error(answer: httpx.Response) -> tuple[int, str]:
    body = answer.json()
    assert isinstance(body["type"], str) and isinstance(body.get("message", ""), str)
    return answer.status_code, body["type"]


def test_env_names_three_tokens(sandbox: SandboxHandle) -> None:
    tokens = [sandbox.env[f"MSTUDIO_{k}_TOKEN"] for k in ("API", "READ", "EXPIRED")]
    assert len(set(tokens)) == 3 and all(t.endswith(":mittwald_a") for t in tokens)


def test_tokens_both_headers_and_refusals(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c, client(sandbox, bearer=True) as b, client(sandbox, None) as anon, \
            client(sandbox, "MSTUDIO_READ_TOKEN") as reader, client(sandbox, "MSTUDIO_EXPIRED_TOKEN") as expired:
        assert c.get("/v2/users/self").json() == b.get("/v2/users/self").json()
        assert _error(anon.get("/v2/users/self")) == (401, "Unauthorized")
        assert _error(anon.get("/v2/users/self", headers={"X-Access-Token": "nope"})) == (401, "Unauthorized")
        assert _error(expired.get("/v2/users/self")) == (401, "Unauthorized")
        assert reader.get(TOKENS).status_code == 200
        assert _error(reader.post(TOKENS, json={"description": "r", "roles": ["api_read"]})) == (403, "Forbidden")


def test_token_lifecycle_with_events(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        created = c.post(TOKENS, json={"description": "life", "roles": ["api_read", "api_write"]})
        assert created.status_code == 201 and set(created.json()) == {"token"}
        event = created.headers["etag"]
        assert event.isdigit() and "etag" not in c.get(TOKENS).headers
        listed = c.get(TOKENS, headers={"if-event-reached": event}).json()
        mine = [t for t in listed if t["description"] == "life"]
        assert len(mine) == 1 and "token" not in mine[0]
        path = f"{TOKENS}/{mine[0]['apiTokenId']}"
        edited = c.put(path, json={"description": "renamed"})
        assert edited.status_code == 204 and not edited.content and int(edited.headers["etag"]) > int(event)
        assert c.get(path, headers={"if-event-reached": edited.headers["etag"]}).json()["description"] == "renamed"
        with client(sandbox, None) as new:
            assert new.get("/v2/users/self", headers={"X-Access-Token": created.json()["token"]}).status_code == 200
            gone = c.delete(path)
            assert gone.status_code == 204
            assert _error(c.get(path, headers={"if-event-reached": gone.headers["etag"]})) == (404, "NotFound")
            assert new.get("/v2/users/self", headers={"X-Access-Token": created.json()["token"]}).status_code == 401
        moved = c.post("/v2/signup/token/api", json={})
        assert moved.status_code == 308 and moved.headers["location"] == TOKENS


def test_validation_errors_name_the_field(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        answer = c.post(TOKENS, json={"description": "x", "roles": ["api_read", "api_read"]})
        assert _error(answer) == (400, "ValidationError")
        assert [(e["path"], e["type"]) for e in answer.json()["validationErrors"]] == [(".roles", "uniqueItems")]
        missing = c.post("/v2/users/self/ssh-keys", json={}).json()["validationErrors"]
        assert [(e["path"], e["type"], e.get("context")) for e in missing] == \
            [("", "required", {"missingProperty": "publicKey"})]  # the spec's form: the object, the property


def test_offset_pages_and_headers(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        everything = c.get("/v2/projects")
        assert everything.headers["x-pagination-limit"] == "10000" and len(everything.json()) == 13
        ids = [p["id"] for p in everything.json()]
        page = c.get("/v2/projects", params={"limit": 4, "page": 2})
        assert [p["id"] for p in page.json()] == ids[8:12]
        assert [page.headers[f"x-pagination-{h}"] for h in ("limit", "skip", "page", "totalcount")] == \
            ["4", "8", "2", "13"]
        both = c.get("/v2/projects", params={"limit": 4, "page": 2, "skip": 1})
        assert [p["id"] for p in both.json()] == ids[1:5] and both.headers["x-pagination-page"] == "0.25"
        assert _error(c.get("/v2/projects", params={"limit": "x"})) == (400, "ValidationError")


def test_rate_limit_headers_and_exempt_route() -> None:
    with start_sandbox("mstudio") as handle, client(handle) as c:
        answers = [c.get("/v2/users/self") for _ in range(21)]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == [str(19 - i) for i in range(20)] + ["0"]
        assert answers[-1].status_code == 429 and answers[-1].json() == {"type": "RateLimitError",
                                                                          "message": "too many requests"}
        exempt = c.get("/v2/users/self/sessions/current/status")
        assert exempt.status_code == 200 and exempt.headers["x-ratelimit-exempt"] == "yes"


def test_the_lag_and_the_412_timeout() -> None:
    """At the sandbox's clock: a fresh token answers 404 until its event is applied; an event that is never
    reached answers 412 once the (here shortened) timeout is over."""
    with mock.patch.dict(os.environ, {"MSTUDIO_SANDBOX_LAG": "2", "MSTUDIO_SANDBOX_EVENT_TIMEOUT": "0.5"}), \
            start_sandbox("mstudio") as handle, client(handle) as c:
        created = c.post(TOKENS, json={"description": "lag", "roles": ["api_read"]})
        event = created.headers["etag"]
        assert all(t["description"] != "lag" for t in c.get(TOKENS).json())  # the list lags too
        start = time.monotonic()
        listed = c.get(TOKENS, headers={"if-event-reached": event})
        assert listed.status_code == 412 and time.monotonic() - start >= 0.5  # 2 s lag > 0.5 s timeout
        assert _error(listed) == (412, "PreconditionFailed")
        time.sleep(2)
        assert any(t["description"] == "lag" for t in c.get(TOKENS, headers={"if-event-reached": event}).json())
        assert c.get(TOKENS, headers={"if-event-reached": str(int(event) + 10**15)}).status_code == 412


def test_faults_change_behaviour() -> None:
    names = [f.name for f in fault_catalogue("mstudio")]
    assert len(names) == len(set(names)) and "consistency-etag-on-get" in names
    with start_sandbox("mstudio", ["consistency-etag-on-get", "pagination-total-off-by-one"],
                       rate_scale=UNLIMITED) as handle, client(handle) as c:
        answer = c.get("/v2/projects")
        assert answer.headers["etag"].isdigit() and answer.headers["x-pagination-totalcount"] == "14"


def test_a_real_target_differs_on_assumptions_and_fails_on_documented_clauses(tmp_path, suite_run) -> None:
    """Against a URL, a lag answered 403 (the sandbox assumed 404) is `differs`; 412 never coming stays `fail`."""
    with start_sandbox("mstudio", ["consistency-lag-403", "consistency-never-412"], rate_scale=10) as handle:
        env = dict(handle.env)
        proc, records = suite_run("mstudio", tmp_path, "--target", env["MSTUDIO_BASE_URL"], "--ca-bundle",
                                  env["MSTUDIO_CA_BUNDLE"], "--rate-scale", "10", "-k", "test_consistency", env=env)
    verdicts = {r["name"]: (r["verdict"], r["violated"]) for r in records}
    assert verdicts.pop("test_read_inside_the_lag") == ("differs", "mstudio.consistency.lag-status")
    assert verdicts.pop("test_unreached_event_412") == ("fail", "mstudio.consistency.412")
    assert set(verdicts.values()) == {("pass", None)} and len(verdicts) == 2
    assert proc.returncode == 1
