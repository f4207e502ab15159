"""The bundled Mitwirken sandbox, end to end over real HTTPS: its keys, members, pages, errors and rate limit."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator

import httpx
import pytest

from apiconform.sandbox import fault_catalogue
from apiconform.sandbox.runner import SandboxHandle, start_sandbox

UNLIMITED = 10_000  # a rate-limit clock this much faster: its 2 per second no longer get in the way


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox("mitwirken", rate_scale=UNLIMITED) as handle:
        yield handle


def client(handle: SandboxHandle, key: str | None = "MITWIRKEN_API_KEY") -> httpx.Client:
    env = handle.env
    headers = {"Authorization": f"Bearer {env[key]}"} if key else {}
    verify = ssl.create_default_context(cafile=env["MITWIRKEN_CA_BUNDLE"])
    return httpx.Client(base_url=env["MITWIRKEN_BASE_URL"], verify=verify, headers=headers, timeout=10)


def _error(answer: httpx.Response) -> tuple[int, str]:
    body = answer.json()
    assert set(body) == {"statusCode", "name", "message"} and body["statusCode"] == answer.status_code
    return answer.status_code, body["name"]


def test_env_names_three_keys(sandbox: SandboxHandle) -> None:
    env = sandbox.env
    assert env["MITWIRKEN_BASE_URL"].startswith("https://127.0.0.1:") and env["APICONFORM_FAULTS"] == ""
    keys = [env[f"MITWIRKEN_{k}API_KEY"] for k in ("", "RESTRICTED_", "REVOKED_")]
    assert all(k.startswith("mit_") and len(k) == 36 for k in keys) and len(set(keys)) == 3


def test_keys_missing_invalid_revoked_restricted(sandbox: SandboxHandle) -> None:
    with client(sandbox, key=None) as anon:
        assert _error(anon.get("/members")) == (401, "missing_api_key")
        assert _error(anon.get("/members", headers={"Authorization": "Basic YTpi"})) == (401, "missing_api_key")
        for key in ("mit_0123456789abcdef", "not-a-key", sandbox.env["MITWIRKEN_REVOKED_API_KEY"]):
            assert _error(anon.get("/members", headers={"Authorization": f"Bearer {key}"})) == (403, "validation_error")
    with client(sandbox, key="MITWIRKEN_RESTRICTED_API_KEY") as restricted, client(sandbox) as full:
        listed = restricted.get("/members").json()["data"]
        assert restricted.get(f"/members/{listed[0]['id']}").status_code == 200
        assert _error(restricted.post("/members", json={"email": "r@example.org"})) == (401, "restricted_api_key")
        assert _error(restricted.patch(f"/members/{listed[0]['id']}", json={})) == (401, "restricted_api_key")
        assert _error(restricted.delete(f"/members/{listed[0]['id']}")) == (401, "restricted_api_key")
        assert full.get(f"/members/{listed[0]['id']}").json() == listed[0]


def test_member_lifecycle_answers_200(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        created = c.post("/members", json={"email": "life@example.org", "first_name": "Life", "extra": 1})
        assert created.status_code == 200 and created.headers["content-type"].startswith("application/json")
        member = created.json()
        assert member["object"] == "member" and member["last_name"] is None and member["unsubscribed"] is False
        assert member["created_at"].endswith("Z") and "extra" not in member
        path = f"/members/{member['id']}"
        updated = c.patch(path, json={"last_name": "Cycle", "unsubscribed": True})
        assert updated.status_code == 200 and updated.json() == {**member, "last_name": "Cycle", "unsubscribed": True}
        assert c.get(path).json() == updated.json()
        assert c.delete(path).json() == {"object": "member", "id": member["id"], "deleted": True}
        assert _error(c.get(path)) == (404, "not_found")
        assert _error(c.delete(path)) == (404, "not_found")
        assert _error(c.get("/members/no-such-id")) == (404, "not_found")
        assert _error(c.get("/nothing/here")) == (404, "not_found")
        refused = c.put("/members")  # a method Mitwirken has nowhere (sandbox/fallback.py)
        assert _error(refused) == (405, "method_not_allowed") and refused.headers["allow"] == "DELETE, GET, PATCH, POST"


def test_validation_errors(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        assert _error(c.post("/members", json={"first_name": "No email"})) == (422, "missing_required_field")
        for body in ({"email": "not an email"}, {"email": "a@b.cd", "first_name": "x" * 101},
                     {"email": "a@b.cd", "unsubscribed": "yes"}, {"email": "a@b.cd", "last_name": "tab\there"}, [1]):
            assert _error(c.post("/members", json=body)) == (400, "validation_error"), body
        assert _error(c.post("/members", content=b"{not json")) == (400, "validation_error")
        assert c.post("/members", json={"email": "a@b.cd", "first_name": "x" * 100}).status_code == 200


def test_cursor_pages(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        first = c.get("/members").json()
        assert first["object"] == "list" and first["has_more"] is True and len(first["data"]) == 20
        everything = c.get("/members", params={"limit": 100}).json()
        assert everything["has_more"] is False and everything["data"][:20] == first["data"]
        ids = [m["id"] for m in everything["data"]]
        walked, after = [], None
        while True:
            page = c.get("/members", params={"limit": 7, **({"after": after} if after else {})}).json()
            walked += [m["id"] for m in page["data"]]
            if not page["has_more"]:
                break
            after = walked[-1]
        assert walked == ids
        back = c.get("/members", params={"limit": 3, "before": ids[5]}).json()
        assert [m["id"] for m in back["data"]] == ids[2:5] and back["has_more"] is True
        for params in ({"limit": 0}, {"limit": 101}, {"limit": "x"}, {"after": ids[0], "before": ids[1]},
                       {"after": "nope"}):
            assert _error(c.get("/members", params=params)) == (400, "validation_error"), params


def test_two_requests_per_second_and_key() -> None:
    """At the documented rate: a third request within the second gets a typed 429 with retry-after; the
    restricted key has a window of its own; after retry-after the full key is served again."""
    with start_sandbox("mitwirken") as handle, client(handle) as full, \
            client(handle, key="MITWIRKEN_RESTRICTED_API_KEY") as restricted:
        answers = [full.get("/members") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert [a.headers["ratelimit-remaining"] for a in answers] == ["1", "0", "0"]
        assert {a.headers["ratelimit-limit"] for a in answers} == {"2"}
        assert {a.headers["ratelimit-reset"] for a in answers} == {"1"}
        assert "retry-after" not in answers[0].headers and answers[2].headers["retry-after"] == "1"
        assert _error(answers[2]) == (429, "rate_limit_exceeded")
        assert restricted.get("/members").status_code == 200
        time.sleep(float(answers[2].headers["retry-after"]))
        assert full.get("/members").status_code == 200


def test_plain_http_is_refused(sandbox: SandboxHandle) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(sandbox.env["MITWIRKEN_HTTP_URL"] + "/members", timeout=10)


def test_faults_change_behaviour() -> None:
    names = [f.name for f in fault_catalogue("mitwirken")]
    assert len(names) == len(set(names)) and "after-includes-cursor" in names
    with start_sandbox("mitwirken", ["plain-http-served", "error-body-untyped"], rate_scale=UNLIMITED) as handle:
        plain = httpx.get(handle.env["MITWIRKEN_HTTP_URL"] + "/members",
                          headers={"Authorization": f"Bearer {handle.env['MITWIRKEN_API_KEY']}"}, timeout=10)
        assert plain.status_code == 200 and plain.json()["object"] == "list"
        with client(handle, key=None) as anon:
            assert anon.get("/members").json() == {"error": "Missing API key in the authorization header."}


def test_a_real_target_differs_on_assumptions_and_fails_on_documented_clauses(tmp_path, suite_run) -> None:
    """Against a URL, the template's cursor pages (assumed) answered otherwise are `differs`, while a
    documented 404 answered otherwise stays a `fail`."""
    with start_sandbox("mitwirken", ["after-includes-cursor", "unknown-id-400"], rate_scale=10) as handle:
        env = dict(handle.env)
        proc, records = suite_run("mitwirken", tmp_path, "--target", env["MITWIRKEN_BASE_URL"], "--ca-bundle",
                                  env["MITWIRKEN_CA_BUNDLE"], "--rate-scale", "10", "-k",
                                  "test_pagination or test_unknown_member", env=env)
    verdicts = {r["name"]: (r["verdict"], r["violated"]) for r in records}
    assert verdicts.pop("test_walk_after") == ("differs", "mitwirken.page.walk")
    assert verdicts.pop("test_unknown_member_404") == ("fail", "mitwirken.status.404-unknown")
    assert set(verdicts.values()) == {("pass", None)} and len(verdicts) == 4
    assert proc.returncode == 1
