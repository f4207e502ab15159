"""Hive rate limit: 100 requests per minute, X-Rate-Limit-Used and X-Rate-Limit-Max on every answer,
429 with a fractional Retry-After. The clauses come from [rate_limit.clauses]; the bursts above the
limit are planned (they take the rate budget for themselves), so they never cost another check a 429."""
from apiconform.checks import ratelimit


def test_headers_on_every_answer(api):
    ratelimit.headers_on_every_answer(api)


def test_max_is_the_documented_one(api):
    ratelimit.limit_announced(api)


def test_used_counts_up(api):
    ratelimit.remaining_counts_down(api)


def test_above_the_limit_429(api):
    ratelimit.exceeded_refused(api)


def test_retry_after_is_honoured(api):
    ratelimit.retry_after_honoured(api)
