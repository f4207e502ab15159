"""The raw probe sees the bytes httpx never reads, records them scrubbed and replays them without a socket.

Real parts throughout: the mite sandbox (with and without its stray-body faults) over TLS on
loopback, the suite's own Api, vcrpy cassettes written by the gated persister. The last tests
serve the clean mite app behind a small ASGI change to show which clause head_like_get names.
"""
from __future__ import annotations

import base64
import contextlib
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apiconform.checks import formats
from apiconform.contract.model import Contract, load_contract
from apiconform.http.client import Api, Target
from apiconform.http.rawprobe import parse, send
from apiconform.http.targets import credentials_from, replay_target, scrubber_for
from apiconform.paths import contract_path
from apiconform.record.cassettes import REPLAY_BASE, CassetteError, cassette, no_sockets, recorder
from apiconform.sandbox.mite import create_app
from apiconform.sandbox.mite.render import error_response
from apiconform.sandbox.runner import start_sandbox
from apiconform.sandbox.server import bind, serving_in_thread
from apiconform.sandbox.tls import make_tls
from apiconform.verdict import ContractViolation, HarnessError

PROBE = "myself"


@pytest.fixture(scope="module")
def mite() -> Contract:
    return load_contract(contract_path("mite"))


@pytest.fixture(scope="module")
def stray():
    """A mite sandbox whose HEAD answers and 304s are followed by body bytes."""
    with start_sandbox("mite", ["head-with-body", "not-modified-with-body"]) as handle:
        yield handle


def _target(contract: Contract, env: dict[str, str]) -> Target:
    return Target(kind="url", base_url=env["MITE_BASE_URL"], credentials=credentials_from(contract, env),
                  ca_bundle=env["MITE_CA_BUNDLE"], http_url=env["MITE_HTTP_URL"])


def _cassette(contract: Contract, target: Target, path: Path, mode: str):
    """The test's cassette as the plugin's ``api`` fixture opens it."""
    scrubber = scrubber_for(contract, target)
    vcr_ = recorder(scrubber, [target.base_url, target.http_url or ""], mode,
                    [a.header for a in contract.auth if a.header], [a.param for a in contract.auth if a.param])
    return cassette(vcr_, path, scrubber, target.kind, contract.provider)


def test_live_probe_sees_what_httpx_does_not(mite, stray, sandbox):
    api = Api(mite, _target(mite, stray.env))
    try:
        assert api.request("HEAD", PROBE).body == b""  # httpx reads no body after HEAD
        head = api.raw("HEAD", PROBE)
        assert head.status == 200 and head.body.startswith(b'{"user":')
        tag = head.headers["etag"]
        not_modified = api.raw("GET", PROBE, headers={"If-None-Match": tag})
        assert not_modified.status == 304 and not_modified.body.startswith(b'{"user":')
        assert not_modified.request_headers["connection"] == "close"
    finally:
        api.close()
    clean = Api(mite, _target(mite, sandbox.env))
    try:
        assert clean.raw("HEAD", PROBE).body == b""
        assert clean.raw("HEAD", PROBE, auth="basic").body == b""
    finally:
        clean.close()


def test_record_scrubs_the_probe_and_replay_plays_it_without_a_socket(mite, stray, tmp_path):
    target = _target(mite, stray.env)
    path = tmp_path / "probe.yaml"
    with _cassette(mite, target, path, "record") as cas:
        api = Api(mite, target, cassette_path=path, cassette=cas)
        recorded = [api.raw("HEAD", PROBE, auth=variant.name) for variant in mite.auth if "HEAD" in variant.methods]
        recorded.append(api.raw("GET", PROBE, auth="api-key-query", headers={"If-None-Match":
                                                                             recorded[0].headers["etag"]}))
        api.close()
    assert [ex.body != b"" for ex in recorded] == [True] * len(recorded)
    text = path.read_text()
    creds = target.credentials
    secrets = [creds[n] for n in ("api_key", "email", "password", "time_tracker_api_key", "revoked_api_key")]
    secrets.append(base64.b64encode(f"{creds['email']}:{creds['password']}".encode()).decode())
    assert not [s for s in secrets if s in text]
    assert "127.0.0.1" not in text and f"uri: {REPLAY_BASE}/myself.json" in text
    assert text.count("x-apiconform-probe:\n      - raw") == len(recorded)  # how replay tells raw probes apart

    replay = replay_target(mite)
    no_sockets.install()
    try:
        with _cassette(mite, replay, path, "replay") as cas:
            api = Api(mite, replay, cassette_path=path, cassette=cas, replaying=True)
            played = [api.raw("HEAD", PROBE, auth=variant.name) for variant in mite.auth if "HEAD" in variant.methods]
            played.append(api.raw("GET", PROBE, auth="api-key-query", headers={"If-None-Match": "W/\"any\""}))
            with pytest.raises(HarnessError, match="not in the cassette"):
                api.request("HEAD", PROBE)  # an httpx request never plays a raw probe's answer
            with pytest.raises(CassetteError, match=rf"{path}: HEAD /account.json \(raw probe\) is not in the"):
                api.raw("HEAD", "account")
            api.close()
    finally:
        no_sockets.uninstall()
    scrubbed = [(ex.status, scrubber_for(mite, target).text(ex.text).encode()) for ex in recorded]
    assert [(ex.status, ex.body) for ex in played] == scrubbed
    assert all(b'"email":"REDACTED"' in ex.body for ex in played)


def test_network_failure_is_a_harness_error_naming_the_cause(mite):
    api = Api(mite, Target(kind="url", base_url="https://127.0.0.1:9", credentials={"api_key": "k" * 16}))
    try:
        with pytest.raises(HarnessError, match=r"HEAD https://127.0.0.1:9/myself.json \(raw probe\): "
                                               r"ConnectionRefusedError"):
            api.raw("HEAD", PROBE)
    finally:
        api.close()


def test_parse_keeps_the_bytes_after_the_final_header_block():
    data = b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: W/\"x\"\r\n\r\nstray"
    response = parse(data, "here")
    assert (response.status, response.headers, response.rest) == (304, [("ETag", 'W/"x"')], b"stray")
    with pytest.raises(HarnessError, match="here: the connection ended inside the header block"):
        parse(b"HTTP/1.1 200 OK\r\nETag: x\r\n", "here")
    with pytest.raises(HarnessError, match="not an HTTP/1.x status line"):
        parse(b"SSH-2.0-OpenSSH\r\n\r\n", "here")


def test_a_server_that_keeps_the_connection_open_times_out(tmp_path):
    tls = make_tls(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(str(tls.cert_path), str(tls.key_path))
    sock = bind(0)
    sock.setblocking(True)

    def answer_and_hold() -> None:
        conn, _ = sock.accept()
        with contextlib.suppress(OSError), server_ctx.wrap_socket(conn, server_side=True) as server:
            server.recv(65536)
            server.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            server.recv(1)  # holds the connection until the client gives up

    thread = threading.Thread(target=answer_and_hold, daemon=True)
    thread.start()
    request = httpx.Request("HEAD", f"https://127.0.0.1:{sock.getsockname()[1]}/myself.json",
                            headers={"Connection": "close"})
    try:
        with pytest.raises(HarnessError, match=r"timed out after 0.5 s, \d+ bytes read and the connection still open"):
            send(request, ssl.create_default_context(cafile=str(tls.ca_path)), timeout=0.5)
    finally:
        thread.join(5)
        sock.close()


# -- head_like_get names the right clause when GET itself is wrong ----------------------------------

def _drop_etag(app):
    async def wrapped(scope, receive, send):
        async def send_(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [(k, v) for k, v in message["headers"] if k.lower() != b"etag"]}
            await send(message)
        await app(scope, receive, send_)
    return wrapped


def _probe_gone(app):
    """GET and HEAD of the probe answer 404 with a well-formed error: the old check saw equal statuses."""
    async def wrapped(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == f"/{PROBE}.json":
            await error_response("json", 404, "Record not found", frozenset())(scope, receive, send)
        else:
            await app(scope, receive, send)
    return wrapped


@contextlib.contextmanager
def _serving(app, tmp_path) -> Iterator[tuple[str, str]]:
    tls = make_tls(tmp_path / "tls")
    with serving_in_thread(app, tls) as url:
        yield url, str(tls.ca_path)


@pytest.mark.parametrize("change,clause", [(_drop_etag, "mite.cond.etag"), (_probe_gone, "mite.status.200-read")])
def test_head_like_get_fails_on_the_clause_of_what_broke(mite, tmp_path, change, clause):
    app, env = create_app(frozenset())
    with _serving(change(app), tmp_path) as (url, ca):
        api = Api(mite, Target(kind="url", base_url=url, credentials=credentials_from(mite, env), ca_bundle=ca))
        try:
            with pytest.raises(ContractViolation) as caught:
                formats.head_like_get(api, "mite.verb.head", "mite.cond.etag")
        finally:
            api.close()
    assert caught.value.clause == clause
