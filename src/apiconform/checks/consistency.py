"""Event consistency as the contract's ``[consistency]`` table describes it (mStudio, seeds/002).

A mutation answers an event id in a response header (``etag``); a request carrying that id in the
wait header (``if-event-reached``) sees the mutation, or fails with ``timeout_status`` (412) when
the event is not reached within ``timeout`` seconds; a read without it may, while the read models
lag, answer one of ``lag_status`` (403 or 404), which is documented behaviour and never a ``fail``.
GETs carry no event id.

The helpers (``mutation``, ``wait_headers``) are for every check that writes and then reads: on an
eventually consistent API, reading one's own write is only promised with the wait header.
"""
from __future__ import annotations

import operator
import re
import time
from collections.abc import Callable
from typing import Any

from apiconform.checks.expect import body_data, expect, expect_status, violation
from apiconform.contract.model import ContractError
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange
from apiconform.http.resilience import DeadlinePassed

EVENT_ID = re.compile(r"[0-9]{1,30}")
FAR_AHEAD = 10**15  # added to the newest event id: an event the target cannot have reached
LATE, SLACK = 1.5, 1.0  # the 412 is due after the timeout; later than LATE times it plus SLACK real seconds fails
POLL = 1.0  # seconds of the target's clock between the plain reads that tell a stale read from a lost write


def table(api: Api) -> dict[str, Any]:
    found = api.contract.raw.get("consistency")
    if not found:
        raise ContractError(f"{api.contract.path}: no [consistency] table")
    return found


def clause(api: Api, check: str) -> str:
    return table(api)["clauses"][check]


def mutation(api: Api, ex: Exchange, what: str = "") -> str:
    """The event id a successful mutation answered (the etag clause), for the reads that follow it."""
    t = table(api)
    name = t.get("event_header", "etag")
    value = ex.headers.get(name, "")
    expect(bool(EVENT_ID.fullmatch(value.strip())), t["clauses"]["etag"], f"{what or ex.method + ' ' + ex.url}: "
           f"answered {ex.status} with {name}: {value!r}, not an event id", ex, expected="a decimal event id",
           actual=value or None)
    return value.strip()


def wait_headers(api: Api, event: str) -> dict[str, str]:
    return {table(api).get("wait_header", "if-event-reached"): event}


def read_after(api: Api, path: str, event: str, **kw: Any) -> Exchange:
    """GET ``path`` once the target has reached ``event``."""
    return api.get(path, headers=wait_headers(api, event), **kw)


def no_event_on_reads(api: Api, paths: list[str]) -> None:
    """No GET answers an event id: clients would take it for one (and wait on it later)."""
    c = clause(api, "no_etag_on_get")
    api.verifies(c)
    expect(len(paths) > 0, c, "no read to look at")
    name = table(api).get("event_header", "etag")
    for path in paths:  # whatever the status: an error answer with an event id misleads a client just the same
        ex = api.get(path)
        expect(name not in ex.headers, c, f"GET {path} answered {name}: {ex.headers.get(name)!r}", ex,
               expected=f"no {name}", actual=ex.headers.get(name))


def read_your_write(api: Api, path: str, event: str, sent: dict[str, Any], write_clause: str) -> None:
    """A record just edited (``event``, with ``sent``) reads back with 200 and what was sent when the read waits
    for the event. ``write_clause`` promises the edit applies; :func:`shows_write` tells the two apart."""
    c = clause(api, "read_your_write")
    api.verifies(c, clause(api, "etag"))
    ex = read_after(api, path, event)
    expect_status(ex, 200, c, f"GET {path} waiting for event {event}")
    shows_write(api, path, _record(ex, c, None), sent, write_clause)


def _record(ex: Exchange, c: str, item_key: str | None) -> Any:
    data = body_data(ex, c)
    return data.get(item_key) if item_key and isinstance(data, dict) else data


def _missing(record: Any, sent: dict[str, Any], same: Callable[[Any, Any], bool]) -> dict[str, Any]:
    """The fields of ``sent`` that ``record`` does not carry as sent."""
    have = record if isinstance(record, dict) else {}
    return {k: have.get(k) for k, v in sent.items() if not same(v, have.get(k))}


def shows_write(api: Api, path: str, record: Any, sent: dict[str, Any], write_clause: str,
                item_key: str | None = None, same: Callable[[Any, Any], bool] = operator.eq) -> None:
    """``record``, read from ``path`` waiting for a write's event, carries each field of ``sent``.

    When it does not, either the wait answered before the write was visible (read-your-write) or the write was
    never applied (``write_clause``). Plain reads once a target second for the documented timeout tell them
    apart: one that carries the write blames the wait. The count is fixed, so a replay sends what was recorded.
    """
    c = clause(api, "read_your_write")
    api.verifies(c, write_clause)
    off = _missing(record, sent, same)
    if not off:
        return
    for _ in range(int(table(api).get("timeout", 10) / POLL)):
        api.budget.sleep(POLL)
        later = api.get(path)
        if later.status == 200 and not _missing(_record(later, c, item_key), sent, same):
            violation(c, f"GET {path} waiting for the write's event answered {off} for {sent}; a later read without "
                      "the wait shows the write", later, expected=sent, actual=off)
    violation(write_clause, f"GET {path} after the write answers {off}, not what was sent, and no read within "
              f"{table(api).get('timeout', 10)} s shows it", expected=sent, actual=off)


#: Sends of the 412's wait before its silence is the target's: a stalled connection looks like a target that
#: holds the request, but a network that stalls one connection in ten stalls three in a row once in a thousand,
#: while a target that holds the wait holds it every time.
DEADLINE_ATTEMPTS = 3


def unreached_event_412(api: Api, path: str, event: str) -> None:
    """An event far beyond the newest one is not reached in time: ``timeout_status``, after the documented
    ``timeout`` and not long after it, both on the target's clock (``api.budget.real``).

    Not before 0.9 of it (a target that answers at once does not wait as documented), and not after
    ``LATE`` times it plus ``SLACK`` real seconds for the network: the request's own deadline, so a target that
    answers after a minute fails then instead of holding the check for the minute. A wait that passes its
    deadline is sent again, up to :data:`DEADLINE_ATTEMPTS` times, before its silence is the target's.
    """
    t = table(api)
    c = clause(api, "timeout")
    api.verifies(c)
    ahead = str(int(event) + FAR_AHEAD)
    wait = api.budget.real(t.get("timeout", 10))
    upper = LATE * wait + SLACK
    for _ in range(DEADLINE_ATTEMPTS):
        start = time.monotonic()
        try:
            ex = api.get(path, headers=wait_headers(api, ahead), deadline=upper)
            break
        except DeadlinePassed:
            continue
    else:
        violation(c, f"GET {path} waiting for event {ahead}, which never happens, had no answer after {upper:.2f} s, "
                  f"{DEADLINE_ATTEMPTS} times; the {t.get('timeout_status', 412)} is due after {wait:g} s",
                  expected=f"<= {upper:.2f} s", actual=f"> {upper:.2f} s")
    took = time.monotonic() - start
    expect_status(ex, t.get("timeout_status", 412), c, f"GET {path} waiting for event {ahead}, which never happens")
    if not api.replaying:  # a load can only make the wait longer, so the lower bound holds on a busy machine
        expect(took >= 0.9 * wait, c, f"the {ex.status} came after {took:.2f} s, before the {wait:g} s the event "
               "is waited for", ex, expected=f">= {wait:g} s", actual=f"{took:.2f} s")


def lagging_read(api: Api, path: str, event: str, sent: dict[str, Any], write_clause: str) -> None:
    """A read right after a mutation, without the wait header: 200, or a documented lag status; then a read that
    waits for ``event`` shows the write (``sent``, :func:`shows_write`).

    A lag status other than the one the sandbox chose is the assumed ``lag_status`` clause, so a
    live target that answers 403 where the sandbox says 404 is ``differs``, never ``fail``.
    """
    t = table(api)
    lag, chosen = clause(api, "lag"), clause(api, "lag_status")
    api.verifies(lag, chosen)
    ex = api.get(path, invariants=False)  # the lag's answer is judged here first, then by the invariants
    allowed = [200, *t.get("lag_status", [403, 404])]
    expect_status(ex, allowed, lag, f"GET {path} right after the mutation {event}")
    if ex.status != 200:
        expect_status(ex, t.get("sandbox_lag_status", 404), chosen, f"GET {path} inside the lag")
    api.check(ex)
    c = clause(api, "read_your_write")
    settled = read_after(api, path, event)
    expect_status(settled, 200, c, f"GET {path} with {event}")
    shows_write(api, path, _record(settled, c, None), sent, write_clause)
