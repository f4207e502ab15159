"""mittwald's own Python client (PyPI mittwald-api-client 3.0.0) against the mStudio sandbox, with its CA.

Every operation the sandbox serves that the client has: the user, API tokens (create, list, get,
edit, delete), SSH keys (the same), projects (list, get), and the deprecated route, which the client
follows like mittwald's SDK guide says (``follow_redirects=True``). The client has no operation for
the session status (added to the spec after 3.0.0), so that one goes through the client's own httpx
client. Both auth headers are used, and the client's typed models parse every answer: a sandbox
answer that differs from the spec the client was generated from fails here. Reads after a write send
``if-event-reached`` with the write's ``etag``, as mittwald's clients do with consistency handling on.

Installed by the ``official-clients`` extra (``pip install -e ".[official-clients]"``; ``.ci/run``).

mittwald's JavaScript client (npm ``@mittwald/api-client``, pinned in ``tests/js/package.json``; ``npm ci
--prefix tests/js``) runs ``tests/js/mstudio_official_client.mjs`` against the same sandbox: it has every
operation the sandbox serves, the session status included, and its own event-consistency handling.
``.ci/run`` installs it and then sets ``APICONFORM_REQUIRE_JS_CLIENT=1``, so the test fails there rather than skip.
"""
from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import pytest

from apiconform.sandbox.runner import SandboxHandle, start_sandbox

JS = Path(__file__).with_name("js")

mw = pytest.importorskip("mittwald_api_client", reason="pip install -e '.[official-clients]'")
from mittwald_api_client import AuthenticatedClient  # noqa: E402
from mittwald_api_client.api.project import project_get_project, project_list_projects  # noqa: E402
from mittwald_api_client.api.user import (  # noqa: E402
    user_create_api_token,
    user_create_ssh_key,
    user_delete_api_token,
    user_delete_ssh_key,
    user_edit_api_token,
    user_edit_ssh_key,
    user_get_api_token,
    user_get_ssh_key,
    user_get_user,
    user_list_api_tokens,
    user_list_ssh_keys,
)
from mittwald_api_client.models import (  # noqa: E402
    DeMittwaldV1SignupApiToken,
    DeMittwaldV1UserUser,
    UserCreateApiTokenBody,
    UserCreateApiTokenBodyRolesItem,
    UserCreateSshKeyBody,
    UserEditApiTokenBody,
    UserEditSshKeyBody,
)

UNLIMITED = 10_000  # the rate limit's clock this much faster: the client does not pace itself


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox("mstudio", rate_scale=UNLIMITED) as handle:
        yield handle


def client(handle: SandboxHandle, header: str = "Authorization", token: str | None = None) -> AuthenticatedClient:
    env = handle.env
    return AuthenticatedClient(base_url=env["MSTUDIO_BASE_URL"], token=token or env["MSTUDIO_API_TOKEN"],
                               prefix="Bearer" if header == "Authorization" else "", auth_header_name=header,
                               verify_ssl=ssl.create_default_context(cafile=env["MSTUDIO_CA_BUNDLE"]),
                               follow_redirects=True)


def after(c: AuthenticatedClient, response) -> AuthenticatedClient:
    """The client for the reads that follow a write: waiting for its event, as the docs say."""
    assert response.headers.get("etag", "").isdigit(), response.headers
    return c.with_headers({"if-event-reached": response.headers["etag"]})


@pytest.mark.parametrize("header", ["Authorization", "X-Access-Token"])
def test_user_and_session(sandbox: SandboxHandle, header: str) -> None:
    c = client(sandbox, header)
    user = user_get_user.sync_detailed("self", client=c)
    assert user.status_code == HTTPStatus.OK and isinstance(user.parsed, DeMittwaldV1UserUser)
    status = c.get_httpx_client().get("/v2/users/self/sessions/current/status")
    assert status.status_code == 200 and status.json()["userId"] == str(user.parsed.user_id)
    assert status.headers["x-ratelimit-exempt"] == "yes"


def test_api_token_lifecycle(sandbox: SandboxHandle) -> None:
    c = client(sandbox)
    description = f"official client {uuid.uuid4().hex[:8]}"
    body = UserCreateApiTokenBody(description=description, roles=[UserCreateApiTokenBodyRolesItem.API_READ])
    created = user_create_api_token.sync_detailed(client=c, body=body)
    assert created.status_code == HTTPStatus.CREATED and created.parsed.token
    listed = user_list_api_tokens.sync_detailed(client=after(c, created))
    assert listed.status_code == HTTPStatus.OK and int(listed.headers["x-pagination-totalcount"]) == len(listed.parsed)
    mine = [t for t in listed.parsed if isinstance(t, DeMittwaldV1SignupApiToken) and t.description == description]
    assert len(mine) == 1
    ident = mine[0].api_token_id
    new = client(sandbox, "X-Access-Token", token=created.parsed.token)
    assert user_get_user.sync_detailed("self", client=new).status_code == HTTPStatus.OK
    edited = user_edit_api_token.sync_detailed(ident, client=c, body=UserEditApiTokenBody(description="renamed"))
    assert edited.status_code == HTTPStatus.NO_CONTENT
    got = user_get_api_token.sync_detailed(ident, client=after(c, edited))
    assert got.status_code == HTTPStatus.OK and got.parsed.description == "renamed"
    gone = user_delete_api_token.sync_detailed(ident, client=c)
    assert gone.status_code == HTTPStatus.NO_CONTENT
    assert user_get_api_token.sync_detailed(ident, client=after(c, gone)).status_code == HTTPStatus.NOT_FOUND
    assert user_get_user.sync_detailed("self", client=new).status_code == HTTPStatus.UNAUTHORIZED


def test_deprecated_route_is_followed(sandbox: SandboxHandle) -> None:
    answer = client(sandbox).get_httpx_client().get("/v2/signup/token/api")
    assert answer.status_code == 200 and answer.history[0].status_code == 308
    assert isinstance(answer.json(), list)


def test_ssh_key_lifecycle(sandbox: SandboxHandle) -> None:
    c = client(sandbox, "X-Access-Token")
    key = f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{uuid.uuid4().hex} official@client"
    created = user_create_ssh_key.sync_detailed(client=c, body=UserCreateSshKeyBody(public_key=key))
    assert created.status_code == HTTPStatus.CREATED
    listed = user_list_ssh_keys.sync_detailed(client=after(c, created))
    assert listed.status_code == HTTPStatus.OK
    mine = [k for k in listed.parsed.ssh_keys if k.key in key]
    assert len(mine) == 1
    ident = mine[0].ssh_key_id
    edited = user_edit_ssh_key.sync_detailed(ident, client=c, body=UserEditSshKeyBody(comment="edited"))
    assert edited.status_code == HTTPStatus.NO_CONTENT
    got = user_get_ssh_key.sync_detailed(ident, client=after(c, edited))
    assert got.status_code == HTTPStatus.OK and got.parsed.ssh_key.comment == "edited"
    gone = user_delete_ssh_key.sync_detailed(ident, client=c)
    assert gone.status_code == HTTPStatus.NO_CONTENT
    assert user_get_ssh_key.sync_detailed(ident, client=after(c, gone)).status_code == HTTPStatus.NOT_FOUND


def test_projects(sandbox: SandboxHandle) -> None:
    c = client(sandbox)
    page = project_list_projects.sync_detailed(client=c, limit=5, skip=5)
    assert page.status_code == HTTPStatus.OK and len(page.parsed) == 5
    assert page.headers["x-pagination-skip"] == "5" and page.headers["x-pagination-page"] == "1"
    everything = project_list_projects.sync_detailed(client=c)
    assert int(everything.headers["x-pagination-totalcount"]) == len(everything.parsed) > 5
    for listed in everything.parsed:
        got = project_get_project.sync_detailed(listed.id, client=c)
        assert got.status_code == HTTPStatus.OK and got.parsed.short_id == listed.short_id


def test_the_javascript_client_serves_every_operation(sandbox: SandboxHandle) -> None:
    installed = shutil.which("node") and (JS / "node_modules" / "@mittwald" / "api-client").is_dir()
    if not installed:
        if os.environ.get("APICONFORM_REQUIRE_JS_CLIENT"):
            pytest.fail("@mittwald/api-client is not installed in tests/js (npm ci --prefix tests/js)")
        pytest.skip("node or @mittwald/api-client missing: npm ci --prefix tests/js")
    env = {**os.environ, **sandbox.env, "NODE_EXTRA_CA_CERTS": sandbox.env["MSTUDIO_CA_BUNDLE"]}
    run = subprocess.run(["node", str(JS / "mstudio_official_client.mjs")], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    called = {line.split()[0] for line in run.stdout.splitlines()}
    assert called == {"user.getUser", "user.getCurrentSessionStatus", "user.createApiToken", "user.listApiTokens",
                      "user.getApiToken", "user.editApiToken", "user.deleteApiToken", "user.createSshKey",
                      "user.listSshKeys", "user.getSshKey", "user.editSshKey", "user.deleteSshKey",
                      "project.listProjects", "project.getProject"}
