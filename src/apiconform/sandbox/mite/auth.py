"""Who is asking: X-MiteApiKey header, then api_key (GET/HEAD only), then HTTP basic.

The first credential present decides; a wrong one is never retried with the next.
Nothing here logs or echoes credentials.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets

from starlette.requests import Request

from apiconform.sandbox.mite.errors import ACCESS_DENIED, NOT_ALLOWED, ApiError
from apiconform.sandbox.mite.state import Credential, Record, Store

_KEY_SHAPE = re.compile(r"[0-9a-f]{16}")


def authenticate(request: Request, store: Store, faults: frozenset[str]) -> Record:
    header_key = request.headers.get("x-miteapikey")
    query_key = request.query_params.get("api_key") if request.method in ("GET", "HEAD") else None
    authorization = request.headers.get("authorization")

    if header_key is not None and "header-key-ignored" not in faults:
        return _by_key(store, header_key, faults)
    if query_key is not None and "query-key-ignored" not in faults:
        return _by_key(store, query_key, faults)
    if authorization is not None and "basic-auth-ignored" not in faults \
            and not (request.method not in ("GET", "HEAD") and "basic-refused-on-writes" in faults):
        return _by_basic(store, authorization)
    presented = header_key is not None or query_key is not None or authorization is not None
    if not presented and "403-for-missing-key" in faults:
        raise ApiError(403, NOT_ALLOWED)
    raise ApiError(401, ACCESS_DENIED)


def _usable(store: Store, credential: Credential | None) -> Record:
    if credential is None:
        raise ApiError(401, ACCESS_DENIED)
    user = store.users[credential.user_id]
    if user["archived"]:
        raise ApiError(401, ACCESS_DENIED)
    return user


def _by_key(store: Store, key: str, faults: frozenset[str]) -> Record:
    credential = store.user_by_api_key(key)
    if credential is None and "wrong-key-accepted" in faults and _KEY_SHAPE.fullmatch(key):
        return store.owner()
    if credential is not None and not credential.api_enabled and "revoked-key-accepted" not in faults:
        raise ApiError(401, ACCESS_DENIED)
    return _usable(store, credential)


def _by_basic(store: Store, authorization: str) -> Record:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise ApiError(401, ACCESS_DENIED)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(401, ACCESS_DENIED) from None
    email, sep, password = decoded.partition(":")
    credential = store.user_by_email(email) if sep else None
    if credential is None or not secrets.compare_digest(credential.password.encode(), password.encode()):
        raise ApiError(401, ACCESS_DENIED)
    if not credential.api_enabled:
        raise ApiError(401, ACCESS_DENIED)
    return _usable(store, credential)
