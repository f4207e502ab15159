"""Webhooks as the contract's ``[webhooks]`` table defines them: a triggered event is delivered, signed
over its raw body, and carries the record it is about.

Live (and record) the check runs a receiver over HTTPS on loopback (``http/receiver.py``),
registers its URL with the target's admin route, triggers the event and waits at most
``[webhooks] wait`` seconds: a delivery that never comes is a ``fail`` of the delivered clause,
never a hang. Only a target that can be triggered (the sandbox, or a URL target whose
``trigger_env`` says so) runs these checks; any other is ``unsupported``.

Recording keeps each delivery in the cassette's metadata (``webhooks``). The signing key is the
API token, a secret, so the recorded signature is a scrubbing transform: a signature that verified
live is re-made over the same raw body with the key's replay stand-in (``http/targets.replay_target``),
one that did not is kept as received (a digest, not the key), a missing one stays missing. Replay
verifies the recorded deliveries with the stand-in key, the same way, with no network.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock

from apiconform.checks.expect import body_data, expect, expect_status, unsupported, violation
from apiconform.contract.model import ContractError
from apiconform.contract.schemas import load_schema, problems
from apiconform.http.client import Api
from apiconform.http.receiver import Delivery, receiving
from apiconform.http.targets import RUN_DIR_ENV, replay_target
from apiconform.record.cassettes import CassetteError

RECORDED = "webhooks"  # cassette metadata key: the deliveries a recording received
_HEX = re.compile(r"[0-9a-f]{64}")


def _table(api: Api) -> dict[str, Any]:
    table = api.contract.raw.get("webhooks")
    if not table:
        raise ContractError(f"{api.contract.path}: no [webhooks] table, so there are no webhooks to check")
    return dict(table)


def sign(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def _signature_ok(table: dict[str, Any], key: str, delivery: Delivery) -> bool:
    got = delivery.headers.get(table["header"].lower())
    return got is not None and hmac.compare_digest(got, sign(key, delivery.body))


def _supported(api: Api, table: dict[str, Any]) -> None:
    kind = api.target.kind
    if kind == "url" and os.environ.get(table["trigger_env"]) != "1":
        unsupported(f"this target cannot be made to send an event: webhook checks need the sandbox's trigger "
                    f"(set {table['trigger_env']}=1 for a target that has it)")
    if kind == "cassettes" and RECORDED not in (api.cassette._metadata or {}):
        raise CassetteError(f"{api.cassette_path}: no webhook deliveries recorded; re-record")


@contextmanager
def _inbox(api: Api, table: dict[str, Any]) -> Iterator[Any]:
    """Where deliveries come from: the recorded ones in replay, else a receiver registered with the target."""
    if api.replaying:
        recorded = list(api.cassette._metadata[RECORDED])

        def replayed(timeout: float) -> Delivery | None:
            entry = recorded.pop(0) if recorded else None
            return None if entry is None else Delivery(dict(entry["headers"]), entry["body"].encode())
        _register(api, table, {"url": "https://receiver.invalid/"})  # the body is not matched on replay
        yield replayed
        return
    # One receiver per key at a time, as a merchant has one webhook URL: the workers of a run take turns, so
    # no check registers its receiver over another's while that one waits for its delivery.
    lock = Path(os.environ.get(RUN_DIR_ENV) or tempfile.gettempdir()) / f"webhooks-{api.contract.provider}.lock"
    with FileLock(str(lock)), receiving() as receiver:
        _register(api, table, {"url": receiver.url, "ca_pem": receiver.ca_pem})
        yield receiver.next


def _register(api: Api, table: dict[str, Any], body: dict[str, str]) -> None:
    ex = api.post(table["register"], body)
    expect_status(ex, (200, 201, 204), table["clauses"]["delivered"], "register the webhook receiver")


def _record(api: Api, table: dict[str, Any], delivery: Delivery | None, key: str) -> None:
    """Record mode: keep the delivery in the cassette, its signature re-made under the replay key if it verified."""
    if api.cassette is None or api.replaying:
        return
    entry = None
    if delivery is not None:
        header = table["header"].lower()
        headers = {k: v for k, v in delivery.headers.items() if k in ("content-type", header)}
        if header in headers and _signature_ok(table, key, delivery):
            headers[header] = sign(replay_target(api.contract).credentials[table["key"]], delivery.body)
        entry = {"headers": headers, "body": delivery.body.decode("utf-8", "replace")}
    api.cassette._metadata.setdefault(RECORDED, []).append(entry)


def event_delivered(api: Api, event: str) -> None:
    """Trigger ``event``; its delivery comes within the wait, signed over the raw body, with the moved record."""
    table = _table(api)
    clauses = table["clauses"]
    spec = table.get("events", {}).get(event)
    if spec is None:
        raise ContractError(f"{api.contract.path}: [webhooks.events] has no {event!r}")
    api.verifies(clauses["delivered"], clauses["signature"], clauses["payload"])
    _supported(api, table)
    key = api.target.credentials.get(table["key"], "")
    with _inbox(api, table) as next_delivery:
        ex = api.post(spec["trigger"])
        expect_status(ex, (200, 201, 202), clauses["delivered"], f"trigger {event}")
        subject = body_data(ex, clauses["delivered"])
        delivery = next_delivery(float(table.get("wait", 10)))
        _record(api, table, delivery, key)
    if delivery is None:
        violation(clauses["delivered"], f"no {event} delivery within {table.get('wait', 10)} s of the trigger", ex,
                  expected="one POST to the registered URL", actual="nothing")
    _signed(table, key, delivery)
    _payload(api, spec, clauses["payload"], subject, delivery, event)


def _signed(table: dict[str, Any], key: str, delivery: Delivery) -> None:
    clause, header = table["clauses"]["signature"], table["header"].lower()
    got = delivery.headers.get(header)
    expect(got is not None, clause, f"the delivery carries no {table['header']} header", expected="hex HMAC-SHA256",
           actual=sorted(delivery.headers))
    expect(bool(_HEX.fullmatch(got or "")), clause, f"{table['header']} is not a hex SHA-256 digest: {got!r}",
           expected="64 lower-case hex digits", actual=got)
    expect(_signature_ok(table, key, delivery), clause, f"{table['header']} is not the HMAC-SHA256 of the raw body "
           "keyed with the API token", expected="hmac(api token, raw body)", actual=got)


def _payload(api: Api, spec: dict[str, Any], clause: str, subject: Any, delivery: Delivery, event: str) -> None:
    media = delivery.headers.get("content-type", "")
    expect(media.split(";")[0].strip() == "application/json", clause, f"the {event} delivery says Content-Type "
           f"{media!r}", expected="application/json", actual=media)
    try:
        payload = json.loads(delivery.body)
    except ValueError as exc:
        violation(clause, f"the {event} body is not JSON: {exc}", actual=delivery.body[:200].decode("utf-8", "replace"))
    found = problems(payload, load_schema(api.contract.provider, spec["schema"]))
    expect(not found, clause, f"the {event} body does not match {spec['schema']}: {'; '.join(found)}",
           expected=spec["schema"], actual=found)
    moved = spec["moved"]
    want = {"id": subject.get("id"), moved: subject.get(moved)} if isinstance(subject, dict) else {}
    got = {k: payload.get(k) for k in want}
    expect(bool(want) and got == want, clause, f"the {event} body is not the record the trigger moved, as it is now",
           expected=want, actual=got)
