"""mStudio API tokens: created once with their secret, which authenticates until the token is deleted;
never read back; edited and deleted with 204; the deprecated route redirects with 308.

The checks are mStudio's own (a token is a credential the API hands out), built from the generic
helpers: ``eventual`` finds a created record, ``consistency`` waits for each mutation's event.
"""
import pytest

from apiconform.checks import consistency, eventual
from apiconform.checks.common import note_write, resource
from apiconform.checks.expect import body_data, expect, expect_status
from apiconform.http.writes import uninterrupted

TOKENS = "v2/users/self/api-tokens"
REFUSED = (401, 403)  # what mittwald's own token validators take for "token rejected" (providers/mstudio.md §3.4)


def _new_token(api, clause, tag):
    """Create a token described by ``tag`` (one per test: parallel tests never create the same token, and
    replay finds the one it recorded); its secret, its id and the create's event."""
    attrs = {"description": f"apiconform {tag}", "roles": ["api_read", "api_write"]}
    res = resource(api, "api_tokens")
    before = {t["apiTokenId"] for t in eventual.listed(api, res, clause)}
    with uninterrupted():  # its answer names no id: an interrupt before the token is found would leave it unnoted
        ex = api.post(TOKENS, attrs)
        expect_status(ex, 201, clause, "create an API token")
        data = body_data(ex, clause)
        secret = data.get("token") if isinstance(data, dict) else None
        expect(isinstance(secret, str) and bool(secret), clause, "the create answered no token", ex,
               actual=ex.text[:100])
        event = consistency.mutation(api, ex, "create an API token")
        new = [t for t in eventual.listed(api, res, clause, event)
               if t["apiTokenId"] not in before and t.get("description") == attrs["description"]]
        expect(len(new) == 1, consistency.clause(api, "read_your_write"), f"the new token is listed {len(new)} "
               f"times by a read waiting for its event {event}", ex, expected=1, actual=len(new))
        note_write(api, "created", res, new[0]["apiTokenId"])  # on the ledger: the run removes it if the check cannot
    return secret, new[0]["apiTokenId"], event


def _as(secret):
    return {"auth": "access_token", "credentials": {"api_token": secret}}


def test_created_token_authenticates_until_deleted(api):
    api.verifies("mstudio.token.create", "mstudio.token.revoked")
    secret, ident, event = _new_token(api, "mstudio.token.create", "lifecycle")
    try:
        me = consistency.read_after(api, "v2/users/self/sessions/current/status", event, **_as(secret))
        expect_status(me, 200, "mstudio.token.create", "the session status read with the new token")
        if not api.replaying:  # replay holds the id, not the scrubbed secret's session
            expect(me.data().get("tokenId") == ident, "mstudio.token.create", "the session does not name the new "
                   "token", me, expected=ident, actual=me.data().get("tokenId"))
    finally:
        gone = api.delete(f"{TOKENS}/{ident}")
    expect_status(gone, 204, "mstudio.token.delete", f"DELETE {TOKENS}/{ident}")
    event = consistency.mutation(api, gone)
    after = consistency.read_after(api, "v2/users/self", event, **_as(secret))
    # Refused is what matters here; which refusal an unknown token gets is mstudio.auth.unknown's business.
    expect_status(after, REFUSED, "mstudio.token.revoked", "GET v2/users/self with the deleted token")


def test_secret_is_never_read_back(api):
    clause = "mstudio.token.secret-once"
    api.verifies(clause)
    secret, ident, event = _new_token(api, "mstudio.token.create", "secret once")
    try:
        for ex in (consistency.read_after(api, TOKENS, event), consistency.read_after(api, f"{TOKENS}/{ident}", event)):
            expect_status(ex, 200, consistency.clause(api, "read_your_write"), f"GET {ex.url}")
            shown = secret in ex.text  # in replay the stand-in the recording wrote where it saw the secret
            records = ex.data() if isinstance(ex.data(), list) else [ex.data()]
            keys = sorted({k for r in records if isinstance(r, dict) for k in r} & {"token", "secret"})
            expect(not shown and not keys, clause, f"GET {ex.url} carries the token's secret", ex,
                   expected="no secret", actual=keys or "the secret")
    finally:
        eventual.discard(api, resource(api, "api_tokens"), ident)


def test_edit_answers_204_and_applies(api):
    res = resource(api, "api_tokens")
    api.verifies("mstudio.token.edit")
    with eventual.created(api, res, {"description": "apiconform edit", "roles": ["api_read"]},
                          "mstudio.token.edit") as (ident, _):
        change = {"description": "apiconform edited"}
        event = eventual.edit(api, res, ident, change, "mstudio.token.edit")
        after = eventual.read(api, res, ident, event, "mstudio.token.edit")
        consistency.shows_write(api, f"{TOKENS}/{ident}", after, change, "mstudio.token.edit")


def test_delete_answers_204_and_removes(api):
    res = resource(api, "api_tokens")
    clause = "mstudio.token.delete"
    api.verifies(clause)
    ident, _ = eventual.create(api, res, {"description": "apiconform delete", "roles": ["api_read"]}, clause)
    ex = api.delete(f"{TOKENS}/{ident}")
    expect_status(ex, 204, clause, f"DELETE {TOKENS}/{ident}")
    expect(not ex.body, clause, "the delete answered a body", ex, actual=ex.text[:200])
    event = consistency.mutation(api, ex)
    eventual.gone(api, f"{TOKENS}/{ident}", event, clause)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_deprecated_route_redirects(api, method):
    clause = "mstudio.token.redirect"
    api.verifies(clause)
    body = {"description": "apiconform redirect", "roles": ["api_read"]} if method == "POST" else None
    ex = api.request(method, "v2/signup/token/api", body=body)
    expect_status(ex, 308, clause, f"{method} v2/signup/token/api")
    location = ex.headers.get("location", "")
    expect(location.rstrip("/").endswith("/v2/users/self/api-tokens"), clause, f"the 308 points to {location!r}",
           ex, expected="/v2/users/self/api-tokens", actual=location or None)
