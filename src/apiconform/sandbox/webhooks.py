"""Signed webhook deliveries for any sandbox: a run registers a URL, the sandbox POSTs events to it.

Each delivery is the event's JSON body, sent as raw bytes with ``Content-Type: application/json``
and the provider's signature header: the hex HMAC-SHA256 of exactly those bytes, keyed with the
credential the registration was made with (Hive: the API token). Deliveries go out after the
answer to the request that caused them, from a task of the sandbox's loop, over HTTPS that
trusts the CA the registration named (the suite's receiver has its own throw-away CA).

Registration is a sandbox-only admin route, as is the trigger that makes an event happen: a real
provider is told the URL by its account manager and moves statuses in its warehouse.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import ssl
from dataclasses import dataclass, field
from typing import Any

import httpx

# Fault flags, each breaking one promise a webhook check verifies (delivered, signature, payload).
NEVER_DELIVERED = "webhook-never-delivered"
SIGNATURE_MISSING = "webhook-signature-missing"
BODY_TAMPERED = "webhook-body-tampered"
WRONG_KEY = "webhook-signed-with-another-key"
RESERIALISED = "webhook-signature-over-reserialised-json"
SIGNATURE_PREFIXED = "webhook-signature-prefixed"

#: flag -> (the promise it breaks, what it does); a provider builds its Faults from this.
FAULTS: dict[str, tuple[str, str]] = {
    NEVER_DELIVERED: ("delivered", "events are never delivered"),
    SIGNATURE_MISSING: ("signature", "deliveries carry no signature header"),
    BODY_TAMPERED: ("signature", "the body is changed after it was signed"),
    WRONG_KEY: ("signature", "deliveries are signed with a key other than the API token"),
    RESERIALISED: ("signature", "the signature is made over the payload re-serialised with spaces, not the bytes sent"),
    SIGNATURE_PREFIXED: ("signature", "the signature carries a 'sha256=' prefix"),
}
log = logging.getLogger(__name__)


def sign(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Webhooks:
    """The registered receivers, by the credential that registered them, and the deliveries in flight."""

    header: str
    faults: frozenset[str] = frozenset()
    timeout: float = 10.0
    _receivers: dict[str, tuple[str, ssl.SSLContext]] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def register(self, key: str, url: str, ca_pem: str | None) -> None:
        """``url`` gets ``key``'s events from now on; ``ca_pem`` is the CA its TLS certificate chains to."""
        context = ssl.create_default_context(cadata=ca_pem) if ca_pem else ssl.create_default_context()
        self._receivers[key] = (url, context)

    def deliver(self, key: str, payload: Any) -> None:
        """Schedule ``payload``'s delivery to ``key``'s receiver, if it registered one."""
        if key not in self._receivers or NEVER_DELIVERED in self.faults:
            return
        task = asyncio.get_running_loop().create_task(self._post(key, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def signed(self, key: str, payload: Any) -> tuple[bytes, dict[str, str]]:
        """The bytes sent and their headers, with this sandbox's faults applied."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        signed_over = json.dumps(payload).encode() if RESERIALISED in self.faults else body
        signature = sign("apiconform-other-key" if WRONG_KEY in self.faults else key, signed_over)
        if SIGNATURE_PREFIXED in self.faults:
            signature = "sha256=" + signature
        if BODY_TAMPERED in self.faults:
            body = body.replace(b"}", b' ,"tampered":true}', 1) if body.endswith(b"}") else body + b" "
        headers = {"Content-Type": "application/json", "User-Agent": "apiconform-sandbox-webhooks"}
        if SIGNATURE_MISSING not in self.faults:
            headers[self.header] = signature
        return body, headers

    async def _post(self, key: str, payload: Any) -> None:
        url, context = self._receivers[key]
        body, headers = self.signed(key, payload)
        try:
            async with httpx.AsyncClient(verify=context, timeout=self.timeout) as client:
                await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:  # the receiver's problem, as with a real provider: no retry promised
            log.warning("webhook delivery to %s failed: %s", url, exc)
