"""Rate limits as the contract's ``[rate_limit]`` defines them: header names, what they mean, the clauses.

The headers are on every answer and well-formed, and the limit header is the documented limit
(``headers_on_every_answer``: no burst needed). Everything else comes from one window above the limit,
the run's only planned burst (``one_window_above_the_limit``): remaining counts down within the window
and stops at zero (``remaining``); above the limit comes the exceeded status with retry-after and the
error fields (``exceeded``); reset lies within the window (``reset``); a request after the wait is served
(``retry``). Header durations are on the target's clock (``--rate-scale`` speeds up a sandbox's);
``api.budget`` converts them.

The burst exceeds the limit on purpose inside ``api.budget.exclusive()``: it starts on a fresh window, no
other sharer of the budget sends meanwhile, and its 429s count as planned, never as a defect of the run.
``--spare-rate-limit`` skips it (and the exempt route's check, which would exceed a route that is not exempt).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import pytest

from apiconform.checks.expect import body_data, expect, expect_status
from apiconform.contract.model import ContractError, RateLimit
from apiconform.http import rate
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange
from apiconform.http.invariants import rate_header_problems
from apiconform.http.rate.budget import BELIEVED_WINDOWS
from apiconform.verdict import HarnessError

BURST_ATTEMPTS = 3  # live bursts: a loaded machine may be slower than a window once, rarely three times
LATE_ATTEMPTS = 2  # a burst answered late twice in the same way, counted in one window, is the target's doing


def _limit(api: Api) -> RateLimit:
    if api.contract.rate_limit is None:
        raise ContractError(f"{api.contract.path}: no [rate_limit] table, so there is no rate limit to check")
    return api.contract.rate_limit


def _read(api: Api, ex: Exchange, what: str) -> rate.Reading:
    """The answer's rate-limit headers, each documented one present and well-formed (the headers clause,
    which the invariants also hold every answer to: this names the check's own request in the message)."""
    rl = _limit(api)
    for clause, found in rate_header_problems(rl, ex).items():
        expect(not found, clause, f"{what}: {'; '.join(found)}", ex, expected=sorted(rl.headers.values()),
               actual=dict(ex.headers))
    return rate.read(rl, ex.status, ex.headers)


@dataclass
class Burst:
    """A burst's answers, and when each request was sent and answered (real seconds after the first was sent)."""

    answers: list[Exchange]
    sent: list[float]
    answered: list[float]
    late: bool = False  # every request sent within the window and counted in it, the last answered after it

    def request(self, i: int) -> str:
        """Request ``i`` (0-based) as a verdict names it; with its timing where the answer came late."""
        what = f"request {i + 1} within one window"
        if not self.late:
            return what
        return (f"{what} (sent {self.sent[i]:.2f} s after the first, answered {self.answered[i] - self.sent[i]:.2f} "
                f"s later, once the window was over: delayed instead of refused)")


def _burst(api: Api) -> Burst:
    """Reads of the probe until one is above the limit of the window they are in, with the budget to ourselves.

    The burst goes on in the window the other checks have partly spent: the first answer says what is
    left, so it sends that many more and one above the limit (``limit + 1`` on a fresh window). A window
    that resets in between (what is left goes up) starts the count again (:func:`_send`).

    Whether a burst fits its window depends on when its requests were sent. A burst answered
    within one window's time proves the count. One whose requests were all sent within the window, whose
    last answer came after it, and whose headers count every request in that one window is sent
    again on a fresh window (a loaded machine may be slow once); when :data:`LATE_ATTEMPTS` are late
    in the same way it is returned as ``late``: the target held a request it counted inside the window,
    and its answer is judged like any other (a 200 where the limit promises a refusal fails, with
    the delay as evidence). A late answer counted in a fresh window may simply have arrived after
    the window, as a slow network makes it: that is no evidence. A burst whose requests were
    not all sent within the window proves nothing about the count: live, it is sent again when it
    was a little slow (under two windows, no request resent by the network layer), up to
    :data:`BURST_ATTEMPTS` times; otherwise, or at once when recording (replay plays the first
    recorded burst), it is a harness error, not a verdict.
    """
    window = api.budget.real(_limit(api).window)
    attempts = BURST_ATTEMPTS if api.cassette is None else 1
    for attempt in range(1, attempts + 1):
        resent = len(api.network_retries)
        with api.budget.exclusive(fresh=False):
            answers, sent, answered = _send(api)
        took = answered[-1]
        if api.replaying or took < window:
            return Burst(answers, sent, answered)
        late = sent[-1] < window and len(api.network_retries) == resent and _one_window(api, answers)
        if late and attempt >= min(attempts, LATE_ATTEMPTS):
            return Burst(answers, sent, answered, late=True)
        if not late and (took >= 2 * window or len(api.network_retries) > resent):
            break
        if attempt < attempts:  # a whole window after the slow burst's last request: every count it left has
            time.sleep(window)  # lapsed, even when a caller's own exclusive() holds the budget around this burst
    raise HarnessError(f"{len(answers)} requests took {took:.2f} s, longer than one rate window ({window:.2f} s), on "
                       f"attempt {attempt} of {attempts}: the window may have reset in between; run with a smaller "
                       "--rate-scale")


def _left(rl: RateLimit, ex: Exchange) -> int | None:
    """What the window has left after this answer, by the documented limit (Hive's used counts up to it)."""
    reading = rate.read(rl, ex.status, ex.headers)
    if "used" in rl.headers:
        return None if reading.used is None else max(0, rl.limit - reading.used)
    return reading.remaining


def _send(api: Api) -> tuple[list[Exchange], list[float], list[float]]:
    """The burst's requests in the window they end in, and when each was sent and answered (real seconds after
    that window's first): the first answer's ``left``, then that many more, then one above the limit; or fewer,
    up to the first refusal. Headers that say nothing usable mean a fresh window (``limit + 1``)."""
    rl = _limit(api)
    answers: list[Exchange] = []
    sent: list[float] = []
    answered: list[float] = []
    planned, previous, start = rl.limit + 1, None, time.monotonic()
    for _ in range(2 * (rl.limit + 1)):  # at most one window reset in between
        at = time.monotonic()
        ex = api.get(api.contract.probe)
        left = _left(rl, ex)
        if answers and ex.status != rl.status and None not in (left, previous) and left > previous:
            answers, sent, answered, start = [], [], [], at  # the window reset: count again from here
        if not answers:
            planned = (rl.limit - 1 if left is None else left) + 2
        sent.append(at - start)
        answers.append(ex)
        answered.append(time.monotonic() - start)
        previous = left
        if ex.status == rl.status or len(answers) >= planned:
            break
    return answers, sent, answered


def _one_window(api: Api, answers: list[Exchange]) -> bool:
    """The target's own headers count every answer in one window: what is left goes down by one to 0, and is 0
    again above the limit. A late answer the target counted in a fresh window arrived after the window: no
    evidence."""
    rl = _limit(api)
    left = [_left(rl, ex) for ex in answers]
    return left[0] is not None and left == [max(0, left[0] - i) for i in range(len(answers))]


def headers_on_every_answer(api: Api) -> None:
    """A served read, a request without credentials and one for no endpoint all carry the headers, well-formed;
    the served read's limit header is the documented limit (a header's value: no burst needed to read it)."""
    rl = _limit(api)
    api.verifies(rl.clauses["headers"], rl.clauses.get("values", rl.clauses["headers"]), rl.clauses["limit"])
    probe = api.contract.probe
    served = api.get(probe)
    for what, ex in (("an authenticated read", served),
                     ("a request without credentials", api.get(probe, auth=False)),
                     ("a request for no endpoint", api.get("apiconform-no-such-endpoint"))):
        _read(api, ex, what)
    reading = _read(api, served, f"GET {probe}")
    expect(reading.limit == rl.limit, rl.clauses["limit"], f"the limit header says {reading.limit}, not the "
           f"documented {rl.limit}", served, expected=rl.limit, actual=reading.limit)


def _spare(api: Api) -> None:
    """``--spare-rate-limit``: a check that would exceed the limit (or risks it) is skipped, saying why."""
    if api.budget.spare:
        pytest.skip("--spare-rate-limit: this check exceeds the rate limit on purpose, and the key's other users "
                    "would be refused until the window resets")


def one_window_above_the_limit(api: Api) -> None:
    """Every clause a window above the limit shows, from one burst (the run's only planned 429): the reads the
    window has left and one more (:func:`_burst`). Remaining (or used) counts the window, the last request
    is refused with the exceeded status, retry-after and the error fields, reset lies within the window, and a
    read after the shorter of retry-after and reset is served. Each clause is judged by itself,
    so a fault fails exactly its own.

    The wait proves both headers at once: served after the shorter, the longer is an upper bound that was
    also right; refused, the header that asked for the shorter wait is wrong (retry-after on a tie: it is the
    429's own instruction). A wait that cannot be the window's fails its header's clause and is never waited.
    """
    rl = _limit(api)
    keys = [k for k in ("remaining", "exceeded", "reset", "retry") if k in rl.clauses]
    api.verifies(*(rl.clauses[k] for k in keys))
    _spare(api)
    with api.budget.exclusive(fresh=False, late=True):  # what the other checks left of their window, nearly spent
        burst = _burst(api)
        readings = [_read(api, ex, f"request {i + 1} of {len(burst.answers)} in one window")
                    for i, ex in enumerate(burst.answers)]
        _counted(api, burst.answers, readings)
        reading = _exceeded(api, burst)
        wait, clause = _asked(api, burst.answers[-1], reading)
        api.budget.sleep(wait)
        again = api.get(api.contract.probe)
    expect_status(again, 200, clause, f"GET {api.contract.probe} after waiting the {wait:g} s the {rl.status} "
                  "asked for")


def _counted(api: Api, answers: list[Exchange], readings: list[rate.Reading]) -> None:
    """From what the first answer left, counted down by one per request to 0, and 0 again above the limit (on a
    fresh window ``limit - 1``, ..., 0, 0); or, where the provider counts what is used (Hive), up by one to
    ``limit``, and at least ``limit`` above it."""
    rl = _limit(api)
    clause = rl.clauses["remaining"]
    if "used" in rl.headers:  # counted up, and read by itself: a wrong max is the limit clause's business
        used = [r.used for r in readings]
        expected_used = [*range(used[0] or 1, rl.limit + 1), f">= {rl.limit}"]
        expect(used[:-1] == expected_used[:-1] and (used[-1] or 0) >= rl.limit, clause, f"used over {len(answers)} "
               f"requests in one window went {used}", answers[-1], expected=expected_used, actual=used)
        return
    below = [problem for r in readings for problem in r.negative]
    expect(not below, clause, f"remaining went below zero: {'; '.join(below)}", answers[-1], expected=">= 0",
           actual=below)
    left = [r.remaining for r in readings]
    first = rl.limit - 1 if left[0] is None else left[0]
    expected = [first - i for i in range(first + 1)] + [0]
    expect(left == expected, clause, f"remaining over {len(answers)} requests in one window went {left}",
           answers[-1], expected=expected, actual=left)


def _exceeded(api: Api, burst: Burst) -> rate.Reading:
    """The first ``limit`` answers served; the next the exceeded status, retry-after and the error fields."""
    rl = _limit(api)
    clause = rl.clauses["exceeded"]
    for i, ex in enumerate(burst.answers[:-1]):
        expect_status(ex, 200, clause, f"request {i + 1} of the {rl.limit} a window allows")
    over = burst.answers[-1]
    expect_status(over, rl.status, clause, burst.request(len(burst.answers) - 1))
    reading = _read(api, over, f"the {rl.status} answer")
    if "retry_after" in rl.headers:
        expect(reading.retry_after is not None, clause, f"the {rl.status} answer carries no "
               f"{rl.headers['retry_after']}", over, expected=rl.headers["retry_after"], actual=dict(over.headers))
    if rl.error:
        data = body_data(over, clause)
        got = {k: data.get(k) for k in rl.error} if isinstance(data, dict) else data
        expect(got == rl.error, clause, f"the {rl.status} answer's body is not the documented error", over,
               expected=rl.error, actual=got)
    return reading


def _asked(api: Api, over: Exchange, reading: rate.Reading) -> tuple[float, str]:
    """The shortest wait the exceeded answer asks for, and the clause of the header that asked (retry-after
    first on a tie). Each header's value must be believable first: retry-after up to
    :data:`BELIEVED_WINDOWS` windows, reset within the window (whole delta-seconds: a window rounded up)."""
    rl = _limit(api)
    asked: list[tuple[float, str]] = []
    if reading.retry_after is not None:
        retry = reading.retry_after
        expect(api.budget.believed(retry) is not None, rl.clauses["retry"], f"the {rl.status} answer asks to wait "
               f"{retry:g} s, which cannot be the {rl.window:g} s window's", over,
               expected=f"0 to {BELIEVED_WINDOWS * rl.window:g}", actual=retry)
        asked.append((retry, rl.clauses["retry"]))
    if "reset" in rl.clauses:
        left, bound = reading.reset_in(api.budget.scale), math.ceil(rl.window)
        expect(left is not None and 0 <= left <= bound, rl.clauses["reset"], f"reset says {left} s, outside the "
               f"{rl.window:g} s window", over, expected=f"0 to {bound}", actual=left)
        asked.append((left, rl.clauses["reset"]))
    return min(asked, key=lambda a: a[0], default=(rl.window, rl.clauses["retry"]))


def exempt_marked(api: Api, path: str) -> None:
    """An exempt route says so (``[rate_limit.headers] exempt`` with ``values.exempt``) on every answer,
    also beyond the limit: ``limit + 1`` reads of it in one window are all served."""
    rl = _limit(api)
    clause = rl.clauses["exempt"]
    api.verifies(clause)
    name, marker = rl.headers["exempt"], rl.values["exempt"]
    _spare(api)  # a route that is not exempt after all would answer the last of these with a 429
    with api.budget.exclusive(fresh=False):  # exempt requests count nothing: no fresh window needed
        answers = [api.get(path) for _ in range(rl.limit + 1)]
    for i, ex in enumerate(answers):
        expect(ex.headers.get(name, "").lower() == marker.lower(), clause, f"GET {path} (request {i + 1} of "
               f"{len(answers)}) answered {ex.status} without {name}: {marker}", ex, expected=marker,
               actual=ex.headers.get(name))
        expect_status(ex, 200, clause, f"GET {path}, exempt, request {i + 1} of {len(answers)}")
