"""The mStudio sandbox's faults: each breaks exactly one clause of suites/mstudio/contract.toml."""

from __future__ import annotations

from apiconform.sandbox import events, offset, ratelimit
from apiconform.sandbox.faults import Fault
from apiconform.sandbox.server import PLAIN_HTTP_FAULT

# The shared blocks' faults, by the check each breaks.
RATE_CLAUSES = {"headers": "mstudio.rate.headers", "limit": "mstudio.rate.limit", "remaining": "mstudio.rate.remaining",
                "reset": "mstudio.rate.reset", "exceeded": "mstudio.rate.429", "retry": "mstudio.rate.retry"}
# mStudio names the values' form apart from the headers' presence (mstudio.rate.values, assumed).
RATE_FLAG_CLAUSES = {ratelimit.HEADERS_GARBLED: "mstudio.rate.values"}
EVENT_CLAUSES = {"etag": "mstudio.consistency.etag", "no_etag_on_get": "mstudio.consistency.no-etag-on-get",
                 "read_your_write": "mstudio.consistency.read-your-write", "timeout": "mstudio.consistency.412",
                 "lag": "mstudio.consistency.lag", "lag_status": "mstudio.consistency.lag-status"}
PAGE_CLAUSES = {"walk": "mstudio.page.walk", "page": "mstudio.page.page", "skip_wins": "mstudio.page.skip-wins",
                "headers": "mstudio.page.headers", "headers_present": "mstudio.page.headers-present"}


def _sentence(what: str) -> str:
    return f"{what[0].upper()}{what[1:]}."


FAULTS: list[Fault] = [
    Fault("access-token-refused", "mstudio.auth.access-token", "The X-Access-Token header is ignored: such requests are unauthenticated."),
    Fault("bearer-refused", "mstudio.auth.bearer", "Authorization: Bearer is ignored: such requests are unauthenticated."),
    Fault("bearer-refused-on-writes", "mstudio.auth.bearer", "Authorization: Bearer authenticates reads only: a POST, PUT or DELETE with it is unauthenticated."),
    Fault("missing-token-403", "mstudio.auth.missing", "A request without a token gets 403 Forbidden instead of 401."),
    Fault("unknown-token-403", "mstudio.auth.unknown", "An unknown or malformed token gets 403 Forbidden instead of 401."),
    Fault("expired-token-accepted", "mstudio.auth.expired", "A token past its expiresAt still authenticates."),
    Fault("read-token-can-write", "mstudio.auth.read-only", "An api_read token may create, edit and delete."),
    Fault("read-token-cannot-read-one", "mstudio.auth.read-only", "An api_read token may list, but gets 403 on a single record's GET."),
    Fault(PLAIN_HTTP_FAULT, "mstudio.auth.https-only", "The plain-HTTP port serves the full API instead of redirecting."),
    Fault("created-token-unusable", "mstudio.token.create", "POST api-tokens answers 201 with a token that does not authenticate."),
    Fault("deleted-token-accepted", "mstudio.token.revoked", "A deleted token still authenticates."),
    Fault("token-secret-listed", "mstudio.token.secret-once", "The token list carries each token's secret."),
    Fault("token-secret-in-get", "mstudio.token.secret-once", "GET api-tokens/{id} carries the token's secret."),
    Fault("token-edit-ignored", "mstudio.token.edit", "PUT api-tokens/{id} answers 204 and changes nothing."),
    Fault("token-delete-keeps", "mstudio.token.delete", "DELETE api-tokens/{id} answers 204; the token no longer authenticates but stays listed and readable."),
    Fault("redirect-without-location", "mstudio.token.redirect", "/v2/signup/token/api answers 308 without a location."),
    Fault("token-page-counts-deleted", "mstudio.stateful.model", "A deleted API token stays in the token list's index as a tombstone until the next token create compacts it, and limit and skip count the tombstones (the page is filtered after it is cut): a page holds fewer tokens than its limit, and a walk that ends at the short page misses the tokens after the tombstone; reads, the total and lists without limit are right."),
    Fault("token-total-counts-deleted", "mstudio.stateful.model", "A deleted API token stays in the token list's index as a tombstone until the next token create compacts it, and X-Pagination-TotalCount counts the tombstones; the items, reads and the total after a create are right."),
    Fault("ssh-edit-ignored", "mstudio.ssh.crud", "PUT ssh-keys/{id} answers 204 and keeps the old comment."),
    Fault("session-user-mismatch", "mstudio.user.self", "The session status names another user than GET users/self."),
    Fault("project-get-403", "mstudio.project.read", "A listed project answers 403 on GET projects/{id}."),
    Fault("projects-default-desc", "mstudio.page.order", "The project list without order is sorted descending."),
    Fault("projects-desc-ignored", "mstudio.page.order", "order=desc is ignored: the project list is always ascending."),
    Fault("project-get-403-beyond-third", "mstudio.project.read", "The fourth and later projects of the list answer 403 on GET projects/{id}."),
    Fault("unknown-id-400", "mstudio.status.404", "An unknown token or SSH key id answers 400 ValidationErrors instead of 404."),
    Fault("unknown-id-untyped", "mstudio.status.404-type", "An unknown token or SSH key id answers 404 of type ResourceNotFound, not NotFound."),
    Fault("unknown-id-500", "mstudio.status.allowed", "An unknown SSH key id answers 500."),
    Fault("invalid-answers-403", "mstudio.status.400-validation", "An invalid body answers 403 Forbidden instead of 400 ValidationErrors."),
    Fault("validation-path-empty", "mstudio.error.validation", "ValidationErrors entries carry an empty path and no context."),
    Fault("error-body-untyped", "mstudio.error.body", "Error bodies (all but the 429's) are {\"error\": message}, without type."),
    Fault("json-content-type-text", "mstudio.format.json", "JSON answers say Content-Type text/plain."),
    Fault("token-roles-string", "mstudio.spec.responses", "API tokens are listed and read with roles as one comma-separated string."),
    Fault("ssh-list-unwrapped", "mstudio.spec.responses", "The SSH-key list is a bare array, not {sshKeys: [...]}."),
    Fault("expiry-dropped", "mstudio.payload.valid-accepted", "A create accepts expiresAt but does not store it (edits do)."),
    Fault("roles-duplicates-accepted", "mstudio.payload.constraints", "roles with a duplicate entry are accepted (uniqueItems ignored)."),
    Fault("roles-enum-accepted", "mstudio.payload.constraints", "A token create with an unknown role is accepted (the roles' enum ignored; the known roles are stored)."),
    Fault("expiry-format-accepted", "mstudio.payload.constraints", "An expiresAt that is no date-time is accepted (format ignored; nothing is stored)."),
    Fault("ratelimit-429-untyped", "mstudio.rate.429", "The 429 body's type is TooManyRequests, not RateLimitError."),
    Fault("ratelimit-429-empty", "mstudio.rate.429", "The 429 body is {} (valid for the spec's RateLimitError, whose fields are optional)."),
    Fault("exempt-unmarked", "mstudio.rate.exempt", "The session-status route is rate limited like the others and not marked exempt."),
    *[Fault(flag, RATE_FLAG_CLAUSES.get(flag, RATE_CLAUSES[check]), _sentence(what))
      for flag, (check, what) in ratelimit.FAULTS.items() if flag not in ratelimit.OPT_IN - {ratelimit.RESET_AS_EPOCH}],
    *[Fault(flag, EVENT_CLAUSES[check], _sentence(what)) for flag, (check, what) in events.FAULTS.items()],
    *[Fault(flag, PAGE_CLAUSES[check], _sentence(what)) for flag, (check, what) in offset.FAULTS.items()],
]
