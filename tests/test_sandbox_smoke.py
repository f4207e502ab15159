"""The bundled mite sandbox, end to end over real HTTPS: a handful of its behaviours."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from apiconform import xmlfmt
from apiconform.sandbox import UnknownProvider, fault_catalogue
from apiconform.sandbox.runner import SandboxError, SandboxHandle, start_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox("mite") as handle:
        yield handle


def client(handle: SandboxHandle, key: str | None = "MITE_API_KEY", **kwargs: object) -> httpx.Client:
    env = handle.env
    headers = {"X-MiteApiKey": env[key]} if key else {}
    verify = ssl.create_default_context(cafile=env["MITE_CA_BUNDLE"])
    return httpx.Client(base_url=env["MITE_BASE_URL"], verify=verify, headers=headers,
                        timeout=10, **kwargs)  # type: ignore[arg-type]


def test_env_names_everything_a_suite_needs(sandbox: SandboxHandle) -> None:
    env = sandbox.env
    assert env["MITE_BASE_URL"].startswith("https://127.0.0.1:")
    assert env["MITE_HTTP_URL"].startswith("http://127.0.0.1:")
    assert env["MITE_ACCOUNT"] == "demo" and env["APICONFORM_FAULTS"] == ""
    for name in ("MITE_API_KEY", "MITE_TIME_TRACKER_API_KEY", "MITE_REVOKED_API_KEY"):
        assert len(env[name]) == 16 and int(env[name], 16) >= 0
    assert env["MITE_EMAIL"].endswith("@demo.example") and env["MITE_PASSWORD"]


def test_auth_variants(sandbox: SandboxHandle) -> None:
    env = sandbox.env
    with client(sandbox, key=None) as anon:
        assert anon.get("/myself.json", headers={"X-MiteApiKey": env["MITE_API_KEY"]}).json()["user"]["role"] == "owner"
        assert anon.get("/myself.json", params={"api_key": env["MITE_API_KEY"]}).status_code == 200
        assert anon.get("/myself.json", auth=(env["MITE_EMAIL"], env["MITE_PASSWORD"])).status_code == 200
        missing = anon.get("/myself.json")
        assert missing.status_code == 401
        assert missing.json() == {"error": "Access denied. Please check your credentials."}
        assert anon.get("/myself.json", headers={"X-MiteApiKey": "0123456789abcdef"}).status_code == 401
        assert anon.get("/myself.json", headers={"X-MiteApiKey": env["MITE_REVOKED_API_KEY"]}).status_code == 401
        assert anon.get("/myself.json", auth=(env["MITE_EMAIL"], "wrong")).status_code == 401
        # api_key only counts for GET/HEAD
        post = anon.post("/services.json", params={"api_key": env["MITE_API_KEY"]}, json={"service": {"name": "x"}})
        assert post.status_code == 401
    with client(sandbox, key="MITE_TIME_TRACKER_API_KEY") as tim:
        assert tim.get("/users.json").status_code == 403
        assert tim.post("/customers.json", json={"customer": {"name": "No"}}).status_code == 403


def test_formats_406_and_xml_mirrors_json(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        for path in ("/customers.csv", "/customers"):
            answer = c.get(path, headers={"Accept": "application/json"})
            assert answer.status_code == 406 and "not supported" in answer.json()["error"]
        as_json = c.get("/customers.json")
        as_xml = c.get("/customers.xml", headers={"Accept": "application/json"})  # Accept is ignored
        assert as_xml.headers["content-type"] == "application/xml; charset=utf-8"
        assert xmlfmt.loads(as_xml.text) == ("customers", [item["customer"] for item in as_json.json()])
        error = c.get("/customers/999999.xml")
        assert error.status_code == 404
        assert xmlfmt.loads(error.text) == ("errors", {"error": "The record does not exist."})


def test_etag_304_and_head(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        first = c.get("/services.json")
        etag = first.headers["etag"]
        assert etag.startswith('W/"') and first.headers["cache-control"] == "max-age=0, private, must-revalidate"
        again = c.get("/services.json", headers={"If-None-Match": etag})
        # httpx never reads a body after a 304 or HEAD; tests/test_rawprobe.py looks at those bytes.
        assert again.status_code == 304 and again.headers["etag"] == etag
        head = c.head("/services.json")
        assert head.status_code == 200 and head.headers["etag"] == etag
        assert head.headers["content-length"] == str(len(first.content))


def test_write_cycle_and_locked_entries(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        created = c.post("/services.json", json={"service": {"name": "Smoke", "note": "n"}})
        assert created.status_code == 201
        location = created.headers["location"]
        assert location.startswith(sandbox.env["MITE_BASE_URL"] + "/services/") and location.endswith(".json")
        before = c.get(location).headers["etag"]
        patched = c.patch(location, json={"service": {"note": "changed"}})
        assert (patched.status_code, patched.content) == (200, b"")
        assert c.get(location, headers={"If-None-Match": before}).status_code == 200
        assert c.post("/services.json", content=b'{"service":{"name":"x"}}').status_code == 400  # no Content-Type
        assert c.post("/services.json", json={"service": {"name": " "}}).status_code == 422
        assert c.delete(location).status_code == 200
        assert c.get(location).status_code == 404

        locked = [e["time_entry"] for e in c.get("/time_entries.json", params={"locked": "true"}).json()]
        entry = f"/time_entries/{locked[0]['id']}.json"
        assert c.patch(entry, json={"time_entry": {"note": "edit"}}).status_code == 423
        assert c.patch(entry, json={"time_entry": {"locked": False, "force": True}}).status_code == 200
        assert c.get(entry).json()["time_entry"]["locked"] is False


def test_time_tracker_sees_only_own_entries(sandbox: SandboxHandle) -> None:
    with client(sandbox) as owner, client(sandbox, key="MITE_TIME_TRACKER_API_KEY") as tim:
        olivia_id = owner.get("/myself.json").json()["user"]["id"]
        others = [e["time_entry"] for e in owner.get("/time_entries.json", params={"user_id": olivia_id}).json()]
        assert tim.get(f"/time_entries/{others[0]['id']}.json").status_code == 404
        own = [e["time_entry"] for e in tim.get("/time_entries.json").json()]
        assert own and {e["user_name"] for e in own} == {"Tim Tracker"}
        started = tim.patch(f"/tracker/{own[0]['id']}.json")
        assert started.json()["tracker"]["tracking_time_entry"]["id"] == own[0]["id"]
        stopped = tim.delete(f"/tracker/{own[0]['id']}.json")
        assert stopped.json()["tracker"]["stopped_time_entry"]["id"] == own[0]["id"]
        assert tim.get("/tracker.json").json() == {"tracker": {}}


def test_pagination(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        everything = c.get("/users.json").json()
        pages = [c.get("/users.json", params={"limit": 2, "page": n}).json() for n in (1, 2, 3, 4)]
        assert [item for page in pages for item in page] == everything
        assert c.get("/users.json", params={"limit": 2, "page": 99}).json() == []
        assert c.get("/users.json", params={"limit": "zero"}).status_code == 400


def test_plain_http_redirects(sandbox: SandboxHandle) -> None:
    answer = httpx.get(sandbox.env["MITE_HTTP_URL"] + "/myself.json", timeout=10)
    assert answer.status_code == 301 and answer.content == b""
    assert answer.headers["location"] == sandbox.env["MITE_BASE_URL"] + "/myself.json"


def test_faults_change_behaviour() -> None:
    with start_sandbox("mite", faults=["put-not-aliased", "plain-http-served"]) as handle:
        assert handle.env["APICONFORM_FAULTS"] == "plain-http-served,put-not-aliased"
        with client(handle) as c:
            assert c.put("/customers/1.json", json={"customer": {"note": "x"}}).status_code == 404
        plain = httpx.get(handle.env["MITE_HTTP_URL"] + "/myself.json",
                          headers={"X-MiteApiKey": handle.env["MITE_API_KEY"]}, timeout=10)
        assert plain.status_code == 200 and plain.json()["user"]["role"] == "owner"


def test_fault_catalogue_and_bad_names() -> None:
    names = [fault.name for fault in fault_catalogue("mite")]
    assert len(names) == len(set(names)) and "etag-strong" in names
    with pytest.raises(UnknownProvider, match="known providers: .*mite"):
        fault_catalogue("nope")
    result = subprocess.run([sys.executable, "-m", "apiconform.sandbox", "mite", "--fault", "nope"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "etag-strong" in result.stderr
    with pytest.raises(SandboxError, match="no sandbox for provider"):
        start_sandbox("nope")
