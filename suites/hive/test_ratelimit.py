"""Hive rate limit: 100 requests per minute, X-Rate-Limit-Used and X-Rate-Limit-Max on every answer,
429 with a fractional Retry-After. The clauses come from [rate_limit.clauses]. One planned burst above
the limit per run verifies used, the 429 and the retry (it takes the rate budget for itself, so it never
costs another check a 429); --spare-rate-limit skips it."""
from apiconform.checks import ratelimit


def test_headers_on_every_answer(api):
    ratelimit.headers_on_every_answer(api)


def test_one_window_above_the_limit(api):
    ratelimit.one_window_above_the_limit(api)
