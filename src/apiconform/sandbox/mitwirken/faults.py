"""The Mitwirken sandbox's faults: each breaks exactly one clause of suites/mitwirken/contract.toml."""

from __future__ import annotations

from apiconform.sandbox import cursor, ratelimit
from apiconform.sandbox.faults import Fault
from apiconform.sandbox.server import PLAIN_HTTP_FAULT

# A restricted key's write to a member that was updated before is refused, but applied first: only a sequence of
# an update and then a restricted write shows it (the stateful check; app.authorise's caller).
RESTRICTED_ONCE_UPDATED = "restricted-write-applied-once-updated"

# The rate-limit block's faults, by the ratelimit check each breaks (suites/mitwirken [rate_limit.clauses]).
RATE_CLAUSES = {"headers": "mitwirken.rate.headers", "limit": "mitwirken.rate.limit",
                "remaining": "mitwirken.rate.remaining", "reset": "mitwirken.rate.reset",
                "exceeded": "mitwirken.rate.429", "retry": "mitwirken.rate.retry-after"}

FAULTS: list[Fault] = [
    Fault("full-key-refused", "mitwirken.auth.bearer", "The full-access key is refused with 403, like an invalid one."),
    Fault("missing-key-403", "mitwirken.auth.401-missing", "A request without a key gets 403 validation_error instead of 401 missing_api_key."),
    Fault("unknown-key-401", "mitwirken.auth.403-invalid", "An unknown mit_ key gets 401 missing_api_key instead of 403."),
    Fault("malformed-key-401", "mitwirken.auth.malformed", "A key not shaped mit_... gets 401 missing_api_key instead of 403."),
    Fault("revoked-key-accepted", "mitwirken.auth.revoked", "A revoked key still authenticates, with full access."),
    Fault("restricted-key-can-write", "mitwirken.auth.401-restricted", "A restricted key may create, update and delete members."),
    Fault("restricted-write-applied", "mitwirken.auth.401-restricted", "A restricted key's writes get 401 restricted_api_key, but are applied first."),
    Fault("restricted-key-cannot-read", "mitwirken.auth.401-restricted", "A restricted key gets 401 restricted_api_key on reads too."),
    Fault("restricted-key-cannot-read-one", "mitwirken.auth.401-restricted", "A restricted key may list members, but gets 401 restricted_api_key on GET /members/:id."),
    Fault(PLAIN_HTTP_FAULT, "mitwirken.auth.https-only", "The plain-HTTP port serves the full API instead of refusing connections."),
    Fault("unknown-id-500", "mitwirken.status.allowed", "An unknown member id answers 500 application_error."),
    Fault("member-read-404", "mitwirken.status.200-read", "GET /members/:id answers 404 for members that exist."),
    Fault("unknown-id-400", "mitwirken.status.404-unknown", "An unknown or deleted member answers 400 validation_error instead of 404."),
    Fault("unknown-endpoint-400", "mitwirken.status.404-endpoint", "A path that is no endpoint answers 400 validation_error instead of 404 not_found."),
    Fault("invalid-field-422", "mitwirken.status.400-validation", "A field with an invalid value answers 422 missing_required_field instead of 400 validation_error."),
    Fault("missing-field-400", "mitwirken.status.422-missing", "A missing required field answers 400 validation_error instead of 422 missing_required_field."),
    Fault("missing-field-unnamed", "mitwirken.status.422-missing", "A missing required field answers 422 missing_required_field with M3's bare message, which names no field."),
    Fault("malformed-body-named-invalid-json", "mitwirken.status.400-malformed", "A body that is not JSON answers 400 named invalid_json, a type M3 does not list, instead of validation_error."),
    Fault("error-body-untyped", "mitwirken.error.body", "Error bodies are {\"error\": message}, without statusCode and name."),
    Fault("not-found-named-validation", "mitwirken.error.types", "404 errors are named validation_error instead of not_found."),
    Fault("json-content-type-text", "mitwirken.format.json", "JSON responses say Content-Type text/plain."),
    Fault("created-at-unzoned", "mitwirken.schema.resources", "Members' created_at lacks its zone (no Z)."),
    Fault("update-answers-empty", "mitwirken.verb.writes-200", "An update answers 200 with an empty body instead of the member."),
    Fault("create-answer-not-stored", "mitwirken.verb.writes-200", "A create answers with a created_at a second earlier than the one it stores and reads back."),
    Fault("delete-answers-empty", "mitwirken.verb.writes-200", "A delete answers 200 with an empty body instead of {object, id, deleted}."),
    Fault("create-ignores-last-name", "mitwirken.payload.valid-accepted", "A create ignores last_name and stores null."),
    Fault("create-drops-unsubscribed", "mitwirken.payload.valid-accepted", "A create stores unsubscribed as false, yet answers it as sent."),
    Fault("update-applies-nothing", "mitwirken.payload.valid-accepted", "An update answers 200 with the member but changes nothing."),
    Fault("long-name-accepted", "mitwirken.payload.constraints", "A first_name longer than 100 characters is accepted."),
    Fault(cursor.AFTER_INCLUDES_CURSOR, "mitwirken.page.walk", "A page after a cursor starts with the cursor's member."),
    Fault(cursor.BEFORE_INCLUDES_CURSOR, "mitwirken.page.before", "A page before a cursor ends with the cursor's member."),
    Fault(cursor.AFTER_AND_BEFORE_ACCEPTED, "mitwirken.page.exclusive", "after and before together are accepted (after wins)."),
    Fault(cursor.LIMIT_UNBOUNDED, "mitwirken.page.limit", "limit above 100 is accepted."),
    Fault(cursor.DEFAULT_LIMIT_ALL, "mitwirken.page.limit", "A list without limit returns every member on one page."),
    Fault("list-keeps-deleted-after-create", "mitwirken.stateful.model", "Pages of more than the default 20 members (a stale replica serves them) keep a deleted member once another member has been created after the delete; reads are right."),
    Fault(RESTRICTED_ONCE_UPDATED, "mitwirken.stateful.model", "A restricted key's update or delete of a member that was updated before gets 401 restricted_api_key, but is applied first."),
    Fault("list-shows-member-as-created", "mitwirken.stateful.model", "The list shows members as they were created, not as they were last updated (reads are right)."),
    *[Fault(flag, RATE_CLAUSES[check], f"{what[0].upper()}{what[1:]}.") for flag, (check, what) in ratelimit.FAULTS.items()
      if flag not in ratelimit.OPT_IN - {ratelimit.RESET_IN_MS, ratelimit.DELAYS_NOT_REFUSES}],
]
