"""Mitwirken rate limit: 2 requests per second per key, IETF ratelimit-* headers, 429 with retry-after.

The clauses come from the contract's [rate_limit.clauses]. One planned burst above the limit per run
verifies remaining, reset, the 429 and the retry (it takes the rate budget for itself, so it never
costs another check a 429); --spare-rate-limit skips it.
"""
from apiconform.checks import ratelimit


def test_headers_on_every_answer(api):
    ratelimit.headers_on_every_answer(api)


def test_one_window_above_the_limit(api):
    ratelimit.one_window_above_the_limit(api)
