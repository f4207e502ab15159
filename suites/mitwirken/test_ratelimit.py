"""Mitwirken rate limit: 2 requests per second per key, IETF ratelimit-* headers, 429 with retry-after.

The clauses come from the contract's [rate_limit.clauses]; the bursts above the limit are planned
(they take the rate budget for themselves), so they never cost another check a 429.
"""
from apiconform.checks import ratelimit


def test_headers_on_every_answer(api):
    ratelimit.headers_on_every_answer(api)


def test_documented_limit(api):
    ratelimit.limit_announced(api)


def test_remaining_counts_down(api):
    ratelimit.remaining_counts_down(api)


def test_reset_within_the_window(api):
    ratelimit.reset_within_window(api)


def test_above_the_limit_429(api):
    ratelimit.exceeded_refused(api)


def test_retry_after_is_honoured(api):
    ratelimit.retry_after_honoured(api)
