"""mStudio rate limit: X-RateLimit-* on every answer (20 per 4 s and token, assumed), 429 RateLimitError
above it, served again after the wait; the session status is exempt and says so. One planned burst above
the limit per run verifies remaining, reset, the 429 and the retry; --spare-rate-limit skips it and the
exempt route's check."""
from apiconform.checks import ratelimit


def test_headers_on_every_answer(api):
    ratelimit.headers_on_every_answer(api)


def test_one_window_above_the_limit(api):
    ratelimit.one_window_above_the_limit(api)


def test_exempt_route_is_marked(api):
    ratelimit.exempt_marked(api, "v2/users/self/sessions/current/status")
