"""mStudio rate limit: X-RateLimit-* on every answer (20 per 4 s and token, assumed), 429 RateLimitError
above it, served again after the wait; the session status is exempt and says so."""
from apiconform.checks import ratelimit


def test_headers_on_every_answer(api):
    ratelimit.headers_on_every_answer(api)


def test_declared_limit(api):
    ratelimit.limit_announced(api)


def test_remaining_counts_down(api):
    ratelimit.remaining_counts_down(api)


def test_reset_within_the_window(api):
    ratelimit.reset_within_window(api)


def test_above_the_limit_429(api):
    ratelimit.exceeded_refused(api)


def test_retry_after_is_honoured(api):
    ratelimit.retry_after_honoured(api)


def test_exempt_route_is_marked(api):
    ratelimit.exempt_marked(api, "v2/users/self/sessions/current/status")
