"""The account: one user, their API tokens (the sandbox's credentials are tokens too), SSH keys, projects.

Every record carries the event that created it (``event``): the handlers hide it until the
read models have caught up (sandbox/events.py). Token secrets are kept only as the issued
value, never shown by a read (the spec's ApiToken has no secret).
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Record = dict[str, Any]
PROJECTS = 13  # more than two pages of the walks' page size, not a multiple of it
# The projects' numbers in the order of creation: descriptions sort otherwise than createdAt and its reverse.
DESCRIBED = (7, 2, 11, 5, 13, 1, 9, 4, 12, 3, 8, 10, 6)


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_secret(ident: str) -> str:
    """The spec's example shape, uuid:secret:mittwald_a (the real format is undocumented)."""
    return f"{ident}:{secrets.token_urlsafe(24)}:mittwald_a"


@dataclass
class Store:
    user: Record
    tokens: dict[str, Record] = field(default_factory=dict)  # apiTokenId -> record (with "secret")
    ssh_keys: dict[str, Record] = field(default_factory=dict)
    projects: list[Record] = field(default_factory=list)

    def add_token(self, description: str, roles: list[str], expires: str | None = None,
                  event: str | None = None) -> Record:
        ident = str(uuid.uuid4())
        record = {"apiTokenId": ident, "description": description, "roles": list(roles),
                  "createdAt": timestamp(datetime.now(UTC)), "secret": new_secret(ident), "event": event}
        if expires:
            record["expiresAt"] = expires
        self.tokens[ident] = record
        return record

    def token_by_secret(self, value: str) -> Record | None:
        for record in self.tokens.values():
            if secrets.compare_digest(record["secret"].encode(), value.encode()):
                return None if record.get("revoked") else record
        return None

    def add_ssh_key(self, public_key: str, expires: str | None, event: str) -> Record:
        algorithm, _, rest = public_key.strip().partition(" ")
        key, _, comment = rest.partition(" ")
        digest = hashlib.md5(base64.b64encode(public_key.encode())).hexdigest()  # a fingerprint's shape, not security
        record = {"sshKeyId": str(uuid.uuid4()), "algorithm": algorithm or "ssh-rsa", "key": key or public_key,
                  "comment": comment, "fingerprint": ":".join(digest[i:i + 2] for i in range(0, 32, 2)),
                  "createdAt": timestamp(datetime.now(UTC)), "event": event}
        if expires:
            record["expiresAt"] = expires
        self.ssh_keys[record["sshKeyId"]] = record
        return record


def token_view(record: Record) -> Record:
    return {k: v for k, v in record.items() if k not in ("secret", "event", "revoked", "tomb", "before",
                                                         "stale_until")}


def ssh_view(record: Record) -> Record:
    return {k: v for k, v in record.items() if k not in ("event", "before", "stale_until")}


def seed() -> Store:
    now = datetime.now(UTC)
    user = {"userId": str(uuid.uuid4()), "email": "ada.lovelace@example.org", "isEmployee": False,
            "person": {"firstName": "Ada", "lastName": "Lovelace", "title": "ms"},
            "mfa": {"active": False, "setup": False}, "registeredAt": timestamp(now - timedelta(days=400))}
    store = Store(user)
    customer = str(uuid.uuid4())
    for i in range(PROJECTS):
        created = timestamp(now - timedelta(days=PROJECTS - i))
        store.projects.append({
            "id": str(uuid.uuid4()), "shortId": f"p-{i:06x}", "description": f"apiconform project {DESCRIBED[i]:02d}",
            "enabled": True, "customerId": customer, "customerMeta": {"id": customer}, "createdAt": created,
            "isReady": True, "readiness": "ready", "status": "ready", "statusSetAt": created,
            "webStorageUsageInBytes": 1024 * i, "webStorageUsageInBytesSetAt": created,
            "backupStorageUsageInBytes": 0, "backupStorageUsageInBytesSetAt": created,
            "supportedFeatures": ["redis", "node"], "serverGroupId": str(uuid.uuid4()), "deletionRequested": False,
            "directories": {"Web": "/html"}})
    return store


def project_list_item(record: Record) -> Record:
    return {k: v for k, v in record.items() if k != "directories"}


def project_view(record: Record) -> Record:
    return {k: v for k, v in record.items() if k not in ("customerMeta", "deletionRequested")}
