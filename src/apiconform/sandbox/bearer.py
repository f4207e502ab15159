"""Bearer API keys for any sandbox: issue keys with a prefix and a scope, and tell a request's key apart.

The block only says *why* a key is not accepted (missing, malformed, unknown, revoked); which
status and error body each reason gets is the provider's contract, so it stays in the provider's
package. Nothing here logs or echoes a key.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

MISSING, MALFORMED, UNKNOWN, REVOKED = "missing", "malformed", "unknown", "revoked"


@dataclass(frozen=True)
class ApiKey:
    name: str  # what the sandbox calls it, e.g. "full"
    value: str
    scope: str = "full"  # what the provider lets it do, e.g. "full" or "read"
    revoked: bool = False


class KeyRefused(Exception):
    """The request's key is not accepted; ``reason`` is one of the module's reasons."""

    def __init__(self, reason: str, key: ApiKey | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key  # the revoked key, so a fault can let it in after all


class Keyring:
    """The keys of one sandbox; a key is its prefix plus 32 hex digits."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._shape = re.compile(re.escape(prefix) + r"[A-Za-z0-9_]{8,}")
        self._keys: list[ApiKey] = []

    def issue(self, name: str, scope: str = "full", revoked: bool = False) -> ApiKey:
        key = ApiKey(name, self.prefix + secrets.token_hex(16), scope, revoked)
        self._keys.append(key)
        return key

    def identify(self, authorization: str | None) -> ApiKey:
        """The key an ``Authorization: Bearer <key>`` header carries, or :class:`KeyRefused`.

        Anything but a non-empty Bearer token counts as no key at all.
        """
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise KeyRefused(MISSING)
        if not self._shape.fullmatch(token):
            raise KeyRefused(MALFORMED)
        for key in self._keys:
            if secrets.compare_digest(key.value.encode(), token.encode()):
                if key.revoked:
                    raise KeyRefused(REVOKED, key)
                return key
        raise KeyRefused(UNKNOWN)
